//! Declarations shared by the tests: the conformance app (the very file the
//! example compiles) and a fixture with every payload shape.

#![allow(
    dead_code,
    unreachable_pub,
    reason = "each test crate uses part of the shared declarations"
)]

#[path = "../../examples/conformance/app.rs"]
pub mod conformance;

pub mod http;
pub mod process;
pub mod proxy;
pub mod redis_server;
pub mod server_process;
pub mod shapes;
pub mod wire;
