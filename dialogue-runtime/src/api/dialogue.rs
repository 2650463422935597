//! [`Dialogue`]: the server of one declared application, and its builder.

use std::future::Future;
use std::marker::PhantomData;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::serve::ListenerExt;
use serde_json::Value;
use socketioxide::SocketIo;
use socketioxide::extract::{SocketRef, TryData};
use socketioxide::handler::ConnectHandler;
use tokio::net::{TcpListener, ToSocketAddrs};

use crate::cors::Cors;
use crate::engine::{Engine, NewRoom};
use crate::envelope::EventMessage;
use crate::error::{CreateRoomError, DeleteRoomError, TriggerError, ValidationIssue};
use crate::handles::{ClientRooms, ConnectedClient, ListenerHandle, Room, TypedRoom};
use crate::history::HistoryStore;
use crate::hooks::{Evicted, Handshake, HookError, Hooks, Identity, LoadRequest, SocketInfo};
use crate::jwt::{JwtAuth, JwtError};
use crate::limits::Limits;
use crate::session;
use crate::spec::{AppSpec, RoomEvents, Subscriptions};
use crate::validation::{BuildError, EventTable};
use crate::{Accepts, DeclaredRoom, DialogueApp, Event, PerUserRoom, SharedRoom};

/// The server of the application `A`: its rooms, clients and history, the
/// Socket.IO endpoint, and the API to trigger events and manage rooms from
/// Rust. Cheap to clone: clones share the server.
///
/// ```no_run
/// use dialogue_runtime::prelude::*;
///
/// #[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
/// pub struct Message {
///     pub text: String,
/// }
///
/// dialogue! { pub ChatApp { chat: { name: "Chat Room", events: [Message] } } }
///
/// #[tokio::main]
/// async fn main() -> Result<(), Box<dyn std::error::Error>> {
///     let dialogue = Dialogue::<ChatApp>::builder().build()?;
///     dialogue.room(ChatApp::chat()).on(|message: EventMessage<Message>| async move {
///         println!("{}: {}", message.from, message.data.text);
///     });
///     dialogue.serve("127.0.0.1:3000").await?;
///     Ok(())
/// }
/// ```
pub struct Dialogue<A> {
    engine: Arc<Engine>,
    _app: PhantomData<fn() -> A>,
}

impl<A> Clone for Dialogue<A> {
    fn clone(&self) -> Self {
        Self {
            engine: self.engine.clone(),
            _app: PhantomData,
        }
    }
}

impl<A> std::fmt::Debug for Dialogue<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dialogue")
            .field("app", &self.engine.spec.name)
            .finish_non_exhaustive()
    }
}

/// Configures a [`Dialogue`] before it starts.
pub struct DialogueBuilder<A> {
    hooks: Hooks,
    cors: Cors,
    store: Option<Arc<dyn HistoryStore>>,
    limits: Limits,
    transport_limit: Option<usize>,
    _app: PhantomData<fn() -> A>,
}

impl<A> std::fmt::Debug for DialogueBuilder<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DialogueBuilder")
            .field("store", &self.store.is_some())
            .field("limits", &self.limits)
            .field("transport_limit", &self.transport_limit)
            .finish()
    }
}

impl<A: DialogueApp> DialogueBuilder<A> {
    /// Keeps history in `store` too (write-through), so clients page past
    /// what memory holds.
    pub fn history_store(mut self, store: impl HistoryStore) -> Self {
        self.store = Some(Arc::new(store));
        self
    }

    /// Sets every limit at once (see [`Limits`]).
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The largest `data` (and `meta`) a client may trigger, in bytes of JSON;
    /// past it `PAYLOAD_TOO_LARGE`. Default 64 KiB.
    pub fn max_payload(mut self, bytes: usize) -> Self {
        self.limits.max_payload = bytes;
        self
    }

    /// At most `per_second` triggers per second per connection; past it
    /// `RATE_LIMITED`.
    pub fn trigger_rate(mut self, per_second: NonZeroU32) -> Self {
        self.limits.triggers_per_second = Some(per_second);
        self
    }

    /// At most `per_minute` `getHistory` requests per minute per connection;
    /// past it `RATE_LIMITED`.
    pub fn history_rate(mut self, per_minute: NonZeroU32) -> Self {
        self.limits.history_requests_per_minute = Some(per_minute);
        self
    }

