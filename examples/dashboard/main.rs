//! A live dashboard: metrics pushed every second by a server task, alerts
//! when a metric crosses its threshold, and a room only administrators may
//! join (`required_claims: { role: "admin" }`, the role derived from the
//! connection's token by the `authenticate` hook).
//!
//! Run: `cargo run --example dashboard`
//!
//! Then connect as the administrator and join the dashboard:
//!
//! ```js
//! const socket = io("http://127.0.0.1:3000", { auth: { token: "admin-token" } });
//! socket.on("dialogue:event", (e) => console.log(e.event, e.data));
//! socket.emit("dialogue:join", { roomId: "dashboard" });
//! ```
//!
//! `metrics:update` arrives every second, and about once a minute the
//! simulated CPU spikes and `alert:triggered` follows. With
//! `{ token: "viewer-token" }` (bob, a viewer) the join is refused with
//! `JOIN_DENIED`; without a token the connection itself is refused.
//!
//! `PORT` changes the port (default 3000; 0 picks a free one); `RUST_LOG` the
//! logs (default `info`).

mod app;
#[path = "../common/mod.rs"]
mod common;

use std::process::ExitCode;
use std::time::Duration;

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
    let dialogue = match app::build() {
        Ok(dialogue) => dialogue,
        Err(error) => {
            eprintln!("cannot start: {error}");
            return ExitCode::FAILURE;
        }
    };
    let Ok((listener, _)) = listen(port).await else {
        return ExitCode::FAILURE;
    };

    let metrics = app::spawn_metrics(dialogue.clone(), Duration::from_secs(1));
    let stopper = dialogue.clone();
    tokio::spawn(async move {
        stop_signal().await;
        metrics.abort();
        stopper.shutdown().await;
    });
    match dialogue.serve_on(listener).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{error}");
            ExitCode::FAILURE
        }
    }
}
