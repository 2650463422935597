//! Dialogue for Rust: declare a realtime application's events and rooms once,
//! in Rust, and get from that one declaration a validating Socket.IO server and
//! a typed TypeScript client.
//!
//! This is the one crate an application depends on (with serde). It
//! re-exports the macros and the spec model:
//!
//! ```
//! use dialogue_runtime::prelude::*;
//!
//! /// Chat message sent by a user.
//! #[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
//! #[event(history = 100)]
//! #[serde(rename_all = "camelCase")]
//! pub struct Message {
//!     #[schemars(length(min = 1, max = 1000))]
//!     pub text: String,
//!     pub sender_id: String,
//! }
//!
//! dialogue! {
//!     pub ChatApp {
//!         chat: { name: "Chat Room", events: [Message], sync_history_on_join: 50 },
//!     }
//! }
//!
//! let spec = ChatApp::spec();
//! assert_eq!(spec.room(ChatApp::CHAT).unwrap().name, "Chat Room");
//! assert_eq!(spec.event("message").unwrap().schema["properties"]["text"]["maxLength"], 1000);
//! ```
//!
//! See [`Event`](derive@Event) and [`dialogue!`] for every option, and the
//! [guide](guide) for the whole picture.

#![warn(unreachable_pub)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

// The layers, each depending only on those below it (a test checks):
//   api → wire → engine → state → (envelope, error, control, store)
mod api;
mod control;
mod engine;
mod envelope;
mod error;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod logging;
mod metrics;
mod state;
mod store;
mod wire;

/// The wire protocol as one description (names, payloads, error codes); see
/// the guide [`protocol`](guide::protocol).
pub use dialogue_core::protocol;

pub use api::builder::{
    DEFAULT_EMPTY_ROOM, DEFAULT_HEAD_TIMEOUT, DEFAULT_INSTANCE_IDLE, DEFAULT_PING,
    DEFAULT_RESUME_GRACE, DEFAULT_SEND_BUFFER, DEFAULT_SHUTDOWN, DialogueBuilder,
};
pub use api::client::{ClientRooms, ConnectedClient, SendError};
pub use api::dialogue::{Dialogue, ServeError, Stats};
pub use api::requests::RequestContext;
pub use api::room::TriggerOptions;
pub use api::room::{ListenerHandle, Room, TypedRoom};
pub use control::api_key::{ApiKey, DEFAULT_API_PATH};
pub use control::cors::Cors;
pub use control::hooks::{
    DEFAULT_HOOK_TIMEOUT, Evicted, Handshake, HookError, Identity, LoadRequest, SocketInfo,
};
pub use control::jwt::{DEFAULT_LEEWAY, JwtAuth, JwtError, JwtKeyError};
pub use control::limits::{DEFAULT_MAX_PAYLOAD, DEFAULT_MAX_ROOM_INSTANCES, Limits};
pub use control::requests::Refusal;
pub use control::secret::RoomSecret;
pub use dialogue_core::{
    Accepts, ClientTriggers, DeclaredRoom, DialogueApp, Event, HasPresence, Instance,
    PayloadDeserialize, PayloadSchema, PayloadSerialize, PayloadTs, PerUserRoom, Request,
    SharedRoom, TemplateRoom, build, rules, spec,
};
pub use dialogue_macros::{Event, JsonSchema, Request, TS, dialogue};
pub use engine::validation::{MAX_ISSUE_MESSAGE, MAX_ISSUES};
pub use envelope::StampedEvent;
pub use error::{
    AskError, AuthError, BuildError, CreateRoomError, DeleteRoomError, HistoryError, HostError,
    InvalidEventName, JoinError, LeaveError, NotInRoom, NotJoined, PresenceError, RequestError,
    RoomNotFound, SubscribeError, ToWire, TriggerError,
};
pub use protocol::{
    ErrorCode, EventMessage, MAX_HISTORY_PAGE as MAX_PAGE, Position, RoomInfo, SYSTEM,
    ValidationIssue, WireError,
};
pub use state::connection::Transport;
pub use state::recovery::{DEFAULT_RECOVERY_AGE, DEFAULT_RECOVERY_SIZE};
pub use state::room::RoomOptions;
#[cfg(feature = "sqlite")]
pub use store::sqlite;
pub use store::{HistoryStore, StoreError};
pub use wire::transport::{DialogueListener, Killable, Peer};

/// schemars, as dialogue uses it (for the `JsonSchema` trait and hand-written impls).
pub use schemars;
/// ts-rs, as dialogue uses it (for the `TS` trait and hand-written impls).
pub use ts_rs;

/// Everything a declaration needs: `use dialogue_runtime::prelude::*;`.
///
/// `JsonSchema` and `TS` here are dialogue's derives, which need neither
/// schemars nor ts-rs as a dependency; the traits themselves are
/// [`schemars::JsonSchema`] and [`ts_rs::TS`].
pub mod prelude {
    pub use crate::{
        Accepts, DeclaredRoom, Dialogue, DialogueApp, Event, EventMessage, JsonSchema, Request, TS,
        dialogue,
    };
    pub use serde::{Deserialize, Serialize};
}

/// Guides, the same text as the repository's `docs/` folder.
pub mod guide {
    #[doc = include_str!("../../docs/rooms-and-events.md")]
    pub mod rooms_and_events {}
    #[doc = include_str!("../../docs/server.md")]
    pub mod server {}
    #[doc = include_str!("../../docs/protocol.md")]
    pub mod protocol {}
    #[doc = include_str!("../../docs/hooks.md")]
    pub mod hooks {}
    #[doc = include_str!("../../docs/requests.md")]
    pub mod requests {}
    #[doc = include_str!("../../docs/presence.md")]
    pub mod presence {}
    #[doc = include_str!("../../docs/http-api.md")]
    pub mod http_api {}
    #[doc = include_str!("../../docs/operating.md")]
    pub mod operating {}
    #[doc = include_str!("../../docs/scaling.md")]
    pub mod scaling {}
    #[doc = include_str!("../../docs/authentication.md")]
    pub mod authentication {}
    #[doc = include_str!("../../docs/codegen.md")]
    pub mod codegen {}
    #[doc = include_str!("../../docs/rust-client.md")]
    pub mod rust_client {}
    #[doc = include_str!("../../docs/architecture.md")]
    pub mod architecture {}
    #[doc = include_str!("../../docs/conformance.md")]
    pub mod conformance {}
}

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

/// What the macros expand to. Not public API: it may change in any release.
#[doc(hidden)]
pub mod __private {
    pub use dialogue_core::__private::*;
    pub use dialogue_macros::ShadowAttributes;
    pub use schemars;
    pub use ts_rs;
}
