//! socketioxide behind the state seam: one socket as a
//! [`Connection`], the namespace as this node's [`Fanout`], on any adapter.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::http::HeaderMap;
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use serde_json::value::RawValue;
use socketioxide::SocketIo;
use socketioxide::adapter::Adapter;
use socketioxide::extract::SocketRef;

use crate::state::connection::{Connection, SendFailure, Transport};
use crate::state::fanout::{Fanout, Missed};

/// A socket of the default namespace.
pub(crate) struct SocketConnection<A: Adapter> {
    socket: SocketRef<A>,
    /// How it connected (a polling connection may upgrade later).
    transport: Transport,
}

impl<A: Adapter> SocketConnection<A> {
    pub(crate) fn new(socket: SocketRef<A>) -> Self {
        Self {
            transport: transport_of(&socket),
            socket,
        }
    }
}

impl<A: Adapter> Connection for SocketConnection<A> {
    fn emit_raw(&self, event: &str, payload: &RawValue) -> Result<(), SendFailure> {
        self.socket
            .emit(event, payload)
            .map_err(|error| match error {
                socketioxide::SendError::Socket(socketioxide::SocketError::InternalChannelFull) => {
                    SendFailure::Full
                }
                socketioxide::SendError::Socket(_) => SendFailure::Gone,
                socketioxide::SendError::Serialize(_) => SendFailure::Serialize,
            })
    }

    fn join(&self, keys: Vec<String>) {
        self.socket.join(keys);
    }

    fn leave(&self, keys: Vec<String>) {
        self.socket.leave(keys);
    }

    fn disconnect(&self) {
        let _ = self.socket.clone().disconnect();
    }

    fn detach(&self) {
        // Clearing the extensions takes the way to the request loop (which
        // ends once what is queued is answered) and breaks the cycle
        // socket → extensions → client → socket.
        self.socket.extensions.clear();
    }

    fn transport(&self) -> Transport {
        self.transport
    }

    fn headers(&self) -> &HeaderMap {
        &self.socket.req_parts().headers
    }
}

/// How a socket is connected.
pub(crate) fn transport_of<A: Adapter>(socket: &SocketRef<A>) -> Transport {
    match socket.transport_type() {
        socketioxide::TransportType::Websocket => Transport::Websocket,
        socketioxide::TransportType::Polling => Transport::Polling,
    }
}

/// The default namespace's sockets on this node.
pub(crate) struct SocketFanout<A: Adapter> {
    io: SocketIo<A>,
    /// Set by `close`: socketioxide's operators panic once it is closed, so
    /// nothing reaches them after it.
    closed: Arc<AtomicBool>,
}

impl<A: Adapter> SocketFanout<A> {
    pub(crate) fn new(io: SocketIo<A>) -> Self {
        Self {
            io,
            closed: Arc::new(AtomicBool::new(false)),
        }
    }
}

impl<A: Adapter> Fanout for SocketFanout<A> {
    fn send(&self, keys: Vec<String>, event: &str, payload: &RawValue) -> Missed {
        if self.closed.load(Ordering::Acquire) {
            return Missed::default();
        }
        // Local: each node delivers to its own sockets (`state::fanout`). The
        // local part of a broadcast completes without waiting (socketioxide's
        // adapters send to local sockets synchronously), which is what lets
        // the stream deliver in order under its lock.
        let Some(outcome) = self.io.local().to(keys).emit(event, payload).now_or_never() else {
            tracing::error!(
                event,
                "the adapter did not deliver locally at once; the event was not sent"
            );
            return Missed::default();
        };
        match outcome {
            Ok(()) => Missed::default(),
            Err(socketioxide::BroadcastError::Socket(errors)) => Missed(
                errors
                    .iter()
                    .filter(|e| matches!(e, socketioxide::SocketError::InternalChannelFull))
                    .count(),
            ),
            Err(error) => {
                tracing::error!(event, %error, "a broadcast failed");
                Missed::default()
            }
        }
    }

    fn count(&self, keys: Vec<String>) -> usize {
        if self.closed.load(Ordering::Acquire) {
            return 0;
        }
        self.io.local().to(keys).sockets().len()
    }

    fn close(&self) -> BoxFuture<'static, ()> {
        self.closed.store(true, Ordering::Release);
        let io = self.io.clone();
        Box::pin(async move { io.close().await })
    }
}
