//! The examples over the wire: each example's server, built by the very code
//! its `main` runs (`app.rs`, included here), on a free loopback port, driven
//! by real Socket.IO clients (dialogue-client) and, for its HTTP routes, by
//! hyper.
//!
//! Run: `cargo test --test examples`

#[path = "../support/mod.rs"]
mod support;

mod harness;

mod collab;
mod dashboard;
mod game;
mod iot;
mod notifications;
mod persistence;
