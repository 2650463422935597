//! Validate + deserialize the conformance `message` payload, as the server
//! does for every trigger in `chat`: the JSON text read into a `Value`
//! (socketioxide's part), checked against the compiled schema
//! (`Dialogue::validate`, the same call the trigger path makes), then read
//! into the typed struct (only where a Rust handler wants it).
//!
//! Run: `cargo bench -p dialogue-bench --bench payload`

#[path = "../../examples/conformance/app.rs"]
#[allow(
    dead_code,
    reason = "the whole conformance app is declared; each bench uses part"
)]
mod app;

use std::hint::black_box;

use app::{ConformanceApp, Message};
use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::Value;

/// A typical chat message: 60 characters of text.
const TYPICAL: &str =
    r#"{"text":"b 0 123456 987654321 hello from the load generator!!","senderId":"user-0042"}"#;

fn payload(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let _guard = runtime.enter();
    let dialogue = ConformanceApp::server()
        .build()
        .expect("the conformance app builds");
    let value: Value = serde_json::from_str(TYPICAL).expect("valid JSON");
    let long: Value = serde_json::json!({ "text": "x".repeat(1000), "senderId": "user-0042" });
    let invalid: Value = serde_json::json!({ "text": "", "senderId": "user-0042" });

    let mut group = c.benchmark_group("message");
    group.bench_function("parse+validate+deserialize", |b| {
        b.iter(|| {
            let value: Value = serde_json::from_str(black_box(TYPICAL)).expect("JSON");
            dialogue.validate("message", &value).expect("valid");
            let message: Message = serde_json::from_value(value).expect("typed");
            black_box(message)
        });
    });
    group.bench_function("validate+deserialize", |b| {
        b.iter(|| {
            let value = black_box(&value);
            dialogue.validate("message", value).expect("valid");
            let message = Message::deserialize_from(value);
            black_box(message)
        });
    });
    group.bench_function("validate", |b| {
        b.iter(|| {
            dialogue
                .validate("message", black_box(&value))
                .expect("valid")
        });
    });
    group.bench_function("validate 1000 chars", |b| {
        b.iter(|| {
            dialogue
                .validate("message", black_box(&long))
                .expect("valid")
        });
    });
    group.bench_function("validate invalid (issues built)", |b| {
        b.iter(|| {
            black_box(
                dialogue
                    .validate("message", black_box(&invalid))
                    .unwrap_err(),
            )
        });
    });
    group.bench_function("deserialize", |b| {
        b.iter(|| black_box(Message::deserialize_from(black_box(&value))));
    });
    group.bench_function("parse", |b| {
        b.iter(|| black_box(serde_json::from_str::<Value>(black_box(TYPICAL)).expect("JSON")));
    });
    group.finish();
}

trait FromValue: Sized {
    /// Reads `Self` from a borrowed `Value` without cloning it first.
    fn deserialize_from(value: &Value) -> Self;
}

impl FromValue for Message {
    fn deserialize_from(value: &Value) -> Self {
        <Message as serde::Deserialize>::deserialize(value).expect("typed")
    }
}

criterion_group!(benches, payload);
criterion_main!(benches);
