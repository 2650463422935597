//! [`DialogueBuilder`]: a server's configuration before it starts. Its hook
//! setters are generated from the one table of hooks
//! ([`hook_table!`](crate::control::hooks::hook_table)).

use std::marker::PhantomData;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use socketioxide::SocketIo;
use socketioxide::adapter::Adapter;
use socketioxide_core::adapter::{DefinedAdapter, Spawnable};

use crate::DialogueApp;
use crate::api::dialogue::Dialogue;
use crate::control::cors::Cors;
use crate::control::jwt::{JwtAuth, JwtError};
use crate::control::limits::Limits;
use crate::engine::handlers::RequestTable;
use crate::engine::hooks::Hooks;
use crate::engine::validation::EventTable;
use crate::engine::{Engine, Parts};
use crate::error::BuildError;
use crate::spec::AppSpec;
use crate::state::counters::Counters;
use crate::state::recovery::Window;
use crate::state::{Backend, State};
use crate::store::HistoryStore;
use crate::wire;

mod backend;
mod hook_setters;
mod origin;
mod requests;
mod serving;
use crate::wire::socket::SocketFanout;
use crate::wire::transport::{self, Closer};
pub use serving::{DEFAULT_EMPTY_ROOM, DEFAULT_HEAD_TIMEOUT, DEFAULT_SHUTDOWN};

/// Packets waiting to be written to one socket (socketioxide's buffer,
/// 128 by default). Well above the request queue, so that every request
/// waiting can be answered even while the client is slow to read; the
/// buffer grows only as it fills. A client that stops reading altogether
/// fills it and counts as a slow member.
pub const DEFAULT_SEND_BUFFER: usize = 4096;

/// The first allocation of each WebSocket's read buffer (socketioxide's
/// default is 4 KiB). Clients send little (requests, triggers of a few
/// hundred bytes), and a frame larger than this grows the buffer for itself,
/// so 1 KiB saves about 3 KB per idle connection (docs/benchmarks.md).
const WS_READ_BUFFER: usize = 1024;

/// The transport's ping interval and timeout, by default (Socket.IO's own).
pub const DEFAULT_PING: (Duration, Duration) = (Duration::from_secs(25), Duration::from_secs(20));

/// How long a dropped connection's session is held, by default.
pub const DEFAULT_RESUME_GRACE: Duration = Duration::from_secs(120);

/// How long an unused per-user instance stays in memory, by default
/// ([`DialogueBuilder::drop_unused_user_rooms_after`]).
pub const DEFAULT_INSTANCE_IDLE: Duration = Duration::from_secs(60);

/// Configures a [`Dialogue`] before it starts.
///
/// ```no_run
/// use std::num::NonZeroU32;
///
/// # use dialogue_runtime::prelude::*;
/// use dialogue_runtime::{Cors, HookError};
/// # #[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
/// # pub struct Message { pub text: String }
/// # dialogue! { pub ChatApp { chat: { name: "Chat Room", events: [Message] } } }
/// # fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let dialogue = Dialogue::<ChatApp>::builder()
///     .trigger_rate(NonZeroU32::new(20).unwrap())
///     .cors(Cors::origins(["https://app.example.com"]))
///     .before_join(|_, client, room, _join| async move {
///         if room.id() == "chat" && client.user_id().starts_with("guest-") {
///             return Err(HookError::refuse("guests may not chat"));
///         }
///         Ok(())
///     })
///     .build()?;
/// # Ok(()) }
/// ```
pub struct DialogueBuilder<A> {
    hooks: Hooks,
    /// Hooks of kind `single` registered more than once.
    twice: Vec<&'static str>,
    cors: Cors,
    store: Option<Arc<dyn HistoryStore>>,
    /// The durable store, or why it could not be opened (reported by
    /// `build`).
    #[cfg(feature = "sqlite")]
    durable: Option<Result<crate::store::sqlite::SqliteStore, crate::store::StoreError>>,
    /// The Redis shared by every node (`redis`).
    #[cfg(feature = "redis")]
    redis: Option<String>,
    /// This node's name (`node_id`).
    #[cfg(feature = "redis")]
    node_id: Option<String>,
    limits: Limits,
    transport_limit: Option<usize>,
    window: Window,
    grace: Duration,
    instance_idle: Duration,
    send_buffer: usize,
    ping: (Duration, Duration),
    /// The request handlers, by wire name (`on_request`).
    requests: std::collections::HashMap<String, Arc<crate::engine::handlers::HandlerFn>>,
    /// Requests given a second handler (reported by `build`).
    twice_requests: Vec<&'static str>,
    trusted_proxies: Vec<std::net::IpAddr>,
    /// The presence info of arriving members (`presence_info`).
    presence_info: Option<Arc<crate::engine::people::InfoFn>>,
    empty_room: Duration,
    /// The HTTP API's key (`api_key`): served only with one.
    api_key: Option<crate::ApiKey>,
    api_path: String,
    probes: crate::control::api_key::Probes,
    shutdown_bound: Duration,
    head_timeout: Duration,
    handshake_timeout: Option<Duration>,
    count_deliveries: bool,
    _app: PhantomData<fn() -> A>,
}

