//! [`Dialogue`]: the server of one declared application.

use std::marker::PhantomData;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use serde_json::Value;
use tokio::net::{TcpListener, ToSocketAddrs};

use crate::api::builder::DialogueBuilder;
use crate::api::client::{ClientRooms, ConnectedClient};
use crate::api::room::{ListenerHandle, Room, TypedRoom};
use crate::engine::Engine;
use crate::engine::rooms::{Creator, Deleter};

use crate::error::{CreateRoomError, DeleteRoomError, RoomNotFound, TriggerError};
use crate::protocol::{EventMessage, ValidationIssue};
use crate::spec::AppSpec;
use crate::state::client::ClientState;
use crate::state::room::{RoomOptions, RoomState};
use crate::wire::transport::DialogueListener;
use crate::{
    Accepts, DeclaredRoom, DialogueApp, Event, Instance, PerUserRoom, SharedRoom, TemplateRoom,
};

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
    pub(crate) engine: Arc<Engine>,
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

/// What a server counted since it started ([`Dialogue::stats`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Stats {
    /// Connections dropped as slow members: their outgoing buffer
    /// overflowed; each could resume and recover (docs/recovery.md).
    pub slow_members_dropped: u64,
    /// Deliveries missed by members that could not be found to be dropped
    /// (their buffer drained between the send and the search); zero unless
    /// members read at just about the rate they are sent to.
    pub unattributed_misses: u64,
    /// Events handed to sockets, one per recipient, when
    /// [`count_deliveries`](crate::DialogueBuilder::count_deliveries) is on
    /// (else 0).
    pub deliveries: u64,
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

