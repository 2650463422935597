//! Closing a client's transport without closing its Socket.IO namespace.
//!
//! A drop that keeps the session (a slow member, later an expired token or a
//! shutdown) must look to the client like a lost connection, so that stock
//! Socket.IO clients reconnect by themselves and resume. socketioxide can end
//! a socket only at the namespace level ("io server disconnect", after which
//! clients do not reconnect), so the cut is made below it:
//!
//! - every TCP connection accepted by [`DialogueListener`] carries a kill
//!   switch ([`Peer`], seen by handlers as `ConnectInfo<Peer>`); killed, its
//!   reads and writes fail and the HTTP server drops it;
//! - the [`Closer`] remembers, per engine.io session id, the connections its
//!   requests came on (the handshake's, each poll's, the WebSocket's);
//! - closing a session kills those connections and answers any later request
//!   for it as engine.io answers an unknown session (400), which a client
//!   takes for a transport error.

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use axum::extract::connect_info::{ConnectInfo, Connected};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::serve::{IncomingStream, Listener};
use futures_util::task::AtomicWaker;
use parking_lot::Mutex;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// A TCP connection's kill switch.
#[derive(Debug, Default)]
pub(crate) struct Kill {
    killed: AtomicBool,
    // Reading and writing run in different tasks (a WebSocket is split), so
    // each keeps its own waker.
    reader: AtomicWaker,
    writer: AtomicWaker,
}

impl Kill {
    /// Fails the connection's reads and writes from now on, waking them.
    pub(crate) fn kill(&self) {
        self.killed.store(true, Ordering::Release);
        self.reader.wake();
        self.writer.wake();
    }

    fn is_killed(&self) -> bool {
        self.killed.load(Ordering::Acquire)
    }

    /// `poll` unless killed; a pending poll is woken by a kill too.
    fn guard<T>(
        &self,
        waker: &AtomicWaker,
        cx: &mut Context<'_>,
        poll: impl FnOnce(&mut Context<'_>) -> Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        if self.is_killed() {
            return Poll::Ready(Err(killed()));
        }
        match poll(cx) {
            Poll::Pending => {
                waker.register(cx.waker());
                // A kill between the first check and the registration
                // would otherwise go unnoticed.
                if self.is_killed() {
                    Poll::Ready(Err(killed()))
                } else {
                    Poll::Pending
                }
            }
            ready => ready,
        }
    }
}

fn killed() -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionAborted,
        "transport closed by the server",
    )
}

/// An accepted connection that can be killed from elsewhere: one atomic
/// load per read or write while alive.
#[derive(Debug)]
pub struct Killable<S> {
    io: S,
    kill: Arc<Kill>,
}

impl<S: AsyncRead + Unpin> AsyncRead for Killable<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let io = &mut this.io;
        this.kill
            .guard(&this.kill.reader, cx, |cx| Pin::new(io).poll_read(cx, buf))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Killable<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let io = &mut this.io;
        this.kill
            .guard(&this.kill.writer, cx, |cx| Pin::new(io).poll_write(cx, buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let io = &mut this.io;
        this.kill.guard(&this.kill.writer, cx, |cx| {
            Pin::new(io).poll_write_vectored(cx, bufs)
        })
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let io = &mut this.io;
        this.kill
            .guard(&this.kill.writer, cx, |cx| Pin::new(io).poll_flush(cx))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // Shutting down a killed connection is what its owner does next:
        // let it.
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

/// The peer of a connection accepted by [`DialogueListener`], as handlers
/// see it (`ConnectInfo<Peer>`): its address, and the switch the server
/// closes its transport with.
#[derive(Debug, Clone)]
pub struct Peer {
    addr: SocketAddr,
    kill: Arc<Kill>,
}

impl Peer {
    /// The peer's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Connected<IncomingStream<'_, DialogueListener>> for Peer {
    fn connect_info(stream: IncomingStream<'_, DialogueListener>) -> Self {
        stream.remote_addr().clone()
    }
}

/// A TCP listener whose connections the server can close one by one (a
/// slow member's, say) while keeping their clients' sessions, with
/// `TCP_NODELAY` on each. [`Dialogue::serve_router`](crate::Dialogue::serve_router)
/// serves on one; serving with `axum::serve` yourself, pass one and
/// `into_make_service_with_connect_info::<Peer>()`:
///
/// ```no_run
/// # use dialogue_runtime::prelude::*;
/// use dialogue_runtime::{DialogueListener, Peer};
/// # #[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
/// # pub struct Message { pub text: String }
/// # dialogue! { pub ChatApp { chat: { name: "Chat Room", events: [Message] } } }
/// # async fn run(dialogue: Dialogue<ChatApp>) -> std::io::Result<()> {
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
/// let app = dialogue.router();
/// axum::serve(
///     DialogueListener::new(listener),
///     app.into_make_service_with_connect_info::<Peer>(),
/// )
/// .await
/// # }
/// ```
#[derive(Debug)]
pub struct DialogueListener {
    inner: TcpListener,
}

impl DialogueListener {
    /// Wraps a bound listener.
    pub fn new(inner: TcpListener) -> Self {
        Self { inner }
    }
}

impl Listener for DialogueListener {
    type Io = Killable<TcpStream>;
    type Addr = Peer;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let (stream, addr) = Listener::accept(&mut self.inner).await;
        // Small frames (acknowledgements, single events) must leave at once:
        // with Nagle's algorithm on, they wait for the peer's delayed ACK
        // (~40 ms) whenever one is already in flight.
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "cannot set TCP_NODELAY");
        }
        let kill = Arc::new(Kill::default());
        (
            Killable {
                io: stream,
                kill: kill.clone(),
            },
            Peer { addr, kill },
        )
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(Peer {
            addr: self.inner.local_addr()?,
            kill: Arc::default(),
        })
    }
}

