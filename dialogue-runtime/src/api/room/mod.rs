//! Rooms as the server's code sees them: [`Room`] (any room),
//! [`TypedRoom`] (a declared room, checked at compile time) and
//! [`ListenerHandle`].

use std::future::Future;
use std::marker::PhantomData;
use std::sync::{Arc, Weak};

use serde_json::{Map, Value};

use crate::api::client::ConnectedClient;
use crate::engine::Engine;
use crate::engine::publish::PublishOutcome;
use crate::error::{HistoryError, InvalidEventName, TriggerError};
use crate::protocol::{EventMessage, Position, RoomInfo, SYSTEM};
use crate::spec::{RoomEvents, Subscriptions};
use crate::state::room::{Listener, RoomState};
use crate::{Accepts, DeclaredRoom, DialogueApp, Event};

mod people;

/// A room of the running server, declared or created at run time.
///
/// ```no_run
/// # use dialogue_runtime::prelude::*;
/// # #[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
/// # pub struct Message { pub text: String }
/// # dialogue! { pub ChatApp { chat: { name: "Chat Room", events: [Message] } } }
/// # async fn run(dialogue: Dialogue<ChatApp>) {
/// for room in dialogue.rooms() {
///     println!("{}: {} of {:?}", room.name(), room.size(), room.max_size());
/// }
/// # }
/// ```
#[derive(Clone)]
pub struct Room {
    pub(crate) state: Arc<RoomState>,
    pub(crate) engine: Arc<Engine>,
}

impl std::fmt::Debug for Room {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Room")
            .field("id", &self.state.id)
            .finish_non_exhaustive()
    }
}

impl Room {
    pub(crate) fn new(state: Arc<RoomState>, engine: Arc<Engine>) -> Self {
        Self { state, engine }
    }

    /// The room id.
    pub fn id(&self) -> &str {
        &self.state.id
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.state.config.name
    }

    /// Its description.
    pub fn description(&self) -> Option<&str> {
        self.state.config.description.as_deref()
    }

    /// Its capacity.
    pub fn max_size(&self) -> Option<u32> {
        self.state.config.max_size
    }

    /// The events clients may trigger in it.
    pub fn events(&self) -> &RoomEvents {
        &self.state.config.events
    }

    /// What a joining client is subscribed to.
    pub fn default_subscriptions(&self) -> &Subscriptions {
        &self.state.config.default_subscriptions
    }

    /// The user who created it (rooms created at run time).
    pub fn created_by(&self) -> Option<&str> {
        self.state.config.created_by.as_deref()
    }

    /// Whether it is declared in `dialogue!` (rather than created at run
    /// time); per-user instances count as declared.
    pub fn is_declared(&self) -> bool {
        self.state.is_declared()
    }

    /// Members now.
    pub fn size(&self) -> usize {
        self.state.size()
    }

    /// Whether it holds `max_size` members.
    pub fn is_full(&self) -> bool {
        self.state.is_full()
    }

    /// The user a per-user room belongs to.
    pub fn owner(&self) -> Option<&str> {
        self.state.owner()
    }

    /// The room's latest position as this node knows it now: its epoch and
    /// the seq of its latest event (0 before the first).
    ///
    /// On several nodes, a room this node has only just started (a template
    /// instance made by [`Dialogue::instance`](crate::Dialogue::instance),
    /// say) reads its position from Redis first, which takes a round trip;
    /// until then its epoch is a stand-in that no client will recognize.
    /// Where that matters (a position handed to a client), use
    /// [`settled_position`](Self::settled_position).
    pub fn position(&self) -> Position {
        self.state.stream.position()
    }

    /// The room's latest position once this node has read the room's
    /// state: at once on one node; on several, after the first read from
    /// Redis of a room this node has only just started (and, while Redis
    /// cannot be reached, not before it can). Every event this node
    /// delivered before the call is included.
    ///
    /// ```no_run
    /// # use dialogue_runtime::prelude::*;
    /// # #[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
    /// # pub struct Edit { pub text: String }
    /// # dialogue! { pub Collab { doc: { id: "doc:{docId}", name: "Document", events: [Edit] } } }
    /// # async fn run(dialogue: Dialogue<Collab>) {
    /// let readme = dialogue.instance(Collab::doc("readme")).unwrap();
    /// let position = readme.settled_position().await;
    /// println!("a client resumes readme from {}:{}", position.epoch, position.seq);
    /// # }
    /// ```
    pub async fn settled_position(&self) -> Position {
        // The read of a room's position runs first in the room's delivery
        // order (state::redis::intake): whatever runs next sees its result.
        let delivery = self.state.stream.delivery().clone();
        delivery
            .run_in_order(Box::new(|_| Box::pin(async {})))
            .await;
        self.state.stream.position()
    }

