//! A way into the engine without sockets, for fuzzers and model-based tests
//! (cargo feature `fuzzing`; not a public API, and not semver-stable).
//!
//! A [`Harness`] holds clients whose transport is a recording stand-in: a
//! frame a client "sends" goes through the same request decoding and engine
//! calls as one read from a socket (`wire::requests::handle`), and whatever
//! the server sends that client directly (answers, `dialogue:error`, the
//! greeting) is recorded for the caller to check. Broadcasts go to the
//! (socketless) namespace, so members do not see each other's events here:
//! the end-to-end suites cover delivery over real sockets.
//!
//! Connecting runs what the socket's connect handler runs (admission,
//! identity, resume, greeting, `on_connect` hooks); a disconnection runs what
//! its disconnect handler runs, held or ended as a real transport's would be.
//!
//! ```
//! # use dialogue_runtime::prelude::*;
//! # use dialogue_runtime::fuzzing::Harness;
//! # #[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
//! # #[event(name = "ping")]
//! # struct Ping {}
//! # dialogue! { App { lobby: { name: "Lobby", events: [Ping] } } }
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let dialogue = Dialogue::<App>::builder().build().unwrap();
//! let mut harness = Harness::new(&dialogue);
//! harness.connect(0, serde_json::json!({ "userId": "ada" })).await.unwrap();
//! let sent = harness.send(0, r#"["dialogue:join",{"roomId":"nowhere"}]"#).await;
//! assert_eq!(sent[0].event, "dialogue:error");
//! assert!(sent[0].payload.contains("ROOM_NOT_FOUND"));
//! # }
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::http::HeaderMap;
use parking_lot::Mutex;
use serde_json::Value;
use serde_json::value::RawValue;
use socketioxide::adapter::LocalAdapter;
use socketioxide::handler::Value as SioValue;

use crate::Dialogue;
use crate::engine::Engine;
use crate::engine::sessions::{Ending, Resuming};
use crate::protocol::{Connected, ServerEvent};
use crate::state::client::ClientState;
use crate::state::connection::{Connection, SendFailure, Transport};
use crate::wire::queue::Incoming;
use crate::wire::reply::Ack;
use crate::wire::requests;

/// The event name a recorded acknowledgement carries in [`Sent`].
pub const ACK: &str = "ack";

/// One packet the server sent a harness client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// The event, e.g. `dialogue:error`.
    pub event: String,
    /// Its payload, as JSON.
    pub payload: String,
}

/// How a harness client's connection ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gone {
    /// The client disconnected: its session ends.
    Ended,
    /// Its transport dropped: its session is held for the grace period.
    Dropped,
}

/// The engine of a built [`Dialogue`] with clients on recording transports.
pub struct Harness {
    engine: Arc<Engine>,
    slots: Vec<Option<Peer>>,
    /// Each slot's last resume token, for [`Harness::resume`].
    tokens: Vec<Option<String>>,
}

struct Peer {
    client: Arc<ClientState>,
    recorder: Arc<Recorder>,
}

impl Harness {
    /// A harness on `dialogue`'s engine (which must not be serving).
    pub fn new<A>(dialogue: &Dialogue<A>) -> Self {
        Self {
            engine: dialogue.engine.clone(),
            slots: Vec::new(),
            tokens: Vec::new(),
        }
    }

    /// Whether a client is connected in `slot`.
    pub fn is_connected(&self, slot: usize) -> bool {
        self.slots.get(slot).is_some_and(Option::is_some)
    }

    /// The connection id of the client in `slot`.
    pub fn client_id(&self, slot: usize) -> Option<&str> {
        Some(&self.slots.get(slot)?.as_ref()?.client.id)
    }

