//! What the client hands to its user: server events and the reason a connection ended.

use bytes::Bytes;
use serde_json::Value;

/// An event the server emitted to this socket (`42["name", ...args]`, or a binary event).
#[derive(Debug, Clone, PartialEq)]
pub struct ServerEvent {
    /// The event name.
    pub name: String,
    /// The event arguments, in order (the name excluded).
    ///
    /// For a binary event, each binary value appears here as its placeholder
    /// `{"_placeholder":true,"num":N}` and its bytes are `attachments[N]`.
    pub args: Vec<Value>,
    /// The binary attachments of a binary event, empty for a plain event.
    pub attachments: Vec<Bytes>,
    /// Set when the server asked for an acknowledgement. The client does **not** answer on
    /// its own: call [`Client::ack`](crate::Client::ack) with this id to answer.
    pub ack_id: Option<u64>,
}

impl ServerEvent {
    /// The first argument, if any: handy for the common one-argument event.
    pub fn first_arg(&self) -> Option<&Value> {
        self.args.first()
    }
}

/// Why a connection ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DisconnectReason {
    /// [`Client::disconnect`](crate::Client::disconnect) was called.
    ClientDisconnect,
    /// The server disconnected the socket from the namespace (a DISCONNECT packet, `41`).
    ServerDisconnect,
    /// The server closed the Engine.IO session or the underlying connection.
    TransportClose,
    /// The server sent no ping within `pingInterval + pingTimeout`.
    PingTimeout,
    /// The connection failed (network error, or the server sent undecodable data).
    TransportError(String),
}
