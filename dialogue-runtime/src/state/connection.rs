//! One client's transport, as the engine sees it: whatever socket and
//! adapter is behind it (the wire layer implements this for socketioxide's
//! sockets on any adapter).

use axum::http::HeaderMap;
use serde::Serialize;
use serde_json::value::RawValue;

/// How a client is connected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    /// A WebSocket.
    Websocket,
    /// HTTP long-polling.
    Polling,
    /// A server-sent event stream (`GET /api/rooms/{id}/stream`): receives
    /// only.
    EventStream,
}

impl Transport {
    /// `websocket` or `polling`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Websocket => "websocket",
            Self::Polling => "polling",
            Self::EventStream => "sse",
        }
    }
}

/// Why something could not be sent to one client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SendFailure {
    /// The client is gone.
    Gone,
    /// The client does not read what it is sent: its outgoing buffer is full.
    Full,
    /// The payload could not be written as JSON.
    Serialize,
}

/// What the engine does with one client's socket.
///
/// Sending takes JSON already written: the engine writes a payload once,
/// whatever the adapter, and every method is object-safe so that the engine
/// holds `dyn Connection` and never names socketioxide's adapter type.
pub(crate) trait Connection: Send + Sync + 'static {
    /// Sends `payload` as `event` to this client; a client whose buffer is
    /// full is dropped as a slow member ([`drop_slow`](Self::drop_slow)).
    fn emit_raw(&self, event: &str, payload: &RawValue) -> Result<(), SendFailure>;

    /// Like [`emit_raw`](Self::emit_raw), but a full buffer only fails: for
    /// a sender that waits for room (a client catching up).
    fn offer_raw(&self, event: &str, payload: &RawValue) -> Result<(), SendFailure>;

    /// Subscribes the socket to fan-out keys (`state::fanout`).
    fn join(&self, keys: Vec<String>);

    /// Unsubscribes the socket from fan-out keys.
    fn leave(&self, keys: Vec<String>);

    /// Ends the Socket.IO connection (the client does not reconnect by
    /// itself).
    fn disconnect(&self);

    /// Drops the client as a slow member (its outgoing buffer overflowed):
    /// nothing more is sent to it, its transport is closed so that it
    /// reconnects by itself, and its session is held for it to resume and
    /// recover what it missed. Logged and counted once per connection.
    fn drop_slow(&self);

    /// Closes its transport, not its Socket.IO connection: it reconnects by
    /// itself, and its session is held for it to resume.
    fn drop_transport(&self);

    /// Whether its outgoing buffer is full now. Sends a packet every client
    /// ignores when it is not: only for finding slow members.
    fn probe_full(&self) -> bool;

    /// Drops what the wire keeps on the socket for this client (its request
    /// queue, its state): used at shutdown, when the socket's own
    /// disconnection handler will not run.
    fn detach(&self);

    /// The connection is gone: lets go of the socket, so that what it
    /// still buffers is freed now, not when a held session ends. Sends fail
    /// as gone from then on, and the headers are empty.
    fn release(&self);

    /// How it is connected.
    fn transport(&self) -> Transport;

    /// The TCP peer's address, when the server knows its peers.
    fn peer(&self) -> Option<std::net::IpAddr>;

    /// The HTTP headers of its first request (empty once released).
    fn headers(&self) -> HeaderMap;
}

impl dyn Connection {
    /// Writes `payload` as JSON and sends it as `event`.
    pub(crate) fn emit<T: Serialize + ?Sized>(
        &self,
        event: &str,
        payload: &T,
    ) -> Result<(), SendFailure> {
        let raw = serde_json::value::to_raw_value(payload).map_err(|_| SendFailure::Serialize)?;
        self.emit_raw(event, &raw)
    }
}
