//! The background task of a connection: decodes what the server sends, reassembles binary
//! packets, routes events to the inbox and acks to the emits waiting for them, and records
//! how the connection ended.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, MutexGuard, PoisonError},
};

use bytes::Bytes;
use serde_json::Value;
use tokio::{
    sync::{mpsc, oneshot, watch},
    task::JoinHandle,
};

use crate::{
    DisconnectReason, ServerEvent,
    packet::{EnginePacket, Packet, PacketType},
    transport::EngineEvent,
};

/// State shared between the [`Client`](crate::Client) and its background task.
pub(crate) struct Shared {
    /// `None` while connected, then why the connection ended.
    pub(crate) state: watch::Sender<Option<DisconnectReason>>,
    /// Emits waiting for their acknowledgement, by ack id.
    acks: Mutex<HashMap<u64, oneshot::Sender<Vec<Value>>>>,
}

impl Shared {
    pub(crate) fn new() -> Self {
        Shared {
            state: watch::Sender::new(None),
            acks: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn is_connected(&self) -> bool {
        self.state.borrow().is_none()
    }

    /// Records the end of the connection; the first reason wins. True if this call did it.
    pub(crate) fn set_disconnected(&self, reason: DisconnectReason) -> bool {
        self.state.send_if_modified(|state| {
            if state.is_none() {
                *state = Some(reason);
                true
            } else {
                false
            }
        })
    }

    pub(crate) fn acks(&self) -> MutexGuard<'_, HashMap<u64, oneshot::Sender<Vec<Value>>>> {
        self.acks.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A binary packet waiting for its attachments.
struct Partial {
    packet: Packet,
    attachments: Vec<Bytes>,
}

/// The background task: decodes what the server sends and routes it.
pub(crate) struct Driver {
    shared: Arc<Shared>,
    namespace: String,
    /// Weak, so that dropping the [`Client`](crate::Client) still closes the transport.
    outgoing: mpsc::WeakUnboundedSender<EnginePacket>,
    events: mpsc::UnboundedSender<ServerEvent>,
    partial: Option<Partial>,
}

impl Driver {
    /// Starts the task reading `incoming` until the session ends.
    pub(crate) fn spawn(
        shared: Arc<Shared>,
        namespace: String,
        outgoing: mpsc::WeakUnboundedSender<EnginePacket>,
        events: mpsc::UnboundedSender<ServerEvent>,
        incoming: mpsc::UnboundedReceiver<EngineEvent>,
    ) -> JoinHandle<()> {
        let driver = Driver {
            shared,
            namespace,
            outgoing,
            events,
            partial: None,
        };
        tokio::spawn(driver.run(incoming))
    }

    async fn run(mut self, mut incoming: mpsc::UnboundedReceiver<EngineEvent>) {
        let reason = loop {
            match incoming.recv().await {
                None => break DisconnectReason::TransportClose,
                Some(EngineEvent::Closed(reason)) => break reason,
                Some(EngineEvent::Message(text)) => {
                    if let Some(reason) = self.on_message(&text) {
                        break reason;
                    }
                }
                Some(EngineEvent::Binary(data)) => self.on_binary(data),
            }
        };
        tracing::debug!(?reason, namespace = %self.namespace, "disconnected");
        self.shared.set_disconnected(reason);
        self.shared.acks().clear();
        if let Some(outgoing) = self.outgoing.upgrade() {
            let _ = outgoing.send(EnginePacket::Close);
        }
    }

    /// Handles one Socket.IO packet; returns a reason if it ends the connection.
    fn on_message(&mut self, text: &str) -> Option<DisconnectReason> {
        if self.partial.take().is_some() {
            tracing::warn!("binary packet dropped: a text packet came before its attachments");
        }
        let packet = match Packet::decode(text) {
            Ok(packet) => packet,
            Err(err) => {
                tracing::warn!(%err, "ignoring an invalid socket.io packet");
                return None;
            }
        };
        if packet.namespace != self.namespace {
            tracing::debug!(namespace = %packet.namespace, "ignoring a packet for another namespace");
            return None;
        }
        match packet.kind {
            PacketType::BinaryEvent | PacketType::BinaryAck if packet.attachments > 0 => {
                let capacity = packet.attachments.min(16);
                self.partial = Some(Partial {
                    packet,
                    attachments: Vec::with_capacity(capacity),
                });
            }
            PacketType::Event
            | PacketType::Ack
            | PacketType::BinaryEvent
            | PacketType::BinaryAck => {
                self.deliver(packet, Vec::new());
            }
            PacketType::Disconnect => return Some(DisconnectReason::ServerDisconnect),
            PacketType::Connect | PacketType::ConnectError => {
                tracing::debug!(%text, "ignoring a connect packet while connected");
            }
        }
        None
    }

    fn on_binary(&mut self, data: Bytes) {
        let Some(partial) = self.partial.as_mut() else {
            tracing::warn!("ignoring a binary message no packet announced");
            return;
        };
        partial.attachments.push(data);
        if partial.attachments.len() >= partial.packet.attachments
            && let Some(Partial {
                packet,
                attachments,
            }) = self.partial.take()
        {
            self.deliver(packet, attachments);
        }
    }

    /// Hands a complete event to the inbox or an ack to its waiting emit.
    fn deliver(&self, packet: Packet, attachments: Vec<Bytes>) {
        let ack_id = packet.ack_id;
        match packet.kind {
            PacketType::Event | PacketType::BinaryEvent => {
                if let Some((name, args)) = packet.into_event() {
                    let _ = self.events.send(ServerEvent {
                        name,
                        args,
                        attachments,
                        ack_id,
                    });
                }
            }
            PacketType::Ack | PacketType::BinaryAck => {
                let (Some(id), Some(args)) = (ack_id, packet.into_ack_args()) else {
                    return;
                };
                match self.shared.acks().remove(&id) {
                    Some(waiting) => {
                        let _ = waiting.send(args);
                    }
                    None => tracing::debug!(id, "ignoring an ack nobody waits for"),
                }
            }
            _ => {}
        }
    }
}
