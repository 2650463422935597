//! [`Dialogue`]: the server of one declared application, and its builder.

use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use socketioxide::SocketIo;
use socketioxide::extract::{SocketRef, TryData};
use socketioxide::handler::ConnectHandler;
use socketioxide::layer::SocketIoLayer;
use tokio::net::{TcpListener, ToSocketAddrs};
use tokio::sync::watch;

use crate::engine::{Engine, NewRoom};
use crate::envelope::EventMessage;
use crate::error::{CreateRoomError, DeleteRoomError, TriggerError};
use crate::handles::{ClientRooms, ConnectedClient, ListenerHandle, Room, TypedRoom};
use crate::history::HistoryStore;
use crate::session;
use crate::spec::{AppSpec, RoomEvents, Subscriptions};
use crate::validation::{BuildError, EventTable};
use crate::{Accepts, DeclaredRoom, DialogueApp, Event};

/// The largest Socket.IO message a client may send, over WebSocket or
/// long-polling: anything longer closes the connection.
pub const DEFAULT_TRANSPORT_LIMIT: usize = 1024 * 1024;

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
    shared: Arc<Shared>,
    _app: PhantomData<fn() -> A>,
}

impl<A> Clone for Dialogue<A> {
    fn clone(&self) -> Self {
        Self {
            shared: self.shared.clone(),
            _app: PhantomData,
        }
    }
}

impl<A> std::fmt::Debug for Dialogue<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dialogue")
            .field("app", &self.shared.engine.spec.name)
            .finish_non_exhaustive()
    }
}

struct Shared {
    engine: Arc<Engine>,
    layer: SocketIoLayer,
    /// `true` once shutdown has begun; `serve` returns when it sees it.
    stop: watch::Sender<bool>,
}

/// Configures a [`Dialogue`] before it starts.
pub struct DialogueBuilder<A> {
    store: Option<Arc<dyn HistoryStore>>,
    transport_limit: usize,
    _app: PhantomData<fn() -> A>,
}

impl<A> std::fmt::Debug for DialogueBuilder<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DialogueBuilder")
            .field("store", &self.store.is_some())
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

    /// The largest Socket.IO message a client may send (default
    /// [`DEFAULT_TRANSPORT_LIMIT`]); anything longer closes the connection.
    pub fn transport_limit(mut self, bytes: usize) -> Self {
        self.transport_limit = bytes;
        self
    }

    /// Compiles the application's schemas and prepares the server. Call it
    /// inside a Tokio runtime.
    pub fn build(self) -> Result<Dialogue<A>, BuildError> {
        let spec: &'static AppSpec = A::spec();
        let events = EventTable::compile(spec)?;
        let (layer, io) = SocketIo::builder()
            .max_payload(self.transport_limit as u64)
            .ws_max_message_size(self.transport_limit)
            .ws_max_frame_size(self.transport_limit)
            .build_layer();
        let engine = Arc::new(Engine::new(spec, events, io.clone(), self.store));
        register_namespace(&io, &engine);
        let (stop, _) = watch::channel(false);
        Ok(Dialogue {
            shared: Arc::new(Shared {
                engine,
                layer,
                stop,
            }),
            _app: PhantomData,
        })
    }
}

/// The default namespace: the middleware sets each socket up before it is
/// acknowledged, the handler greets it.
fn register_namespace(io: &SocketIo, engine: &Arc<Engine>) {
    let engine = engine.clone();
    let middleware = move |socket: SocketRef, auth: TryData<Value>| {
        let engine = engine.clone();
        async move { session::connect(engine, socket, session::auth_object(auth)).await }
    };
    let handler = |socket: SocketRef| async move { session::connected(&socket) };
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
            store: None,
            transport_limit: DEFAULT_TRANSPORT_LIMIT,
            _app: PhantomData,
        }
    }

    /// The application's spec model.
    pub fn spec(&self) -> &'static AppSpec {
        self.shared.engine.spec
    }

    fn engine(&self) -> &Arc<Engine> {
        &self.shared.engine
    }

    fn wrap(&self, state: Arc<crate::room::RoomState>) -> Room {
        Room {
            state,
            engine: self.engine().clone(),
        }
    }

    /// A declared room, typed.
    pub fn room<R: DeclaredRoom<App = A>>(&self, room: R) -> TypedRoom<A, R> {
        let state = self
            .engine()
            .rooms
            .get(room.id())
            .unwrap_or_else(|| unreachable!("declared rooms are never removed"));
        TypedRoom::new(self.wrap(state))
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
        R: DeclaredRoom<App = A> + Accepts<E>,
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
        R: DeclaredRoom<App = A> + Accepts<E>,
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
            .create_room(NewRoom {
                id: options.id,
                name: options.name,
                description: options.description,
                max_size: options.max_size,
                events: options.events,
                default_subscriptions: options.default_subscriptions,
                created_by: options.created_by,
            })
            .await?;
        Ok(self.wrap(state))
    }

    /// Deletes a room created at run time; its members are removed and every
    /// client is told (`dialogue:roomDeleted`). Declared rooms stay.
    pub async fn delete_room(&self, id: &str) -> Result<(), DeleteRoomError> {
        self.engine().delete_room(id, None).await
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
        axum::Router::new().layer(self.shared.layer.clone())
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

    /// Serves on a bound listener until [`shutdown`](Self::shutdown).
    pub async fn serve_on(&self, listener: TcpListener) -> Result<(), ServeError> {
        let mut stop = self.shared.stop.subscribe();
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
        // Clearing a socket's extensions drops its request queue, which ends
        // its request loop.
        for client in engine.clients.all() {
            engine.disconnect(&client);
            client.socket.extensions.clear();
        }
        // Bounded: a transport that does not drain must not hold the process.
        if tokio::time::timeout(Duration::from_secs(10), engine.io.clone().close())
            .await
            .is_err()
        {
            tracing::warn!("some transports did not close within 10 s");
        }
        self.shared.stop.send_replace(true);
    }
}
