//! One broadcast, as the server publishes it: `Room::trigger_json` validates
//! the payload (in `chat`), stamps and writes the envelope once, keeps it in
//! history, and hands it to socketioxide, which encodes the packet once and
//! queues it on every member's socket.
//!
//! With 0 members this is everything but the delivery; with 100 real
//! WebSocket members (dialogue-load's own client, on loopback, in this
//! process) it includes socketioxide queueing the packet on each socket,
//! while the sockets' writer tasks and the readers share the CPU: read
//! those numbers as "per broadcast, all costs in".
//!
//! Also the envelope alone (what `StampedEvent::stamp` writes: the runtime's
//! function is crate-private, so the same serialization is reproduced here)
//! and the packet text socketioxide makes of it.
//!
//! Run: `cargo bench -p dialogue-bench --bench broadcast`

#[path = "../../examples/conformance/app.rs"]
#[allow(
    dead_code,
    reason = "the whole conformance app is declared; each bench uses part"
)]
mod app;

use std::hint::black_box;
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use app::ConformanceApp;
use criterion::{Criterion, criterion_group, criterion_main};
use dialogue_bench::client;
use dialogue_runtime::EventMessage;
use futures_util::StreamExt;
use serde_json::{Value, json};

fn data() -> Value {
    json!({ "text": "b 0 123456 987654321 hello from the load generator!!", "senderId": "user-0042" })
}

fn broadcast(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let dialogue = runtime.block_on(async {
        ConformanceApp::server()
            .build()
            .expect("the conformance app builds")
    });

    let mut group = c.benchmark_group("broadcast");
    let payload = data();
    // The runtime's own envelope type, borrowing the payload as the runtime
    // does when it stamps a broadcast.
    let envelope = EventMessage {
        event: "message".to_owned(),
        room_id: "chat".to_owned(),
        data: &payload,
        from: "user-0042".to_owned(),
        timestamp: 1_700_000_000_000,
        seq: 42,
        meta: None,
    };
    group.bench_function("envelope (serialize once)", |b| {
        b.iter(|| {
            let raw = serde_json::value::to_raw_value(black_box(&envelope)).expect("serializes");
            black_box(raw)
        });
    });
    let raw = serde_json::value::to_raw_value(&envelope).expect("serializes");
    group.bench_function("packet text of the envelope", |b| {
        // What socketioxide's common parser writes: `42` then the JSON array.
        b.iter(|| {
            let text =
                serde_json::to_string(&("dialogue:event", black_box(&raw))).expect("serializes");
            black_box(format!("42{text}"))
        });
    });

    for (room, label) in [
        ("chat", "trigger chat (validated), 0 members"),
        ("sandbox", "trigger sandbox (unvalidated), 0 members"),
    ] {
        let room = dialogue.room_by_id(room).expect("declared");
        group.bench_function(label, |b| {
            b.iter_custom(|iters| {
                runtime.block_on(async {
                    let start = Instant::now();
                    for _ in 0..iters {
                        room.trigger_json("message", data(), Some("user-0042"))
                            .await
                            .expect("accepted");
                    }
                    start.elapsed()
                })
            });
        });
    }

    // Real members: serve on loopback and join 100 sockets to `chat`.
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let addr = match listener.local_addr().expect("address") {
        std::net::SocketAddr::V4(addr) => addr,
        std::net::SocketAddr::V6(_) => unreachable!("bound to 127.0.0.1"),
    };
    let server = dialogue.clone();
    runtime.spawn(async move { server.serve_on(listener).await });
    let members = 100;
    runtime.block_on(async {
        for i in 0..members {
            let mut ws = client::connect(Ipv4Addr::LOCALHOST, addr, &format!("m{i}"))
                .await
                .expect("connects");
            client::join(&mut ws, "chat").await.expect("joins");
            // Read and drop everything, as a client would read it.
            tokio::spawn(async move { while let Some(Ok(_)) = ws.next().await {} });
        }
    });
    let room = dialogue.room_by_id("chat").expect("declared");
    group.bench_function("trigger chat, 100 WebSocket members", |b| {
        b.iter_custom(|iters| {
            runtime.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    room.trigger_json("message", data(), Some("user-0042"))
                        .await
                        .expect("accepted");
                }
                let elapsed = start.elapsed();
                // Let the sockets drain before the next sample.
                tokio::time::sleep(Duration::from_millis(20)).await;
                elapsed
            })
        });
    });
    group.finish();
    runtime.block_on(dialogue.shutdown());
}

criterion_group!(benches, broadcast);
criterion_main!(benches);
