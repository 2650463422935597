//! The crate's single error type.

use std::time::Duration;

use serde_json::Value;

/// Everything that can go wrong while connecting, sending or waiting.
///
/// Timeouts and a refused namespace connection have their own variants so that tests can
/// match on them; transport failures carry the underlying error as text or boxed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The server URL could not be used (bad syntax, unsupported scheme, missing host).
    #[error("invalid server url `{url}`: {reason}")]
    InvalidUrl {
        /// The URL as given to the builder.
        url: String,
        /// Why it was rejected.
        reason: String,
    },

    /// The WebSocket connection failed or broke (handshake refused, I/O error, ...).
    #[error("websocket error: {0}")]
    WebSocket(#[source] Box<tokio_tungstenite::tungstenite::Error>),

    /// An HTTP long-polling request failed at the network or HTTP level.
    #[error("http error: {0}")]
    Http(String),

    /// An HTTP long-polling request got a non-success status.
    #[error("http status {status}: {body}")]
    HttpStatus {
        /// The HTTP status code.
        status: u16,
        /// The response body, as text (lossy).
        body: String,
    },

    /// The server sent something that is not a valid Engine.IO / Socket.IO packet,
    /// or a packet that makes no sense at this point of the protocol.
    #[error("invalid packet ({reason}): {packet:?}")]
    InvalidPacket {
        /// What is wrong with it.
        reason: String,
        /// The packet text (truncated to a few hundred characters).
        packet: String,
    },

    /// The server refused the namespace connection with a CONNECT_ERROR packet
    /// (`44{"message": ..., "data": ...}`), for example because a connect middleware failed.
    #[error("connection refused by the server: {message}")]
    ConnectRefused {
        /// The `message` the server sent.
        message: String,
        /// The optional `data` the server sent along with the message.
        data: Option<Value>,
    },

    /// The connection (Engine.IO handshake plus namespace CONNECT) did not complete in time.
    #[error("connection not established within {0:?}")]
    ConnectTimeout(Duration),

    /// The server did not acknowledge an emitted event in time.
    #[error("no acknowledgement within {0:?}")]
    AckTimeout(Duration),

    /// Nothing matching arrived in time (an event, or the disconnection being waited for).
    #[error("nothing received within {0:?}")]
    Timeout(Duration),

    /// The client is not connected (any more): the operation cannot be carried out.
    #[error("not connected")]
    Disconnected,
}

impl Error {
    /// Builds an [`Error::InvalidPacket`], keeping at most 300 characters of the packet.
    pub(crate) fn invalid_packet(reason: impl Into<String>, packet: &str) -> Self {
        const MAX_CHARS: usize = 300;
        let mut shown: String = packet.chars().take(MAX_CHARS).collect();
        if packet.chars().nth(MAX_CHARS).is_some() {
            shown.push('…');
        }
        Error::InvalidPacket {
            reason: reason.into(),
            packet: shown,
        }
    }
}

impl From<tokio_tungstenite::tungstenite::Error> for Error {
    fn from(err: tokio_tungstenite::tungstenite::Error) -> Self {
        Error::WebSocket(Box::new(err))
    }
}
