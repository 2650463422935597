//! Lifecycle hooks: the application's own rules, run by the server at fixed
//! points (see the guide `docs/hooks.md` for the order and the rules).
//!
//! This module holds what hooks receive and return, and [`hook_table!`], the
//! one list of hooks: the engine's slots (`engine::hooks`) and the builder's
//! setters (`api::builder`) are both generated from it.

use std::time::Duration;

use axum::http::HeaderMap;
use serde_json::{Map, Value};

use crate::protocol::EventMessage;

/// How long a hook may take by default before it counts as failed.
pub const DEFAULT_HOOK_TIMEOUT: Duration = Duration::from_secs(10);

/// A hook's refusal, or its failure.
///
/// A refusal is the application saying no, with a reason the client sees; a
/// failure is something that went wrong, logged on the server while the
/// client gets `INTERNAL`. Any error type converts into a failure, so `?`
/// works inside hooks:
///
/// ```
/// use dialogue_runtime::HookError;
///
/// fn check(age: &str) -> Result<(), HookError> {
///     let age: u32 = age.parse()?; // a parse error is a failure
///     if age < 18 {
///         return Err(HookError::refuse("adults only"));
///     }
///     Ok(())
/// }
/// assert!(matches!(check("12"), Err(HookError::Refused(reason)) if reason == "adults only"));
/// assert!(matches!(check("x"), Err(HookError::Failed(_))));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HookError {
    /// The application refuses, for this reason (shown to the client).
    Refused(String),
    /// The hook failed (logged; the client gets `INTERNAL`).
    Failed(String),
}

impl HookError {
    /// A refusal with a reason the client sees.
    pub fn refuse(reason: impl Into<String>) -> Self {
        Self::Refused(reason.into())
    }

    /// A failure, logged on the server.
    pub fn fail(error: impl std::fmt::Display) -> Self {
        Self::Failed(error.to_string())
    }
}

impl std::fmt::Display for HookError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Refused(reason) => write!(f, "refused: {reason}"),
            Self::Failed(error) => write!(f, "failed: {error}"),
        }
    }
}

impl<E: std::error::Error> From<E> for HookError {
    fn from(error: E) -> Self {
        Self::Failed(error.to_string())
    }
}

/// What a client sent to connect, for the `authenticate` hook.
#[derive(Debug, Clone)]
pub struct Handshake {
    /// The handshake's `auth` object (`{}` when none was sent).
    pub auth: Value,
    /// The HTTP headers of the connection's first request.
    pub headers: HeaderMap,
    /// Where the client connects from: the TCP peer, or behind trusted
    /// proxies the address they forward (`DialogueBuilder::trusted_proxies`);
    /// `None` when served without the peers' addresses (`axum::serve`
    /// without connect info).
    pub remote_addr: Option<std::net::IpAddr>,
}

impl Handshake {
    /// `auth.token` when it is a string.
    pub fn token(&self) -> Option<&str> {
        self.auth.get("token").and_then(Value::as_str)
    }
}

/// Who a connection is, as `authenticate` establishes it.
///
/// ```
/// use dialogue_runtime::Identity;
/// use serde_json::json;
///
/// let identity = Identity::user("alice").with_claims(json!({ "role": "admin" }));
/// assert_eq!(identity.user_id, "alice");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    /// The application's user id (`from` of what the client triggers).
    pub user_id: String,
    /// What is known of the user (e.g. a JWT's claims), as `client.auth()`.
    pub claims: Option<Value>,
    /// When the credentials run out, in Unix milliseconds (a JWT's `exp`):
    /// the connection then gets `TOKEN_EXPIRED` and is dropped, its session
    /// held, unless it sent a fresh token (`dialogue:auth`) before.
    pub expires_at: Option<u64>,
}

impl Identity {
    /// The user `user_id`, without claims.
    pub fn user(user_id: impl Into<String>) -> Self {
        Self {
            user_id: user_id.into(),
            claims: None,
            expires_at: None,
        }
    }

    /// Sets when the credentials run out (Unix milliseconds).
    pub fn expiring_at(mut self, unix_millis: u64) -> Self {
        self.expires_at = Some(unix_millis);
        self
    }

    /// Adds claims.
    pub fn with_claims(mut self, claims: Value) -> Self {
        self.claims = Some(claims);
        self
    }
}

/// The raw connection, for `on_connect` and `on_disconnect`: what is known
/// before the connected client exists, or after it is gone.
#[derive(Debug, Clone)]
pub struct SocketInfo {
    /// The connection id (also the client's id once it exists).
    pub client_id: String,
    /// The user id, as the handshake established it.
    pub user_id: String,
    /// The handshake's `auth` object.
    pub auth: Map<String, Value>,
    /// The HTTP headers of the connection's first request.
    pub headers: HeaderMap,
    /// `websocket` or `polling`, when it connected.
    pub transport: &'static str,
    /// Where it connects from (see [`Handshake::remote_addr`]).
    pub remote_addr: Option<std::net::IpAddr>,
}

