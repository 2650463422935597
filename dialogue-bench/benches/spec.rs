//! Building the spec model of the conformance app, as `dialogue!`'s
//! `spec()` does once per process: each event's JSON Schema (schemars) and
//! TypeScript (ts-rs), the rooms, the cross-checks. Also one event alone,
//! and the server build that follows (compiling the schemas).
//!
//! Run: `cargo bench -p dialogue-bench --bench spec`

#[path = "../../examples/conformance/app.rs"]
#[allow(
    dead_code,
    reason = "the whole conformance app is declared; each bench uses part"
)]
mod app;

use std::hint::black_box;

use app::{ConformanceApp, Message, OrderUpdated, Typing};
use criterion::{Criterion, criterion_group, criterion_main};
use dialogue_runtime::DialogueApp;
use dialogue_runtime::spec::{AppSpec, EventSpec};

fn spec(c: &mut Criterion) {
    let rooms = ConformanceApp::spec().rooms.clone();
    let mut group = c.benchmark_group("spec");
    group.bench_function("EventSpec::of::<Message>", |b| {
        b.iter(|| black_box(EventSpec::of::<Message>()));
    });
    group.bench_function("conformance app (3 events, 5 rooms)", |b| {
        b.iter(|| {
            let mut builder = AppSpec::builder("ConformanceApp")
                .event::<Message>()
                .event::<Typing>()
                .event::<OrderUpdated>();
            for room in &rooms {
                builder = builder.room(room.clone());
            }
            black_box(builder.build().expect("valid"))
        });
    });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let _guard = runtime.enter();
    group.bench_function(
        "Dialogue::build (compile schemas, socketioxide layer)",
        |b| {
            b.iter(|| black_box(ConformanceApp::server().build().expect("builds")));
        },
    );
    group.finish();
}

criterion_group!(benches, spec);
criterion_main!(benches);
