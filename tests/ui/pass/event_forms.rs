//! Event declarations that are easy to get wrong: several `#[event]`
//! attributes, raw and acronym type names, every serde representation, a user
//! who renames the type for TypeScript, and derives written by full path.

use dialogue_runtime::prelude::*;

#[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
#[event(history = 5)]
#[event(description = "Split over two attributes.")]
pub struct HTTPRequestSent {
    pub url: String,
}

#[allow(non_camel_case_types, reason = "a raw identifier event name is one of the forms under test")]
#[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
pub struct r#match {
    pub id: u64,
}

#[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
#[serde(rename = "Renamed", tag = "t", content = "c")]
#[ts(optional_fields = false)]
pub enum Original {
    A { x: Option<i32> },
    B(String),
}

#[derive(
    dialogue_runtime::Event,
    serde::Serialize,
    serde::Deserialize,
    dialogue_runtime::JsonSchema,
    dialogue_runtime::TS,
)]
pub struct FullPaths(pub Vec<HTTPRequestSent>);

fn main() {
    assert_eq!(HTTPRequestSent::NAME, "http:request:sent");
    assert_eq!(HTTPRequestSent::HISTORY.map(|n| n.get()), Some(5));
    assert_eq!(r#match::NAME, "match");
    assert_eq!(Original::NAME, "original");
    assert_eq!(FullPaths::NAME, "full:paths");
    let spec = dialogue_runtime::spec::EventSpec::of::<Original>();
    assert_eq!(spec.typescript.decl.name, "Renamed");
    assert_eq!(spec.schema["title"], "Renamed");
    assert!(
        spec.typescript.decl.declaration.contains("x: number | null"),
        "{}",
        spec.typescript.decl.declaration
    );
    let deps = dialogue_runtime::spec::EventSpec::of::<FullPaths>().typescript.dependencies;
    assert_eq!(deps[0].name, "HTTPRequestSent");
}
