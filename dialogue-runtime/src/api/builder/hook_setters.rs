//! The builder's hook setters, one per row of the hook table
//! (`control::hooks::hook_table!`): each wraps the application's closure so
//! that the engine calls it with its own values.

use std::future::Future;
use std::sync::Arc;

use super::DialogueBuilder;
use crate::DialogueApp;
use crate::api::client::ConnectedClient;
use crate::api::dialogue::Dialogue;
use crate::api::room::Room;
use crate::control::hooks::{
    Evicted, Handshake, HookError, Identity, LoadRequest, SocketInfo, hook_table,
};
use crate::engine::Engine;
use crate::protocol::{EventMessage, JoinRequest};
use crate::state::client::ClientState;
use crate::state::room::RoomState;

/// A hook's argument as the closure receives it, from the engine's value.
trait HookArg: Sized {
    type Raw;
    fn from_raw(raw: Self::Raw, engine: &Arc<Engine>) -> Self;
}

impl HookArg for ConnectedClient {
    type Raw = Arc<ClientState>;
    fn from_raw(raw: Self::Raw, engine: &Arc<Engine>) -> Self {
        ConnectedClient::new(raw, engine.clone())
    }
}

impl HookArg for Room {
    type Raw = Arc<RoomState>;
    fn from_raw(raw: Self::Raw, engine: &Arc<Engine>) -> Self {
        Room::new(raw, engine.clone())
    }
}

macro_rules! plain_hook_args {
    ($($plain:ty),+) => {$(
        impl HookArg for $plain {
            type Raw = Self;
            fn from_raw(raw: Self, _: &Arc<Engine>) -> Self {
                raw
            }
        }
    )+};
}

plain_hook_args!(
    String,
    usize,
    EventMessage,
    Handshake,
    SocketInfo,
    Evicted,
    LoadRequest,
    JoinRequest
);

/// What a hook's future returns, by kind.
macro_rules! hook_output {
    (observe) => { () };
    ($kind:ident -> $out:ty) => { Result<$out, HookError> };
}

/// Stores a wrapped hook in its slot, by kind.
macro_rules! store_hook {
    (single, $builder:ident, $name:ident, $hook:ident) => {
        if $builder.hooks.slots.$name.is_some() {
            $builder.twice.push(stringify!($name));
        } else {
            $builder.hooks.slots.$name = Some($hook);
        }
    };
    ($kind:ident, $builder:ident, $name:ident, $hook:ident) => {
        $builder.hooks.slots.$name.push($hook);
    };
}

/// One setter per row of the hook table.
macro_rules! setters {
    ($(
        $(#[doc = $doc:literal])*
        $name:ident : $kind:ident ( $($arg:ident : $ty:ident),* ) $(-> $out:ty)? ;
    )+) => {
        impl<A: DialogueApp> DialogueBuilder<A> {
            $(
                $(#[doc = $doc])*
                pub fn $name<F, Fut>(mut self, hook: F) -> Self
                where
                    F: Fn(Dialogue<A>, $($ty),*) -> Fut + Send + Sync + 'static,
                    Fut: Future<Output = hook_output!($kind $(-> $out)?)> + Send + 'static,
                {
                    let wrapped = Arc::new(
                        move |engine: Arc<Engine>, ($($arg,)*): ($(<$ty as HookArg>::Raw,)*)| {
                            let future = hook(
                                Dialogue::from_engine(engine.clone()),
                                $(<$ty as HookArg>::from_raw($arg, &engine)),*
                            );
                            Box::pin(future) as crate::engine::hooks::BoxFut<_>
                        },
                    );
                    store_hook!($kind, self, $name, wrapped);
                    self
                }
            )+
        }
    };
}

hook_table!(setters);
