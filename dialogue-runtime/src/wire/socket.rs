//! socketioxide behind the state seam: one socket as a
//! [`Connection`], the namespace as this node's [`Fanout`], on any adapter.
//!
//! Slow members. socketioxide queues at most `send_buffer` packets per
//! socket; a broadcast that finds a socket's queue full skips it and reports
//! only how many it skipped, not which. So when a broadcast reports misses,
//! its recipients are probed at once with a packet no client acts on (an
//! acknowledgement of a request never made): those whose queue is still
//! full are dropped as slow members, and resume and recover. A member
//! that stopped reading stays full and is always found; one that drained
//! its queue between the broadcast and the probe cannot be told apart, and
//! is counted and logged as an unattributed miss (docs/recovery.md). A room
//! is probed at most every 50 ms (`state::fanout`).

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::extract::connect_info::ConnectInfo;
use axum::http::HeaderMap;
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use serde_json::value::RawValue;
use socketioxide::SocketIo;
use socketioxide::adapter::Adapter;
use socketioxide::extract::{AckSender, SocketRef};
use socketioxide::handler::{FromConnectParts, FromMessageParts};
use socketioxide::socket::Socket;

use crate::state::client::ClientState;
use crate::state::connection::{Connection, SendFailure, Transport};
use crate::state::counters::Counters;
use crate::state::fanout::{Fanout, Missed};
use crate::wire::transport::{Closer, Peer};

/// The acknowledgement id of a probe: far above any id a client counts up
/// to, so that no callback of it is called (clients ignore an unknown id).
const PROBE_ACK_ID: i64 = 9_007_199_254_740_991;

/// The socket itself, as a connect handler's argument (socketioxide's
/// `SocketRef` does not give it out, and acknowledgements need it).
pub(crate) struct OwnSocket<A: Adapter>(pub(crate) Arc<Socket<A>>);

impl<A: Adapter> FromConnectParts<A> for OwnSocket<A> {
    type Error = Infallible;
    fn from_connect_parts(
        socket: &Arc<Socket<A>>,
        _: &Option<socketioxide_core::Value>,
    ) -> Result<Self, Infallible> {
        Ok(Self(socket.clone()))
    }
}

/// A socket of the default namespace.
pub(crate) struct SocketConnection<A: Adapter> {
    /// The socket, until the connection is gone: a held session must not
    /// keep a dropped socket (and up to `send_buffer` packets it still
    /// buffers) alive for its whole grace period. Read per direct send, a
    /// lock nobody contends (broadcasts go through the adapter, not here).
    socket: parking_lot::RwLock<Option<Arc<Socket<A>>>>,
    /// Its socket id, for the `Closer` (kept: the socket may be released).
    id: String,
    /// The TCP peer, when the server knows it.
    peer: Option<std::net::IpAddr>,
    /// How it connected (a polling connection may upgrade later).
    transport: Transport,
    closer: Arc<Closer>,
    counters: Arc<Counters>,
}

impl<A: Adapter> SocketConnection<A> {
    pub(crate) fn new(
        socket: Arc<Socket<A>>,
        closer: Arc<Closer>,
        counters: Arc<Counters>,
    ) -> Self {
        let socket_ref = SocketRef::from(socket.clone());
        let transport = transport_of(&socket_ref);
        // A WebSocket that connected directly: its handshake's connection is
        // the WebSocket, dedicated to it (a polling one may be shared).
        let websocket = socket
            .req_parts()
            .extensions
            .get::<ConnectInfo<Peer>>()
            .map(|info| &info.0)
            .filter(|_| transport == Transport::Websocket);
        closer.register(socket.id.as_str(), websocket);
        Self {
            transport,
            peer: peer_of(socket.req_parts()),
            id: socket.id.to_string(),
            socket: parking_lot::RwLock::new(Some(socket)),
            closer,
            counters,
        }
    }

    /// The socket, unless the connection is gone.
    fn socket(&self) -> Option<Arc<Socket<A>>> {
        self.socket.read().clone()
    }

