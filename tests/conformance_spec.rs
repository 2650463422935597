//! The spec model of the conformance server, snapshotted.
//!
//! The snapshot is the reviewed contract of docs/conformance.md in model form;
//! when the declarations change on purpose, regenerate it with
//! `INSTA_UPDATE=always cargo test --test conformance_spec` (or
//! `cargo insta review`) and read the diff.

mod support;

use dialogue_runtime::DialogueApp;
use serde_json::json;
use support::conformance::ConformanceApp;

#[test]
fn conformance_spec_snapshot() {
    insta::assert_json_snapshot!("conformance_spec", ConformanceApp::spec());
}

#[test]
fn conformance_schemas_carry_the_documented_constraints() {
    let spec = ConformanceApp::spec();
    let text = &spec.event("message").unwrap().schema["properties"]["text"];
    assert_eq!(text["type"], "string");
    assert_eq!(text["minLength"], 1);
    assert_eq!(text["maxLength"], 1000);
    let status = &spec.event("order:updated").unwrap().schema["properties"]["status"];
    assert_eq!(status["type"], "string");
    assert_eq!(
        status["enum"],
        json!(["pending", "processing", "shipped", "delivered"])
    );
    let typing = &spec.event("typing").unwrap().schema;
    assert_eq!(typing["properties"]["isTyping"]["type"], "boolean");
    assert_eq!(typing["required"], json!(["isTyping"]));
}
