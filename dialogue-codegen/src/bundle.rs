//! One JSON Schema document holding every event's schema, for tools that
//! validate outside the server.

use serde_json::{Map, Value, json};

use dialogue_core::spec::AppSpec;

/// The bundle: each event's schema under `$defs/<event name>`, with an `$id` of
/// its own so that its internal `#/$defs/...` references resolve inside it.
///
/// ```
/// use dialogue_core::spec::AppSpec;
///
/// let spec = AppSpec::builder("App").build().unwrap();
/// let bundle = dialogue_codegen::schema_bundle(&spec);
/// assert_eq!(bundle["$id"], "urn:dialogue:App");
/// ```
pub fn schema_bundle(spec: &AppSpec) -> Value {
    let app = format!("urn:dialogue:{}", spec.name);
    let defs: Map<String, Value> = spec
        .events
        .iter()
        .map(|event| {
            let mut schema = event.schema.clone();
            if let Value::Object(object) = &mut schema {
                object.remove("$schema");
                object.insert("$id".into(), Value::String(format!("{app}:{}", event.name)));
            }
            (event.name.clone(), schema)
        })
        .collect();
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": app,
        "title": format!("The events of {}", spec.name),
        "$defs": defs,
    })
}