    /// Connects a client in `slot` with the handshake's `auth` object (a
    /// client already there disconnects first). `Err` is the refusal the
    /// handshake would get; `Ok` what the client received (its greeting
    /// first).
    pub async fn connect(&mut self, slot: usize, auth: Value) -> Result<Vec<Sent>, String> {
        if self.is_connected(slot) {
            self.disconnect(slot, Gone::Ended).await;
        }
        let engine = self.engine.clone();
        let ticket = engine
            .admission
            .admit(None)
            .map_err(|full| format!("{full:?}"))?;
        let headers = HeaderMap::new();
        let mut identified = engine
            .identify(&auth, &headers, None)
            .await
            .map_err(|refusal| refusal.to_string())?;
        let resuming = engine.find_session(&auth, identified.user_id()).await;
        if let Resuming::Found(takeover, _) = &resuming {
            identified.adopt_user(takeover.previous.user_id());
        }
        let recorder = Arc::new(Recorder::default());
        let client = engine
            .new_client(identified, Box::new(recorder.clone()))
            .map_err(|refusal| refusal.to_string())?;
        let greeting = engine.greet_session(&client, resuming).await;
        let hello = Connected {
            resumed: greeting.resumed,
            rooms: greeting.rooms.clone(),
            recovered: greeting.recovered.clone(),
            ..Connected::new(&client.id, &client.user_id, greeting.token.as_str())
        };
        let token = greeting.token.as_str().to_owned();
        let _ = client.conn.emit(ServerEvent::Connected.wire_name(), &hello);
        if self.slots.len() <= slot {
            self.slots.resize_with(slot + 1, || None);
            self.tokens.resize(slot + 1, None);
        }
        self.tokens[slot] = Some(token);
        // The admission ticket goes with the connection in a server; here
        // the harness gives the place back at once (it holds few clients).
        drop(ticket);
        let greeted = engine.rejoin(&client, greeting).await && engine.greeted(&client).await;
        self.slots[slot] = Some(Peer {
            client,
            recorder: recorder.clone(),
        });
        if !greeted {
            self.disconnect(slot, Gone::Ended).await;
        }
        self.settle().await;
        Ok(recorder.take())
    }

    /// Connects a client in `slot` resuming the session that slot last
    /// had (with `positions`, the handshake's `auth.positions`).
    pub async fn resume(
        &mut self,
        slot: usize,
        user: Option<&str>,
        positions: Value,
    ) -> Result<Vec<Sent>, String> {
        let token = self.tokens.get(slot).cloned().flatten().unwrap_or_default();
        let mut auth = serde_json::json!({ "resume": token, "positions": positions });
        if let Some(user) = user {
            auth["userId"] = user.into();
        }
        self.connect(slot, auth).await
    }

    /// The client in `slot` sends one Socket.IO event frame, `text` being
    /// its JSON array (`["dialogue:join",{...}]`), without an
    /// acknowledgement: every answer comes back as an event. Returns what
    /// the client received meanwhile (nothing when no client is there).
    pub async fn send(&mut self, slot: usize, text: &str) -> Vec<Sent> {
        self.send_value(slot, SioValue::Str(text.to_owned().into(), None), false)
            .await
    }

    /// Like [`send`](Self::send), asking for an acknowledgement: the
    /// answer comes back as a [`Sent`] whose event is [`ACK`].
    pub async fn send_acked(&mut self, slot: usize, text: &str) -> Vec<Sent> {
        self.send_value(slot, SioValue::Str(text.to_owned().into(), None), true)
            .await
    }

    /// Like [`send`](Self::send) with binary attachments beside the text
    /// (or, with `text` empty, a binary-only message).
    pub async fn send_with_binary(
        &mut self,
        slot: usize,
        text: &str,
        attachments: Vec<Vec<u8>>,
    ) -> Vec<Sent> {
        let value = if text.is_empty() {
            SioValue::Bytes(attachments.concat().into())
        } else {
            let attachments = attachments.into_iter().map(Into::into).collect();
            SioValue::Str(text.to_owned().into(), Some(attachments))
        };
        self.send_value(slot, value, false).await
    }

