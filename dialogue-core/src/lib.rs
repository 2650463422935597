//! The core of Dialogue for Rust: the spec model that one declaration turns
//! into, and the traits and rules the macros, the runtime and the code
//! generator share.
//!
//! Users do not depend on this crate directly: `dialogue-runtime` re-exports
//! what they need. It exists on its own so that the code generator can read a
//! spec without pulling in the server (as `axum-core` sits under `axum`).
//!
//! - [`rules`]: the naming rules, plain functions (always available);
//! - [`spec`]: the model itself, plain serializable data;
//! - [`protocol`]: the wire protocol as one description (names, payloads,
//!   error codes), shared by the runtime and the code generator;
//! - [`Event`], [`DialogueApp`], [`DeclaredRoom`], [`Accepts`],
//!   [`ClientTriggers`]: the traits that
//!   `#[derive(Event)]` and `dialogue!` implement;
//! - [`build`]: how an event's JSON Schema and TypeScript are obtained and how
//!   an application's spec is assembled and checked.
//!
//! Without the default `spec` feature only [`rules`] is compiled; the
//! proc-macro crate uses it that way.

#![warn(unreachable_pub)]

pub mod rules;

#[cfg(feature = "spec")]
mod app;
#[cfg(feature = "spec")]
pub mod build;
#[cfg(feature = "spec")]
pub mod event;
#[cfg(feature = "spec")]
pub mod protocol;
#[cfg(feature = "spec")]
pub mod request;
#[cfg(feature = "spec")]
pub mod spec;

#[cfg(feature = "spec")]
pub use app::{
    Accepts, ClientTriggers, DeclaredRoom, DialogueApp, HasPresence, Instance, PerUserRoom,
    SharedRoom, TemplateRoom,
};
#[cfg(feature = "spec")]
pub use event::{Event, PayloadDeserialize, PayloadSchema, PayloadSerialize, PayloadTs};
#[cfg(feature = "spec")]
pub use request::Request;

/// Items the macros' expansions name; not part of the public API.
#[cfg(feature = "spec")]
#[doc(hidden)]
pub mod __private {
    use std::num::NonZeroU32;

    pub use crate::spec::{
        AppSpec, EventSpec, HistorySync, RequestSpec, RoomEvents, RoomSpec, Subscriptions,
    };
    pub use crate::{
        Accepts, ClientTriggers, DeclaredRoom, DialogueApp, Event, HasPresence, Instance,
        PerUserRoom, Request, SharedRoom, TemplateRoom,
    };
    pub use serde_json;

    /// One event of an application, as `dialogue!` records it: everything the
    /// expansion needs from the type, read in one place.
    #[derive(Debug, Clone, Copy)]
    pub struct EventEntry {
        /// `Event::NAME`.
        pub name: &'static str,
        /// `Event::TYPE_PATH`.
        pub type_path: &'static str,
        /// `EventSpec::of::<E>`.
        pub spec: fn() -> EventSpec,
    }

    impl EventEntry {
        /// The entry of `E`.
        pub const fn of<E: Event>() -> Self {
            Self {
                name: E::NAME,
                type_path: E::TYPE_PATH,
                spec: EventSpec::of::<E>,
            }
        }
    }

    /// A count the macros checked to be at least 1.
    pub const fn nonzero(n: u32) -> NonZeroU32 {
        match NonZeroU32::new(n) {
            Some(n) => n,
            None => panic!("dialogue's macros pass only counts of at least 1"),
        }
    }

    /// No event: each room with an event list also "accepts" this type, so it
    /// never has exactly one `Accepts` impl. With one, the compiler would infer
    /// the event from the impl and report a wrong trigger as "mismatched
    /// types" instead of "the room does not accept the event".
    #[derive(Debug)]
    pub enum NotAnEvent {}

    /// Whether two events clash: the same wire name on different types.
    pub const fn wire_names_clash(a: &EventEntry, b: &EventEntry) -> bool {
        str_eq(a.name, b.name) && !str_eq(a.type_path, b.type_path)
    }

    /// Whether two requests of an application have one wire name (two
    /// different types: the same type listed twice is reported by the macro).
    pub const fn request_names_clash<A: Request, B: Request>() -> bool {
        str_eq(A::NAME, B::NAME) && !str_eq(A::TYPE_PATH, B::TYPE_PATH)
    }

    /// Called by `dialogue!` for a default subscription written with another
    /// path than the room's event.
    pub const fn assert_accepts<R: Accepts<E>, E>() {}

    const fn str_eq(a: &str, b: &str) -> bool {
        let (a, b) = (a.as_bytes(), b.as_bytes());
        if a.len() != b.len() {
            return false;
        }
        let mut i = 0;
        while i < a.len() {
            if a[i] != b[i] {
                return false;
            }
            i += 1;
        }
        true
    }
}
