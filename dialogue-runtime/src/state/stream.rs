//! Each room's stream: the order of its events (an epoch and a gap-free
//! `seq` over all its event names), what it keeps of them for history, and
//! the ids of the triggers it accepted (so a retry is not accepted twice).

use std::collections::{HashMap, VecDeque};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures_util::future::BoxFuture;

use crate::envelope::{StampedEvent, now_millis};
use crate::protocol::Position;
use crate::state::delivery::{Delivery, Turn};
use crate::state::history::RoomHistory;
use crate::state::recovery::Window;

pub(crate) use crate::envelope::Stamp;

/// Told of each kept event (and of the one it pushed out of the history),
/// in seq order, under the stream's lock: it must not block. Owned: a
/// durable stream calls it when the event is committed, maybe from another
/// publisher's task.
pub(crate) type Kept = Box<dyn FnOnce(&Arc<StampedEvent>, Option<Arc<StampedEvent>>) + Send>;

/// Why an event was not appended.
#[derive(Debug)]
pub(crate) enum AppendError {
    /// Its envelope could not be written.
    Serialize(serde_json::Error),
    /// The store could not commit it: nothing was accepted.
    Unavailable(String),
}

impl From<serde_json::Error> for AppendError {
    fn from(error: serde_json::Error) -> Self {
        Self::Serialize(error)
    }
}

/// A trigger's id, per user: `(user id, id)`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct TriggerId {
    pub(crate) user: String,
    pub(crate) id: String,
}

/// One event to append.
pub(crate) struct Append<'a> {
    /// How many events of its name the room keeps for history (`None`: it is
    /// not kept).
    pub(crate) keep: Option<NonZeroU32>,
    /// Writes the envelope for the seq it gets.
    pub(crate) stamp: Stamp<'a>,
    /// Its trigger id: when the room already accepted it, nothing is
    /// appended and the original comes back.
    pub(crate) id: Option<TriggerId>,
    /// Called when the event is kept for history.
    pub(crate) kept: Option<Kept>,
}

/// An event numbered in its room's order and on its way:
/// [`Stream::complete`] waits until it is delivered on this node (and,
/// with a durable store, committed first). Splitting the two lets a
/// connection number its next trigger while the previous one is still on
/// its way (`wire::queue`), so that a busy publisher's events are committed
/// and delivered in batches.
pub(crate) struct Ticket {
    pub(crate) event: Arc<StampedEvent>,
    pub(crate) kind: TicketKind,
}

/// What is left to do for a [`Ticket`].
pub(crate) enum TicketKind {
    /// Delivered by whoever drains the room; `drain`: by the ticket's
    /// holder.
    Deliver { drain: bool },
    /// Accepted before with the same trigger id: wait for its delivery.
    Repeat,
    /// Committed when the store's writer answers (`state::durable`).
    #[cfg(feature = "sqlite")]
    Commit(tokio::sync::oneshot::Receiver<Result<(), crate::store::sqlite::writer::Refused>>),
    /// Numbered when Redis answers its pipeline (`state::redis`); the
    /// ticket's event is a stand-in with seq 0 until then.
    #[cfg(feature = "redis")]
    Numbering(tokio::sync::oneshot::Receiver<Result<crate::state::redis::Numbered, AppendError>>),
}

/// What appending did.
pub(crate) enum Appended {
    /// The event, stamped and queued for delivery.
    New(Arc<StampedEvent>),
    /// The trigger id was accepted before: this is the original event.
    Repeat(Arc<StampedEvent>),
}

/// The stream of one room.
///
/// `append` is the one way in: it gives the event the next seq, keeps it,
/// and hands it to the room's [`Delivery`] on every node in seq order, so
/// that every member receives a room's events in that order however many
/// publish at once. Reads (`latest`, `page`) may go to the backend;
/// `position` is this node's view.
pub(crate) trait Stream: Send + Sync + 'static {
    /// The room's latest position: its epoch and the seq of the latest
    /// event it accepted.
    fn position(&self) -> Position;

    /// The room's delivery on this node.
    fn delivery(&self) -> &Arc<Delivery>;

    /// The event accepted with this trigger id, while the id is remembered
    /// (as long as its event is in the recovery window).
    fn repeated(&self, id: &TriggerId) -> Option<Arc<StampedEvent>>;

    /// Numbers one event (see [`Append`]) and sends it on its way; waits
    /// only while the room's delivery queue is full.
    fn number<'a>(&'a self, append: Append<'a>) -> BoxFuture<'a, Result<Ticket, AppendError>>;

    /// Waits until the event of `ticket` is delivered on this node (with a
    /// durable store, committed first).
    fn complete(&self, ticket: Ticket) -> BoxFuture<'_, Result<Appended, AppendError>>;

    /// Appends one event: [`number`](Self::number), then
    /// [`complete`](Self::complete).
    #[cfg(test)]
    fn append<'a>(&'a self, append: Append<'a>) -> BoxFuture<'a, Result<Appended, AppendError>> {
        Box::pin(async move {
            let ticket = self.number(append).await?;
            self.complete(ticket).await
        })
    }

    /// Waits (briefly, bounded) until this node's delivery holds every
    /// event the room had accepted when called, so that a recovery decided
    /// next is decided against the room's position and not a lagging
    /// copy of it. At once where the node is the room's only writer.
    fn catch_up(&self) -> BoxFuture<'_, ()> {
        Box::pin(std::future::ready(()))
    }

    /// The room leaves this process's memory unused (a per-user room or a
    /// template instance, swept): a backend that recorded a position for a
    /// room that never had an event may let it go, so that ids that come
    /// and go leave nothing behind.
    fn left_memory(&self) {}

    /// The room is deleted: what the backend keeps of it goes (its next life
    /// has a new epoch).
    fn forget(&self) -> BoxFuture<'_, ()> {
        Box::pin(std::future::ready(()))
    }

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