/// Events dropped from a room's in-memory history, for `on_cleanup`.
#[derive(Debug, Clone)]
pub struct Evicted {
    /// The room.
    pub room_id: String,
    /// The event type.
    pub event_name: String,
    /// The events, oldest first.
    pub events: Vec<EventMessage>,
}

/// A request for history older than memory holds, for `on_load`.
///
/// `start` and `end` count from the newest event *not* in memory: 0 is the
/// most recent evicted event, so a store holding exactly what `on_cleanup`
/// received answers with `OFFSET start LIMIT end - start`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadRequest {
    /// The room.
    pub room_id: String,
    /// The event type.
    pub event_name: String,
    /// First index (0 = newest not in memory).
    pub start: u64,
    /// Index past the last (exclusive).
    pub end: u64,
}

/// The hooks, one row each, handed to the macro `$then`: the engine expands
/// it into its slots, the builder into its setters.
///
/// A row is `name: kind (argument: Type, ...) -> Output;` under the setter's
/// documentation. The kinds, and how several registrations of one hook
/// combine:
///
/// - `observe`: every registration runs, in registration order;
/// - `decide`: every registration must allow, in registration order (the
///   first refusal wins);
/// - `transform`: each registration gets what the one before returned;
/// - `single`: one registration only; a second is a build error.
///
/// Argument types are the handles closures receive (`ConnectedClient`,
/// `Room`) or plain values; the engine's slots hold the state behind the
/// handles, and the builder wraps each closure to make the handles.
macro_rules! hook_table {
    ($then:ident) => {
        $then! {
            /// Decides who a connection is, during the handshake: return the
            /// [`Identity`](crate::Identity), or refuse
            /// (`HookError::refuse(reason)`: the client's `connect_error` says
            /// `reason`). Without it, the user id is `auth.userId` or the
            /// connection id. [`jwt`](Self::jwt) registers one; a second
            /// registration is a build error.
            authenticate: single (handshake: Handshake) -> Identity;
            /// Runs when a socket is connected and greeted, before
            /// `on_connected`.
            on_connect: observe (info: SocketInfo);
            /// Runs when a socket is gone, after `on_disconnected` and
            /// `on_left`.
            on_disconnect: observe (info: SocketInfo);
            /// Runs when a client is connected; its requests wait until every
            /// `on_connected` returned, so they may put the client in rooms
            /// first.
            on_connected: observe (client: ConnectedClient);
            /// Runs when a client disconnects, while it is still in its rooms.
            on_disconnected: observe (client: ConnectedClient);
            /// Decides whether a client may join a room: `Ok(())`, or refuse
            /// (`JOIN_DENIED` with the reason). Receives the join as the
            /// client sent it (`since`, `subscriptions`, `secret`; for a
            /// join made by the server, only the room). Runs after the
            /// room's own rules (ban, secret, capacity, claims); with
            /// several registrations, each must allow.
            before_join: decide (client: ConnectedClient, room: Room, join: JoinRequest) -> ();
            /// Runs after a client joined a room (and got its answer).
            on_joined: observe (client: ConnectedClient, room_id: String);
            /// Runs after a client left a room: asked, deleted room or
            /// disconnection.
            on_left: observe (client: ConnectedClient, room_id: String);
            /// Runs after a room was created at run time (and everyone was
            /// told).
            on_room_created: observe (room: Room);
            /// Runs after a room was deleted (and everyone was told).
            on_room_deleted: observe (room_id: String);
            /// Decides every event before it is broadcast, the server's
            /// included: return the message to send (the same, or with other
            /// `data`, `meta` or `from`; it is validated again), or refuse
            /// (`EVENT_NOT_ALLOWED` with the reason). The event name and room
            /// cannot change. With several registrations, each gets what the
            /// one before returned.
            before_each: transform (message: EventMessage) -> EventMessage;
            /// Runs after each event was broadcast, with how many sockets it
            /// was sent to (counting them costs a walk over the recipients).
            after_each: observe (message: EventMessage, recipients: usize);
            /// Runs after each event, after `after_each`.
            on_triggered: observe (message: EventMessage);
            /// Receives events as they leave a room's in-memory history, one
            /// call per event, in order: persist them to page past memory
            /// with `on_load`.
            on_cleanup: observe (evicted: Evicted);
            /// Loads history older than memory holds (newest first), when no
            /// [`HistoryStore`](crate::HistoryStore) is set. See
            /// [`LoadRequest`](crate::LoadRequest) for the indices. One
            /// registration only.
            on_load: single (request: LoadRequest) -> Vec<EventMessage>;
        }
    };
}

pub(crate) use hook_table;
