//! Chat history that outlives memory: each room keeps its last 20 messages in
//! memory; the `on_cleanup` hook writes every message memory drops into an
//! SQLite table, and the `on_load` hook reads older pages back, so a client
//! pages through the whole history with `dialogue:getHistory`, past memory.
//!
//! Run: `cargo run --example persistence`
//!
//! The database is `HISTORY_DB` (default `data/persistence.sqlite3`),
//! created with its table on first run. Then connect with any Socket.IO v4
//! client (everyone lands in `general`), send more than 20 messages and page
//! back:
//!
//! ```js
//! const socket = io("http://127.0.0.1:3000", { auth: { userId: "ada" } });
//! for (let i = 0; i < 50; i++)
//!   socket.emit("dialogue:trigger", { roomId: "general", event: "message", data: { text: `#${i}` } });
//! const page = await socket.emitWithAck("dialogue:getHistory",
//!   { roomId: "general", eventName: "message", start: 0, end: 50 });
//! console.log(page.events.map((e) => e.data.text)); // #49 ... #0: 20 from memory, 30 from SQLite
//! ```
//!
//! On Ctrl-C the server also archives what memory still holds, so after a
//! restart the same page comes back whole (from SQLite alone). Inspect the
//! table with `sqlite3 data/persistence.sqlite3 'SELECT * FROM archived_events'`.
//!
//! `PORT` changes the port (default 3000; 0 picks a free one); `RUST_LOG` the
//! logs (default `info`; `debug` shows each archived message).

mod app;
#[path = "../common/mod.rs"]
mod common;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use common::{init_logging, listen, port, stop_signal};
use dialogue_runtime::prelude::*;

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
    let path = match std::env::var_os("HISTORY_DB") {
        Some(path) if !path.is_empty() => PathBuf::from(path),
        _ => PathBuf::from("data/persistence.sqlite3"),
    };
    let archive = match app::Archive::open(&path) {
        Ok(archive) => Arc::new(archive),
        Err(error) => {
            eprintln!("cannot open {}: {error}", path.display());
            return ExitCode::FAILURE;
        }
    };
    match archive
        .count(app::PersistenceApp::GENERAL, app::Message::NAME)
        .await
    {
        Ok(count) => {
            tracing::info!(db = %path.display(), archived = count, "history database open")
        }
        Err(error) => {
            eprintln!("cannot read {}: {error}", path.display());
            return ExitCode::FAILURE;
        }
    }
    let dialogue = match app::build(archive.clone()) {
        Ok(dialogue) => dialogue,
        Err(error) => {
            eprintln!("cannot start: {error}");
            return ExitCode::FAILURE;
        }
    };
    let Ok((listener, _)) = listen(port).await else {
        return ExitCode::FAILURE;
    };

    let stopper = dialogue.clone();
    tokio::spawn(async move {
        stop_signal().await;
        stopper.shutdown().await;
    });
    if let Err(error) = dialogue.serve_on(listener).await {
        eprintln!("{error}");
        return ExitCode::FAILURE;
    }
    // Stopped: keep what memory held for the next run.
    match archive.save_memory(&dialogue).await {
        Ok(saved) => {
            tracing::info!(saved, db = %path.display(), "archived the messages memory held");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("cannot archive the last messages: {error}");
            ExitCode::FAILURE
        }
    }
}
