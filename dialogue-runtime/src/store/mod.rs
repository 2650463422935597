//! Event history: ring buffers in memory, per room and event type, and the
//! [`HistoryStore`] trait through which a persistent store keeps more.
//!
//! Order is the order the server accepted events (each room numbers them),
//! never the millisecond timestamp, so a burst within one millisecond keeps its
//! order. Pages are newest first: index 0 is the latest event.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use futures_util::future::BoxFuture;

use crate::envelope::Published;

/// The largest page a `getHistory` returns; a request for more is cut to this
/// and the answer's `end` says where it stopped.
pub const MAX_PAGE: u64 = 100;

/// A persistent history store, consulted past the in-memory buffers.
///
/// The server calls [`record`](Self::record) for every event kept in history
/// (write-through, off the broadcast path) and [`page`](Self::page) when a
/// client pages past what memory holds. Implementations clone what they need
/// into the returned futures.
///
/// ```
/// use std::sync::{Arc, Mutex};
///
/// use dialogue_runtime::{HistoryStore, Published, StoreError};
/// use futures_util::future::BoxFuture;
///
/// /// Keeps everything, in memory: a stand-in for a database.
/// #[derive(Default)]
/// struct Everything(Arc<Mutex<Vec<(String, String, Arc<Published>)>>>);
///
/// impl HistoryStore for Everything {
///     fn record(&self, room: &str, event: Arc<Published>) -> BoxFuture<'static, Result<(), StoreError>> {
///         let rows = self.0.clone();
///         let key = (room.to_owned(), event.event().to_owned());
///         Box::pin(async move {
///             rows.lock().unwrap().push((key.0, key.1, event));
///             Ok(())
///         })
///     }
///
///     fn page(&self, room: &str, event: &str, start: u64, end: u64)
///         -> BoxFuture<'static, Result<Vec<Arc<Published>>, StoreError>>
///     {
///         let rows: Vec<Arc<Published>> = self.0.lock().unwrap().iter().rev()
///             .filter(|(r, e, _)| r == room && e == event)
///             .map(|(_, _, p)| p.clone())
///             .skip(start as usize)
///             .take((end - start) as usize)
///             .collect();
///         Box::pin(async move { Ok(rows) })
///     }
/// }
/// ```
pub trait HistoryStore: Send + Sync + 'static {
    /// Keeps one event of `room`. Called in the order events are accepted.
    fn record(
        &self,
        room: &str,
        event: Arc<Published>,
    ) -> BoxFuture<'static, Result<(), StoreError>>;

    /// The events named `event` in `room`, newest first, from index `start`
    /// (0 is the latest) to `end` (exclusive).
    fn page(
        &self,
        room: &str,
        event: &str,
        start: u64,
        end: u64,
    ) -> BoxFuture<'static, Result<Vec<Arc<Published>>, StoreError>>;
}

/// A history store's failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct StoreError(pub String);

/// A room's in-memory history: one ring buffer per event type.
#[derive(Debug, Default)]
pub(crate) struct RoomHistory {
    buffers: HashMap<String, VecDeque<Arc<Published>>>,
}

impl RoomHistory {
    /// Keeps `event`, dropping the oldest of its type past `limit`; returns
    /// what was dropped.
    pub(crate) fn push(&mut self, event: Arc<Published>, limit: usize) -> Option<Arc<Published>> {
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
    pub(crate) fn page(&self, event: &str, start: usize, end: usize) -> Vec<Arc<Published>> {
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
    pub(crate) fn latest(&self, per_event: Option<usize>) -> Vec<Arc<Published>> {
        let mut events: Vec<Arc<Published>> = self
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

    fn published(seq: u64, event: &str) -> Arc<Published> {
        Arc::new(Published::stamp(seq, "r", event, &json!(seq), "u", None).unwrap())
    }

    fn seqs(events: &[Arc<Published>]) -> Vec<u64> {
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
