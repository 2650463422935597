//! The connected Socket.IO client: connecting to a namespace, emitting, acknowledgements
//! and the inbox of server events.

use std::{
    collections::VecDeque,
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use bytes::Bytes;
use serde_json::Value;
use tokio::{
    sync::{mpsc, oneshot},
    task::JoinHandle,
    time::Instant,
};

use crate::{
    ClientBuilder, DisconnectReason, Error, ServerEvent, Transport,
    driver::{Driver, Shared},
    packet::{EnginePacket, OpenPacket, Packet, PacketType, placeholder},
    transport::{self, Endpoint, EngineEvent},
};

/// How long [`Client::disconnect`] waits for the transport to shut down.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(3);

/// A Socket.IO client connected to one namespace. Build it with [`ClientBuilder`].
///
/// All methods take `&self`, so a client can be shared (for instance in an `Arc`) between
/// a task that emits and one that receives.
///
/// * Emitting queues the packet for the transport and returns at once; packets go out in
///   the order they were emitted.
/// * Server events are kept in order in an inbox read with [`recv`](Self::recv),
///   [`recv_timeout`](Self::recv_timeout) or [`expect_event`](Self::expect_event).
/// * Server pings are answered in the background, so an idle client stays connected.
/// * When the server asks for an acknowledgement of an event, the client does not answer on
///   its own: the event's [`ServerEvent::ack_id`] is set and [`ack`](Self::ack) answers.
///
/// Dropping the client closes the connection.
pub struct Client {
    id: String,
    handshake: OpenPacket,
    namespace: String,
    transport: Transport,
    outgoing: mpsc::UnboundedSender<EnginePacket>,
    /// Held while queueing packets that must stay together.
    send_lock: Mutex<()>,
    shared: Arc<Shared>,
    inbox: tokio::sync::Mutex<Inbox>,
    next_ack_id: AtomicU64,
    driver: Mutex<Option<JoinHandle<()>>>,
}

/// Received events not yet handed out.
struct Inbox {
    rx: mpsc::UnboundedReceiver<ServerEvent>,
    /// Events skipped over by [`Client::expect_event`], in arrival order.
    stash: VecDeque<ServerEvent>,
}

/// Removes an ack slot when the emit that reserved it finishes, however it finishes.
struct AckSlot<'a> {
    shared: &'a Shared,
    id: u64,
}