impl<A: DialogueApp> Dialogue<A> {
    /// Starts configuring a server.
    pub fn builder() -> DialogueBuilder<A> {
        DialogueBuilder::new()
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

    fn wrap(&self, state: Arc<RoomState>) -> Room {
        Room::new(state, self.engine.clone())
    }

    fn wrap_clients(&self, clients: Vec<Arc<ClientState>>) -> Vec<ConnectedClient> {
        clients
            .into_iter()
            .map(|state| ConnectedClient::new(state, self.engine.clone()))
            .collect()
    }

    /// A declared room, typed.
    pub fn room<R: DeclaredRoom<App = A> + SharedRoom>(&self, room: R) -> TypedRoom<A, R> {
        let state = self
            .engine
            .declared_room(room.id())
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
        let template = self
            .engine
            .rooms
            .template(room.id())
            .unwrap_or_else(|| unreachable!("per-user rooms are declared"));
        TypedRoom::new(self.wrap(self.engine.instance(template, user_id)))
    }

    /// An instance of a room template (declared with a `{parameter}` in its
    /// id, e.g. `doc:{docId}`), made on first use with the template's
    /// events, history, presence and limits; `None` when the value is not a
    /// valid parameter (1 to 64 ASCII letters, digits, `_` or `-`).
    ///
    /// ```no_run
    /// # use dialogue_runtime::prelude::*;
    /// # #[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
    /// # pub struct Edit { pub text: String }
    /// dialogue! {
    ///     pub Collab {
    ///         doc: { id: "doc:{docId}", name: "Document", events: [Edit] },
    ///     }
    /// }
    /// # async fn run(dialogue: Dialogue<Collab>) -> Result<(), Box<dyn std::error::Error>> {
    /// let readme = dialogue.instance(Collab::doc("readme")).unwrap();
    /// assert_eq!(readme.id(), "doc:readme");
    /// readme.trigger(Edit { text: "# Hello".into() }).await?;
    /// # Ok(()) }
    /// ```
    pub fn instance<R: DeclaredRoom<App = A> + TemplateRoom>(
        &self,
        instance: Instance<R>,
    ) -> Option<TypedRoom<A, R>> {
        let template = self
            .engine
            .rooms
            .template(instance.room.id())
            .unwrap_or_else(|| unreachable!("templates are declared"));
        template.value_of(&instance.id())?;
        Some(TypedRoom::new(
            self.wrap(self.engine.instance(template, &instance.value)),
        ))
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
        match self.engine.events.get(event) {
            Some(declared) => declared.validate(data),
            None => Ok(()),
        }
    }

    /// Any room by id: declared, created at run time, or a user's instance
    /// of a per-user room (made if it is not in memory).
    pub fn room_by_id(&self, id: &str) -> Option<Room> {
        self.engine
            .room_or_instance(id)
            .map(|state| self.wrap(state))
    }

    /// Every room: declared ones first, in declaration order.
    pub fn rooms(&self) -> Vec<Room> {
        self.engine
            .all_rooms()
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
            None => Err(RoomNotFound(room_id.to_owned()).into()),
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
    ///
    /// ```no_run
    /// # use dialogue_runtime::prelude::*;
    /// use dialogue_runtime::RoomOptions;
    /// # #[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
    /// # pub struct Message { pub text: String }
    /// # dialogue! { pub ChatApp { chat: { name: "Chat Room", events: [Message] } } }
    /// # async fn run(dialogue: Dialogue<ChatApp>) -> Result<(), Box<dyn std::error::Error>> {
    /// let room = dialogue.create_room(RoomOptions::new("game-42", "Game 42").max_size(4)).await?;
    /// assert_eq!(room.max_size(), Some(4));
    /// # Ok(()) }
    /// ```
    pub async fn create_room(&self, options: RoomOptions) -> Result<Room, CreateRoomError> {
        let (state, then) = self.engine.create_room(options, Creator::Server).await?;
        then.run().await;
        Ok(self.wrap(state))
    }

    /// Deletes a room created at run time; its members are removed and every
    /// client is told (`dialogue:roomDeleted`). Declared rooms stay.
    pub async fn delete_room(&self, id: &str) -> Result<(), DeleteRoomError> {
        self.engine
            .delete_room(id, Deleter::Server)
            .await?
            .run()
            .await;
        Ok(())
    }

    /// The connection with this id.
    pub fn get_client(&self, client_id: &str) -> Option<ConnectedClient> {
        self.engine
            .state
            .directory
            .get(client_id)
            .map(|state| ConnectedClient::new(state, self.engine.clone()))
    }

    /// The connections of one user.
    pub fn get_clients(&self, user_id: &str) -> Vec<ConnectedClient> {
        self.wrap_clients(self.engine.state.directory.of_user(user_id))
    }

    /// Every connected client.
    pub fn get_all_clients(&self) -> Vec<ConnectedClient> {
        self.wrap_clients(self.engine.state.directory.all())
    }

    /// The rooms a user is in, across their connections.
    pub fn get_client_rooms(&self, user_id: &str) -> ClientRooms {
        ClientRooms::new(self.get_clients(user_id))
    }

    /// Whether any connection of the user is in the room.
    pub fn is_in_room(&self, user_id: &str, room_id: &str) -> bool {
        self.engine
            .state
            .directory
            .of_user(user_id)
            .iter()
            .any(|client| client.is_member(room_id))
    }

    /// The Socket.IO endpoint (at `/socket.io/`), and the HTTP API under
    /// `/api` when a key is set ([`api_key`](crate::DialogueBuilder::api_key)),
    /// as an axum router, to serve alone or next to your own routes:
    ///
    /// ```no_run
    /// # use dialogue_runtime::prelude::*;
    /// # #[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
    /// # pub struct Message { pub text: String }
    /// # dialogue! { pub ChatApp { chat: { name: "Chat Room", events: [Message] } } }
    /// # async fn run(dialogue: Dialogue<ChatApp>) -> std::io::Result<()> {
    /// let app = axum::Router::new()
    ///     .route("/version", axum::routing::get(|| async { "1.0.0" }))
    ///     .merge(dialogue.router());
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    /// axum::serve(listener, app).await
    /// # }
    /// ```
    ///
    /// Requests that are not for `/socket.io/` get 404 from it, so it merges
    /// with routers that have no fallback of their own.
    pub fn router(&self) -> axum::Router {
        // The Socket.IO layer sits on the router's fallback: it is merged
        // into the routes, not the other way round, so that it stays the
        // fallback.
        let router =
            crate::api::http::probes::router(&self.engine).merge(self.engine.router.clone());
        let router = match (
            &self.engine.http_api,
            crate::api::http::router(&self.engine),
        ) {
            (Some(settings), Some(api)) => router.nest(&settings.path, api),
            _ => router,
        };
        router.layer(crate::api::keep_engine::KeepEngine(self.engine.clone()))
    }

    /// What the server counted since it started.
    ///
    /// ```
    /// # use dialogue_runtime::prelude::*;
    /// # #[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
    /// # pub struct Message { pub text: String }
    /// # dialogue! { pub ChatApp { chat: { name: "Chat Room", events: [Message] } } }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let dialogue = Dialogue::<ChatApp>::builder().build().unwrap();
    /// assert_eq!(dialogue.stats().slow_members_dropped, 0);
    /// # }
    /// ```
    pub fn stats(&self) -> Stats {
        let counters = &self.engine.state.counters;
        Stats {
            slow_members_dropped: counters.slow_members.load(Ordering::Relaxed),
            unattributed_misses: counters.unattributed_misses.load(Ordering::Relaxed),
            deliveries: counters.deliveries.load(Ordering::Relaxed),
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

    /// Serves on a bound listener until [`shutdown`](Self::shutdown).
    pub async fn serve_on(&self, listener: TcpListener) -> Result<(), ServeError> {
        self.serve_router(listener, self.router()).await
    }

    /// Serves `app`, a router that includes [`router`](Self::router), on a
    /// bound listener until [`shutdown`](Self::shutdown): with `TCP_NODELAY`
    /// on every connection, and the server able to close one client's
    /// transport while keeping its session (a slow member's: it reconnects
    /// by itself and recovers). Serving with `axum::serve` yourself, use a
    /// [`DialogueListener`](crate::DialogueListener) for the same.
    ///
    /// ```no_run
    /// # use dialogue_runtime::prelude::*;
    /// # #[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
    /// # pub struct Message { pub text: String }
    /// # dialogue! { pub ChatApp { chat: { name: "Chat Room", events: [Message] } } }
    /// # async fn run(dialogue: Dialogue<ChatApp>) -> Result<(), Box<dyn std::error::Error>> {
    /// let app = axum::Router::new()
    ///     .route("/version", axum::routing::get(|| async { "1.0.0" }))
    ///     .merge(dialogue.router());
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    /// dialogue.serve_router(listener, app).await?;
    /// # Ok(()) }
    /// ```
    pub async fn serve_router(
        &self,
        listener: TcpListener,
        app: axum::Router,
    ) -> Result<(), ServeError> {
        let mut stop = self.engine.stop_signal.subscribe();
        crate::wire::transport::serve(
            DialogueListener::new(listener),
            app,
            self.engine.head_timeout,
            async move {
                let _ = stop.wait_for(|stopping| *stopping).await;
            },
        )
        .await;
        Ok(())
    }
}
