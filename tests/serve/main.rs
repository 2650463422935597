//! The runtime over the wire: a real server on a loopback port, driven by
//! real Socket.IO clients on both transports, for every rule of docs/protocol.md.

#[path = "../support/mod.rs"]
mod support;

mod concurrency;
mod connect;
mod dynamic_rooms;
mod harness;
mod history;
mod hosts;
mod http_api;
mod lifecycle;
mod malformed;
mod model;
mod presence;
mod recovery;
mod requests;
mod rooms;
mod server_api;
mod server_events;
mod smoke;
mod sse;
mod subscriptions;
mod templates;
mod trigger;
