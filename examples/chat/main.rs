//! A chat with a web page: messages, a typing indicator, who joined and left,
//! who is online, and the last 50 messages on arrival.
//!
//! Run: `cargo run --example chat`
//!
//! Then open <http://127.0.0.1:3000/> in two browser windows, pick a name in
//! each, and talk. `PORT` changes the port (0 picks a free one); `RUST_LOG`
//! the logs (default `info`).
//!
//! `DIALOGUE_API_KEY=...` also serves the HTTP API under `/api` for that
//! bearer key (docs/http-api.md), so a backend can post into the chat:
//!
//! ```sh
//! curl -X POST http://127.0.0.1:3000/api/rooms/general/events \
//!   -H "Authorization: Bearer $DIALOGUE_API_KEY" -H 'content-type: application/json' \
//!   -d '{"event":"message","data":{"text":"Deploy finished"}}'
//! ```
//!
//! The conversation is kept in `data/chat.sqlite` (the durable store,
//! docs/persistence.md), so stopping and starting the example keeps it;
//! `DIALOGUE_STORE=path` picks another file, `DIALOGUE_MEMORY=1` keeps it in
//! memory only.
//!
//! The page is `examples/chat/web/`: TypeScript on the client that
//! `cargo run --example chat -- codegen examples/chat/web/src/generated`
//! generates from `app.rs`, bundled by `npm run build` (in `web/`) into
//! `web/dist/app.js`, which this binary embeds. Both outputs are checked in,
//! so running the example needs neither Node.js nor npm.

mod app;
#[path = "../common/mod.rs"]
mod common;
#[path = "../common/data.rs"]
mod data;
mod page;

use std::process::ExitCode;

use app::ChatApp;
use common::{init_logging, listen, port, stop_signal};
use dialogue_runtime::prelude::*;

/// How this server is run, for the generated files' header.
const PROGRAM: &str = "cargo run --example chat --";

#[tokio::main]
async fn main() -> ExitCode {
    // `codegen DIR [--check]` writes (or checks) the page's TypeScript client.
    dialogue_codegen::run_if_requested(ChatApp::spec(), PROGRAM);
    init_logging("info");

    let port = match port() {
        Ok(port) => port,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    // A closed tab is announced as gone (the room's presence) once its
    // session's grace period ends: ten seconds for a chat (a reload or a
    // short cut within it comes back as if nothing happened).
    let mut builder =
        Dialogue::<ChatApp>::builder().resume_grace(std::time::Duration::from_secs(10));
    if let Ok(key) = std::env::var("DIALOGUE_API_KEY")
        && !key.is_empty()
    {
        tracing::info!("the HTTP API is served under /api");
        builder = builder.api_key(&key);
    }
    match data::store_path("chat") {
        Some(path) => {
            tracing::info!(file = %path.display(), "conversation kept in the durable store");
            builder = builder.store(path);
        }
        None => tracing::info!("conversation kept in memory only (DIALOGUE_MEMORY)"),
    }
    let dialogue = match builder.build() {
        Ok(dialogue) => dialogue,
        Err(error) => {
            eprintln!("cannot start: {error}");
            return ExitCode::FAILURE;
        }
    };
    let Ok((listener, port)) = listen(port).await else {
        return ExitCode::FAILURE;
    };
    println!("open http://127.0.0.1:{port}/ in two windows and say hello");

    let app = page::routes().merge(dialogue.router());
    let stopper = dialogue.clone();
    tokio::spawn(async move {
        stop_signal().await;
        // Disconnect every client first, so the server stops at once.
        stopper.shutdown().await;
    });
    // `serve_router`: the page and Socket.IO on one listener, and slow
    // members dropped in a way that lets them reconnect and recover.
    let served = dialogue.serve_router(listener, app).await;
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{error}");
            ExitCode::FAILURE
        }
    }
}