    async fn send_value(&mut self, slot: usize, value: SioValue, acked: bool) -> Vec<Sent> {
        let Some(Some(peer)) = self.slots.get(slot) else {
            return Vec::new();
        };
        let client = peer.client.clone();
        let recorder = peer.recorder.clone();
        let ack = acked.then(|| {
            let recorder = recorder.clone();
            let record: Box<dyn FnOnce(String) + Send> = Box::new(move |payload| {
                recorder.sent.lock().push(Sent {
                    event: ACK.to_owned(),
                    payload,
                });
            });
            Ack::Recorded(record)
        });
        let incoming = Incoming::<LocalAdapter> { value, ack };
        if let Some(in_flight) = requests::handle(&self.engine, &client, incoming).await {
            let (reply, outcome) = in_flight.await;
            requests::answer_trigger(reply, outcome).await;
        }
        self.settle().await;
        recorder.take()
    }

    /// The client in `slot` goes.
    pub async fn disconnect(&mut self, slot: usize, how: Gone) {
        let Some(peer) = self.slots.get_mut(slot).and_then(Option::take) else {
            return;
        };
        let ending = match how {
            Gone::Ended => Ending::Ended,
            Gone::Dropped => Ending::Dropped,
        };
        self.gone(peer, ending).await;
        self.settle().await;
    }

    /// Runs the disconnections the server itself asked for (a takeover, a
    /// kick that ends a connection, a slow member dropped), as socketioxide
    /// would report them.
    async fn settle(&mut self) {
        for slot in 0..self.slots.len() {
            let closed = self.slots[slot]
                .as_ref()
                .is_some_and(|peer| peer.recorder.closed.load(Ordering::Acquire));
            if closed && let Some(peer) = self.slots[slot].take() {
                let client = &peer.client;
                let ending = if client.is_taken_over() {
                    Ending::TakenOver
                } else if peer.recorder.dropped.load(Ordering::Acquire) {
                    client.mark_dropped();
                    Ending::Dropped
                } else {
                    Ending::Ended
                };
                self.gone(peer, ending).await;
            }
        }
    }

    async fn gone(&self, peer: Peer, ending: Ending) {
        if !self.engine.is_stopped() {
            self.engine.connection_gone(&peer.client, ending).await;
        }
    }
}

/// A transport that records what is sent to it.
#[derive(Default)]
struct Recorder {
    sent: Mutex<Vec<Sent>>,
    /// The server closed it (for good, or as a dropped transport).
    closed: AtomicBool,
    /// The server dropped its transport (the session is held).
    dropped: AtomicBool,
    released: AtomicBool,
}

impl Recorder {
    fn take(&self) -> Vec<Sent> {
        std::mem::take(&mut *self.sent.lock())
    }

    fn record(&self, event: &str, payload: &RawValue) -> Result<(), SendFailure> {
        if self.released.load(Ordering::Acquire) {
            return Err(SendFailure::Gone);
        }
        self.sent.lock().push(Sent {
            event: event.to_owned(),
            payload: payload.get().to_owned(),
        });
        Ok(())
    }
}

impl Connection for Arc<Recorder> {
    fn emit_raw(&self, event: &str, payload: &RawValue) -> Result<(), SendFailure> {
        self.record(event, payload)
    }

    fn offer_raw(&self, event: &str, payload: &RawValue) -> Result<(), SendFailure> {
        self.record(event, payload)
    }

    fn join(&self, _keys: Vec<String>) {}

    fn leave(&self, _keys: Vec<String>) {}

    fn disconnect(&self) {
        self.closed.store(true, Ordering::Release);
    }

    fn drop_slow(&self) {
        self.drop_transport();
    }

    fn drop_transport(&self) {
        self.dropped.store(true, Ordering::Release);
        self.closed.store(true, Ordering::Release);
    }

    fn probe_full(&self) -> bool {
        false
    }

    fn detach(&self) {}

    fn release(&self) {
        self.released.store(true, Ordering::Release);
    }

    fn transport(&self) -> Transport {
        Transport::Websocket
    }

    fn peer(&self) -> Option<std::net::IpAddr> {
        None
    }

    fn headers(&self) -> HeaderMap {
        HeaderMap::new()
    }
}
