//! A room's in-memory history: one ring buffer per event type, kept by the
//! memory stream (`state::stream`). Pages are newest first: index 0 is the
//! latest event.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use crate::envelope::StampedEvent;

/// A room's in-memory history: one ring buffer per event type.
#[derive(Debug, Default)]
pub(crate) struct RoomHistory {
    buffers: HashMap<String, VecDeque<Arc<StampedEvent>>>,
}

impl RoomHistory {
    /// Keeps `event`, dropping the oldest of its type past `limit`; returns
    /// what was dropped.
    pub(crate) fn push(
        &mut self,
        event: Arc<StampedEvent>,
        limit: usize,
    ) -> Option<Arc<StampedEvent>> {
        let buffer = match self.buffers.get_mut(event.event()) {
            Some(buffer) => buffer,
            None => self
                .buffers
                .entry(event.event().to_owned())
                .or_insert_with(|| VecDeque::with_capacity(limit.min(64))),
        };
        buffer.push_back(event);
        if buffer.len() > limit {
            buffer.pop_front()
        } else {
            None
        }
    }

    /// How many events named `event` memory holds.
    pub(crate) fn len(&self, event: &str) -> usize {
        self.buffers.get(event).map_or(0, VecDeque::len)
    }

    /// Events named `event`, newest first, in `start..end`.
    pub(crate) fn page(&self, event: &str, start: usize, end: usize) -> Vec<Arc<StampedEvent>> {
        let Some(buffer) = self.buffers.get(event) else {
            return Vec::new();
        };
        buffer
            .iter()
            .rev()
            .skip(start)
            .take(end.saturating_sub(start))
            .cloned()
            .collect()
    }

    /// The latest `per_event` events of every type (all kept when `None`),
    /// merged newest first.
    pub(crate) fn latest(&self, per_event: Option<usize>) -> Vec<Arc<StampedEvent>> {
        let mut events: Vec<Arc<StampedEvent>> = self
            .buffers
            .values()
            .flat_map(|buffer| {
                let take = per_event.unwrap_or(buffer.len());
                buffer.iter().rev().take(take).cloned()
            })
            .collect();
        events.sort_unstable_by_key(|event| std::cmp::Reverse(event.seq()));
        events
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn published(seq: u64, event: &str) -> Arc<StampedEvent> {
        Arc::new(StampedEvent::stamp(seq, "r", event, &json!(seq), "u", None).unwrap())
    }

    fn seqs(events: &[Arc<StampedEvent>]) -> Vec<u64> {
        events.iter().map(|e| e.seq()).collect()
    }

    #[test]
    fn buffers_keep_the_newest_up_to_their_limit() {
        let mut history = RoomHistory::default();
        let mut dropped = Vec::new();
        for seq in 0..5 {
            dropped.extend(history.push(published(seq, "m"), 3));
        }
        assert_eq!(seqs(&dropped), [0, 1]);
        assert_eq!(history.len("m"), 3);
        assert_eq!(seqs(&history.page("m", 0, 50)), [4, 3, 2], "newest first");
        assert_eq!(seqs(&history.page("m", 1, 2)), [3]);
        assert!(history.page("m", 3, 10).is_empty());
        assert!(history.page("m", 2, 1).is_empty(), "end before start");
        assert!(history.page("other", 0, 10).is_empty());
    }

    #[test]
    fn latest_merges_event_types_by_acceptance_order() {
        let mut history = RoomHistory::default();
        for (seq, event) in [(0, "a"), (1, "b"), (2, "a"), (3, "a"), (4, "b")] {
            history.push(published(seq, event), 10);
        }
        assert_eq!(seqs(&history.latest(None)), [4, 3, 2, 1, 0]);
        assert_eq!(seqs(&history.latest(Some(1))), [4, 3]);
    }
}
