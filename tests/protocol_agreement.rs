//! Every consumer of the protocol agrees with its one description
//! (dialogue-core's `protocol` module): the generated TypeScript client, the
//! AsyncAPI document and docs/protocol.md have an entry for every request,
//! every server event and every error code, and the client's hand-written
//! `EventMessage` has exactly the envelope's fields.
//!
//! The runtime's side needs no test here: it dispatches on `Request` with an
//! exhaustive match, so a request it does not handle does not compile.
//!
//! When this fails, the message names what is missing and where. Adding a
//! request means: its entry in `protocol/messages.rs`, a method of the
//! TypeScript client that sends it (`WIRE.<key>` in
//! `dialogue-codegen/src/typescript/runtime.ts`), its line in
//! docs/protocol.md; the AsyncAPI document follows by itself.

mod support;

use dialogue_runtime::DialogueApp;
use dialogue_runtime::protocol::{ErrorCode, Request, ServerEvent};
use serde_json::Value;
use support::conformance::ConformanceApp;

const RUNTIME_TS: &str = include_str!("../dialogue-codegen/src/typescript/runtime.ts");
const PROTOCOL_MD: &str = include_str!("../docs/protocol.md");

fn typescript() -> String {
    dialogue_codegen::typescript(ConformanceApp::spec(), "x").expect("the client generates")
}

fn asyncapi() -> Value {
    dialogue_codegen::asyncapi(ConformanceApp::spec(), "x")
}

/// The `WIRE` table of the generated client, as (key, wire name) pairs.
fn wire_table(ts: &str) -> Vec<(String, String)> {
    let start = ts.find("export const WIRE = {").expect("a WIRE table");
    let end = start + ts[start..].find("} as const;").expect("the table ends");
    ts[start..end]
        .lines()
        .filter_map(|line| {
            let (key, value) = line.trim().split_once(": ")?;
            let value = value.trim_end_matches(',');
            let value: String = serde_json::from_str(value).ok()?;
            Some((key.to_owned(), value))
        })
        .collect()
}

/// The members of the generated `ErrorCode` union.
fn error_union(ts: &str) -> Vec<String> {
    let start = ts
        .find("export type ErrorCode =")
        .expect("an ErrorCode union");
    let mut codes = Vec::new();
    for line in ts[start..].lines().skip(1) {
        let Some(member) = line.trim().strip_prefix("| ") else {
            continue; // a member's doc comment
        };
        if let Ok(code) = serde_json::from_str(member.trim_end_matches(';')) {
            codes.push(code);
        }
        if member.ends_with(';') {
            break;
        }
    }
    codes
}

#[test]
fn every_request_has_a_typescript_method_an_asyncapi_operation_and_a_doc_line() {
    let ts = typescript();
    let wire = wire_table(&ts);
    let doc = asyncapi();
    let mut missing = Vec::new();
    for &request in Request::ALL {
        let (key, name) = (request.key(), request.wire_name());
        if !wire.iter().any(|(k, n)| k == key && n == name) {
            missing.push(format!("{name}: not in the client's WIRE table"));
        }
        if !RUNTIME_TS.contains(&format!("WIRE.{key}")) {
            missing.push(format!(
                "{name}: no method of the TypeScript client sends it (WIRE.{key} in runtime.ts)"
            ));
        }
        if doc["components"]["messages"][key]["name"] != name {
            missing.push(format!("{name}: no AsyncAPI message `{key}`"));
        }
        if doc["operations"][key]["action"] != "send" {
            missing.push(format!("{name}: no AsyncAPI send operation `{key}`"));
        }
        if doc["components"]["messages"][format!("{key}Ack")].is_null() {
            missing.push(format!("{name}: no AsyncAPI acknowledgement `{key}Ack`"));
        }
        // A row of the table of requests, not a mention in passing.
        if !PROTOCOL_MD.contains(&format!("| `{name}` |")) {
            missing.push(format!(
                "{name}: no row in docs/protocol.md's table of requests"
            ));
        }
    }
    assert!(
        missing.is_empty(),
        "requests missing from a consumer:\n{}",
        missing.join("\n")
    );
}

