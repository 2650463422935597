//! Collaborative editing: a room per document from the room template
//! `doc:{docId}` (joining `doc:readme` makes it, with the template's events,
//! validation and presence; the server opens the document's text beside it);
//! changes that carry the version they were made on, a stale version refused
//! in `before_each`; cursors beside them; and the built-in presence for who
//! is in a document and whether they are at their keyboard.
//!
//! Run: `cargo run --example collab`
//!
//! Then open a document by joining its room with any Socket.IO v4 client:
//!
//! ```js
//! const socket = io("http://127.0.0.1:3000", { auth: { userId: "ada", name: "Ada" } });
//! socket.on("doc:snapshot", (doc) => console.log("at version", doc.version, doc.text));
//! socket.on("dialogue:event", (e) => console.log(e.event, e.from, e.data));
//! socket.on("dialogue:presenceDiff", (d) => console.log(d.joined, d.left, d.updated));
//! socket.on("dialogue:error", (e) => console.log(e.code, e.message));
//! socket.emit("dialogue:join", { roomId: "doc:readme" });
//! socket.emit("dialogue:trigger", { roomId: "doc:readme", event: "doc:change",
//!   data: { version: 0, operations: [{ type: "insert", position: 0, text: "Hello" }] } });
//! socket.emit("dialogue:trigger", { roomId: "doc:readme", event: "cursor:update",
//!   data: { position: 5, color: "#3366ff" } });
//! socket.emit("dialogue:setPresence", { roomId: "doc:readme",
//!   info: { name: "Ada", status: "idle" } });
//! ```
//!
//! Everyone in the document receives the change; the document is now at
//! version 1 (`curl http://127.0.0.1:3000/docs/readme`, which also lists who
//! is in it), so sending the same change again, still made on version 0, is
//! refused (`EVENT_NOT_ALLOWED`, "stale version 0 ..."). Everyone in the
//! document gets `dialogue:presenceDiff` when someone arrives (as `active`),
//! changes status (`setPresence`; `{ status: "asleep" }` is
//! `VALIDATION_FAILED`) or leaves; `dialogue:getPresence { roomId }` lists
//! them. `curl http://127.0.0.1:3000/docs` lists the open documents.
//!
//! Changes are applied in `before_each` and then broadcast, so two accepted
//! changes may reach a client in either order: apply them by `version`.
//!
//! `PORT` changes the port (default 3000; 0 picks a free one); `RUST_LOG` the
//! logs (default `info`).

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
    let (dialogue, app) = match app::build(Arc::new(app::Docs::new())) {
        Ok(built) => built,
        Err(error) => {
            eprintln!("cannot start: {error}");
            return ExitCode::FAILURE;
        }
    };
    let Ok((listener, port)) = listen(port).await else {
        return ExitCode::FAILURE;
    };
    tracing::info!(
        "join {} to open a document; then try: curl http://127.0.0.1:{port}/docs",
        app::CollabApp::doc("readme").id()
    );

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