/// A stream in this process's memory: an epoch of its own (so a room
/// deleted and created again, or a restart, never repeats a position),
/// history in ring buffers per event name.
pub(crate) struct MemoryStream {
    /// Where its events go, in seq order.
    delivery: Arc<Delivery>,
    /// The latest seq, readable without the lock (written under it).
    seq: AtomicU64,
    /// The order of appends: the seq, the history and the delivery queue
    /// change together under it, briefly (delivery itself happens outside
    /// it, see `state::delivery`).
    tail: parking_lot::Mutex<Tail>,
    /// How long trigger ids are remembered: as long as their event is in
    /// the recovery window.
    window: Window,
}

/// What a stream keeps in memory, changed under its lock in seq order.
#[derive(Default)]
pub(crate) struct Tail {
    pub(crate) history: RoomHistory,
    ids: HashMap<TriggerId, Arc<StampedEvent>>,
    /// The ids in acceptance order, to forget them with their event.
    id_order: VecDeque<(TriggerId, Arc<StampedEvent>)>,
}

impl MemoryStream {
    /// An empty stream delivering through `delivery` (whose epoch is the
    /// stream's), remembering trigger ids within `window`.
    pub(crate) fn new(delivery: Arc<Delivery>, window: Window) -> Self {
        Self {
            delivery,
            seq: AtomicU64::new(0),
            tail: parking_lot::Mutex::new(Tail::default()),
            window,
        }
    }
}

impl Tail {
    /// The event accepted with `id`, if remembered.
    pub(crate) fn accepted(&self, id: &TriggerId) -> Option<Arc<StampedEvent>> {
        self.ids.get(id).cloned()
    }

    /// Remembers the event accepted with `id`.
    pub(crate) fn remember(&mut self, id: TriggerId, event: &Arc<StampedEvent>) {
        self.ids.insert(id.clone(), event.clone());
        self.id_order.push_back((id, event.clone()));
    }

    /// Keeps `event` for history (at most `limit` of its name), telling
    /// `kept` and handing it the event pushed out.
    pub(crate) fn keep(
        &mut self,
        event: &Arc<StampedEvent>,
        limit: Option<NonZeroU32>,
        kept: Option<Kept>,
    ) {
        if let Some(limit) = limit {
            let evicted = self.history.push(event.clone(), limit.get() as usize);
            if let Some(kept) = kept {
                kept(event, evicted);
            }
        }
    }

    /// Forgets the ids whose event left the recovery window.
    pub(crate) fn forget_ids(&mut self, window: &Window, latest: u64, now: u64) {
        let oldest_seq = latest.saturating_sub(window.size as u64) + 1;
        let oldest_time = now.saturating_sub(window.age.as_millis() as u64);
        while let Some((id, event)) = self.id_order.front() {
            if event.seq() < oldest_seq || event.timestamp() < oldest_time {
                self.ids.remove(id);
                self.id_order.pop_front();
            } else {
                break;
            }
        }
    }
}

impl Stream for MemoryStream {
    fn position(&self) -> Position {
        Position {
            epoch: self.delivery.epoch().to_string(),
            seq: self.seq.load(Ordering::Acquire),
        }
    }

    fn delivery(&self) -> &Arc<Delivery> {
        &self.delivery
    }

    fn repeated(&self, id: &TriggerId) -> Option<Arc<StampedEvent>> {
        let mut tail = self.tail.lock();
        tail.forget_ids(&self.window, self.seq.load(Ordering::Acquire), now_millis());
        tail.ids.get(id).cloned()
    }

    fn number<'a>(&'a self, append: Append<'a>) -> BoxFuture<'a, Result<Ticket, AppendError>> {
        Box::pin(async move {
            self.delivery.room_for_more().await;
            let mut tail = self.tail.lock();
            if let Some(id) = &append.id {
                tail.forget_ids(&self.window, self.seq.load(Ordering::Acquire), now_millis());
                if let Some(original) = tail.ids.get(id) {
                    return Ok(Ticket {
                        event: original.clone(),
                        kind: TicketKind::Repeat,
                    });
                }
            }
            let seq = self.seq.load(Ordering::Acquire) + 1;
            let event = Arc::new(append.stamp.stamp(seq)?);
            self.seq.store(seq, Ordering::Release);
            tail.keep(&event, append.keep, append.kept);
            if let Some(id) = append.id {
                tail.remember(id, &event);
            }
            let drain = self.delivery.push(event.clone()) == Turn::Drain;
            Ok(Ticket {
                event,
                kind: TicketKind::Deliver { drain },
            })
        })
    }

