//! The typed client: a Rust client of a Dialogue server, typed by the same
//! `dialogue!` declaration the server is built from (docs/rust-client.md).
//!
//! - [`TypedClient`]: connect (with the handshake's `auth`), join a
//!   declared room by its handle (`ChatApp::chat()`, `App::doc("readme")`),
//!   ask the application's requests with their Rust types;
//! - [`JoinedRoom`]: trigger an event by its Rust type (a compile error
//!   where clients may not trigger it: [`ClientTriggers`](dialogue_core::ClientTriggers)),
//!   receive the room's events typed, read its history;
//! - presence typed by the application's info type ([`Presence`],
//!   [`PresenceChange`]);
//! - recovery: the client reconnects by itself, resumes its session or joins
//!   each room again from its position, so that nothing sent meanwhile is
//!   lost ([`Recovery`]);
//! - errors carry the protocol's codes ([`CallError`], [`RefusalCode`]).
//!
//! It is built on the untyped [`Client`](crate::Client), one connection at a
//! time.
//!
//! ```no_run
//! # use dialogue_runtime::prelude::*;
//! # #[derive(Event, Serialize, Deserialize, JsonSchema, TS, Debug)]
//! # pub struct Message { pub text: String }
//! # dialogue! { pub ChatApp { chat: { name: "Chat", events: [Message] } } }
//! use dialogue_client::typed::TypedClient;
//! use serde_json::json;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let client = TypedClient::<ChatApp>::builder("http://127.0.0.1:3000")
//!     .auth(json!({ "userId": "bot" }))
//!     .connect()
//!     .await?;
//! let chat = client.join(ChatApp::chat()).await?;
//! let mut messages = chat.events::<Message>().await?;
//! while let Some(message) = messages.recv().await {
//!     if message.data.text == "!ping" {
//!         chat.trigger(Message { text: "pong".into() }).await?;
//!     }
//! }
//! # Ok(())
//! # }
//! ```

mod builder;
mod client;
mod dispatch;
mod error;
mod feed;
mod presence;
mod requests;
mod room;
mod rooms;
mod session;

// The protocol's types the typed client hands out, so that a client needs
// no other crate to name them.
pub use dialogue_core::protocol::{ErrorCode, EventMessage, Position, ValidationIssue};

pub use builder::TypedBuilder;
pub use client::{ConnectionState, TypedClient};
pub use error::{CallError, ConnectError, Refusal, RefusalCode};
pub use feed::{Events, Feed};
pub use presence::{Member, Presence, PresenceChange};
pub use room::{JoinedRoom, Trigger};
pub use rooms::Recovery;
