//! Declarations shared by the tests: the conformance app (the very file the
//! example compiles) and a fixture with every payload shape.

#![allow(
    dead_code,
    unreachable_pub,
    reason = "each test crate uses part of the shared declarations"
)]

#[path = "../../examples/conformance/app.rs"]
pub mod conformance;

pub mod balancer;
pub mod cluster;
pub mod http;
pub mod process;
pub mod proxy;
pub mod redis_server;
pub mod server_process;
pub mod shapes;
pub mod wire;

/// A fresh, empty folder of its own under the system's temp dir,
/// `dialogue-{name}-...`: unique per call, run and process.
pub fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "dialogue-{name}-{}-{:x}",
        std::process::id(),
        random_u64()
    ));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    dir
}

/// 64 bits that differ from call to call and run to run (the standard
/// library's randomly keyed hasher; no RNG crate in the tests for this).
pub fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    hasher.finish()
}
