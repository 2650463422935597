//! History push and page, through the runtime's public API (its ring buffer,
//! `RoomHistory`, is crate-private).
//!
//! - push: `Room::trigger_json` of `message` (history kept, limit 100)
//!   against `typing` (no history) in the same room with no members: the
//!   difference is the push into the ring buffer (plus `typing`'s smaller
//!   schema and payload, which favours it slightly);
//! - page: `Room::history("message", start, end)` on a full buffer, which
//!   reads each kept envelope back into an `EventMessage` (a client's
//!   `getHistory` sends the stored bytes instead and skips that step).
//!
//! Run: `cargo bench -p dialogue-bench --bench history`

#[path = "../../examples/conformance/app.rs"]
#[allow(
    dead_code,
    reason = "the whole conformance app is declared; each bench uses part"
)]
mod app;

use std::hint::black_box;
use std::time::Instant;

use app::ConformanceApp;
use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::json;

fn history(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dialogue = runtime.block_on(async {
        ConformanceApp::server()
            .build()
            .expect("the conformance app builds")
    });
    let room = dialogue.room_by_id("chat").expect("declared");

    let mut group = c.benchmark_group("history");
    let mut seq = 0u64;
    group.bench_function("push: trigger message (kept, limit 100)", |b| {
        b.iter_custom(|iters| {
            runtime.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    seq += 1;
                    let data = json!({ "text": format!("message {seq}"), "senderId": "u1" });
                    room.trigger_json("message", data, Some("u1"))
                        .await
                        .expect("accepted");
                }
                start.elapsed()
            })
        });
    });
    group.bench_function("baseline: trigger typing (not kept)", |b| {
        b.iter_custom(|iters| {
            runtime.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    seq += 1;
                    let data = json!({ "isTyping": seq.is_multiple_of(2) });
                    room.trigger_json("typing", data, Some("u1"))
                        .await
                        .expect("accepted");
                }
                start.elapsed()
            })
        });
    });
    for (start, end) in [(0u64, 10u64), (0, 50), (50, 100)] {
        group.bench_function(format!("page {start}..{end} of 100"), |b| {
            b.iter_custom(|iters| {
                runtime.block_on(async {
                    let began = Instant::now();
                    for _ in 0..iters {
                        let page = room.history("message", start, end).await.expect("page");
                        black_box(page);
                    }
                    began.elapsed()
                })
            });
        });
    }
    group.finish();
}

criterion_group!(benches, history);
criterion_main!(benches);