    /// Its members connected to this server.
    pub fn participants(&self) -> Vec<ConnectedClient> {
        self.state
            .seats
            .members()
            .iter()
            .filter_map(|id| self.engine.state.directory.get(id))
            .map(|state| ConnectedClient::new(state, self.engine.clone()))
            .collect()
    }

    /// What clients learn about it.
    pub fn info(&self) -> RoomInfo {
        self.state.info()
    }

    /// Triggers an event by name with a JSON payload, as the server (`from`
    /// is `system` unless given). The payload of a declared event is
    /// validated, except in rooms that take any event.
    pub async fn trigger_json(
        &self,
        event: &str,
        data: Value,
        from: Option<&str>,
    ) -> Result<EventMessage, TriggerError> {
        let mut options = TriggerOptions::new();
        if let Some(from) = from {
            options = options.from(from);
        }
        self.trigger_json_with(event, data, options).await
    }

    /// Like [`trigger_json`](Self::trigger_json), with [`TriggerOptions`]:
    /// as whom, and with which `meta`.
    pub async fn trigger_json_with(
        &self,
        event: &str,
        data: Value,
        options: TriggerOptions,
    ) -> Result<EventMessage, TriggerError> {
        InvalidEventName::check(event)?;
        let from = options.from.as_deref().unwrap_or(SYSTEM);
        let meta = options.meta;
        let published = self
            .engine
            .publish(&self.state, event, &data, from, meta.as_ref(), None)
            .await?;
        let PublishOutcome {
            stamped,
            transformed,
            then,
        } = published;
        then.run().await;
        // What everyone received: `before_each` may have transformed it.
        Ok(transformed.unwrap_or_else(|| EventMessage {
            event: event.to_owned(),
            room_id: self.state.id.clone(),
            data,
            from: from.to_owned(),
            timestamp: stamped.timestamp(),
            seq: stamped.seq(),
            meta,
        }))
    }

    /// A page of the room's history of `event`, newest first, as a client's
    /// `getHistory` gets it (from memory, then the history store or
    /// `on_load`; at most 100 events).
    pub async fn history(
        &self,
        event: &str,
        start: u64,
        end: u64,
    ) -> Result<Vec<EventMessage>, HistoryError> {
        let page = self.engine.history(&self.state, event, start, end).await?;
        page.events
            .iter()
            .map(|stamped| {
                stamped
                    .message()
                    .map_err(|e| HistoryError::Store(e.to_string()))
            })
            .collect()
    }

    /// Calls `handler` with every `event` triggered in the room, by clients
    /// or the server, after it was broadcast.
    pub fn on_json<F, Fut>(&self, event: &str, handler: F) -> ListenerHandle
    where
        F: Fn(EventMessage) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let handler = Arc::new(handler);
        self.listen(event, move |message: &EventMessage| {
            let handler = handler.clone();
            let message = message.clone();
            Box::pin(async move { handler(message).await })
        })
    }

    fn listen(
        &self,
        event: &str,
        call: impl Fn(&EventMessage) -> std::pin::Pin<Box<dyn Future<Output = ()> + Send>>
        + Send
        + Sync
        + 'static,
    ) -> ListenerHandle {
        let id = self.engine.next_listener_id();
        self.state.add_listener(Listener {
            id,
            event: event.to_owned(),
            call: Arc::new(call),
        });
        ListenerHandle {
            room: Arc::downgrade(&self.state),
            id,
        }
    }
}

/// A declared room with its type: triggers and listeners are checked at
/// compile time against the events the room accepts.
///
/// ```no_run
/// # use dialogue_runtime::prelude::*;
/// #[derive(Event, Serialize, Deserialize, JsonSchema, TS, Clone)]
/// pub struct Message { pub text: String }
/// dialogue! { pub ChatApp { chat: { name: "Chat Room", events: [Message] } } }
///
/// # async fn run(dialogue: Dialogue<ChatApp>) -> Result<(), Box<dyn std::error::Error>> {
/// let chat = dialogue.room(ChatApp::chat());
/// chat.trigger(Message { text: "Welcome!".into() }).await?;
/// chat.on(|message: EventMessage<Message>| async move {
///     println!("{}: {}", message.from, message.data.text);
/// });
/// # Ok(()) }
/// ```
pub struct TypedRoom<A, R> {
    room: Room,
    _types: PhantomData<fn() -> (A, R)>,
}

impl<A, R> Clone for TypedRoom<A, R> {
    fn clone(&self) -> Self {
        Self {
            room: self.room.clone(),
            _types: PhantomData,
        }
    }
}

impl<A, R> std::ops::Deref for TypedRoom<A, R> {
    type Target = Room;

    fn deref(&self) -> &Room {
        &self.room
    }
}

impl<A: DialogueApp, R: DeclaredRoom<App = A>> TypedRoom<A, R> {
    pub(crate) fn new(room: Room) -> Self {
        Self {
            room,
            _types: PhantomData,
        }
    }

