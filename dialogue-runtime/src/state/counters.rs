//! What the server counts as it runs (read by `Dialogue::stats` and, later,
//! the metrics).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

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
    /// Events handed to sockets, one per recipient; kept only when
    /// `count_deliveries` is on (counting costs a walk over the recipients
    /// of each event).
    pub(crate) deliveries: AtomicU64,
    pub(crate) count_deliveries: AtomicBool,
}

impl Counters {
    pub(crate) fn bump(counter: &AtomicU64, by: u64) {
        counter.fetch_add(by, Ordering::Relaxed);
    }

    /// Whether deliveries are counted.
    pub(crate) fn counts_deliveries(&self) -> bool {
        self.count_deliveries.load(Ordering::Relaxed)
    }
}
