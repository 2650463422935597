//! Lifecycle hooks: the application's own rules, run by the server at fixed
//! points (see the guide `docs/hooks.md` for the order).
//!
//! Hooks are stored type-erased in the engine. The builder wraps each typed
//! closure, which receives the typed `Dialogue<App>` as its context. Every
//! call is bounded by a timeout and isolated from panics: a failing hook is
//! logged and, where it decides something, refuses with `INTERNAL`; it never
//! takes the server down.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::http::HeaderMap;
use futures_util::FutureExt;
use serde_json::{Map, Value};

use crate::engine::Engine;
use crate::envelope::EventMessage;
use crate::handles::{ConnectedClient, Room};

/// How long a hook may take by default before it counts as failed.
pub const DEFAULT_HOOK_TIMEOUT: Duration = Duration::from_secs(10);

/// A boxed hook future.
pub(crate) type BoxFut<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// A type-erased hook: called with the engine (from which the typed
/// `Dialogue` is made) and its arguments.
pub(crate) type Hook<Args, Out> = Arc<dyn Fn(Arc<Engine>, Args) -> BoxFut<Out> + Send + Sync>;

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
}

impl Identity {
    /// The user `user_id`, without claims.
    pub fn user(user_id: impl Into<String>) -> Self {
        Self {
            user_id: user_id.into(),
            claims: None,
        }
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

/// The hooks of one server. Each is optional.
pub(crate) struct Hooks {
    pub(crate) authenticate: Option<Hook<Handshake, Result<Identity, HookError>>>,
    pub(crate) on_connect: Option<Hook<SocketInfo, ()>>,
    pub(crate) on_disconnect: Option<Hook<SocketInfo, ()>>,
    pub(crate) before_join: Option<Hook<(ConnectedClient, Room), Result<(), HookError>>>,
    pub(crate) on_connected: Option<Hook<ConnectedClient, ()>>,
    pub(crate) on_disconnected: Option<Hook<ConnectedClient, ()>>,
    pub(crate) on_joined: Option<Hook<(ConnectedClient, String), ()>>,
    pub(crate) on_left: Option<Hook<(ConnectedClient, String), ()>>,
    pub(crate) on_room_created: Option<Hook<Room, ()>>,
    pub(crate) on_room_deleted: Option<Hook<String, ()>>,
    pub(crate) before_each: Option<Hook<EventMessage, Result<EventMessage, HookError>>>,
    pub(crate) after_each: Option<Hook<(EventMessage, usize), ()>>,
    pub(crate) on_triggered: Option<Hook<EventMessage, ()>>,
    pub(crate) on_cleanup: Option<Hook<Evicted, ()>>,
    pub(crate) on_load: Option<Hook<LoadRequest, Result<Vec<EventMessage>, HookError>>>,
    pub(crate) timeout: Duration,
}

impl Default for Hooks {
    fn default() -> Self {
        Self {
            authenticate: None,
            on_connect: None,
            on_disconnect: None,
            before_join: None,
            on_connected: None,
            on_disconnected: None,
            on_joined: None,
            on_left: None,
            on_room_created: None,
            on_room_deleted: None,
            before_each: None,
            after_each: None,
            on_triggered: None,
            on_cleanup: None,
            on_load: None,
            timeout: DEFAULT_HOOK_TIMEOUT,
        }
    }
}

/// Why a hook produced no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HookFailure {
    /// It refused, with a reason for the client.
    Refused(String),
    /// It failed, panicked or ran out of time (already logged).
    Failed,
}

/// Runs one hook: bounded by the timeout, with panics caught and failures
/// logged under the hook's name.
pub(crate) async fn run<Args, Out>(
    engine: &Arc<Engine>,
    name: &'static str,
    hook: &Hook<Args, Out>,
    args: Args,
) -> Result<Out, HookFailure> {
    // Calling the closure may itself panic, before there is a future.
    let future = match std::panic::catch_unwind(AssertUnwindSafe(|| hook(engine.clone(), args))) {
        Ok(future) => future,
        Err(panic) => {
            tracing::error!(hook = name, reason = %panic_message(&*panic), "a hook panicked");
            return Err(HookFailure::Failed);
        }
    };
    match tokio::time::timeout(
        engine.hooks.timeout,
        AssertUnwindSafe(future).catch_unwind(),
    )
    .await
    {
        Ok(Ok(out)) => Ok(out),
        Ok(Err(panic)) => {
            tracing::error!(hook = name, reason = %panic_message(&*panic), "a hook panicked");
            Err(HookFailure::Failed)
        }
        Err(_) => {
            tracing::error!(hook = name, timeout = ?engine.hooks.timeout, "a hook ran out of time");
            Err(HookFailure::Failed)
        }
    }
}

/// Runs a deciding hook: its own `Err` is a refusal or a logged failure.
pub(crate) async fn decide<Args, T>(
    engine: &Arc<Engine>,
    name: &'static str,
    hook: &Hook<Args, Result<T, HookError>>,
    args: Args,
) -> Result<T, HookFailure> {
    match run(engine, name, hook, args).await? {
        Ok(value) => Ok(value),
        Err(HookError::Refused(reason)) => Err(HookFailure::Refused(reason)),
        Err(HookError::Failed(error)) => {
            tracing::error!(hook = name, %error, "a hook failed");
            Err(HookFailure::Failed)
        }
    }
}

/// Runs an observing hook, if there is one; a failure is only logged.
pub(crate) async fn observe<Args>(
    engine: &Arc<Engine>,
    name: &'static str,
    hook: &Option<Hook<Args, ()>>,
    args: impl FnOnce() -> Args,
) {
    if let Some(hook) = hook {
        let _ = run(engine, name, hook, args()).await;
    }
}

/// The text of a panic payload.
pub(crate) fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".to_owned())
}