    /// Triggers `event` as the server (`from` is `system`).
    pub async fn trigger<E: Event>(&self, event: E) -> Result<EventMessage<E>, TriggerError>
    where
        R: Accepts<E>,
    {
        self.trigger_as(event, SYSTEM).await
    }

    /// Triggers `event` on behalf of the user `from`.
    pub async fn trigger_as<E: Event>(
        &self,
        event: E,
        from: &str,
    ) -> Result<EventMessage<E>, TriggerError>
    where
        R: Accepts<E>,
    {
        self.trigger_with(event, TriggerOptions::new().from(from))
            .await
    }

    /// Triggers `event` with [`TriggerOptions`]: as whom (default `system`)
    /// and with which `meta`.
    pub async fn trigger_with<E: Event>(
        &self,
        event: E,
        options: TriggerOptions,
    ) -> Result<EventMessage<E>, TriggerError>
    where
        R: Accepts<E>,
    {
        let from = options.from.as_deref().unwrap_or(SYSTEM);
        let meta = options.meta;
        let data = event
            .serialize_payload(serde_json::value::Serializer)
            .map_err(|e| TriggerError::Serialize {
                event: E::NAME.to_owned(),
                reason: e.to_string(),
            })?;
        let published = self
            .room
            .engine
            .publish(&self.room.state, E::NAME, &data, from, meta.as_ref(), None)
            .await?;
        let PublishOutcome {
            stamped,
            transformed,
            then,
        } = published;
        then.run().await;
        // What everyone received: `before_each` may have transformed it (and
        // validated the result against the schema, so it reads back as `E`).
        Ok(match transformed {
            Some(message) => {
                let data = E::deserialize_payload(message.data).unwrap_or(event);
                EventMessage {
                    event: message.event,
                    room_id: message.room_id,
                    data,
                    from: message.from,
                    timestamp: message.timestamp,
                    seq: message.seq,
                    meta: message.meta,
                }
            }
            None => EventMessage {
                event: E::NAME.to_owned(),
                room_id: self.room.state.id.clone(),
                data: event,
                from: from.to_owned(),
                timestamp: stamped.timestamp(),
                seq: stamped.seq(),
                meta,
            },
        })
    }

    /// Calls `handler` with every `E` triggered in the room, typed.
    pub fn on<E, F, Fut>(&self, handler: F) -> ListenerHandle
    where
        E: Event,
        R: Accepts<E>,
        F: Fn(EventMessage<E>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let handler = Arc::new(handler);
        let room = self.room.state.id.clone();
        self.room.listen(E::NAME, move |message: &EventMessage| {
            let typed = E::deserialize_payload(&message.data).map(|data| EventMessage {
                event: message.event.clone(),
                room_id: message.room_id.clone(),
                data,
                from: message.from.clone(),
                timestamp: message.timestamp,
                seq: message.seq,
                meta: message.meta.clone(),
            });
            let handler = handler.clone();
            let room = room.clone();
            Box::pin(async move {
                match typed {
                    Ok(message) => handler(message).await,
                    // The schema let through what the type refuses.
                    Err(error) => tracing::error!(
                        %room, event = E::NAME, %error,
                        "a listener's payload does not read as its type"
                    ),
                }
            })
        })
    }
}

/// How the server triggers an event: as whom (default `system`), and
/// with which `meta` (trace or correlation ids), passed to members through
/// unvalidated like a client's.
///
/// ```
/// use dialogue_runtime::TriggerOptions;
///
/// let mut meta = serde_json::Map::new();
/// meta.insert("traceId".into(), "4bf92f35".into());
/// let options = TriggerOptions::new().from("billing").meta(meta);
/// # let _ = options;
/// ```
#[derive(Debug, Clone, Default)]
pub struct TriggerOptions {
    from: Option<String>,
    meta: Option<Map<String, Value>>,
}

impl TriggerOptions {
    /// As the server (`system`), without `meta`.
    pub fn new() -> Self {
        Self::default()
    }

    /// On behalf of the user `from`.
    pub fn from(mut self, from: impl Into<String>) -> Self {
        self.from = Some(from.into());
        self
    }

    /// With `meta` on the envelope.
    pub fn meta(mut self, meta: Map<String, Value>) -> Self {
        self.meta = Some(meta);
        self
    }
}

/// Unregisters a listener; dropping it keeps the listener.
#[derive(Debug)]
pub struct ListenerHandle {
    room: Weak<RoomState>,
    id: u64,
}

impl ListenerHandle {
    /// Stops the listener; `false` if it was already gone.
    pub fn unsubscribe(self) -> bool {
        self.room
            .upgrade()
            .is_some_and(|room| room.remove_listener(self.id))
    }
}
