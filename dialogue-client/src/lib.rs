//! A small async [Socket.IO](https://socket.io/docs/v4/socket-io-protocol/) client:
//! Socket.IO protocol v5 over Engine.IO v4, for talking to a Socket.IO server such as one
//! built on socketioxide.
//!
//! * One transport per connection, never upgraded: WebSocket
//!   (`ws://host/socket.io/?EIO=4&transport=websocket`) or HTTP long-polling.
//! * One namespace per client (default `/`), with an optional handshake `auth` object.
//! * Emit events, with or without acknowledgement, or with a binary attachment; send raw
//!   packet text to test how a server copes with malformed input.
//! * Server events arrive in order in an inbox; [`Client::expect_event`] waits for a given
//!   name and keeps the others queued.
//! * Heartbeats are answered in the background; disconnection by either side is visible
//!   through [`Client::is_connected`], [`Client::disconnect_reason`] and
//!   [`Client::recv`] returning `None`.
//!
//! The pure packet codec lives in [`packet`] and can be used on its own.
//!
//! [`typed`] is a client typed by an application's `dialogue!` declaration,
//! built on this one: rooms by their handles, events and requests by their
//! Rust types, presence, and recovery across reconnects
//! (docs/rust-client.md).
//!
//! # Example
//!
//! ```no_run
//! use std::time::Duration;
//!
//! use dialogue_client::{ClientBuilder, Error, Transport};
//! use serde_json::json;
//!
//! # async fn run() -> Result<(), Error> {
//! let client = ClientBuilder::new("http://127.0.0.1:3000")
//!     .transport(Transport::Polling)
//!     .auth(json!({ "token": "secret" }))
//!     .connect_timeout(Duration::from_secs(5))
//!     .connect()
//!     .await?;
//! println!("connected as {}", client.id());
//!
//! // Fire and forget, then wait for the server's "message" event.
//! client.emit("message", json!({ "text": "hello" }))?;
//! let event = client.expect_event("message", Duration::from_secs(1)).await?;
//! println!("{}: {:?}", event.name, event.args);
//!
//! // Ask for an acknowledgement and get its arguments.
//! let sum = client
//!     .emit_args_with_ack("add", vec![json!(1), json!(2)], Duration::from_secs(1))
//!     .await?;
//! assert_eq!(sum, vec![json!(3)]);
//!
//! // A refused connection is a typed error carrying the server's message.
//! match ClientBuilder::new("http://127.0.0.1:3000").connect().await {
//!     Err(Error::ConnectRefused { message, .. }) => println!("refused: {message}"),
//!     other => println!("{other:?}"),
//! }
//!
//! client.disconnect().await;
//! # Ok(())
//! # }
//! ```

#![warn(unreachable_pub)]

mod builder;
mod client;
mod driver;
mod error;
mod event;
pub mod packet;
mod transport;
pub mod typed;

pub use builder::ClientBuilder;
pub use client::Client;
pub use error::Error;
pub use event::{DisconnectReason, ServerEvent};
pub use transport::Transport;
pub use typed::TypedClient;