    /// At most `rooms` rooms per connection; past it `JOIN_DENIED`.
    pub fn max_rooms_per_connection(mut self, rooms: usize) -> Self {
        self.limits.rooms_per_connection = Some(rooms);
        self
    }

    /// At most `rooms` rooms created by clients at once, and `per_user` per
    /// user; past them `PERMISSION_DENIED`.
    pub fn max_dynamic_rooms(mut self, rooms: usize, per_user: usize) -> Self {
        self.limits.dynamic_rooms = Some(rooms);
        self.limits.dynamic_rooms_per_user = Some(per_user);
        self
    }

    /// The largest Socket.IO message a client may send; anything longer
    /// closes the connection. By default twice `max_payload` plus 16 KiB, so
    /// an oversized payload gets `PAYLOAD_TOO_LARGE` and the connection stays,
    /// while a message far past it is cut by the transport.
    pub fn transport_limit(mut self, bytes: usize) -> Self {
        self.transport_limit = Some(bytes);
        self
    }

    /// Decides who a connection is, during the handshake: return the
    /// [`Identity`], or refuse (`HookError::refuse(reason)`: the client's
    /// `connect_error` says `reason`). Without it, the user id is
    /// `auth.userId` or the connection id. See also [`jwt`](Self::jwt).
    pub fn authenticate<F, Fut>(mut self, hook: F) -> Self
    where
        F: Fn(Dialogue<A>, Handshake) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Identity, HookError>> + Send + 'static,
    {
        self.hooks.authenticate = Some(Arc::new(move |engine, handshake| {
            Box::pin(hook(Dialogue::from_engine(engine), handshake))
        }));
        self
    }

    /// Authenticates with JWTs from `auth.token`: `sub` becomes the user id,
    /// the claims `client.auth()`. Replaces any `authenticate` hook.
    pub fn jwt(self, jwt: JwtAuth) -> Self {
        let jwt = Arc::new(jwt);
        self.authenticate(move |_, handshake| {
            let jwt = jwt.clone();
            async move { jwt.authenticate(&handshake).map_err(JwtError::refusal) }
        })
    }

