//! What the server counts as it runs (read by `Dialogue::stats` and, later,
//! the metrics).

use std::sync::atomic::{AtomicU64, Ordering};

/// Counters shared by the wire and the state; each is bumped off the hot
/// path (on a failure), so plain atomics do.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    /// Connections dropped because their outgoing buffer overflowed.
    pub(crate) slow_members: AtomicU64,
    /// Deliveries missed by a member that could not be told apart from the
    /// others: its buffer was full when the event was sent, not when it was
    /// looked for (see `wire::socket`).
    pub(crate) unattributed_misses: AtomicU64,
}

impl Counters {
    pub(crate) fn bump(counter: &AtomicU64, by: u64) {
        counter.fetch_add(by, Ordering::Relaxed);
    }
}
