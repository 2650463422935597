//! Each room's stream: the order of its events (an epoch and a gap-free
//! `seq` over all its event names), what it keeps of them, and their
//! delivery in that order.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures_util::future::BoxFuture;

use crate::envelope::StampedEvent;
use crate::protocol::Position;
use crate::state::delivery::{Delivery, Turn};
use crate::state::history::RoomHistory;

/// Writes the envelope of an event once it has its seq.
pub(crate) type Stamp<'a> =
    Box<dyn FnOnce(u64) -> Result<StampedEvent, serde_json::Error> + Send + 'a>;

/// One event to append.
pub(crate) struct Append<'a> {
    /// How many events of its name the room keeps for history (`None`: it is
    /// not kept).
    pub(crate) keep: Option<NonZeroU32>,
    /// Writes the envelope for the seq it gets.
    pub(crate) stamp: Stamp<'a>,
}

/// What appending did.
pub(crate) struct Appended {
    /// The event, stamped.
    pub(crate) event: Arc<StampedEvent>,
    /// The event of the same name that left the history to make room.
    pub(crate) evicted: Option<Arc<StampedEvent>>,
}

/// The stream of one room.
///
/// `append` is the one way in: it gives the event the next seq, keeps it,
/// and hands it to the room's [`Delivery`] on every node in seq order, so
/// that every member receives a room's events in that order however many
/// publish at once. Reads (`latest`, `page`) may go to the backend;
/// `position` is this node's view.
pub(crate) trait Stream: Send + Sync + 'static {
    /// The room's latest position.
    fn position(&self) -> Position;

    /// Appends one event (see [`Append`]).
    fn append<'a>(
        &'a self,
        append: Append<'a>,
    ) -> BoxFuture<'a, Result<Appended, serde_json::Error>>;

    /// The latest `per_event` events of every name (all kept when `None`),
    /// newest first.
    fn latest(&self, per_event: Option<usize>) -> BoxFuture<'_, Vec<Arc<StampedEvent>>>;

    /// Events named `event`, newest first, indices `start..end`, with how
    /// many of that name the stream holds.
    fn page<'a>(
        &'a self,
        event: &'a str,
        start: usize,
        end: usize,
    ) -> BoxFuture<'a, (Vec<Arc<StampedEvent>>, usize)>;
}

/// A stream in this process's memory: a new epoch per process, history in
/// ring buffers per event name.
pub(crate) struct MemoryStream {
    epoch: Arc<str>,
    /// Where its events go, in seq order.
    delivery: Arc<Delivery>,
    /// The latest seq, readable without the lock (written under it).
    seq: AtomicU64,
    /// The order of appends: the seq, the history and the delivery queue
    /// change together under it, briefly (delivery itself happens outside
    /// it, see `state::delivery`).
    tail: parking_lot::Mutex<RoomHistory>,
}

impl MemoryStream {
    /// An empty stream in `epoch`, delivering through `delivery`.
    pub(crate) fn new(epoch: Arc<str>, delivery: Arc<Delivery>) -> Self {
        Self {
            epoch,
            delivery,
            seq: AtomicU64::new(0),
            tail: parking_lot::Mutex::new(RoomHistory::default()),
        }
    }
}

impl Stream for MemoryStream {
    fn position(&self) -> Position {
        Position {
            epoch: self.epoch.to_string(),
            seq: self.seq.load(Ordering::Acquire),
        }
    }

    fn append<'a>(
        &'a self,
        append: Append<'a>,
    ) -> BoxFuture<'a, Result<Appended, serde_json::Error>> {
        Box::pin(async move {
            self.delivery.room_for_more().await;
            let (appended, turn) = {
                let mut history = self.tail.lock();
                let seq = self.seq.load(Ordering::Acquire) + 1;
                let event = Arc::new((append.stamp)(seq)?);
                self.seq.store(seq, Ordering::Release);
                let evicted = append
                    .keep
                    .and_then(|limit| history.push(event.clone(), limit.get() as usize));
                let turn = self.delivery.push(event.clone());
                (Appended { event, evicted }, turn)
            };
            if turn == Turn::Drain {
                self.delivery.drain();
            }
            Ok(appended)
        })
    }

    fn latest(&self, per_event: Option<usize>) -> BoxFuture<'_, Vec<Arc<StampedEvent>>> {
        Box::pin(std::future::ready(self.tail.lock().latest(per_event)))
    }

    fn page<'a>(
        &'a self,
        event: &'a str,
        start: usize,
        end: usize,
    ) -> BoxFuture<'a, (Vec<Arc<StampedEvent>>, usize)> {
        let history = self.tail.lock();
        Box::pin(std::future::ready((
            history.page(event, start, end),
            history.len(event),
        )))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn stamp<'a>(event: &'a str) -> Stamp<'a> {
        Box::new(move |seq| StampedEvent::stamp(seq, "r", event, &json!(seq), "u", None))
    }

    struct Record(Arc<parking_lot::Mutex<Vec<u64>>>);

    impl crate::state::delivery::Deliver for Record {
        fn deliver(&self, event: &StampedEvent) {
            self.0.lock().push(event.seq());
        }
    }

    #[tokio::test]
    async fn appends_number_from_one_keep_their_history_and_deliver_in_order() {
        let delivered = Arc::new(parking_lot::Mutex::new(Vec::new()));
        let delivery = Delivery::new(Box::new(Record(delivered.clone())));
        let stream = MemoryStream::new("e".into(), delivery);
        assert_eq!(stream.position().seq, 0, "before the first event");
        for name in ["a", "b", "a", "a"] {
            stream
                .append(Append {
                    keep: NonZeroU32::new(2),
                    stamp: stamp(name),
                })
                .await
                .unwrap();
        }
        let kept = stream
            .append(Append {
                keep: None,
                stamp: stamp("c"),
            })
            .await
            .unwrap();
        assert!(kept.evicted.is_none());
        assert_eq!(*delivered.lock(), [1, 2, 3, 4, 5]);
        assert_eq!(
            stream.position(),
            Position {
                epoch: "e".into(),
                seq: 5
            }
        );
        let (page, held) = stream.page("a", 0, 10).await;
        assert_eq!(page.iter().map(|e| e.seq()).collect::<Vec<_>>(), [4, 3]);
        assert_eq!(held, 2);
        let latest = stream.latest(None).await;
        assert_eq!(
            latest.iter().map(|e| e.seq()).collect::<Vec<_>>(),
            [4, 3, 2]
        );
    }
}