    /// Whether its outgoing queue is full now: sends a probe, which a
    /// socket with room takes (and its client ignores).
    fn probe(&self) -> bool {
        let Some(socket) = self.socket() else {
            return false;
        };
        let Ok(ack) = AckSender::from_message_parts(
            &socket,
            &mut socketioxide_core::Value::Str(Default::default(), None),
            &Some(PROBE_ACK_ID),
        );
        matches!(
            ack.send(&()),
            Err(socketioxide::SendError::Socket(
                socketioxide::SocketError::InternalChannelFull
            ))
        )
    }

    /// Closes the transport, not the namespace: a stock client reconnects.
    /// The server side ends with it (a killed WebSocket), or at the next
    /// missed heartbeat (a polling session, whose requests are refused from
    /// now on); a client that resumes first takes the session over.
    fn close_transport(&self) {
        let Some(socket) = self.socket() else {
            return;
        };
        // Nothing more for it: a broadcast does not even try.
        socket.leave_all();
        let killed = self.closer.close(&self.id);
        let upgraded = transport_of(&SocketRef::from(socket.clone())) == Transport::Websocket;
        if !killed && upgraded {
            // Served without a DialogueListener: the WebSocket cannot be
            // killed. Closing the namespace at least does not leave the client
            // connected and deaf (it does not reconnect by itself, though).
            tracing::warn!(
                "a WebSocket could not be closed: serve with Dialogue::serve_router or a \
                 DialogueListener; the client is disconnected for good instead"
            );
            disconnect_until_done(socket);
        }
    }
}

impl<A: Adapter> Connection for SocketConnection<A> {
    fn emit_raw(&self, event: &str, payload: &RawValue) -> Result<(), SendFailure> {
        let sent = self.offer_raw(event, payload);
        if sent == Err(SendFailure::Full) {
            self.drop_slow();
        }
        sent
    }

    fn offer_raw(&self, event: &str, payload: &RawValue) -> Result<(), SendFailure> {
        let Some(socket) = self.socket() else {
            return Err(SendFailure::Gone);
        };
        socket.emit(event, payload).map_err(|error| match error {
            socketioxide::SendError::Socket(socketioxide::SocketError::InternalChannelFull) => {
                SendFailure::Full
            }
            socketioxide::SendError::Socket(_) => SendFailure::Gone,
            socketioxide::SendError::Serialize(_) => SendFailure::Serialize,
        })
    }

    fn drop_transport(&self) {
        let Some(socket) = self.socket() else {
            return;
        };
        if let Some(client) = socket.extensions.get::<Arc<ClientState>>()
            && !client.mark_dropped()
        {
            return;
        }
        self.close_transport();
    }

    fn drop_slow(&self) {
        let Some(client) = self
            .socket()
            .and_then(|socket| socket.extensions.get::<Arc<ClientState>>())
        else {
            return;
        };
        if !client.mark_dropped() {
            return;
        }
        Counters::bump(&self.counters.slow_members, 1);
        tracing::warn!(
            client = %client.id, user = %client.user_id,
            "dropped a slow member: its outgoing buffer is full; its session is held for it to resume"
        );
        self.close_transport();
    }

    fn probe_full(&self) -> bool {
        self.probe()
    }

    fn join(&self, keys: Vec<String>) {
        if let Some(socket) = self.socket() {
            socket.join(keys);
        }
    }

    fn leave(&self, keys: Vec<String>) {
        if let Some(socket) = self.socket() {
            socket.leave(keys);
        }
    }

    fn disconnect(&self) {
        if let Some(socket) = self.socket() {
            disconnect_until_done(socket);
        }
    }

    fn detach(&self) {
        // Clearing the extensions takes the way to the request loop (which
        // ends once what is queued is answered) and breaks the cycle
        // socket → extensions → client → socket.
        if let Some(socket) = self.socket() {
            socket.extensions.clear();
        }
    }