    /// Runs when a socket is connected and greeted, before `on_connected`.
    pub fn on_connect<F, Fut>(mut self, hook: F) -> Self
    where
        F: Fn(Dialogue<A>, SocketInfo) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.hooks.on_connect = Some(Arc::new(move |engine, info| {
            Box::pin(hook(Dialogue::from_engine(engine), info))
        }));
        self
    }

    /// Runs when a socket is gone, after `on_disconnected` and `on_left`.
    pub fn on_disconnect<F, Fut>(mut self, hook: F) -> Self
    where
        F: Fn(Dialogue<A>, SocketInfo) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.hooks.on_disconnect = Some(Arc::new(move |engine, info| {
            Box::pin(hook(Dialogue::from_engine(engine), info))
        }));
        self
    }

    /// Runs when a client is connected; its requests wait until it returns,
    /// so it may put the client in rooms first.
    pub fn on_connected<F, Fut>(mut self, hook: F) -> Self
    where
        F: Fn(Dialogue<A>, ConnectedClient) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.hooks.on_connected = Some(Arc::new(move |engine, client| {
            Box::pin(hook(Dialogue::from_engine(engine), client))
        }));
        self
    }

    /// Runs when a client disconnects, while it is still in its rooms.
    pub fn on_disconnected<F, Fut>(mut self, hook: F) -> Self
    where
        F: Fn(Dialogue<A>, ConnectedClient) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.hooks.on_disconnected = Some(Arc::new(move |engine, client| {
            Box::pin(hook(Dialogue::from_engine(engine), client))
        }));
        self
    }

    /// Decides whether a client may join a room: `Ok(())`, or refuse
    /// (`JOIN_DENIED` with the reason). Runs after the room's own rules.
    pub fn before_join<F, Fut>(mut self, hook: F) -> Self
    where
        F: Fn(Dialogue<A>, ConnectedClient, Room) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), HookError>> + Send + 'static,
    {
        self.hooks.before_join = Some(Arc::new(move |engine, (client, room)| {
            Box::pin(hook(Dialogue::from_engine(engine), client, room))
        }));
        self
    }

    /// Runs after a client joined a room (and got its answer).
    pub fn on_joined<F, Fut>(mut self, hook: F) -> Self
    where
        F: Fn(Dialogue<A>, ConnectedClient, String) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.hooks.on_joined = Some(Arc::new(move |engine, (client, room_id)| {
            Box::pin(hook(Dialogue::from_engine(engine), client, room_id))
        }));
        self
    }

    /// Runs after a client left a room: asked, deleted room or disconnection.
    pub fn on_left<F, Fut>(mut self, hook: F) -> Self
    where
        F: Fn(Dialogue<A>, ConnectedClient, String) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.hooks.on_left = Some(Arc::new(move |engine, (client, room_id)| {
            Box::pin(hook(Dialogue::from_engine(engine), client, room_id))
        }));
        self
    }

    /// Runs after a room was created at run time (and everyone was told).
    pub fn on_room_created<F, Fut>(mut self, hook: F) -> Self
    where
        F: Fn(Dialogue<A>, Room) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.hooks.on_room_created = Some(Arc::new(move |engine, room| {
            Box::pin(hook(Dialogue::from_engine(engine), room))
        }));
        self
    }

    /// Runs after a room was deleted (and everyone was told).
    pub fn on_room_deleted<F, Fut>(mut self, hook: F) -> Self
    where
        F: Fn(Dialogue<A>, String) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.hooks.on_room_deleted = Some(Arc::new(move |engine, room_id| {
            Box::pin(hook(Dialogue::from_engine(engine), room_id))
        }));
        self
    }

    /// Decides every event before it is broadcast, the server's included:
    /// return the message to send (the same, or with other `data`, `meta` or
    /// `from`; it is validated again), or refuse (`EVENT_NOT_ALLOWED` with the
    /// reason). The event name and room cannot change.
    pub fn before_each<F, Fut>(mut self, hook: F) -> Self
    where
        F: Fn(Dialogue<A>, EventMessage) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<EventMessage, HookError>> + Send + 'static,
    {
        self.hooks.before_each = Some(Arc::new(move |engine, message| {
            Box::pin(hook(Dialogue::from_engine(engine), message))
        }));
        self
    }

    /// Runs after each event was broadcast, with how many sockets it was sent
    /// to (counting them costs a walk over the recipients).
    pub fn after_each<F, Fut>(mut self, hook: F) -> Self
    where
        F: Fn(Dialogue<A>, EventMessage, usize) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.hooks.after_each = Some(Arc::new(move |engine, (message, recipients)| {
            Box::pin(hook(Dialogue::from_engine(engine), message, recipients))
        }));
        self
    }

    /// Runs after each event, after `after_each`.
    pub fn on_triggered<F, Fut>(mut self, hook: F) -> Self
    where
        F: Fn(Dialogue<A>, EventMessage) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.hooks.on_triggered = Some(Arc::new(move |engine, message| {
            Box::pin(hook(Dialogue::from_engine(engine), message))
        }));
        self
    }

    /// Receives events as they leave a room's in-memory history, one call per
    /// event, in order: persist them to page past memory with `on_load`.
    pub fn on_cleanup<F, Fut>(mut self, hook: F) -> Self
    where
        F: Fn(Dialogue<A>, Evicted) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.hooks.on_cleanup = Some(Arc::new(move |engine, evicted| {
            Box::pin(hook(Dialogue::from_engine(engine), evicted))
        }));
        self
    }

    /// Loads history older than memory holds (newest first), when no
    /// [`HistoryStore`] is set. See [`LoadRequest`] for the indices.
    pub fn on_load<F, Fut>(mut self, hook: F) -> Self
    where
        F: Fn(Dialogue<A>, LoadRequest) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Vec<EventMessage>, HookError>> + Send + 'static,
    {
        self.hooks.on_load = Some(Arc::new(move |engine, request| {
            Box::pin(hook(Dialogue::from_engine(engine), request))
        }));
        self
    }

    /// Which browser origins may connect (default: all, for development).
    /// Applies to the long-polling transport and the routes of
    /// [`Dialogue::router`].
    pub fn cors(mut self, cors: Cors) -> Self {
        self.cors = cors;
        self
    }

    /// How long a hook may run before it counts as failed (default 10 s).
    pub fn hook_timeout(mut self, timeout: Duration) -> Self {
        self.hooks.timeout = timeout;
        self
    }

    /// Compiles the application's schemas and prepares the server. Call it
    /// inside a Tokio runtime.
    pub fn build(self) -> Result<Dialogue<A>, BuildError> {
        let spec: &'static AppSpec = A::spec();
        let events = EventTable::compile(spec)?;
        let transport_limit = self.transport_limit.unwrap_or_else(|| {
            self.limits
                .max_payload
                .saturating_mul(2)
                .saturating_add(16 * 1024)
        });
        let (layer, io) = SocketIo::builder()
            .max_payload(transport_limit as u64)
            .ws_max_message_size(transport_limit)
            .ws_max_frame_size(transport_limit)
            .max_buffer_size(session::OUTGOING_CAPACITY)
            .build_layer();
        let engine = Engine::new(
            spec,
            events,
            io.clone(),
            layer,
            self.cors.layer(),
            self.limits,
            self.hooks,
            self.store,
        );
        register_namespace(&io, &engine);
        Ok(Dialogue::from_engine(engine))
    }
}

