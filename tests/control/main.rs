//! Control over the wire (issue 4): hooks and the order they run in,
//! authentication (the `authenticate` hook and built-in JWTs), per-user rooms
//! and claims, every limit with its error code, CORS, and the conformance
//! server's switches. Real servers on loopback ports, real Socket.IO clients.

#[path = "../support/mod.rs"]
mod support;

mod app;
mod harness;
mod token;

mod claims;
mod conformance_switches;
mod cors;
mod hook_failures;
mod hooks_compose;
mod hooks_history;
mod hooks_order;
mod hooks_refuse;
mod hooks_transform;
mod jwt;
mod limits;
mod live_auth;
mod per_user_rooms;
mod remote_addr;
