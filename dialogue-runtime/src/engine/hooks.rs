//! The hooks' slots, generated from the one table
//! ([`hook_table!`](crate::control::hooks::hook_table)), and how they run.
//!
//! Slots hold type-erased closures that take the engine's own values
//! (a client's or a room's state); the builder wraps each typed closure so
//! that it receives `Dialogue<App>` and the public handles. Every call is
//! bounded by a timeout and isolated from panics: a failing hook is logged
//! and, where it decides something, refuses with `INTERNAL`; it never takes
//! the server down.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt;

use crate::control::hooks::{
    DEFAULT_HOOK_TIMEOUT, Evicted, Handshake, HookError, Identity, LoadRequest, SocketInfo,
    hook_table,
};
use crate::engine::Engine;
use crate::protocol::{EventMessage, JoinRequest};
use crate::state::client::ClientState;
use crate::state::room::RoomState;

/// A boxed hook future.
pub(crate) type BoxFut<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// A type-erased hook: called with the engine (from which the typed
/// `Dialogue` is made) and its arguments, as a tuple.
pub(crate) type Hook<Args, Out> = Arc<dyn Fn(Arc<Engine>, Args) -> BoxFut<Out> + Send + Sync>;

/// The engine's value behind an argument type of the table: the state
/// behind a handle, or the value itself.
macro_rules! raw {
    (ConnectedClient) => { Arc<ClientState> };
    (Room) => { Arc<RoomState> };
    ($plain:ident) => { $plain };
}

/// The slot of one hook, by kind.
macro_rules! slot {
    (observe ($($ty:ident),*)) => { Vec<Hook<($(raw!($ty),)*), ()>> };
    (decide ($($ty:ident),*) -> $out:ty) => { Vec<Hook<($(raw!($ty),)*), Result<$out, HookError>>> };
    (transform ($($ty:ident),*) -> $out:ty) => { Vec<Hook<($(raw!($ty),)*), Result<$out, HookError>>> };
    (single ($($ty:ident),*) -> $out:ty) => { Option<Hook<($(raw!($ty),)*), Result<$out, HookError>>> };
}

/// The `Hooks` struct: one slot per row of the table.
macro_rules! slots {
    ($(
        $(#[doc = $doc:literal])*
        $name:ident : $kind:ident ( $($arg:ident : $ty:ident),* ) $(-> $out:ty)? ;
    )+) => {
        /// The hooks of one server, as registered.
        #[derive(Default)]
        pub(crate) struct Slots {
            $(pub(crate) $name: slot!($kind ($($ty),*) $(-> $out)?),)+
        }
    };
}

hook_table!(slots);

/// The hooks of one server and the timeout each call has.
pub(crate) struct Hooks {
    pub(crate) slots: Slots,
    pub(crate) timeout: Duration,
}

impl Default for Hooks {
    fn default() -> Self {
        Self {
            slots: Slots::default(),
            timeout: DEFAULT_HOOK_TIMEOUT,
        }
    }
}

impl std::ops::Deref for Hooks {
    type Target = Slots;

    fn deref(&self) -> &Slots {
        &self.slots
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
async fn run<Args, Out>(
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
    let timeout = engine.hooks.timeout;
    match tokio::time::timeout(timeout, AssertUnwindSafe(future).catch_unwind()).await {
        Ok(Ok(out)) => Ok(out),
        Ok(Err(panic)) => {
            tracing::error!(hook = name, reason = %panic_message(&*panic), "a hook panicked");
            Err(HookFailure::Failed)
        }
        Err(_) => {
            tracing::error!(hook = name, ?timeout, "a hook ran out of time");
            Err(HookFailure::Failed)
        }
    }
}

/// Runs one deciding hook: its own `Err` is a refusal or a logged failure.
async fn decide_one<Args, T>(
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

/// Runs a `single` hook, if registered: `None` when it is not.
pub(crate) async fn single<Args, T>(
    engine: &Arc<Engine>,
    name: &'static str,
    hook: &Option<Hook<Args, Result<T, HookError>>>,
    args: Args,
) -> Option<Result<T, HookFailure>> {
    match hook {
        Some(hook) => Some(decide_one(engine, name, hook, args).await),
        None => None,
    }
}

/// Runs the `decide` hooks in registration order: each must allow; the first
/// refusal or failure is the answer.
pub(crate) async fn decide<Args: Clone>(
    engine: &Arc<Engine>,
    name: &'static str,
    hooks: &[Hook<Args, Result<(), HookError>>],
    args: impl FnOnce() -> Args,
) -> Result<(), HookFailure> {
    if hooks.is_empty() {
        return Ok(());
    }
    let args = args();
    for hook in hooks {
        decide_one(engine, name, hook, args.clone()).await?;
    }
    Ok(())
}

/// Runs the `transform` hooks in registration order, each on what the one
/// before returned.
pub(crate) async fn transform<T>(
    engine: &Arc<Engine>,
    name: &'static str,
    hooks: &[Hook<(T,), Result<T, HookError>>],
    mut value: T,
) -> Result<T, HookFailure> {
    for hook in hooks {
        value = decide_one(engine, name, hook, (value,)).await?;
    }
    Ok(value)
}

/// Runs the `observe` hooks in registration order; a failure is only logged.
pub(crate) async fn observe<Args: Clone>(
    engine: &Arc<Engine>,
    name: &'static str,
    hooks: &[Hook<Args, ()>],
    args: impl FnOnce() -> Args,
) {
    if hooks.is_empty() {
        return;
    }
    let args = args();
    for hook in hooks {
        let _ = run(engine, name, hook, args.clone()).await;
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
