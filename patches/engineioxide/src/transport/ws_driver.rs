//! A WebSocket session in one task: reading, writing and, for a session
//! that started on its WebSocket, the heartbeat.
//!
//! Why one task: upstream runs a WebSocket session in three (the reader,
//! the writer, the heartbeat), each a task allocation holding its future
//! (6.1 KB per idle connection together, the largest part of it), and the
//! heartbeat needs a channel of its own. Here one future polls everything
//! a session waits for: the WebSocket's incoming frames, the socket's queue
//! and volatile slot, the session's cancellation and the heartbeat's
//! deadline. Reading and writing are polled side by side, never one inside
//! the other, so that a client that reads slowly still has its frames (and
//! its pongs) read, as with separate tasks.
//!
//! The driver is a hand-written poll function rather than a `select!` loop
//! for the same reason: a `select!` branch that awaits a write stops
//! reading until the write is done.

use std::{
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
};

use futures_util::{Sink, Stream};
use tokio::{
    io::{AsyncRead, AsyncWrite},
    time::{Instant, Sleep},
};
use tokio_tungstenite::{WebSocketStream, tungstenite::Message};

use engineioxide_core::{Packet, PacketBuf, ProtocolVersion};

use crate::{
    DisconnectReason, Socket, engine::EngineIo, errors::Error, handler::EngineIoHandler,
    heartbeat::PingSchedule,
};

/// Frames read in one turn at most before the driver lets the writer and
/// the other tasks of the thread run.
const READ_BUDGET: usize = 64;

/// How a WebSocket session's driver stopped.
#[derive(Debug)]
pub(crate) enum Ending {
    /// The client closed the WebSocket, or sent a close packet.
    Closed,
    /// The session was closed elsewhere (its cancellation token).
    Cancelled,
    /// A transport or protocol error, or a heartbeat timeout.
    Failed(Error),
}

impl Ending {
    /// Closes the session for the reason of the ending (nothing to do when
    /// it was closed elsewhere).
    pub(crate) fn close_session<H: EngineIoHandler>(
        self,
        engine: &EngineIo<H>,
        socket: &Socket<H::Data>,
    ) {
        match self {
            Ending::Cancelled => {}
            Ending::Closed => engine.close_session(socket.id, DisconnectReason::TransportClose),
            // As the heartbeat task does: a close packet first, if it fits.
            Ending::Failed(Error::HeartbeatTimeout) => {
                socket.close(DisconnectReason::HeartbeatTimeout)
            }
            Ending::Failed(e) => {
                #[cfg(feature = "tracing")]
                tracing::debug!(sid = %socket.id, "ws session failed: {e}");
                let reason = Option::<DisconnectReason>::from(&e)
                    .unwrap_or(DisconnectReason::TransportError);
                engine.close_session(socket.id, reason);
            }
        }
    }
}

/// Where a session's heartbeat runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Heartbeat {
    /// In the session's task: v4, for a session that started on its
    /// WebSocket. A ping every `ping_interval`, a pong expected within
    /// `ping_timeout`, on the schedule of [`Socket::spawn_heartbeat`] (the
    /// first ping at once, each next one an interval after the previous).
    Here,
    /// In a task of its own: a session that started on polling, or v3.
    Elsewhere,
}

/// Drives a WebSocket session until it ends; the caller holds the right to
/// take from the socket's queue (`Socket::internal_rx`) and closes the
/// session by the [`Ending`].
///
/// A function that returns an `async move` block rather than an `async fn`:
/// an `async fn` keeps its arguments twice in its future, and this future
/// lives as long as the connection.
#[allow(clippy::manual_async_fn)]
pub(crate) fn drive<'a, H: EngineIoHandler, S>(
    engine: &'a Arc<EngineIo<H>>,
    socket: &'a Arc<Socket<H::Data>>,
    ws: &'a mut WebSocketStream<S>,
    heartbeat: Heartbeat,
) -> impl Future<Output = Ending> + Send + 'a
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    async move {
        // The first ping is due at once; without a heartbeat here the timer
        // is never polled.
        let deadline = std::pin::pin!(tokio::time::sleep_until(Instant::now()));
        let mut driver = Driver {
            engine,
            socket,
            ws,
            heartbeat,
            schedule: PingSchedule::default(),
            rest: None,
            next_message: None,
            unflushed: false,
            deadline,
        };
        std::future::poll_fn(|cx| driver.poll(cx)).await
    }
}