impl<A> std::fmt::Debug for DialogueBuilder<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DialogueBuilder")
            .field("store", &self.store.is_some())
            .field("limits", &self.limits)
            .field("transport_limit", &self.transport_limit)
            .finish_non_exhaustive()
    }
}

/// The backend, the history store, and whether that store is written
/// behind the broadcast.
type Chosen = (Box<dyn Backend>, Option<Arc<dyn HistoryStore>>, bool);

impl<A: DialogueApp> DialogueBuilder<A> {
    pub(crate) fn new() -> Self {
        Self {
            hooks: Hooks::default(),
            twice: Vec::new(),
            cors: Cors::default(),
            store: None,
            #[cfg(feature = "sqlite")]
            durable: None,
            #[cfg(feature = "redis")]
            redis: None,
            #[cfg(feature = "redis")]
            node_id: None,
            limits: Limits::default(),
            transport_limit: None,
            window: Window::default(),
            grace: DEFAULT_RESUME_GRACE,
            instance_idle: DEFAULT_INSTANCE_IDLE,
            send_buffer: DEFAULT_SEND_BUFFER,
            ping: DEFAULT_PING,
            requests: std::collections::HashMap::new(),
            twice_requests: Vec::new(),
            trusted_proxies: Vec::new(),
            presence_info: None,
            empty_room: DEFAULT_EMPTY_ROOM,
            api_key: None,
            api_path: crate::control::api_key::DEFAULT_API_PATH.to_owned(),
            probes: crate::control::api_key::Probes::default(),
            shutdown_bound: serving::DEFAULT_SHUTDOWN,
            head_timeout: serving::DEFAULT_HEAD_TIMEOUT,
            handshake_timeout: None,
            count_deliveries: false,
            _app: PhantomData,
        }
    }

    /// Each room's recovery window: its last `size` events (of every name),
    /// none older than `age` (defaults 1000 and 300 s). A client that
    /// comes back within it gets what it missed (docs/recovery.md); a trigger
    /// id is remembered as long as its event is in it.
    pub fn recovery_window(mut self, size: usize, age: Duration) -> Self {
        self.window = Window {
            size: size.max(1),
            age,
        };
        self
    }

    /// How long the session of a dropped connection is held for a new
    /// connection to resume it (default 120 s): its memberships,
    /// subscriptions and seats stay. Zero holds nothing.
    pub fn resume_grace(mut self, grace: Duration) -> Self {
        self.grace = grace;
        self
    }

    /// How many packets each connection may have waiting to be sent
    /// (default 4096). A connection whose buffer is full when an event is
    /// delivered to it is a slow member: it is dropped, its session held, and
    /// it recovers what it missed when it comes back (docs/recovery.md).
    /// At least 1.
    pub fn send_buffer(mut self, packets: usize) -> Self {
        self.send_buffer = packets.max(1);
        self
    }

