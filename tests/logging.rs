//! Logging: a failing hook is logged as an error carrying who (client, user)
//! and what (request, room, event), through `tracing`.
//!
//! A test binary of its own: it installs the process-wide subscriber, which
//! tests running beside it on other threads would race with.

#[path = "support/mod.rs"]
mod support;

#[path = "control/app.rs"]
mod app;
#[path = "control/harness.rs"]
mod harness;

use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};

use dialogue_client::Transport;
use dialogue_runtime::HookError;
use serde_json::json;
use tracing_subscriber::fmt::MakeWriter;

use harness::{Form, Server, builder, join, refused};

/// Log output, kept in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(PoisonError::into_inner)).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test]
async fn a_failing_hook_is_logged_with_client_user_room_and_event() {
    let log = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(log.clone())
        .with_ansi(false)
        // What a deployment would run with: warnings and errors only.
        .with_max_level(tracing::Level::WARN)
        .finish();
    tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");

    let b = builder().before_each(|_, message| async move {
        if message.data["text"] == "boom" {
            return Err(HookError::fail("the moderation service is down"));
        }
        Ok(message)
    });
    let server = Server::start(b).await;
    let alice = server.connect("alice", Transport::WebSocket).await;
    join(&alice, "lobby").await;
    refused(
        &alice,
        Form::Ack,
        "INTERNAL",
        "dialogue:trigger",
        json!({ "roomId": "lobby", "event": "message", "data": { "text": "boom" } }),
    )
    .await;

    let text = log.text();
    let line = text
        .lines()
        .find(|line| line.contains("a hook failed"))
        .unwrap_or_else(|| panic!("no error logged; the log:\n{text}"));
    assert!(line.contains("ERROR"), "{line}");
    for field in [
        "before_each",
        "the moderation service is down",
        "user=alice",
        "request=dialogue:trigger",
        "room=lobby",
        "event=message",
    ] {
        assert!(line.contains(field), "`{field}` missing from: {line}");
    }
    let client = server.only_client("alice").await;
    assert!(line.contains(&format!("client={}", client.id())), "{line}");
    // Nothing else reached the log at this level: a refused request is the
    // client's business, not an operator's.
    assert_eq!(text.lines().count(), 1, "{text}");
}