    fn release(&self) {
        if let Some(socket) = self.socket.write().take() {
            socket.extensions.clear();
        }
    }

    fn transport(&self) -> Transport {
        self.transport
    }

    fn peer(&self) -> Option<std::net::IpAddr> {
        self.peer
    }

    fn headers(&self) -> HeaderMap {
        self.socket()
            .map(|socket| socket.req_parts().headers.clone())
            .unwrap_or_default()
    }
}

/// Closes `socket`'s namespace; while its queue is too full to take the
/// packet, tries again (from a task) until it does or the socket is gone.
fn disconnect_until_done<A: Adapter>(socket: Arc<Socket<A>>) {
    if let Err(socketioxide::SocketError::InternalChannelFull) = socket.clone().disconnect()
        && let Ok(runtime) = tokio::runtime::Handle::try_current()
    {
        runtime.spawn(async move {
            for _ in 0..600 {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                if !socket.connected() {
                    return;
                }
                if !matches!(
                    socket.clone().disconnect(),
                    Err(socketioxide::SocketError::InternalChannelFull)
                ) {
                    return;
                }
            }
        });
    }
}

/// The TCP peer of a connection's first request: from a
/// [`DialogueListener`](crate::wire::transport::DialogueListener)'s `Peer`,
/// or axum's `SocketAddr` connect info.
pub(crate) fn peer_of(parts: &axum::http::request::Parts) -> Option<std::net::IpAddr> {
    if let Some(ConnectInfo(peer)) = parts.extensions.get::<ConnectInfo<Peer>>() {
        return Some(peer.addr().ip());
    }
    parts
        .extensions
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip())
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

impl<A: Adapter> SocketFanout<A> {
    /// This node's sockets of the namespace; `None` once socketioxide has
    /// let the namespace go (a shutdown under way: an event heard from
    /// another node then goes nowhere, rather than panicking in
    /// socketioxide's `io.local()`).
    fn local(&self) -> Option<socketioxide::operators::BroadcastOperators<A>> {
        self.io
            .of("/")
            .map(socketioxide::operators::BroadcastOperators::local)
    }
}

impl<A: Adapter> Fanout for SocketFanout<A> {
    fn drop_slow(&self, keys: Vec<String>, count: usize) -> usize {
        if self.closed.load(Ordering::Acquire) {
            return 0;
        }
        let mut dropped = 0;
        let Some(local) = self.local() else {
            return 0;
        };
        for socket in local.to(keys).sockets() {
            let Some(client) = socket.extensions.get::<Arc<ClientState>>() else {
                continue;
            };
            if client.conn.probe_full() {
                client.conn.drop_slow();
                dropped += 1;
            }
        }
        dropped.min(count)
    }

    fn send(&self, keys: Vec<String>, event: &str, payload: &RawValue) -> Missed {
        if self.closed.load(Ordering::Acquire) {
            return Missed::default();
        }
        // Local: each node delivers to its own sockets (`state::fanout`). The
        // local part of a broadcast completes without waiting (socketioxide's
        // adapters send to local sockets synchronously), which is what lets
        // the stream deliver in order under its lock.
        let Some(local) = self.local() else {
            return Missed::default();
        };
        let Some(outcome) = local.to(keys).emit(event, payload).now_or_never() else {
            tracing::error!(
                event,
                "the adapter did not deliver locally at once; the event was not sent"
            );
            return Missed::default();
        };
        match outcome {
            Ok(()) => Missed::default(),
            Err(socketioxide::BroadcastError::Socket(errors)) => {
                let count = errors
                    .iter()
                    .filter(|e| matches!(e, socketioxide::SocketError::InternalChannelFull))
                    .count();
                Missed { count, dropped: 0 }
            }
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
        self.local()
            .map_or(0, |local| local.to(keys).sockets().len())
    }

    fn close(&self) -> BoxFuture<'static, ()> {
        self.closed.store(true, Ordering::Release);
        let io = self.io.clone();
        Box::pin(async move { io.close().await })
    }
}