/// The connections each engine.io session used last, and the sessions
/// being closed.
#[derive(Debug, Default)]
pub(crate) struct Closer {
    // One lock over all sessions: it is taken once per WebSocket and per
    // long-polling request, never per message or per recipient.
    sessions: Mutex<HashMap<Box<str>, Tracked>>,
}

#[derive(Debug, Default)]
struct Tracked {
    connections: Vec<Arc<Kill>>,
    closing: bool,
}

/// Connections remembered per session: a polling client alternates between
/// a couple of keep-alive connections, and a WebSocket adds one.
const CONNECTIONS_PER_SESSION: usize = 4;

impl Closer {
    /// Notes that a request of session `sid` came on `peer`'s connection.
    /// False when the session is being closed.
    pub(crate) fn record(&self, sid: &str, peer: Option<&Peer>) -> bool {
        let mut sessions = self.sessions.lock();
        if let Some(tracked) = sessions.get_mut(sid) {
            if tracked.closing {
                return false;
            }
            if let Some(peer) = peer
                && !tracked
                    .connections
                    .iter()
                    .any(|kill| Arc::ptr_eq(kill, &peer.kill))
            {
                if tracked.connections.len() == CONNECTIONS_PER_SESSION {
                    tracked.connections.remove(0);
                }
                tracked.connections.push(peer.kill.clone());
            }
        } else if let Some(peer) = peer {
            sessions.insert(
                sid.into(),
                Tracked {
                    connections: vec![peer.kill.clone()],
                    closing: false,
                },
            );
        }
        true
    }

    /// Closes session `sid`'s transport: kills its connections and refuses
    /// its later requests. False when no connection of it is known (the
    /// application serves without a [`DialogueListener`]).
    pub(crate) fn close(&self, sid: &str) -> bool {
        let mut sessions = self.sessions.lock();
        let tracked = sessions.entry(sid.into()).or_default();
        tracked.closing = true;
        for kill in &tracked.connections {
            kill.kill();
        }
        !tracked.connections.is_empty()
    }

    /// Forgets session `sid` (it is gone).
    pub(crate) fn forget(&self, sid: &str) {
        self.sessions.lock().remove(sid);
    }
}

/// The middleware in front of socketioxide: notes the connection of each
/// request of a known session, and answers a closing session's requests as
/// engine.io answers an unknown one.
pub(crate) async fn track(
    State(closer): State<Arc<Closer>>,
    request: Request,
    next: Next,
) -> Response {
    if let Some(sid) = request.uri().query().and_then(session_of) {
        let peer = request
            .extensions()
            .get::<ConnectInfo<Peer>>()
            .map(|info| &info.0);
        if !closer.record(sid, peer) {
            return (
                axum::http::StatusCode::BAD_REQUEST,
                [(axum::http::header::CONTENT_TYPE, "application/json")],
                r#"{"code":1,"message":"Session ID unknown"}"#,
            )
                .into_response();
        }
    }
    next.run(request).await
}

/// The `sid` parameter of an engine.io request's query.
fn session_of(query: &str) -> Option<&str> {
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix("sid="))
        .filter(|sid| !sid.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[test]
    fn reads_the_session_from_the_query() {
        assert_eq!(session_of("EIO=4&transport=polling&sid=abc"), Some("abc"));
        assert_eq!(session_of("sid=abc&EIO=4"), Some("abc"));
        assert_eq!(session_of("EIO=4&transport=polling"), None);
        assert_eq!(session_of("sid="), None);
    }

    fn peer() -> Peer {
        Peer {
            addr: ([127, 0, 0, 1], 1).into(),
            kill: Arc::default(),
        }
    }

    #[test]
    fn closing_kills_every_known_connection_and_refuses_later_requests() {
        let closer = Closer::default();
        let (first, second) = (peer(), peer());
        assert!(closer.record("s", Some(&first)));
        assert!(closer.record("s", Some(&second)));
        assert!(closer.record("s", Some(&second)));
        assert!(closer.close("s"));
        assert!(first.kill.is_killed() && second.kill.is_killed());
        assert!(!closer.record("s", Some(&peer())));
        assert!(!closer.record("s", None));
        closer.forget("s");
        assert!(closer.record("s", None));
        // Nothing known: the caller must close another way.
        assert!(!closer.close("unknown"));
    }

    #[test]
    fn remembers_a_bounded_number_of_connections() {
        let closer = Closer::default();
        let peers: Vec<Peer> = (0..10).map(|_| peer()).collect();
        for peer in &peers {
            closer.record("s", Some(peer));
        }
        closer.close("s");
        let killed = peers.iter().filter(|p| p.kill.is_killed()).count();
        assert_eq!(killed, CONNECTIONS_PER_SESSION);
        assert!(peers.last().unwrap().kill.is_killed());
    }

    #[tokio::test]
    async fn a_killed_connection_fails_pending_and_later_io() {
        let (client, server) = tokio::io::duplex(64);
        let kill = Arc::new(Kill::default());
        let mut server = Killable {
            io: server,
            kill: kill.clone(),
        };
        let mut client = client;
        client.write_all(b"hi").await.unwrap();
        let mut buf = [0u8; 2];
        server.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"hi");
        // A read waiting for data is woken by the kill.
        let reading = tokio::spawn(async move {
            let mut buf = [0u8; 1];
            let result = server.read(&mut buf).await;
            (result, server)
        });
        tokio::task::yield_now().await;
        kill.kill();
        let (result, mut server) = reading.await.unwrap();
        assert_eq!(result.unwrap_err().kind(), io::ErrorKind::ConnectionAborted);
        let error = server.write_all(b"x").await.unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::ConnectionAborted);
    }
}
