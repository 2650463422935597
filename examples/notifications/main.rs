//! Live notifications: a personal room per user (`user:{userId}`, which only
//! that user may join), and alerts and badge counts pushed into it from
//! ordinary axum routes served beside the realtime endpoint.
//!
//! Run: `cargo run --example notifications`
//!
//! Then connect as alice with any Socket.IO v4 client; the server puts her in
//! her room `user:alice` and sends her badge:
//!
//! ```js
//! const socket = io("http://127.0.0.1:3000", { auth: { userId: "alice" } });
//! socket.on("dialogue:event", (e) => console.log(e.event, e.data));
//! ```
//!
//! and ship one of her orders (`GET /orders` lists them; 1001 and 1003 are
//! alice's, 1002 is bob's):
//!
//! ```sh
//! curl -X POST http://127.0.0.1:3000/orders/1001/ship
//! curl -X POST http://127.0.0.1:3000/users/alice/alerts -H 'content-type: application/json' \
//!      -d '{"title":"Hello","message":"Welcome back","kind":"info"}'
//! curl -X POST http://127.0.0.1:3000/users/alice/read
//! ```
//!
//! alice receives `order:shipped` and `badge { count: 1 }`; bob, connected
//! as bob, receives nothing, and his `dialogue:join { roomId: "user:alice" }`
//! is refused with `JOIN_DENIED`.
//!
//! `PORT` changes the port (default 3000; 0 picks a free one); `RUST_LOG` the
//! logs (default `info`). Users are who they say they are (`auth.userId`),
//! which is fine on your machine; in production add `.jwt(...)` to the builder
//! (see docs/authentication.md).

mod app;
#[path = "../common/mod.rs"]
mod common;

use std::process::ExitCode;
use std::sync::Arc;

use common::{init_logging, listen, port, stop_signal};

#[tokio::main]
async fn main() -> ExitCode {
    init_logging("info");
    let port = match port() {
        Ok(port) => port,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let (dialogue, app) = match app::build(Arc::new(app::Shop::demo())) {
        Ok(built) => built,
        Err(error) => {
            eprintln!("cannot start: {error}");
            return ExitCode::FAILURE;
        }
    };
    let Ok((listener, port)) = listen(port).await else {
        return ExitCode::FAILURE;
    };
    tracing::info!("try: curl -X POST http://127.0.0.1:{port}/orders/1001/ship");

    let stopper = dialogue.clone();
    tokio::spawn(async move {
        stop_signal().await;
        // Disconnect every client first, so the server stops at once.
        stopper.shutdown().await;
    });
    let served = dialogue.serve_router(listener, app).await;
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{error}");
            ExitCode::FAILURE
        }
    }
}
