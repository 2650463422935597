//! The load generator and benchmarks of Dialogue for Rust.
//!
//! `dialogue-load` (src/bin/dialogue-load.rs) speaks Engine.IO v4 and
//! Socket.IO v5 over WebSocket itself, one small task per connection, so one
//! process holds 10,000 and more connections. The modules here are its
//! parts, kept apart so that the pure ones are unit-tested:
//!
//! - [`args`]: the command line;
//! - [`packet`]: Engine.IO/Socket.IO text packets and the probe each
//!   published message carries (publisher, sequence, send time);
//! - [`histogram`]: a log-linear latency histogram;
//! - [`target`]: the loopback-only target and source addresses;
//! - [`procfs`]: the server's RSS and CPU time;
//! - [`client`]: one connection;
//! - [`scenario`]: one run;
//! - [`reconnect`]: the run of the `reconnect` scenario (cuts, recovery);
//! - [`report`]: the JSON line and the table.
//!
//! `bare-socketioxide` (bare/src/main.rs, a workspace of its own) and
//! `node-peer/server.mjs` are the peers it is compared with; `run-all.sh`
//! runs every scenario against all three. See `docs/benchmarks.md`.

pub mod args;
pub mod client;
pub mod histogram;
pub mod packet;
pub mod procfs;
pub mod reconnect;
pub mod report;
pub mod scenario;
pub mod target;
