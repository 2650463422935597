//! The recovery rule, as pure functions: whether a client at a position can
//! be given everything it missed, and which events a room keeps to do it.
//!
//! All or nothing: a client is recovered only when the room's epoch is the
//! one it knew and every event after its seq is still held; otherwise it
//! gets nothing replayed and reloads through history. Never a silent gap,
//! never a duplicate.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use crate::envelope::StampedEvent;
use crate::protocol::Position;

/// The default size of a room's recovery window, in events.
pub const DEFAULT_RECOVERY_SIZE: usize = 1000;

/// The default age of a room's recovery window.
pub const DEFAULT_RECOVERY_AGE: Duration = Duration::from_secs(300);

/// The outcome of a recovery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Every event after the client's seq is held: replay them.
    Recovered,
    /// The room's sequence restarted or is another one.
    OtherEpoch,
    /// The client claims a seq the room has not reached.
    Ahead,
    /// Some of the events after the client's seq left the window.
    Evicted,
}

/// Whether a client at `since` can be recovered by a room at `current`
/// whose window's oldest event is `oldest` (`None`: the window is empty).
///
/// The window holds a contiguous run of the latest events, so it covers
/// everything after `since` exactly when its oldest seq is at most
/// `since.seq + 1`, or when nothing happened after `since`.
pub(crate) fn decide(since: &Position, current: &Position, oldest: Option<u64>) -> Decision {
    if since.epoch != current.epoch {
        return Decision::OtherEpoch;
    }
    if since.seq > current.seq {
        return Decision::Ahead;
    }
    if since.seq == current.seq {
        return Decision::Recovered;
    }
    match oldest {
        Some(oldest) if oldest <= since.seq + 1 => Decision::Recovered,
        _ => Decision::Evicted,
    }
}

/// The limits of a room's recovery window: the last `size` events of every
/// name, none older than `age`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Window {
    pub(crate) size: usize,
    pub(crate) age: Duration,
}

impl Default for Window {
    fn default() -> Self {
        Self {
            size: DEFAULT_RECOVERY_SIZE,
            age: DEFAULT_RECOVERY_AGE,
        }
    }
}

impl Window {
    /// Drops from the front of `kept` (oldest first, the latest with seq
    /// `latest`) what is past the limits at `now` (Unix milliseconds).
    pub(crate) fn evict(&self, kept: &mut VecDeque<Arc<StampedEvent>>, latest: u64, now: u64) {
        let oldest_allowed_seq = latest.saturating_sub(self.size as u64) + 1;
        let oldest_allowed_time = now.saturating_sub(self.age.as_millis() as u64);
        while let Some(front) = kept.front() {
            if front.seq() < oldest_allowed_seq || front.timestamp() < oldest_allowed_time {
                kept.pop_front();
            } else {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn at(epoch: &str, seq: u64) -> Position {
        Position {
            epoch: epoch.into(),
            seq,
        }
    }

    #[test]
    fn the_rule_in_examples() {
        let now = at("e", 10);
        assert_eq!(
            decide(&at("e", 10), &now, None),
            Decision::Recovered,
            "nothing missed"
        );
        assert_eq!(decide(&at("e", 10), &now, Some(10)), Decision::Recovered);
        assert_eq!(decide(&at("e", 4), &now, Some(5)), Decision::Recovered);
        assert_eq!(decide(&at("e", 4), &now, Some(3)), Decision::Recovered);
        assert_eq!(
            decide(&at("e", 4), &now, Some(6)),
            Decision::Evicted,
            "5 is gone"
        );
        assert_eq!(decide(&at("e", 4), &now, None), Decision::Evicted);
        assert_eq!(decide(&at("e", 11), &now, Some(1)), Decision::Ahead);
        assert_eq!(decide(&at("x", 10), &now, Some(1)), Decision::OtherEpoch);
        assert_eq!(
            decide(&at("e", 0), &at("e", 0), None),
            Decision::Recovered,
            "an empty room"
        );
    }

    /// SplitMix64: a fixed-seed generator for the property test.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: u64) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            (z ^ (z >> 31)) % n.max(1)
        }
    }

    fn stamped(seq: u64, timestamp: u64) -> Arc<StampedEvent> {
        let message = crate::protocol::EventMessage {
            event: "e".into(),
            room_id: "r".into(),
            data: json!(seq),
            from: "u".into(),
            timestamp,
            seq,
            meta: None,
        };
        Arc::new(StampedEvent::from_message(seq, &message).unwrap())
    }

    /// Against a model that keeps every event: the window, evicted by its
    /// limits after each event, recovers a position exactly when all the
    /// events after it are in the window, and then replays exactly those,
    /// in order, none twice.
    #[test]
    fn recovery_is_all_or_nothing_against_a_model_that_keeps_everything() {
        let mut rng = Rng(0xD1A1_0C0D);
        for _ in 0..300 {
            let window = Window {
                size: 1 + rng.below(20) as usize,
                age: Duration::from_millis(1 + rng.below(50)),
            };
            let mut kept = VecDeque::new();
            let mut all = Vec::new();
            let mut now = 1_000_000;
            let events = rng.below(60);
            for seq in 1..=events {
                now += rng.below(10);
                let event = stamped(seq, now);
                all.push(event.clone());
                kept.push_back(event);
                window.evict(&mut kept, seq, now);
            }
            now += rng.below(30);
            window.evict(&mut kept, events, now);
            let current = at("e", events);
            for _ in 0..20 {
                let since = at(
                    if rng.below(10) == 0 { "old" } else { "e" },
                    rng.below(events + 3),
                );
                let decision = decide(&since, &current, kept.front().map(|e| e.seq()));
                let needed: Vec<u64> = ((since.seq + 1)..=events).collect();
                let held: Vec<u64> = kept.iter().map(|e| e.seq()).collect();
                let model = since.epoch == "e"
                    && since.seq <= events
                    && needed.iter().all(|seq| held.contains(seq));
                assert_eq!(
                    decision == Decision::Recovered,
                    model,
                    "{since:?} {held:?} {current:?}"
                );
                if model {
                    let replay: Vec<u64> = kept
                        .iter()
                        .map(|e| e.seq())
                        .filter(|seq| *seq > since.seq)
                        .collect();
                    assert_eq!(replay, needed, "exactly the missed events, in order");
                }
                // The window is the latest events, contiguous, within the limits.
                assert!(held.windows(2).all(|w| w[1] == w[0] + 1), "{held:?}");
                assert!(held.len() <= window.size);
                assert!(
                    kept.iter()
                        .all(|e| e.timestamp() + window.age.as_millis() as u64 >= now)
                );
                assert!(held.last().is_none_or(|last| *last == events));
                assert_eq!(all.len() as u64, events);
            }
        }
    }
}