/// What a session's task holds while the session runs: kept small, as one
/// lives per connection.
struct Driver<'a, H: EngineIoHandler, S> {
    engine: &'a Arc<EngineIo<H>>,
    socket: &'a Arc<Socket<H::Data>>,
    ws: &'a mut WebSocketStream<S>,
    heartbeat: Heartbeat,
    /// The heartbeat's state (heartbeat here).
    schedule: PingSchedule,
    /// The packets left of a queued item of several, last first.
    rest: Option<Box<PacketBuf>>,
    /// The next message to give the WebSocket, taken before it was ready.
    next_message: Option<Message>,
    /// Messages were handed to the WebSocket since its last flush.
    unflushed: bool,
    deadline: Pin<&'a mut Sleep>,
}

impl<H: EngineIoHandler, S> Driver<'_, H, S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Ending> {
        if self.socket.poll_cancelled(cx).is_ready() {
            return Poll::Ready(Ending::Cancelled);
        }
        match self.poll_read(cx) {
            Poll::Ready(Some(ending)) => return Poll::Ready(ending),
            Poll::Ready(None) => {
                // Out of budget with more to read: come back after the
                // writer has had its turn.
                cx.waker().wake_by_ref();
            }
            Poll::Pending => {}
        }
        if let Err(e) = self.poll_heartbeat(cx) {
            return Poll::Ready(Ending::Failed(e));
        }
        match self.poll_write(cx) {
            Err(e) => Poll::Ready(Ending::Failed(e)),
            Ok(()) => Poll::Pending,
        }
    }

    /// Reads and handles what has arrived: `Ready(Some)` when the session
    /// ends, `Ready(None)` when the budget ran out with more to read.
    fn poll_read(&mut self, cx: &mut Context<'_>) -> Poll<Option<Ending>> {
        for _ in 0..READ_BUDGET {
            let message = match Pin::new(&mut *self.ws).poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => return Poll::Ready(Some(Ending::Closed)),
                Poll::Ready(Some(Err(e))) => {
                    return Poll::Ready(Some(Ending::Failed(Box::new(e).into())));
                }
                Poll::Ready(Some(Ok(message))) => message,
            };
            if let Err(ending) = self.on_message(message) {
                return Poll::Ready(Some(ending));
            }
        }
        Poll::Ready(None)
    }

    /// Handles one frame from the client.
    fn on_message(&mut self, message: Message) -> Result<(), Ending> {
        let socket = self.socket;
        match message {
            Message::Text(msg) => {
                let packet = Packet::parse(socket.protocol, super::ws::ws_bytes_to_str(msg))
                    .map_err(|e| Ending::Failed(e.into()))?;
                match packet {
                    Packet::Close => {
                        #[cfg(feature = "tracing")]
                        tracing::debug!("[sid={}] closing session", socket.id);
                        return Err(Ending::Closed);
                    }
                    Packet::Pong | Packet::Ping => self.heartbeat_received(),
                    Packet::Message(msg) => self.engine.handler.on_message(msg, socket.clone()),
                    p => return Err(Ending::Failed(Error::BadPacket(p))),
                }
            }
            Message::Binary(mut data) => {
                if socket.protocol == ProtocolVersion::V3 && !data.is_empty() {
                    // The first byte is the message type, which we don't need.
                    data = data.split_off(1);
                }
                self.engine.handler.on_binary(data, socket.clone());
            }
            Message::Close(_) => {
                #[cfg(feature = "tracing")]
                tracing::debug!("websocket closed, closing session");
                return Err(Ending::Closed);
            }
            _ => {
                #[cfg(feature = "tracing")]
                tracing::debug!(sid = ?socket.id, "unexpected ws message");
            }
        }
        Ok(())
    }

    fn heartbeat_received(&mut self) {
        match self.heartbeat {
            Heartbeat::Here => {
                if let Some(next) = self.schedule.pong(self.engine.config.ping_interval) {
                    self.deadline.as_mut().reset(next);
                }
            }
            Heartbeat::Elsewhere => self.socket.heartbeat_received(),
        }
    }

    /// Sends a ping when one is due; fails when a pong is overdue
    /// (`crate::heartbeat`).
    fn poll_heartbeat(&mut self, cx: &mut Context<'_>) -> Result<(), Error> {
        if self.heartbeat == Heartbeat::Elsewhere || self.deadline.as_mut().poll(cx).is_pending() {
            return Ok(());
        }
        let config = &self.engine.config;
        let next = self
            .schedule
            .fire(self.socket, config.ping_interval, config.ping_timeout)?;
        self.deadline.as_mut().reset(next);
        // Registers the timer at its new deadline.
        let _ = self.deadline.as_mut().poll(cx);
        Ok(())
    }

    /// Hands what is queued to the WebSocket, as far as it takes it, and
    /// flushes once the queue is empty.
    fn poll_write(&mut self, cx: &mut Context<'_>) -> Result<(), Error> {
        loop {
            let Some(message) = self.next_message.take() else {
                // The next packet of the item being written, else the next
                // item: queued ones first, then a volatile one.
                if let Some(packet) = self.rest.as_mut().and_then(|rest| rest.pop()) {
                    self.next_message = to_message(self.socket.protocol, packet);
                    continue;
                }
                self.rest = None;
                let next = match self.socket.queue.poll_recv(cx) {
                    Poll::Ready(Some(queued)) => queued,
                    // Closed only after the session is: nothing more to send.
                    Poll::Ready(None) => break,
                    Poll::Pending => match self.socket.volatile.poll_take(cx) {
                        Poll::Ready(queued) => queued,
                        Poll::Pending => break,
                    },
                };
                let packet = match next.into_packets() {
                    Ok(packet) => packet,
                    Err(mut packets) => {
                        packets.reverse();
                        self.rest = Some(packets);
                        continue;
                    }
                };
                self.next_message = to_message(self.socket.protocol, packet);
                continue;
            };
            match Pin::new(&mut *self.ws).poll_ready(cx) {
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(e)) => return Err(Box::new(e).into()),
                Poll::Pending => {
                    // Its turn comes when the WebSocket has written what
                    // it holds.
                    self.next_message = Some(message);
                    return Ok(());
                }
            }
            Pin::new(&mut *self.ws)
                .start_send(message)
                .map_err(Box::new)?;
            self.unflushed = true;
        }
        if self.unflushed {
            match Pin::new(&mut *self.ws).poll_flush(cx) {
                Poll::Ready(Ok(())) => self.unflushed = false,
                Poll::Ready(Err(e)) => return Err(Box::new(e).into()),
                Poll::Pending => {}
            }
        }
        Ok(())
    }
}

/// The WebSocket message of a packet (`None` for a noop, which only ends a
/// polling request during an upgrade: one left in the queue is dropped).
pub(crate) fn to_message(protocol: ProtocolVersion, packet: Packet) -> Option<Message> {
    match packet {
        Packet::Binary(bin) | Packet::BinaryV3(bin) => {
            if protocol == ProtocolVersion::V3 {
                // v3 protocol requires packet type as the first byte.
                let mut buff = Vec::with_capacity(bin.len() + 1);
                buff.push(0x04);
                buff.extend(bin);
                Some(Message::Binary(buff.into()))
            } else {
                Some(Message::Binary(bin))
            }
        }
        Packet::Noop => None,
        packet => {
            let packet: String = packet.into();
            Some(Message::Text(packet.into()))
        }
    }
}
