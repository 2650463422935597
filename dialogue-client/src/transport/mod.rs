//! The Engine.IO layer: open a session over one transport, keep it alive (answer pings,
//! notice a silent server) and move Engine.IO messages in both directions.
//!
//! Each transport spawns background tasks and returns an [`EngineConnection`]: the client
//! pushes [`EnginePacket`]s (messages, binary, close) into `outgoing` and reads
//! [`EngineEvent`]s from `incoming`. Dropping the `outgoing` sender closes the session.

mod polling;
mod websocket;

use bytes::Bytes;
use tokio::sync::mpsc;

use crate::{DisconnectReason, Error, packet::EnginePacket, packet::OpenPacket};

/// The Engine.IO transport of a connection. The client never upgrades from one to the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Transport {
    /// WebSocket only, straight to `ws://host/socket.io/?EIO=4&transport=websocket`
    /// (socket.io-client's `transports: ["websocket"]`).
    #[default]
    WebSocket,
    /// HTTP long-polling only: a long-poll GET loop for reading, POSTs for writing
    /// (socket.io-client's `transports: ["polling"]`).
    Polling,
}

/// What the Engine.IO layer reports to the Socket.IO layer.
#[derive(Debug)]
pub(crate) enum EngineEvent {
    /// The text of an Engine.IO message (a Socket.IO packet).
    Message(String),
    /// A binary Engine.IO message (a binary attachment).
    Binary(Bytes),
    /// The session ended; nothing more will come.
    Closed(DisconnectReason),
}

/// An open Engine.IO session.
#[derive(Debug)]
pub(crate) struct EngineConnection {
    /// The server's handshake.
    pub(crate) open: OpenPacket,
    /// Packets to send: [`EnginePacket::Message`], [`EnginePacket::Binary`] and
    /// [`EnginePacket::Close`] (which ends the session). Order is kept.
    pub(crate) outgoing: mpsc::UnboundedSender<EnginePacket>,
    /// What the server sent, ending with [`EngineEvent::Closed`].
    pub(crate) incoming: mpsc::UnboundedReceiver<EngineEvent>,
}

/// Where the Engine.IO endpoint is: `http://{authority}{path}?EIO=4&...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Endpoint {
    /// `host[:port]`.
    pub(crate) authority: String,
    /// The Engine.IO path, such as `/socket.io/`.
    pub(crate) path: String,
    /// Extra query parameters from the server URL, appended to every request.
    pub(crate) query: Option<String>,
}

impl Endpoint {
    fn query(&self, transport: &str, sid: Option<&str>) -> String {
        let mut query = format!("EIO=4&transport={transport}");
        if let Some(sid) = sid {
            query.push_str("&sid=");
            query.push_str(&percent_encode(sid));
        }
        if let Some(extra) = self.query.as_deref().filter(|q| !q.is_empty()) {
            query.push('&');
            query.push_str(extra);
        }
        query
    }

    /// The WebSocket URL.
    pub(crate) fn websocket_url(&self) -> String {
        format!(
            "ws://{}{}?{}",
            self.authority,
            self.path,
            self.query("websocket", None)
        )
    }

    /// The long-polling URL, with the session id once there is one.
    pub(crate) fn polling_url(&self, sid: Option<&str>) -> String {
        format!(
            "http://{}{}?{}",
            self.authority,
            self.path,
            self.query("polling", sid)
        )
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Opens an Engine.IO session over `transport`; returns once the server's OPEN packet is in.
pub(crate) async fn connect(
    transport: Transport,
    endpoint: &Endpoint,
) -> Result<EngineConnection, Error> {
    match transport {
        Transport::WebSocket => websocket::connect(endpoint).await,
        Transport::Polling => polling::connect(endpoint).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let endpoint = Endpoint {
            authority: "127.0.0.1:3000".into(),
            path: "/socket.io/".into(),
            query: None,
        };
        assert_eq!(
            endpoint.websocket_url(),
            "ws://127.0.0.1:3000/socket.io/?EIO=4&transport=websocket"
        );
        assert_eq!(
            endpoint.polling_url(None),
            "http://127.0.0.1:3000/socket.io/?EIO=4&transport=polling"
        );
        assert_eq!(
            endpoint.polling_url(Some("a+b/c")),
            "http://127.0.0.1:3000/socket.io/?EIO=4&transport=polling&sid=a%2Bb%2Fc"
        );
        let endpoint = Endpoint {
            query: Some("token=x".into()),
            ..endpoint
        };
        assert_eq!(
            endpoint.websocket_url(),
            "ws://127.0.0.1:3000/socket.io/?EIO=4&transport=websocket&token=x"
        );
    }
}
