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
//! - the [`Closer`] remembers, per engine.io session of an accepted client,
//!   its WebSocket connection;
//! - closing a session kills its WebSocket, cuts its pending long-poll
//!   short, and answers any later request for it as engine.io answers an
//!   unknown session (400), which a client takes for a transport error.

use std::collections::{HashMap, VecDeque};
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::extract::connect_info::{ConnectInfo, Connected};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::serve::{IncomingStream, Listener};
use futures_util::task::AtomicWaker;
use parking_lot::Mutex;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

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

impl<S> Drop for Killable<S> {
    fn drop(&mut self) {
        // The switch may outlive the connection (in the `Closer`): let go
        // of the tasks its wakers would keep.
        drop(self.kill.reader.take());
        drop(self.kill.writer.take());
    }
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

mod accept;
mod closer;

pub(crate) use accept::serve;

pub(crate) use closer::{Closer, track};
#[cfg(test)]
use closer::{Verdict, session_of};

#[cfg(test)]
mod tests;
