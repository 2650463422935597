//! Turns a Dialogue spec model into files for other languages and tools.
//!
//! It reads only the spec model ([`dialogue_core::spec::AppSpec`]), never the
//! server, so generating needs no runtime. Today it writes the spec itself as
//! JSON; TypeScript, AsyncAPI and a JSON Schema bundle build on the same model.

#![warn(unreachable_pub)]

use dialogue_core::spec::AppSpec;

/// The spec as pretty JSON, deterministic (fields in declaration order, map
/// keys sorted, LF line endings, a final newline), for files that are checked
/// in and diffed.
///
/// ```
/// use dialogue_core::spec::AppSpec;
///
/// let spec = AppSpec::builder("Empty").build().unwrap();
/// let json = dialogue_codegen::spec_json(&spec);
/// assert!(json.starts_with("{\n  \"name\": \"Empty\""));
/// assert!(json.ends_with("}\n"));
/// ```
pub fn spec_json(spec: &AppSpec) -> String {
    // Structs serialize in field order and the schemas' maps are sorted
    // (serde_json without `preserve_order`), so the text is stable. The model
    // has no map with non-string keys, so serializing cannot fail.
    let mut json = serde_json::to_string_pretty(spec).unwrap_or_default();
    json.push('\n');
    json
}

#[cfg(test)]
mod tests {
    use dialogue_core::spec::{HistorySync, RoomEvents, RoomSpec, Subscriptions};

    use super::*;

    #[test]
    fn output_is_stable_and_ordered() {
        let room = |id: &str| RoomSpec {
            id: id.into(),
            name: id.into(),
            description: None,
            events: RoomEvents::Any,
            default_subscriptions: Subscriptions::All,
            max_size: None,
                        sync_history_on_join: HistorySync::Off,
            required_claims: Default::default(),
        };
        let spec = AppSpec::builder("App")
            .room(room("b"))
            .room(room("a"))
            .build()
            .unwrap();
        let json = spec_json(&spec);
        assert_eq!(json, spec_json(&spec));
        let keys: Vec<&str> = json
            .lines()
            .filter(|l| l.starts_with("  \""))
            .map(|l| l.trim().split('"').nth(1).unwrap())
            .collect();
        assert_eq!(keys, ["name", "events", "rooms"]);
        assert!(
            json.find("\"id\": \"b\"").unwrap() < json.find("\"id\": \"a\"").unwrap(),
            "rooms keep their order"
        );
        assert!(!json.contains('\r'));
    }
}
