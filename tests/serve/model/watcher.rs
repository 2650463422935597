//! A page that only listens: an SSE stream of `chat`'s events
//! (docs/http-api.md, server-sent events) beside the clients. It must see
//! every event of the room once, in seq order, across its own reconnects
//! (`Last-Event-ID`), the server's restarts and, on two nodes, either node.

use std::time::Duration;

use serde_json::Value;
use tokio::time::Instant;

use crate::harness::WAIT;
use crate::support::http::{SseStream, open_stream};

use super::Op;
use super::system::System;

/// The room it watches.
pub const WATCHED: &str = "chat";

pub struct Watcher {
    stream: Option<SseStream>,
    /// The node of its stream (or of its last one).
    pub node: usize,
    /// The room's epoch, and the seq of the last event it received.
    epoch: String,
    pub last: u64,
}

impl Watcher {
    /// A stream on `node` from the room's start (no event yet).
    pub async fn open(system: &System, node: usize) -> Self {
        let epoch = system.epoch_of(node, WATCHED).await;
        let mut watcher = Self {
            stream: None,
            node,
            epoch,
            last: 0,
        };
        watcher.reopen(system, node).await;
        watcher
    }

    pub fn is_open(&self) -> bool {
        self.stream.is_some()
    }

    /// Closes its stream (a page gone for a while).
    pub fn close(&mut self) {
        self.stream = None;
    }

    /// Opens its stream again on `node`, from the last event it received.
    pub async fn reopen(&mut self, system: &System, node: usize) {
        let node = node % system.nodes.len();
        let url = format!(
            "{}/api/rooms/{WATCHED}/stream?userId=watcher",
            system.nodes[node].url
        );
        let last = format!("{}:{}", self.epoch, self.last);
        let stream = open_stream(&url, &[("last-event-id", &last)])
            .await
            .unwrap_or_else(|reply| panic!("the stream opens: {} {}", reply.status, reply.text));
        self.stream = Some(stream);
        self.node = node;
    }

    /// Reads what the stream brings: exactly the events after its last one
    /// up to `latest`, in order (waiting for them at most [`WAIT`]), and
    /// nothing more within a short look after.
    pub async fn check(&mut self, latest: u64, after: &Op) {
        let Some(stream) = self.stream.as_mut() else {
            return;
        };
        let expected: Vec<u64> = (self.last + 1..=latest).collect();
        let mut got = Vec::new();
        let deadline = Instant::now() + WAIT;
        while got.len() < expected.len() {
            let left = deadline.saturating_duration_since(Instant::now());
            let Some(message) = stream.next(left).await else {
                break;
            };
            got.push(read(&message.event, &message.data, after));
        }
        if let Some(message) = stream.next(Duration::from_millis(10)).await {
            got.push(read(&message.event, &message.data, after));
        }
        assert_eq!(
            got, expected,
            "after {after:?}: the events the SSE watcher of {WATCHED} received, once, in order"
        );
        if let Some(last) = got.last() {
            self.last = *last;
        }
    }
}

/// The seq of one message, which must be an event of the watched room.
fn read(event: &Option<String>, data: &str, after: &Op) -> u64 {
    assert_eq!(
        event.as_deref(),
        None,
        "after {after:?}: the watcher was sent {event:?} {data}"
    );
    let envelope: Value = serde_json::from_str(data).expect("an envelope");
    assert_eq!(envelope["roomId"], WATCHED, "after {after:?}: {envelope}");
    envelope["seq"].as_u64().expect("a seq")
}