#[test]
fn every_server_event_is_named_in_typescript_asyncapi_and_the_docs() {
    let ts = typescript();
    let wire = wire_table(&ts);
    let doc = asyncapi();
    let mut missing = Vec::new();
    for &event in ServerEvent::ALL {
        let (key, name) = (event.key(), event.wire_name());
        if !wire.iter().any(|(k, n)| k == key && n == name) {
            missing.push(format!("{name}: not in the client's WIRE table"));
        }
        if doc["components"]["messages"][key]["name"] != name {
            missing.push(format!("{name}: no AsyncAPI message `{key}`"));
        }
        if doc["operations"][format!("on.{key}")]["action"] != "receive" {
            missing.push(format!("{name}: no AsyncAPI receive operation `on.{key}`"));
        }
        if !PROTOCOL_MD.contains(&format!("`{name}`")) {
            missing.push(format!("{name}: not in docs/protocol.md"));
        }
    }
    // The client listens to the events it must handle itself.
    for event in [
        ServerEvent::Connected,
        ServerEvent::Event,
        ServerEvent::RoomCreated,
        ServerEvent::RoomDeleted,
        ServerEvent::Error,
        ServerEvent::PresenceDiff,
        ServerEvent::HostChanged,
        ServerEvent::Kicked,
        ServerEvent::Shutdown,
    ] {
        if !RUNTIME_TS.contains(&format!("socket.on(WIRE.{}", event.key())) {
            missing.push(format!(
                "{}: the TypeScript client does not listen to it",
                event.wire_name()
            ));
        }
    }
    let keys = wire.len();
    assert_eq!(
        keys,
        Request::ALL.len() + ServerEvent::ALL.len(),
        "WIRE holds exactly the protocol's names"
    );
    assert!(
        missing.is_empty(),
        "server events missing from a consumer:\n{}",
        missing.join("\n")
    );
}

#[test]
fn every_error_code_is_in_the_typescript_union_asyncapi_and_the_docs() {
    let union = error_union(&typescript());
    let doc = asyncapi();
    let schema_codes: Vec<String> = doc["components"]["schemas"]["ErrorCode"]["enum"]
        .as_array()
        .or_else(|| {
            // schemars writes a unit enum with documented variants as oneOf consts.
            doc["components"]["schemas"]["ErrorCode"]["oneOf"].as_array()
        })
        .expect("ErrorCode in components/schemas")
        .iter()
        .filter_map(|entry| match entry {
            Value::String(code) => Some(code.clone()),
            other => other
                .get("const")
                .or_else(|| other.get("enum").and_then(|e| e.get(0)))
                .and_then(Value::as_str)
                .map(str::to_owned),
        })
        .collect();
    let mut missing = Vec::new();
    for &code in ErrorCode::ALL {
        let name = code.as_str();
        if !union.iter().any(|c| c == name) {
            missing.push(format!("{name}: not in the TypeScript ErrorCode union"));
        }
        if !schema_codes.iter().any(|c| c == name) {
            missing.push(format!("{name}: not in the AsyncAPI ErrorCode schema"));
        }
        // A row of the table of error codes, not a mention in passing.
        if !PROTOCOL_MD.contains(&format!("| `{name}` |")) {
            missing.push(format!(
                "{name}: no row in docs/protocol.md's table of error codes"
            ));
        }
    }
    assert!(
        missing.is_empty(),
        "error codes missing from a consumer:\n{}",
        missing.join("\n")
    );
}

#[test]
fn the_clients_event_message_has_exactly_the_envelopes_fields() {
    let schema = &asyncapi()["components"]["schemas"]["EventMessage"];
    let properties = schema["properties"].as_object().expect("properties");
    let required: Vec<&str> = schema["required"]
        .as_array()
        .expect("required")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let start = RUNTIME_TS
        .find("export interface EventMessage<")
        .expect("the client's EventMessage");
    let end = start + RUNTIME_TS[start..].find("\n}").expect("its end");
    let fields: Vec<(String, bool)> = RUNTIME_TS[start..end]
        .lines()
        .skip(1)
        .map(str::trim)
        .filter(|line| !line.starts_with("/**") && !line.starts_with('*') && line.contains(':'))
        .map(|line| {
            let name = line.split(':').next().unwrap_or_default();
            (name.trim_end_matches('?').to_owned(), name.ends_with('?'))
        })
        .collect();
    let names: Vec<&str> = fields.iter().map(|(name, _)| name.as_str()).collect();
    let mut expected: Vec<&str> = properties.keys().map(String::as_str).collect();
    expected.sort_unstable();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, expected, "the TypeScript EventMessage's fields");
    for (name, optional) in &fields {
        assert_eq!(
            *optional,
            !required.contains(&name.as_str()),
            "`{name}` is optional in TypeScript exactly when the envelope does not require it"
        );
    }
}
