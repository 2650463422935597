//! The data the client runtime reads besides the types: every event's and
//! request's JSON Schema, and the room rules (which rooms validate, what a
//! joiner is subscribed to, the templates, the presence info's schema).
//!
//! `dialogue.ts` holds them as constants; the npm package as JavaScript
//! modules (`app.js` for the public schemas, `rules.js` for the rest).

use std::collections::BTreeMap;

use dialogue_core::spec::{AppSpec, RoomEvents, Subscriptions};
use serde_json::{Value, json};

/// The runtime's data of one application.
pub(crate) struct Data {
    /// Every event's JSON Schema, by wire name.
    pub(crate) schemas: Value,
    /// Every request's payload schema, by name.
    pub(crate) request_schemas: Value,
    /// Rooms whose events are validated (`true`) or passed through.
    pub(crate) validated: Value,
    /// What a joiner of each declared room is subscribed to.
    pub(crate) subscriptions: Value,
    /// Room templates, as the parts of an instance id around its parameter.
    pub(crate) templates: Value,
    /// The presence info's JSON Schema, or `null`.
    pub(crate) presence: Value,
}

/// The room rules: `(constant, TypeScript type, documentation)`, in the
/// order they are written.
const RULES: &[(&str, &str, &str)] = &[
    (
        "VALIDATED_ROOMS",
        "Readonly<Record<string, boolean>>",
        "Rooms whose events are validated (`true`) or passed through (`false`, rooms that take any event).",
    ),
    (
        "ROOM_SUBSCRIPTIONS",
        "Readonly<Record<string, readonly string[]>>",
        "What a joiner of each declared room is subscribed to (`\"*\"`: every event), as the server starts it.",
    ),
    (
        "TEMPLATE_ROOMS",
        "ReadonlyArray<{ prefix: string; suffix: string; validated: boolean; subscriptions: readonly string[] }>",
        "Room templates (per-user rooms included), as the parts of an instance id around its parameter, whether they validate, and what joiners are subscribed to.",
    ),
    (
        "PRESENCE_SCHEMA",
        "JsonSchema | null",
        "The JSON Schema of `PresenceInfo`: the server's own, checked before `setPresence` (`null`: any object is sent as is).",
    ),
];

/// The data of `spec`.
pub(crate) fn data(spec: &AppSpec) -> Data {
    let schemas: BTreeMap<&str, &Value> = spec
        .events
        .iter()
        .map(|e| (e.name.as_str(), &e.schema))
        .collect();
    let request_schemas: BTreeMap<&str, &Value> = spec
        .requests
        .iter()
        .map(|r| (r.name.as_str(), &r.schema))
        .collect();
    let (shared, templates): (Vec<_>, Vec<_>) =
        spec.rooms.iter().partition(|room| room.pattern().is_none());
    let validated: BTreeMap<&str, bool> = shared
        .iter()
        .map(|room| (room.id.as_str(), !matches!(room.events, RoomEvents::Any)))
        .collect();
    let subscriptions: BTreeMap<&str, Vec<&str>> = shared
        .iter()
        .map(|room| {
            (
                room.id.as_str(),
                subscription_names(&room.default_subscriptions),
            )
        })
        .collect();
    let templates: Vec<Value> = templates
        .iter()
        .filter_map(|room| {
            let pattern = room.pattern()?;
            Some(json!({
                "prefix": pattern.prefix,
                "suffix": pattern.suffix,
                "validated": !matches!(room.events, RoomEvents::Any),
                "subscriptions": subscription_names(&room.default_subscriptions),
            }))
        })
        .collect();
    Data {
        schemas: json!(schemas),
        request_schemas: json!(request_schemas),
        validated: json!(validated),
        subscriptions: json!(subscriptions),
        templates: json!(templates),
        presence: spec
            .presence
            .as_ref()
            .map_or(Value::Null, |presence| presence.schema.clone()),
    }
}

impl Data {
    fn rule_values(&self) -> [&Value; 4] {
        [
            &self.validated,
            &self.subscriptions,
            &self.templates,
            &self.presence,
        ]
    }
}

/// The room rules as TypeScript constants, for `dialogue.ts`.
pub(crate) fn source(data: &Data) -> String {
    let mut out = String::new();
    for ((name, ty, doc), value) in RULES.iter().zip(data.rule_values()) {
        out.push_str(&format!(
            "/** {doc} */\nconst {name}: {ty} = {};\n\n",
            pretty(value)
        ));
    }
    out.pop();
    out
}

/// The package's `rules.js` (or `.cjs`).
pub(crate) fn javascript(data: &Data, header: &str, commonjs: bool) -> String {
    let mut out = String::from(header);
    if commonjs {
        out.push_str("\"use strict\";\n\n");
    }
    for ((name, _, doc), value) in RULES.iter().zip(data.rule_values()) {
        let export = if commonjs { "" } else { "export " };
        out.push_str(&format!(
            "/** {doc} */\n{export}const {name} = {};\n\n",
            pretty(value)
        ));
    }
    if commonjs {
        let names: Vec<&str> = RULES.iter().map(|(name, _, _)| *name).collect();
        out.push_str(&format!("module.exports = {{ {} }};\n", names.join(", ")));
    } else {
        out.pop();
    }
    out
}

/// The package's `rules.d.ts` (or `.d.cts`); `client` is the runtime's
/// module (`./client.js`).
pub(crate) fn declarations(header: &str, client: &str) -> String {
    let mut out = String::from(header);
    out.push_str(&format!(
        "import type {{ JsonSchema }} from \"{client}\";\n\n"
    ));
    for (name, ty, doc) in RULES {
        out.push_str(&format!(
            "/** {doc} */\nexport declare const {name}: {ty};\n\n"
        ));
    }
    out.pop();
    out
}

/// A room's default subscriptions as the wire names them (`*` for all).
fn subscription_names(subscriptions: &Subscriptions) -> Vec<&str> {
    match subscriptions {
        Subscriptions::All => vec![dialogue_core::rules::WILDCARD],
        Subscriptions::Only(names) => names.iter().map(String::as_str).collect(),
    }
}

/// Pretty JSON, a valid JavaScript expression.
pub(crate) fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| "null".to_owned())
}