/// The default namespace: the middleware sets each socket up before it is
/// acknowledged, the handler greets it.
fn register_namespace(io: &SocketIo, engine: &Arc<Engine>) {
    let greeter = engine.clone();
    let engine = engine.clone();
    let middleware = move |socket: SocketRef, auth: TryData<Value>| {
        let engine = engine.clone();
        async move { session::connect(engine, socket, session::auth_object(auth)).await }
    };
    let handler = move |socket: SocketRef| {
        let engine = greeter.clone();
        async move { session::connected(engine, socket).await }
    };
    io.ns("/", handler.with(middleware));
}

/// Why serving stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address as given.
        addr: String,
        /// The system's reason.
        source: std::io::Error,
    },
    /// Accepting connections failed.
    #[error("the server stopped: {0}")]
    Io(#[from] std::io::Error),
}

/// A room created at run time from the server, see [`Dialogue::create_room`].
///
/// ```
/// use dialogue_runtime::RoomOptions;
///
/// let options = RoomOptions::new("game-42", "Game 42").max_size(4).created_by("alice");
/// assert_eq!(options.id, "game-42");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct RoomOptions {
    /// The room id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its description.
    pub description: Option<String>,
    /// Its capacity.
    pub max_size: Option<u32>,
    /// The events clients may trigger: any by default.
    pub events: RoomEvents,
    /// What joiners are subscribed to: everything by default.
    pub default_subscriptions: Subscriptions,
    /// The creator, who alone may delete it from a client.
    pub created_by: Option<String>,
}

impl RoomOptions {
    /// A room that takes any event and subscribes joiners to all of them.
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            name: name.into(),
            description: None,
            max_size: None,
            events: RoomEvents::Any,
            default_subscriptions: Subscriptions::All,
            created_by: None,
        }
    }

    /// Sets the description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Sets the capacity.
    pub fn max_size(mut self, max_size: u32) -> Self {
        self.max_size = Some(max_size);
        self
    }

    /// Sets the events clients may trigger (names of declared events are
    /// validated against their schemas).
    pub fn events(mut self, events: RoomEvents) -> Self {
        self.events = events;
        self
    }

    /// Sets what joiners are subscribed to.
    pub fn default_subscriptions(mut self, subscriptions: Subscriptions) -> Self {
        self.default_subscriptions = subscriptions;
        self
    }

    /// Records the creator.
    pub fn created_by(mut self, user_id: impl Into<String>) -> Self {
        self.created_by = Some(user_id.into());
        self
    }
}

impl<A: DialogueApp> Dialogue<A> {
    /// Starts configuring a server.
    pub fn builder() -> DialogueBuilder<A> {
        DialogueBuilder {
            hooks: Hooks::default(),
            cors: Cors::default(),
            store: None,
            limits: Limits::default(),
            transport_limit: None,
            _app: PhantomData,
        }
    }

    /// The typed view of a running engine.
    pub(crate) fn from_engine(engine: Arc<Engine>) -> Self {
        Self {
            engine,
            _app: PhantomData,
        }
    }