impl Drop for AckSlot<'_> {
    fn drop(&mut self) {
        self.shared.acks().remove(&self.id);
    }
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("id", &self.id)
            .field("namespace", &self.namespace)
            .field("transport", &self.transport)
            .field("disconnect_reason", &self.disconnect_reason())
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Shorthand for [`ClientBuilder::new`].
    pub fn builder(url: impl Into<String>) -> ClientBuilder {
        ClientBuilder::new(url)
    }

    /// Opens the session, sends the namespace CONNECT and waits for the answer.
    pub(crate) async fn establish(
        transport: Transport,
        endpoint: Endpoint,
        namespace: String,
        auth: Option<Value>,
    ) -> Result<Client, Error> {
        let mut engine = transport::connect(transport, &endpoint).await?;
        let connect = Packet::connect(&namespace, auth).encode();
        engine
            .outgoing
            .send(EnginePacket::Message(connect))
            .map_err(|_| Error::Disconnected)?;

        let id = loop {
            let text = match engine.incoming.recv().await {
                Some(EngineEvent::Message(text)) => text,
                Some(EngineEvent::Binary(_)) => continue,
                Some(EngineEvent::Closed(_)) | None => return Err(Error::Disconnected),
            };
            let packet = Packet::decode(&text)?;
            if packet.namespace != namespace {
                continue;
            }
            match packet.kind {
                PacketType::Connect => match packet.connect_sid() {
                    Some(sid) => break sid.to_owned(),
                    None => return Err(Error::invalid_packet("connect without a sid", &text)),
                },
                PacketType::ConnectError => {
                    let (message, data) = packet.connect_error_parts().unwrap_or_default();
                    return Err(Error::ConnectRefused { message, data });
                }
                _ => tracing::debug!(%text, "ignoring a packet received before CONNECT"),
            }
        };
        tracing::debug!(%id, %namespace, ?transport, "connected");

        let shared = Arc::new(Shared::new());
        let (events_tx, events_rx) = mpsc::unbounded_channel();
        let handle = Driver::spawn(
            shared.clone(),
            namespace.clone(),
            engine.outgoing.downgrade(),
            events_tx,
            engine.incoming,
        );
        Ok(Client {
            id,
            handshake: engine.open,
            namespace,
            transport,
            outgoing: engine.outgoing,
            send_lock: Mutex::new(()),
            shared,
            inbox: tokio::sync::Mutex::new(Inbox {
                rx: events_rx,
                stash: VecDeque::new(),
            }),
            next_ack_id: AtomicU64::new(0),
            driver: Mutex::new(Some(handle)),
        })
    }

    /// The socket id the server assigned in its CONNECT answer.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The server's Engine.IO handshake: session id, ping interval and timeout, max payload.
    pub fn handshake(&self) -> &OpenPacket {
        &self.handshake
    }

    /// The namespace this client joined, such as `/`.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The transport in use.
    pub fn transport(&self) -> Transport {
        self.transport
    }

    /// Whether the connection is still up: false once either side disconnected or the
    /// transport closed.
    pub fn is_connected(&self) -> bool {
        self.shared.is_connected()
    }

    /// Why the connection ended, or `None` while connected.
    pub fn disconnect_reason(&self) -> Option<DisconnectReason> {
        self.shared.state.borrow().clone()
    }

    /// Emits `event` with one argument: `42["event", data]`.
    pub fn emit(&self, event: &str, data: Value) -> Result<(), Error> {
        self.emit_args(event, vec![data])
    }

    /// Emits `event` with any number of arguments: `42["event", ...args]`.
    pub fn emit_args(&self, event: &str, args: Vec<Value>) -> Result<(), Error> {
        self.send_packet(&Packet::event(&self.namespace, event, args, None))
    }

    /// Emits `event` with one argument, asking for an acknowledgement, and returns the
    /// acknowledgement's arguments.
    ///
    /// Fails with [`Error::AckTimeout`] if none comes within `timeout` (the ack id is then
    /// released), or [`Error::Disconnected`] if the connection ends first.
    pub async fn emit_with_ack(
        &self,
        event: &str,
        data: Value,
        timeout: Duration,
    ) -> Result<Vec<Value>, Error> {
        self.emit_args_with_ack(event, vec![data], timeout).await
    }

    /// Like [`emit_with_ack`](Self::emit_with_ack) with any number of arguments.
    ///
    /// For a binary acknowledgement the placeholders are returned as they are and the
    /// attachments are dropped.
    pub async fn emit_args_with_ack(
        &self,
        event: &str,
        args: Vec<Value>,
        timeout: Duration,
    ) -> Result<Vec<Value>, Error> {
        let id = self.next_ack_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        self.shared.acks().insert(id, tx);
        let _slot = AckSlot {
            shared: &self.shared,
            id,
        };
        // Checked after inserting: the background task clears the slots only after marking
        // the connection as ended, so a slot inserted while connected is always answered.
        self.send_packet(&Packet::event(&self.namespace, event, args, Some(id)))?;
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(args)) => Ok(args),
            Ok(Err(_)) => Err(Error::Disconnected),
            Err(_) => Err(Error::AckTimeout(timeout)),
        }
    }

    /// How many emits are waiting for an acknowledgement (useful to check that timed-out
    /// acknowledgements do not pile up).
    pub fn pending_acks(&self) -> usize {
        self.shared.acks().len()
    }

    /// Emits `event` with one binary argument, as a BINARY_EVENT:
    /// `451-["event",{"_placeholder":true,"num":0}]` followed by the bytes, as a binary
    /// WebSocket frame or, on long-polling, as a `b<base64>` packet.
    pub fn emit_binary(&self, event: &str, data: impl Into<Bytes>) -> Result<(), Error> {
        let packet = Packet::binary_event(&self.namespace, event, vec![placeholder(0)], 1, None);
        self.ensure_connected()?;
        self.send_engine([
            EnginePacket::Message(packet.encode()),
            EnginePacket::Binary(data.into()),
        ])
    }

    /// Answers a server event that asked for an acknowledgement
    /// ([`ServerEvent::ack_id`]): `3<id>[...args]`.
    pub fn ack(&self, ack_id: u64, args: Vec<Value>) -> Result<(), Error> {
        self.send_packet(&Packet::ack(&self.namespace, ack_id, args))
    }

    /// Sends `packet` verbatim as the text of an Engine.IO message, for instance
    /// `2["event"` or `9`: a Socket.IO packet, without the Engine.IO `4` prefix, which is
    /// added. Meant for testing how a server handles malformed input.
    pub fn send_raw(&self, packet: impl Into<String>) -> Result<(), Error> {
        self.ensure_connected()?;
        self.send_engine([EnginePacket::Message(packet.into())])
    }

    /// Sends `data` as a binary Engine.IO message on its own, whether or not a binary packet
    /// announced it. Meant for testing how a server handles unexpected binary.
    pub fn send_raw_binary(&self, data: impl Into<Bytes>) -> Result<(), Error> {
        self.ensure_connected()?;
        self.send_engine([EnginePacket::Binary(data.into())])
    }

    /// The next server event, in arrival order; `None` once the connection has ended and
    /// every event received before has been handed out.
    pub async fn recv(&self) -> Option<ServerEvent> {
        let mut inbox = self.inbox.lock().await;
        match inbox.stash.pop_front() {
            Some(event) => Some(event),
            None => inbox.rx.recv().await,
        }
    }

    /// Like [`recv`](Self::recv), bounded: [`Error::Timeout`] if nothing arrives in time,
    /// [`Error::Disconnected`] if the connection ended and the inbox is empty.
    pub async fn recv_timeout(&self, timeout: Duration) -> Result<ServerEvent, Error> {
        match tokio::time::timeout(timeout, self.recv()).await {
            Ok(Some(event)) => Ok(event),
            Ok(None) => Err(Error::Disconnected),
            Err(_) => Err(Error::Timeout(timeout)),
        }
    }

    /// Waits for the next event called `name`. Events with other names that arrive first
    /// stay in the inbox, in order, for later [`recv`](Self::recv) calls.
    ///
    /// Fails with [`Error::Timeout`] if no such event arrives in time, or
    /// [`Error::Disconnected`] if the connection ends first.
    pub async fn expect_event(&self, name: &str, timeout: Duration) -> Result<ServerEvent, Error> {
        let deadline = Instant::now() + timeout;
        let mut inbox = tokio::time::timeout_at(deadline, self.inbox.lock())
            .await
            .map_err(|_| Error::Timeout(timeout))?;
        if let Some(pos) = inbox.stash.iter().position(|event| event.name == name)
            && let Some(event) = inbox.stash.remove(pos)
        {
            return Ok(event);
        }
        loop {
            match tokio::time::timeout_at(deadline, inbox.rx.recv()).await {
                Err(_) => return Err(Error::Timeout(timeout)),
                Ok(None) => return Err(Error::Disconnected),
                Ok(Some(event)) if event.name == name => return Ok(event),
                Ok(Some(event)) => inbox.stash.push_back(event),
            }
        }
    }

    /// Waits until the connection ends (whichever side ends it) and returns why;
    /// [`Error::Timeout`] if it is still up after `timeout`.
    pub async fn wait_disconnected(&self, timeout: Duration) -> Result<DisconnectReason, Error> {
        let mut state = self.shared.state.subscribe();
        let ended = async move {
            match state.wait_for(Option::is_some).await {
                Ok(reason) => (*reason).clone(),
                Err(_) => None,
            }
        };
        match tokio::time::timeout(timeout, ended).await {
            Ok(Some(reason)) => Ok(reason),
            Ok(None) => Ok(DisconnectReason::TransportClose),
            Err(_) => Err(Error::Timeout(timeout)),
        }
    }

    /// Leaves the namespace (DISCONNECT, `41`) and closes the Engine.IO session, waiting a
    /// few seconds at most for the transport to shut down. Does nothing more than the
    /// cleanup if the connection has already ended.
    pub async fn disconnect(&self) {
        if self
            .shared
            .set_disconnected(DisconnectReason::ClientDisconnect)
        {
            let packet = Packet::disconnect(&self.namespace).encode();
            let _ = self.outgoing.send(EnginePacket::Message(packet));
        }
        let _ = self.outgoing.send(EnginePacket::Close);
        let driver = self
            .driver
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(driver) = driver {
            let _ = tokio::time::timeout(CLOSE_TIMEOUT, driver).await;
        }
    }

    fn ensure_connected(&self) -> Result<(), Error> {
        if self.shared.is_connected() {
            Ok(())
        } else {
            Err(Error::Disconnected)
        }
    }

    fn send_packet(&self, packet: &Packet) -> Result<(), Error> {
        self.ensure_connected()?;
        self.send_engine([EnginePacket::Message(packet.encode())])
    }

    /// Queues packets for the transport, back to back: a binary packet and its attachment
    /// cannot be split by a packet another task sends at the same time.
    fn send_engine<const N: usize>(&self, packets: [EnginePacket; N]) -> Result<(), Error> {
        let _serialized = self
            .send_lock
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        for packet in packets {
            self.outgoing
                .send(packet)
                .map_err(|_| Error::Disconnected)?;
        }
        Ok(())
    }
}
