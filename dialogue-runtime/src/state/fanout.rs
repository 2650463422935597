//! Fan-out through socketioxide's rooms, on this node.
//!
//! Each Dialogue room is a set of socketioxide rooms ("keys"), one per event
//! name a member subscribes to, plus one for `*`. An event is sent once to
//! the union of its name's key and the `*` key: socketioxide encodes the
//! packet once and delivers it, each socket once, with no loop over
//! participants here. Subscribing and unsubscribing are joins and leaves of
//! those keys, so delivery needs no per-recipient check.
//!
//! Delivery is local: every node sends a room's events to its own sockets
//! (how events reach the other nodes is the room stream's business,
//! `state::stream`). That is what makes the `*` shortcut of [`RoomFanout`]
//! sound: whether anyone is subscribed to `*` is asked of this node's
//! sockets, which are exactly the ones it delivers to.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use futures_util::future::BoxFuture;
use serde_json::value::RawValue;

use crate::envelope::StampedEvent;
use crate::protocol::ServerEvent;
use crate::rules::WILDCARD;
use crate::state::counters::Counters;
use crate::state::delivery::Deliver;

/// Separates room id and event name in a key; neither can contain it (the
/// naming rules refuse control characters).
const SEPARATOR: char = '\u{1f}';

/// The key of every greeted socket: broadcasts to everyone (`roomCreated`,
/// `roomDeleted`) go here, so that a socket between its Socket.IO connection
/// and its `dialogue:connected` receives nothing.
pub(crate) const GREETED: &str = "\u{1f}greeted";

/// The key of subscribers to `event` (or `*`) in `room`.
pub(crate) fn key(room: &str, event: &str) -> String {
    let mut key = String::with_capacity(room.len() + 1 + event.len());
    key.push_str(room);
    key.push(SEPARATOR);
    key.push_str(event);
    key
}

/// Sockets whose outgoing buffer was full when an event was delivered: they
/// did not get it. Those found (`dropped`) were dropped as slow members and
/// recover it when they resume.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Missed {
    pub(crate) count: usize,
    pub(crate) dropped: usize,
}

/// Sending to the sockets of this node.
pub(crate) trait Fanout: Send + Sync + 'static {
    /// Sends `payload` as `event` to every socket of this node in any of
    /// `keys`, each once. Returns once every socket's queue holds it. After
    /// `close` it sends nothing.
    fn send(&self, keys: Vec<String>, event: &str, payload: &RawValue) -> Missed;

    /// After a send to `keys` that `count` sockets missed: drops those of
    /// them that can be found (their queue still full) as slow members.
    /// Returns how many.
    fn drop_slow(&self, keys: Vec<String>, count: usize) -> usize;

    /// How many sockets of this node are in any of `keys`.
    fn count(&self, keys: Vec<String>) -> usize;

    /// Closes every transport of this node.
    fn close(&self) -> BoxFuture<'static, ()>;
}

/// A room's delivery to the sockets of this node subscribed to an event's
/// name or to `*`.
pub(crate) struct RoomFanout {
    pub(crate) room_id: String,
    /// This node's members subscribed to `*` (kept by the room's state).
    pub(crate) wildcard: Arc<AtomicUsize>,
    pub(crate) fanout: Arc<dyn Fanout>,
    pub(crate) counters: Arc<Counters>,
    /// When this room's members were last probed for slow ones
    /// ([`monotonic_millis`]).
    pub(crate) probed_at: AtomicU64,
    /// When a miss was last logged ([`monotonic_millis`]): at most one line
    /// a second per room, however many events an overload makes miss (the
    /// counters count every one).
    pub(crate) logged_at: AtomicU64,
}

/// Milliseconds on a monotonic clock, from a base 10 s before its first
/// read (so that "never" (0) is long enough ago for any interval here). A
/// wall clock stepping back would stop probes for as long as it stepped.
pub(crate) fn monotonic_millis() -> u64 {
    static BASE: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    let base = BASE.get_or_init(std::time::Instant::now);
    base.elapsed().as_millis() as u64 + 10_000
}

/// The shortest time between two log lines about misses, per room.
const LOG_INTERVAL_MS: u64 = 1000;

/// How often, at most, a room's members are probed for slow ones. A
/// member that stopped reading stays full and is found at the next probe;
/// probing after every missed broadcast would double the cost of delivery
/// exactly when the server is overloaded (measured: +14 % CPU per delivery
/// with three saturating publishers).
const PROBE_INTERVAL_MS: u64 = 50;

impl RoomFanout {
    /// The keys an event named `event` goes to. Without local `*`
    /// subscribers it is one key: socketioxide then skips the
    /// de-duplication set it builds for a send to several of its rooms,
    /// which costs about a tenth of the server's CPU at saturation.
    fn keys(&self, event: &str) -> Vec<String> {
        if self.wildcard.load(Ordering::Acquire) > 0 {
            vec![key(&self.room_id, event), key(&self.room_id, WILDCARD)]
        } else {
            vec![key(&self.room_id, event)]
        }
    }

    /// How many sockets of this node an event named `event` goes to now (a
    /// walk over them: only for hooks that want the count).
    pub(crate) fn recipients(&self, event: &str) -> usize {
        self.fanout.count(self.keys(event))
    }
}

impl Deliver for RoomFanout {
    fn deliver(&self, stamped: &StampedEvent) {
        let event = stamped.event();
        // Only when asked for: a walk over the recipients.
        let recipients = if self.counters.counts_deliveries() {
            self.fanout.count(self.keys(event))
        } else {
            0
        };
        let mut missed = self.fanout.send(
            self.keys(event),
            ServerEvent::Event.wire_name(),
            stamped.json(),
        );
        if recipients > 0 {
            Counters::bump(
                &self.counters.deliveries,
                recipients.saturating_sub(missed.count) as u64,
            );
        }
        if missed.count > 0 {
            let now = monotonic_millis();
            let last = self.probed_at.load(Ordering::Relaxed);
            if now.saturating_sub(last) >= PROBE_INTERVAL_MS
                && self
                    .probed_at
                    .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                    .is_ok()
            {
                missed.dropped = self.fanout.drop_slow(self.keys(event), missed.count);
            }
            if missed.count > missed.dropped {
                Counters::bump(
                    &self.counters.unattributed_misses,
                    (missed.count - missed.dropped) as u64,
                );
            }
        }
        if missed.count == 0 || !self.may_log() {
            return;
        }
        if missed.count > missed.dropped {
            tracing::error!(
                room = %self.room_id, event, seq = stamped.seq(), missed = missed.count,
                dropped = missed.dropped,
                "members missed an event and not all of them could be found to be dropped"
            );
        } else {
            tracing::warn!(
                room = %self.room_id, event, seq = stamped.seq(), missed = missed.count,
                "members that are not reading missed an event: dropped, they recover it when they resume"
            );
        }
    }
}

impl RoomFanout {
    /// Whether a line about misses may be logged now (one a second).
    fn may_log(&self) -> bool {
        let now = monotonic_millis();
        let last = self.logged_at.load(Ordering::Relaxed);
        now.saturating_sub(last) >= LOG_INTERVAL_MS
            && self
                .logged_at
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_cannot_collide_across_rooms_and_events() {
        assert_eq!(key("chat", "message"), "chat\u{1f}message");
        assert_ne!(key("a:b", "c"), key("a", "b:c"));
    }
}
