//! The server API's handles: rooms, typed rooms, connected clients and
//! listeners. Each is cheap to clone and refers to the live server.

use std::future::Future;
use std::marker::PhantomData;
use std::sync::{Arc, Weak};

use serde::Serialize;
use serde_json::{Map, Value};

use crate::client::ClientState;
use crate::engine::Engine;
use crate::envelope::{EventMessage, SYSTEM};
use crate::error::{HistoryError, JoinError, LeaveError, SubscribeError, TriggerError};
use crate::protocol::{RoomIdPayload, RoomInfo, names};
use crate::room::{Listener, RoomState};
use crate::rules::WILDCARD;
use crate::spec::{RoomEvents, Subscriptions};
use crate::{Accepts, DeclaredRoom, DialogueApp, Event};

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
    /// The room id.
    pub fn id(&self) -> &str {
        &self.state.id
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.state.name
    }

    /// Its description.
    pub fn description(&self) -> Option<&str> {
        self.state.description.as_deref()
    }

    /// Its capacity.
    pub fn max_size(&self) -> Option<u32> {
        self.state.max_size
    }

    /// The events clients may trigger in it.
    pub fn events(&self) -> &RoomEvents {
        &self.state.events
    }

    /// What a joining client is subscribed to.
    pub fn default_subscriptions(&self) -> &Subscriptions {
        &self.state.default_subscriptions
    }

    /// The user who created it (rooms created at run time).
    pub fn created_by(&self) -> Option<&str> {
        self.state.created_by.as_deref()
    }

    /// Whether it is declared in `dialogue!` (rather than created at run time).
    pub fn is_declared(&self) -> bool {
        self.state.declared
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
        self.state.owner.as_deref()
    }

    /// Its members.
    pub fn participants(&self) -> Vec<ConnectedClient> {
        self.state
            .members()
            .into_iter()
            .map(|state| ConnectedClient {
                state,
                engine: self.engine.clone(),
            })
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
        crate::rules::check_event_name(event).map_err(|source| TriggerError::InvalidEventName {
            name: event.to_owned(),
            source,
        })?;
        let from = from.unwrap_or(SYSTEM);
        let publication = self
            .engine
            .publish(&self.state, event, &data, from, None)
            .await?;
        // What everyone received: `before_each` may have transformed it.
        let received = publication.transformed().cloned();
        let timestamp = publication.published.timestamp();
        self.engine.after_publish(publication).await;
        Ok(received.unwrap_or_else(|| EventMessage {
            event: event.to_owned(),
            room_id: self.state.id.clone(),
            data,
            from: from.to_owned(),
            timestamp,
            meta: None,
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
            .map(|published| {
                published
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
        let data = event
            .serialize_payload(serde_json::value::Serializer)
            .map_err(|e| TriggerError::Serialize {
                event: E::NAME.to_owned(),
                reason: e.to_string(),
            })?;
        let engine = &self.room.engine;
        let publication = engine
            .publish(&self.room.state, E::NAME, &data, from, None)
            .await?;
        // What everyone received: `before_each` may have transformed it (and
        // validated the result against the schema, so it reads back as `E`).
        let received = publication.transformed().cloned();
        let timestamp = publication.published.timestamp();
        engine.after_publish(publication).await;
        Ok(match received {
            Some(message) => {
                let data = E::deserialize_payload(message.data).unwrap_or(event);
                EventMessage {
                    event: message.event,
                    room_id: message.room_id,
                    data,
                    from: message.from,
                    timestamp: message.timestamp,
                    meta: message.meta,
                }
            }
            None => EventMessage {
                event: E::NAME.to_owned(),
                room_id: self.room.state.id.clone(),
                data: event,
                from: from.to_owned(),
                timestamp,
                meta: None,
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

/// A connected client, as the server sees it.
#[derive(Clone)]
pub struct ConnectedClient {
    pub(crate) state: Arc<ClientState>,
    pub(crate) engine: Arc<Engine>,
}

impl std::fmt::Debug for ConnectedClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectedClient")
            .field("id", &self.state.id)
            .field("user_id", &self.state.user_id)
            .finish_non_exhaustive()
    }
}

/// Why a message could not be sent to a client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The client is gone.
    #[error("the client is disconnected")]
    Disconnected,
    /// The payload could not be serialized.
    #[error("cannot serialize the message: {0}")]
    Serialize(String),
}

impl ConnectedClient {
    /// The connection id (unique per connection).
    pub fn id(&self) -> &str {
        &self.state.id
    }

    /// The application's user id (one user may hold several connections).
    pub fn user_id(&self) -> &str {
        &self.state.user_id
    }

    /// What authentication established (claims), if any.
    pub fn auth(&self) -> Option<&Value> {
        self.state.auth.as_ref()
    }

    /// The handshake's auth object without `userId`.
    pub fn meta(&self) -> &Map<String, Value> {
        &self.state.meta
    }

    /// Whether it is still connected.
    pub fn is_connected(&self) -> bool {
        self.state.is_connected()
    }

    /// Joins a room on the client's behalf; the client receives
    /// `dialogue:joined` (and history) as if it had asked.
    pub async fn join(&self, room_id: &str) -> Result<(), JoinError> {
        let outcome = self.engine.join(&self.state, room_id).await?;
        self.engine.notify_joined(&self.state, &outcome);
        self.engine.joined(&self.state, &outcome).await;
        Ok(())
    }

    /// Leaves a room; the client receives `dialogue:left` when it was in it.
    pub async fn leave(&self, room_id: &str) -> Result<(), LeaveError> {
        if self.engine.leave(&self.state, room_id)? {
            let _ = self
                .state
                .socket
                .emit(names::LEFT, &RoomIdPayload { room_id });
            self.engine.left(&self.state, room_id).await;
        }
        Ok(())
    }

    /// Subscribes to an event in a joined room.
    pub fn subscribe(&self, room_id: &str, event: &str) -> Result<(), SubscribeError> {
        self.engine.subscribe(&self.state, room_id, event)
    }

    /// Subscribes to every event in a joined room.
    pub fn subscribe_all(&self, room_id: &str) -> Result<(), SubscribeError> {
        self.engine.subscribe(&self.state, room_id, WILDCARD)
    }

    /// Unsubscribes from an event (`*`: from the wildcard) in a joined room.
    pub fn unsubscribe(&self, room_id: &str, event: &str) -> Result<(), SubscribeError> {
        self.engine.unsubscribe(&self.state, room_id, event)
    }

    /// The rooms joined, sorted.
    pub fn rooms(&self) -> Vec<String> {
        self.state.room_ids()
    }

    /// The subscriptions in a joined room (`*` for all); empty if not joined.
    pub fn subscriptions(&self, room_id: &str) -> Vec<String> {
        self.state.subscriptions(room_id).unwrap_or_default()
    }

    /// Sends `data` as `event` to this client only.
    pub fn send<T: Serialize + ?Sized>(&self, event: &str, data: &T) -> Result<(), SendError> {
        if !self.state.is_connected() {
            return Err(SendError::Disconnected);
        }
        self.state
            .socket
            .emit(event, data)
            .map_err(|error| match error {
                socketioxide::SendError::Serialize(e) => SendError::Serialize(e.to_string()),
                _ => SendError::Disconnected,
            })
    }

    /// Disconnects the client; its rooms are left as on any disconnection.
    pub fn disconnect(&self) {
        let _ = self.state.socket.clone().disconnect();
    }
}

/// The rooms a user is in, across all of their connections.
#[derive(Debug, Clone)]
pub struct ClientRooms {
    /// The room ids, sorted.
    pub ids: Vec<String>,
    clients: Vec<ConnectedClient>,
}

impl ClientRooms {
    pub(crate) fn new(clients: Vec<ConnectedClient>) -> Self {
        let mut ids: Vec<String> = clients.iter().flat_map(ConnectedClient::rooms).collect();
        ids.sort();
        ids.dedup();
        Self { ids, clients }
    }

    /// Calls `f` with each room id.
    pub fn for_all(&self, mut f: impl FnMut(&str)) {
        self.ids.iter().for_each(|id| f(id));
    }

    /// Removes the user from every room (all connections), calling `f` with
    /// each room id after leaving it.
    pub async fn leave_all(&self, mut f: impl FnMut(&str)) {
        for id in &self.ids {
            for client in &self.clients {
                let _ = client.leave(id).await;
            }
            f(id);
        }
    }
}