    /// The transport's heartbeat: a ping every `interval`, and a connection
    /// that does not answer within `timeout` is dropped (defaults 25 s and
    /// 20 s, Socket.IO's). A dropped connection's session is held for
    /// [`resume_grace`](Self::resume_grace).
    pub fn heartbeat(mut self, interval: Duration, timeout: Duration) -> Self {
        self.ping = (interval, timeout);
        self
    }

    /// Keeps every room's events in the SQLite file at `path` (created with
    /// its folder if missing): an event is committed before it is answered
    /// and delivered, and a restart continues each room where it stopped
    /// (docs/persistence.md). A file that cannot be opened fails
    /// [`build`](Self::build) with its path and the cause.
    ///
    /// ```no_run
    /// # use dialogue_runtime::prelude::*;
    /// # #[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
    /// # pub struct Message { pub text: String }
    /// # dialogue! { pub ChatApp { chat: { name: "Chat Room", events: [Message] } } }
    /// # fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let dialogue = Dialogue::<ChatApp>::builder().store("data/chat.sqlite").build()?;
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "sqlite")]
    pub fn store(mut self, path: impl AsRef<std::path::Path>) -> Self {
        self.durable = Some(crate::store::sqlite::SqliteStore::open(path));
        self
    }

    /// Like [`store`](Self::store), with a store opened with options of its
    /// own (synchronous mode, retention).
    #[cfg(feature = "sqlite")]
    pub fn sqlite_store(mut self, store: crate::store::sqlite::SqliteStore) -> Self {
        self.durable = Some(Ok(store));
        self
    }

    /// Keeps history in `store` too (written behind the broadcast), so
    /// clients page past what memory holds. For durable history, committed
    /// before each answer, use [`store`](Self::store) instead.
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
    /// closes the connection. By default twice `max_payload` plus 16 KiB
    /// (144 KiB with the default payload limit), so an oversized payload
    /// gets `PAYLOAD_TOO_LARGE` and the connection stays, while a message
    /// far past it is cut by the transport.
    pub fn transport_limit(mut self, bytes: usize) -> Self {
        self.transport_limit = Some(bytes);
        self
    }

    /// Authenticates with JWTs from `auth.token`: `sub` becomes the user id,
    /// the claims `client.auth()`. It registers the `authenticate` hook, so
    /// registering that too is a build error.
    pub fn jwt(self, jwt: JwtAuth) -> Self {
        let jwt = Arc::new(jwt);
        self.authenticate(move |_, handshake| {
            let jwt = jwt.clone();
            async move { jwt.authenticate(&handshake).map_err(JwtError::refusal) }
        })
    }

    /// Which browser origins may connect (default: all, for development).
    /// Applies to the long-polling transport and the routes of
    /// [`Dialogue::router`] (through CORS headers), and to WebSocket
    /// upgrades (an upgrade from another origin is refused with 403; one
    /// without an `Origin`, from a non-browser client, is not).
    pub fn cors(mut self, cors: Cors) -> Self {
        self.cors = cors;
        self
    }

    /// The proxies in front of the server (load balancers, reverse
    /// proxies) whose `X-Forwarded-For` is believed: hooks then see the
    /// client's address as they forward it (`Handshake::remote_addr`,
    /// `SocketInfo::remote_addr`) rather than the proxy's. By default none:
    /// a header a client could write itself is never believed.
    ///
    /// ```
    /// # use dialogue_runtime::prelude::*;
    /// # #[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
    /// # pub struct Message { pub text: String }
    /// # dialogue! { pub App { chat: { name: "Chat", events: [Message] } } }
    /// let builder = Dialogue::<App>::builder().trusted_proxies(["127.0.0.1".parse().unwrap()]);
    /// # let _ = builder;
    /// ```
    pub fn trusted_proxies(mut self, proxies: impl IntoIterator<Item = std::net::IpAddr>) -> Self {
        self.trusted_proxies = proxies.into_iter().collect();
        self
    }

    /// How long a hook may run before it counts as failed (default 10 s).
    pub fn hook_timeout(mut self, timeout: Duration) -> Self {
        self.hooks.timeout = timeout;
        self
    }

    /// Compiles the application's schemas and prepares the server. Call it
    /// inside a Tokio runtime.
    pub fn build(mut self) -> Result<Dialogue<A>, BuildError> {
        if let Some(hook) = self.twice.first() {
            return Err(BuildError::HookRegisteredTwice { hook });
        }
        #[cfg(feature = "sqlite")]
        if self.durable.is_some() && self.store.is_some() {
            return Err(BuildError::TwoStores);
        }
        if let Some(request) = self.twice_requests.first() {
            return Err(BuildError::RequestHandledTwice {
                request: (*request).to_owned(),
            });
        }
        let spec: &'static AppSpec = A::spec();
        let events = EventTable::compile(spec)?;
        let requests = RequestTable::build(spec, std::mem::take(&mut self.requests))?;
        let presence = crate::engine::people::Presence {
            schema: spec
                .presence
                .as_ref()
                .map(|p| crate::engine::validation::compile("presence info", &p.schema))
                .transpose()?,
            info: self.presence_info.take(),
        };
        let backend = self.backend(spec)?;
        let transport_limit = self.transport_limit.unwrap_or_else(|| {
            self.limits
                .max_payload
                .saturating_mul(2)
                .saturating_add(16 * 1024)
        });
        let builder = SocketIo::builder()
            .max_payload(transport_limit as u64)
            .ws_max_message_size(transport_limit)
            .ws_max_frame_size(transport_limit)
            .max_buffer_size(self.send_buffer)
            .ws_read_buffer_size(WS_READ_BUFFER)
            .ping_interval(self.ping.0)
            .ping_timeout(self.ping.1);
        let builder = match self.handshake_timeout {
            Some(timeout) => builder.connect_timeout(timeout),
            None => builder,
        };
        let (layer, io) = builder.build_layer();
        // A closed session is remembered as long as engine.io may keep it.
        let linger = self.ping.0 + self.ping.1 + Duration::from_secs(5);
        let closer = Arc::new(Closer::new(linger));
        // In front of socketioxide: notes each session's TCP connections, so
        // that a transport can be closed (`wire::transport`). CORS wraps
        // both: a preflight must be answered before the polling transport
        // sees the request.
        let router = axum::Router::new()
            .layer(layer)
            .layer(axum::middleware::from_fn_with_state(
                closer.clone(),
                transport::track,
            ))
            .layer(axum::middleware::from_fn_with_state(
                Arc::new(self.cors.clone()),
                origin::check_upgrade_origin,
            ));
        let router = match self.cors.layer() {
            Some(cors) => router.layer(cors),
            None => router,
        };
        Ok(Dialogue::from_engine(self.start(
            spec,
            (events, requests, presence),
            io,
            router,
            closer,
            backend,
        )))
    }

    /// The engine on `io`, whatever its adapter, serving the protocol.
    fn start<Ad: Adapter + DefinedAdapter>(
        self,
        spec: &'static AppSpec,
        (events, requests, presence): (EventTable, RequestTable, crate::engine::people::Presence),
        io: SocketIo<Ad>,
        router: axum::Router,
        closer: Arc<Closer>,
        (backend, store, write_behind): Chosen,
    ) -> Arc<Engine> {
        let counters = Arc::new(Counters::default());
        counters
            .count_deliveries
            .store(self.count_deliveries, std::sync::atomic::Ordering::Relaxed);
        let state = State::new(
            backend,
            Arc::new(SocketFanout::new(io.clone())),
            self.window,
            counters,
        );
        let engine = Engine::new(Parts {
            spec,
            events,
            state,
            limits: self.limits,
            hooks: self.hooks,
            store,
            write_behind,
            router,
            grace: self.grace,
            instance_idle: self.instance_idle,
            requests,
            trusted_proxies: self.trusted_proxies,
            presence,
            empty_room: self.empty_room,
            http_api: self.api_key.map(|key| crate::control::api_key::HttpApi {
                key,
                path: self.api_path,
            }),
            probes: self.probes,
            shutdown_bound: self.shutdown_bound,
            head_timeout: self.head_timeout,
        });
        // The local adapter has nothing to initialize.
        wire::register(&io, &engine, &closer).spawn();
        engine.keep_rooms();
        engine
    }
}
