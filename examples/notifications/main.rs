//! Live notifications: a personal room per user (`user:{userId}`, which only
//! that user may join), fed by backends through the built-in HTTP API and by
//! the shop's own axum routes, served beside the realtime endpoint; the
//! unread badge follows every notification by itself (a hook).
//!
//! Run: `DIALOGUE_API_KEY=dev-key cargo run --example notifications`
//!
//! `DIALOGUE_API_KEY` is the bearer key of the HTTP API (docs/http-api.md);
//! without it the API is not served (the log says so), and only the shop's
//! routes push notifications.
//!
//! Then connect as alice with any Socket.IO v4 client; the server puts her in
//! her room `user:alice` and sends her badge:
//!
//! ```js
//! const socket = io("http://127.0.0.1:3000", { auth: { userId: "alice" } });
//! socket.on("dialogue:event", (e) => console.log(e.event, e.data));
//! ```
//!
//! A backend alerts her through the API (the answer is `201` with the
//! published envelope; a payload `Alert`'s schema refuses is `422
//! VALIDATION_FAILED`, a wrong key `401`):
//!
//! ```sh
//! curl -X POST http://127.0.0.1:3000/api/rooms/user:alice/events \
//!      -H "Authorization: Bearer $DIALOGUE_API_KEY" -H 'content-type: application/json' \
//!      -d '{"event":"alert","data":{"title":"Hello","message":"Welcome back","kind":"info"}}'
//! ```
//!
//! and the shop ships one of her orders (`GET /orders` lists them; 1001 and
//! 1003 are alice's, 1002 is bob's), then she reads everything:
//!
//! ```sh
//! curl -X POST http://127.0.0.1:3000/orders/1001/ship
//! curl -X POST http://127.0.0.1:3000/users/alice/read
//! ```
//!
//! alice receives `alert` and `badge { count: 1 }`, `order:shipped` and
//! `badge { count: 2 }`, then `badge { count: 0 }`; bob, connected as bob,
//! receives nothing, and his `dialogue:join { roomId: "user:alice" }` is
//! refused with `JOIN_DENIED`.
//!
//! `PORT` changes the port (default 3000; 0 picks a free one); `RUST_LOG` the
//! logs (default `info`). Users are who they say they are (`auth.userId`),
//! which is fine on your machine; in production add `.jwt(...)` to the builder
//! (see docs/authentication.md) and keep the API key secret.

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
    let api_key = match api_key() {
        Ok(key) => key,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let built = app::build(Arc::new(app::Shop::demo()), api_key.as_deref());
    let (dialogue, app) = match built {
        Ok(built) => built,
        Err(error) => {
            eprintln!("cannot start: {error}");
            return ExitCode::FAILURE;
        }
    };
    let Ok((listener, port)) = listen(port).await else {
        return ExitCode::FAILURE;
    };
    if api_key.is_some() {
        tracing::info!(
            "the HTTP API is served under /api; try: curl -X POST \
             http://127.0.0.1:{port}/api/rooms/user:alice/events \
             -H \"Authorization: Bearer $DIALOGUE_API_KEY\" -H 'content-type: application/json' \
             -d '{{\"event\":\"alert\",\"data\":{{\"title\":\"Hello\",\"message\":\"Welcome back\",\"kind\":\"info\"}}}}'"
        );
    } else {
        tracing::info!(
            "the HTTP API is off: set DIALOGUE_API_KEY to a secret to let backends \
             publish alerts (POST /api/rooms/user:<user>/events)"
        );
    }
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

/// `DIALOGUE_API_KEY`, the HTTP API's bearer key; `None` when unset or
/// empty (the API is not served).
fn api_key() -> Result<Option<String>, String> {
    match std::env::var("DIALOGUE_API_KEY") {
        Ok(key) if key.is_empty() => Ok(None),
        Ok(key) => Ok(Some(key)),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => {
            Err("DIALOGUE_API_KEY is not valid UTF-8".to_owned())
        }
    }
}