    fn complete(&self, ticket: Ticket) -> BoxFuture<'_, Result<Appended, AppendError>> {
        Box::pin(async move {
            let Ticket { event, kind } = ticket;
            match kind {
                TicketKind::Deliver { drain } => {
                    if drain {
                        self.delivery.drain().await;
                    }
                    self.delivery.settled(event.seq()).await;
                    Ok(Appended::New(event))
                }
                TicketKind::Repeat => {
                    self.delivery.settled(event.seq()).await;
                    Ok(Appended::Repeat(event))
                }
                #[cfg(feature = "sqlite")]
                TicketKind::Commit(_) => Err(AppendError::Unavailable(
                    "a memory stream has nothing to commit".into(),
                )),
                #[cfg(feature = "redis")]
                TicketKind::Numbering(_) => Err(AppendError::Unavailable(
                    "a memory stream numbers in memory".into(),
                )),
            }
        })
    }

    fn latest(&self, per_event: Option<usize>) -> BoxFuture<'_, Vec<Arc<StampedEvent>>> {
        Box::pin(std::future::ready(
            self.tail.lock().history.latest(per_event),
        ))
    }

    fn page<'a>(
        &'a self,
        event: &'a str,
        start: usize,
        end: usize,
    ) -> BoxFuture<'a, (Vec<Arc<StampedEvent>>, usize)> {
        let tail = self.tail.lock();
        let page = (
            tail.history.page(event, start, end),
            tail.history.len(event),
        );
        Box::pin(std::future::ready(page))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::state::delivery::Deliver;

    fn stamp<'a>(event: &'a str) -> Stamp<'a> {
        static DATA: serde_json::Value = serde_json::Value::Null;
        Stamp::Parts {
            room_id: "r",
            event,
            data: &DATA,
            from: "u",
            meta: None,
        }
    }

    struct Record(Arc<parking_lot::Mutex<Vec<u64>>>);

    impl Deliver for Record {
        fn deliver(&self, event: &StampedEvent) {
            self.0.lock().push(event.seq());
        }
    }

    fn stream(delivered: &Arc<parking_lot::Mutex<Vec<u64>>>, window: Window) -> MemoryStream {
        let delivery = Delivery::new(Box::new(Record(delivered.clone())), "e".into(), window);
        MemoryStream::new(delivery, window)
    }

    fn append<'a>(name: &'a str, keep: Option<u32>, id: Option<&str>) -> Append<'a> {
        Append {
            keep: keep.and_then(NonZeroU32::new),
            stamp: stamp(name),
            id: id.map(|id| TriggerId {
                user: "u".into(),
                id: id.into(),
            }),
            kept: None,
        }
    }

    #[tokio::test]
    async fn appends_number_from_one_keep_their_history_and_deliver_in_order() {
        let delivered = Arc::new(parking_lot::Mutex::new(Vec::new()));
        let stream = stream(&delivered, Window::default());
        assert_eq!(stream.position().seq, 0, "before the first event");
        for name in ["a", "b", "a", "a"] {
            stream.append(append(name, Some(2), None)).await.unwrap();
        }
        stream.append(append("c", None, None)).await.unwrap();
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

    #[tokio::test]
    async fn a_trigger_id_is_accepted_once_while_its_event_is_in_the_window() {
        let delivered = Arc::new(parking_lot::Mutex::new(Vec::new()));
        let window = Window {
            size: 3,
            age: Duration::from_secs(300),
        };
        let stream = stream(&delivered, window);
        let Appended::New(first) = stream.append(append("m", None, Some("t1"))).await.unwrap()
        else {
            panic!("new");
        };
        let again = stream.append(append("m", None, Some("t1"))).await.unwrap();
        assert!(matches!(again, Appended::Repeat(ref e) if e.seq() == first.seq()));
        let other_user = Append {
            id: Some(TriggerId {
                user: "v".into(),
                id: "t1".into(),
            }),
            ..append("m", None, None)
        };
        assert!(matches!(
            stream.append(other_user).await.unwrap(),
            Appended::New(_)
        ));
        assert_eq!(*delivered.lock(), [1, 2], "the repeat was not delivered");
        for _ in 0..3 {
            stream.append(append("m", None, None)).await.unwrap();
        }
        let id = TriggerId {
            user: "u".into(),
            id: "t1".into(),
        };
        assert!(stream.repeated(&id).is_none(), "its event left the window");
        assert!(matches!(
            stream.append(append("m", None, Some("t1"))).await.unwrap(),
            Appended::New(_)
        ));
    }
}