    /// The application's spec model.
    pub fn spec(&self) -> &'static AppSpec {
        self.engine.spec
    }

    fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    fn wrap(&self, state: Arc<crate::room::RoomState>) -> Room {
        Room {
            state,
            engine: self.engine().clone(),
        }
    }

    /// A declared room, typed.
    pub fn room<R: DeclaredRoom<App = A> + SharedRoom>(&self, room: R) -> TypedRoom<A, R> {
        let state = self
            .engine()
            .rooms
            .get(room.id())
            .unwrap_or_else(|| unreachable!("declared rooms are never removed"));
        TypedRoom::new(self.wrap(state))
    }

    /// One user's instance of a per-user room (declared with `{userId}` in
    /// its id), made on first use: what the server pushes there, the user
    /// receives (and only they may join it).
    pub fn user_room<R: DeclaredRoom<App = A> + PerUserRoom>(
        &self,
        room: R,
        user_id: &str,
    ) -> TypedRoom<A, R> {
        let engine = self.engine();
        let template = engine
            .rooms
            .template(room.id())
            .unwrap_or_else(|| unreachable!("per-user rooms are declared"));
        TypedRoom::new(self.wrap(engine.rooms.instance(template, user_id)))
    }

    /// Checks `data` against the schema of the declared event `event`, as the
    /// server does before broadcasting; `Ok` for an event that is not
    /// declared (nothing to check).
    ///
    /// ```no_run
    /// # use dialogue_runtime::prelude::*;
    /// # #[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
    /// # pub struct Message { #[schemars(length(min = 1))] pub text: String }
    /// # dialogue! { pub ChatApp { chat: { name: "Chat Room", events: [Message] } } }
    /// # fn run(dialogue: Dialogue<ChatApp>) {
    /// let issues = dialogue.validate("message", &serde_json::json!({ "text": "" })).unwrap_err();
    /// assert_eq!(issues[0].path, "/text");
    /// # }
    /// ```
    pub fn validate(&self, event: &str, data: &Value) -> Result<(), Vec<ValidationIssue>> {
        match self.engine().events.get(event) {
            Some(declared) => declared.validate(data),
            None => Ok(()),
        }
    }

    /// Any room by id, declared or created at run time.
    pub fn room_by_id(&self, id: &str) -> Option<Room> {
        self.engine().rooms.get(id).map(|state| self.wrap(state))
    }

    /// Every room: declared ones first, in declaration order.
    pub fn rooms(&self) -> Vec<Room> {
        self.engine()
            .rooms
            .all()
            .into_iter()
            .map(|state| self.wrap(state))
            .collect()
    }

    /// Triggers `event` in a declared room as the server; a room that does not
    /// accept the event does not compile.
    pub async fn trigger<R, E>(&self, room: R, event: E) -> Result<EventMessage<E>, TriggerError>
    where
        R: DeclaredRoom<App = A> + SharedRoom + Accepts<E>,
        E: Event,
    {
        self.room(room).trigger(event).await
    }

    /// Triggers an event by name in any room (for rooms created at run time),
    /// as `from` or the server.
    pub async fn trigger_json(
        &self,
        room_id: &str,
        event: &str,
        data: Value,
        from: Option<&str>,
    ) -> Result<EventMessage, TriggerError> {
        match self.room_by_id(room_id) {
            Some(room) => room.trigger_json(event, data, from).await,
            None => Err(TriggerError::RoomNotFound(room_id.to_owned())),
        }
    }

    /// Calls `handler` with every `E` triggered in a declared room.
    pub fn on<R, E, F, Fut>(&self, room: R, handler: F) -> ListenerHandle
    where
        R: DeclaredRoom<App = A> + SharedRoom + Accepts<E>,
        E: Event,
        F: Fn(EventMessage<E>) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        self.room(room).on(handler)
    }

    /// Creates a room at run time; every client is told (`dialogue:roomCreated`).
    pub async fn create_room(&self, options: RoomOptions) -> Result<Room, CreateRoomError> {
        let state = self
            .engine()
            .create_room(
                NewRoom {
                    id: options.id,
                    name: options.name,
                    description: options.description,
                    max_size: options.max_size,
                    events: options.events,
                    default_subscriptions: options.default_subscriptions,
                    created_by: options.created_by,
                },
                false,
            )
            .await?;
        self.engine().room_created(&state).await;
        Ok(self.wrap(state))
    }

    /// Deletes a room created at run time; its members are removed and every
    /// client is told (`dialogue:roomDeleted`). Declared rooms stay.
    pub async fn delete_room(&self, id: &str) -> Result<(), DeleteRoomError> {
        let removed = self.engine().delete_room(id, None).await?;
        self.engine().room_deleted(id, removed).await;
        Ok(())
    }

    fn connected(&self, clients: Vec<Arc<crate::client::ClientState>>) -> Vec<ConnectedClient> {
        clients
            .into_iter()
            .map(|state| ConnectedClient {
                state,
                engine: self.engine().clone(),
            })
            .collect()
    }

    /// The connection with this id.
    pub fn get_client(&self, client_id: &str) -> Option<ConnectedClient> {
        self.engine()
            .clients
            .get(client_id)
            .map(|state| ConnectedClient {
                state,
                engine: self.engine().clone(),
            })
    }

    /// The connections of one user.
    pub fn get_clients(&self, user_id: &str) -> Vec<ConnectedClient> {
        self.connected(self.engine().clients.of_user(user_id))
    }

    /// Every connected client.
    pub fn get_all_clients(&self) -> Vec<ConnectedClient> {
        self.connected(self.engine().clients.all())
    }

    /// The rooms a user is in, across their connections.
    pub fn get_client_rooms(&self, user_id: &str) -> ClientRooms {
        ClientRooms::new(self.get_clients(user_id))
    }

    /// Whether any connection of the user is in the room.
    pub fn is_in_room(&self, user_id: &str, room_id: &str) -> bool {
        self.engine()
            .clients
            .of_user(user_id)
            .iter()
            .any(|client| client.is_member(room_id))
    }

    /// The Socket.IO endpoint (at `/socket.io/`) as an axum router, to serve
    /// alone or next to your own routes:
    ///
    /// ```no_run
    /// # use dialogue_runtime::prelude::*;
    /// # #[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
    /// # pub struct Message { pub text: String }
    /// # dialogue! { pub ChatApp { chat: { name: "Chat Room", events: [Message] } } }
    /// # async fn run(dialogue: Dialogue<ChatApp>) -> std::io::Result<()> {
    /// let app = axum::Router::new()
    ///     .route("/health", axum::routing::get(|| async { "ok" }))
    ///     .merge(dialogue.router());
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    /// axum::serve(listener, app).await
    /// # }
    /// ```
    ///
    /// Requests that are not for `/socket.io/` get 404 from it, so it merges
    /// with routers that have no fallback of their own.
    pub fn router(&self) -> axum::Router {
        // CORS wraps the Socket.IO layer: a preflight must be answered before
        // the polling transport sees the request.
        let router = axum::Router::new().layer(self.engine.layer.clone());
        match &self.engine.cors {
            Some(cors) => router.layer(cors.clone()),
            None => router,
        }
    }

    /// Binds `addr` and serves until [`shutdown`](Self::shutdown).
    pub async fn serve(
        &self,
        addr: impl ToSocketAddrs + std::fmt::Debug,
    ) -> Result<(), ServeError> {
        let shown = format!("{addr:?}");
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| ServeError::Bind {
                addr: shown,
                source,
            })?;
        self.serve_on(listener).await
    }

    /// Serves on a bound listener until [`shutdown`](Self::shutdown), with
    /// `TCP_NODELAY` on every connection (serving [`router`](Self::router)
    /// yourself, do the same: see `axum::serve::ListenerExt::tap_io`).
    pub async fn serve_on(&self, listener: TcpListener) -> Result<(), ServeError> {
        let mut stop = self.engine.stop_signal.subscribe();
        // Small frames (acknowledgements, single events) must leave at once:
        // with Nagle's algorithm on, they wait for the peer's delayed ACK
        // (~40 ms) whenever one is already in flight.
        let listener = listener.tap_io(|stream| {
            if let Err(error) = stream.set_nodelay(true) {
                tracing::debug!(%error, "cannot set TCP_NODELAY");
            }
        });
        axum::serve(listener, self.router())
            .with_graceful_shutdown(async move {
                let _ = stop.wait_for(|stopping| *stopping).await;
            })
            .await?;
        Ok(())
    }

    /// Stops the server: refuses new connections, forgets every client (as
    /// their disconnection would), closes their transports, then ends
    /// [`serve`](Self::serve). Returns when the clients are disconnected.
    /// Calling it again does nothing.
    pub async fn shutdown(&self) {
        let engine = self.engine();
        if engine.is_stopped() {
            return;
        }
        engine.stop();
        // socketioxide's close does not run disconnect handlers: clean up first.
        // Clearing a socket's extensions takes the way to its request loop
        // (which ends once what is queued is answered).
        for client in engine.clients.all() {
            let transport = session::transport_name(&client.socket);
            engine.disconnect(&client, transport).await;
            client.socket.extensions.clear();
        }
        // Bounded: a transport that does not drain must not hold the process.
        if tokio::time::timeout(Duration::from_secs(10), engine.io.clone().close())
            .await
            .is_err()
        {
            tracing::warn!("some transports did not close within 10 s");
        }
        self.engine.stop_signal.send_replace(true);
    }
}
