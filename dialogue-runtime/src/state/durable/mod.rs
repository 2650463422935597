//! A room's stream with the durable store: an event is numbered in the
//! room's order, committed by the store's writer (group commit), and only
//! then kept, answered and delivered, in seq order. A restart continues the
//! stream: same epoch, next seq, its latest events back in memory.
//!
//! The steps of one append, and why they are shaped so:
//!
//! 1. Under the stream's lock: the next seq, the envelope, and the write
//!    sent to the store, so that each room's writes reach the writer in seq
//!    order; the event waits in `uncommitted`.
//! 2. The writer commits a batch and answers each write.
//! 3. The publisher, answered, applies every committed event of the room up
//!    to its own, in seq order (whoever wakes first applies for the others:
//!    commit answers wake tasks in any order), then waits for its event to
//!    be delivered, like a memory stream's publisher.
//!
//! A failed commit takes nothing: the room's seq goes back to the last
//! committed one (seq stays gap-free), the events numbered after it are
//! dropped and their triggers answered `UNAVAILABLE`.

use std::collections::{HashMap, VecDeque};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures_util::future::BoxFuture;
use parking_lot::Mutex;
use tokio::sync::{Notify, oneshot};

use crate::envelope::{StampedEvent, now_millis};
use crate::protocol::Position;
use crate::state::delivery::{Delivery, Turn};
use crate::state::recovery::Window;
use crate::state::stream::{
    Append, AppendError, Appended, Kept, Stream, Tail, Ticket, TicketKind, TriggerId,
};
use crate::store::sqlite::SqliteStore;
use crate::store::sqlite::writer::{Refused, Write};

/// Separates a trigger's user and id in the store.
const TRIGGER_SEPARATOR: char = '\u{1f}';

/// The durable stream of one room.
pub(crate) struct DurableStream {
    room: Arc<str>,
    store: SqliteStore,
    /// The room's epoch number in the store.
    epoch: u64,
    delivery: Arc<Delivery>,
    /// The latest seq numbered (committed or on its way).
    seq: AtomicU64,
    tail: Mutex<DurableTail>,
    window: Window,
}

#[derive(Default)]
struct DurableTail {
    /// The room was deleted: nothing more is appended.
    forgotten: bool,
    kept: Tail,
    /// Bumped, with the store's writer, when a commit of the room fails.
    generation: u64,
    /// Numbered and sent to the store, not yet applied; in seq order.
    uncommitted: VecDeque<Entry>,
    /// Trigger ids of uncommitted events: a retry waits for the original.
    pending: HashMap<TriggerId, Arc<Pending>>,
}

struct Entry {
    event: Arc<StampedEvent>,
    keep: Option<NonZeroU32>,
    kept: Option<Kept>,
    id: Option<TriggerId>,
}

/// The outcome of an uncommitted trigger, for a retry of it.
#[derive(Default)]
struct Pending {
    /// `Some(Some(event))` committed, `Some(None)` refused.
    outcome: Mutex<Option<Option<Arc<StampedEvent>>>>,
    done: Notify,
}

impl Pending {
    fn settle(&self, outcome: Option<Arc<StampedEvent>>) {
        *self.outcome.lock() = Some(outcome);
        self.done.notify_waiters();
    }

    async fn wait(&self) -> Option<Arc<StampedEvent>> {
        loop {
            let done = self.done.notified();
            if let Some(outcome) = self.outcome.lock().clone() {
                return outcome;
            }
            done.await;
        }
    }
}

/// How the stream starts: where the store left the room.
pub(crate) struct Resume {
    pub(crate) epoch: u64,
    pub(crate) seq: u64,
}

impl DurableStream {
    /// The stream of `room`, continuing from what the store holds: its
    /// delivery (already at the stored position, its recovery window
    /// filled), its trigger ids within the window, and the latest `keeps`
    /// events of each kept name.
    pub(crate) fn new(
        room: &str,
        store: SqliteStore,
        resume: Resume,
        delivery: Arc<Delivery>,
        window: Window,
        recent: Vec<(Arc<StampedEvent>, Option<String>)>,
        history: Vec<(Arc<StampedEvent>, NonZeroU32)>,
    ) -> Self {
        let mut tail = DurableTail::default();
        for (event, limit) in history {
            tail.kept.keep(&event, Some(limit), None);
        }
        for (event, trigger) in &recent {
            if let Some((user, id)) = trigger
                .as_deref()
                .and_then(|t| t.split_once(TRIGGER_SEPARATOR))
            {
                tail.kept.remember(
                    TriggerId {
                        user: user.to_owned(),
                        id: id.to_owned(),
                    },
                    event,
                );
            }
        }
        Self {
            room: Arc::from(room),
            store,
            epoch: resume.epoch,
            delivery,
            seq: AtomicU64::new(resume.seq),
            tail: Mutex::new(tail),
            window,
        }
    }

    /// Applies the room's committed events up to `upto`, in seq order: kept,
    /// remembered, queued for delivery. True when the caller must deliver.
    fn apply(&self, tail: &mut DurableTail, upto: u64) -> bool {
        let mut drain = false;
        while tail
            .uncommitted
            .front()
            .is_some_and(|entry| entry.event.seq() <= upto)
        {
            let Some(entry) = tail.uncommitted.pop_front() else {
                break;
            };
            tail.kept.keep(&entry.event, entry.keep, entry.kept);
            if let Some(id) = entry.id {
                if let Some(pending) = tail.pending.remove(&id) {
                    pending.settle(Some(entry.event.clone()));
                }
                tail.kept.remember(id, &entry.event);
            }
            drain |= self.delivery.push(entry.event) == Turn::Drain;
        }
        drain
    }

    /// A refused write: after a failure, the room goes back to the last
    /// committed seq (once per failure); a write numbered before that is
    /// dropped. True when the caller must deliver (committed events applied
    /// on the way).
    fn refused(&self, tail: &mut DurableTail, seq: u64, refused: &Refused) -> bool {
        let mut drain = false;
        // Whichever answer of the failure comes first rolls the room back:
        // the one that failed may have gone to a task that is no more.
        let (Refused::Failed {
            generation,
            committed,
            ..
        }
        | Refused::Stale {
            generation,
            committed,
            ..
        }) = refused;
        if *generation > tail.generation {
            drain = self.apply(tail, *committed);
            tail.generation = *generation;
            self.seq.store(*committed, Ordering::Release);
            for entry in tail.uncommitted.drain(..) {
                if let Some(pending) = entry.id.and_then(|id| tail.pending.remove(&id)) {
                    pending.settle(None);
                }
            }
        }
        if let Some(at) = tail.uncommitted.iter().position(|e| e.event.seq() == seq)
            && let Some(entry) = tail.uncommitted.remove(at)
            && let Some(pending) = entry.id.and_then(|id| tail.pending.remove(&id))
        {
            pending.settle(None);
        }
        drain
    }
}

/// What the lock-held step of an append decided.
enum Step {
    /// Sent to the store: wait for its answer.
    Sent(Arc<StampedEvent>, oneshot::Receiver<Result<(), Refused>>),
    /// Accepted before with this trigger id.
    Repeat(Arc<StampedEvent>),
    /// A retry of a trigger still on its way: wait for it.
    Wait(Arc<Pending>),
}

impl Stream for DurableStream {
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
        tail.kept
            .forget_ids(&self.window, self.seq.load(Ordering::Acquire), now_millis());
        tail.kept.accepted(id)
    }

    fn number<'a>(&'a self, append: Append<'a>) -> BoxFuture<'a, Result<Ticket, AppendError>> {
        Box::pin(async move {
            self.delivery.room_for_more().await;
            let mut append = Some(append);
            loop {
                let step = {
                    let mut tail = self.tail.lock();
                    let id = append.as_ref().and_then(|a| a.id.clone());
                    let waiting = id.as_ref().and_then(|id| tail.pending.get(id).cloned());
                    let original = id.as_ref().and_then(|id| {
                        let latest = self.seq.load(Ordering::Acquire);
                        tail.kept.forget_ids(&self.window, latest, now_millis());
                        tail.kept.accepted(id)
                    });
                    match (waiting, original, append.take()) {
                        (Some(pending), _, next) => {
                            append = next;
                            Step::Wait(pending)
                        }
                        (None, Some(original), _) => Step::Repeat(original),
                        (None, None, Some(next)) => self.send(&mut tail, next)?,
                        (None, None, None) => {
                            return Err(AppendError::Unavailable("nothing to append".into()));
                        }
                    }
                };
                match step {
                    Step::Repeat(original) => {
                        return Ok(Ticket {
                            event: original,
                            kind: TicketKind::Repeat,
                        });
                    }
                    // A retry of a trigger still on its way: its outcome
                    // decides (rare, so waited for here).
                    Step::Wait(pending) => match pending.wait().await {
                        Some(original) => {
                            return Ok(Ticket {
                                event: original,
                                kind: TicketKind::Repeat,
                            });
                        }
                        // The original was refused: this one is a first try.
                        None => continue,
                    },
                    Step::Sent(event, answer) => {
                        return Ok(Ticket {
                            event,
                            kind: TicketKind::Commit(answer),
                        });
                    }
                }
            }
        })
    }

    fn complete(&self, ticket: Ticket) -> BoxFuture<'_, Result<Appended, AppendError>> {
        Box::pin(async move {
            let Ticket { event, kind } = ticket;
            let answer = match kind {
                TicketKind::Repeat => {
                    self.delivery.settled(event.seq()).await;
                    return Ok(Appended::Repeat(event));
                }
                TicketKind::Deliver { .. } => Ok(()),
                #[cfg(feature = "redis")]
                TicketKind::Numbering(_) => {
                    return Err(AppendError::Unavailable(
                        "a durable stream numbers in the store".into(),
                    ));
                }
                TicketKind::Commit(answer) => {
                    // Committed here, unless someone else is committing.
                    self.store.commit_waiting();
                    answer.await.unwrap_or_else(|_| {
                        Err(Refused::Stale {
                            cause: "the store's writer stopped".into(),
                            generation: 0,
                            committed: 0,
                        })
                    })
                }
            };
            let (drain, refused) = {
                let mut tail = self.tail.lock();
                match &answer {
                    Ok(()) => (self.apply(&mut tail, event.seq()), None),
                    Err(refused) => (self.refused(&mut tail, event.seq(), refused), Some(refused)),
                }
            };
            if drain {
                self.delivery.drain().await;
            }
            if let Some(refused) = refused {
                return Err(AppendError::Unavailable(refused.cause().to_owned()));
            }
            self.delivery.settled(event.seq()).await;
            Ok(Appended::New(event))
        })
    }

    fn latest(&self, per_event: Option<usize>) -> BoxFuture<'_, Vec<Arc<StampedEvent>>> {
        Box::pin(std::future::ready(
            self.tail.lock().kept.history.latest(per_event),
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
            tail.kept.history.page(event, start, end),
            tail.kept.history.len(event),
        );
        Box::pin(std::future::ready(page))
    }

    /// Its row goes when nothing was ever written (its next life starts
    /// without one: at most a `recovered: false` for a room that had no
    /// event to miss).
    fn left_memory(&self) {
        if self.seq.load(Ordering::Acquire) == 0 {
            self.store.release(&self.room);
        }
    }

    fn forget(&self) -> BoxFuture<'_, ()> {
        self.tail.lock().forgotten = true;
        Box::pin(self.store.forget(&self.room))
    }
}

impl DurableStream {
    /// Numbers `append` and sends it to the store (under the lock).
    fn send(&self, tail: &mut DurableTail, append: Append<'_>) -> Result<Step, AppendError> {
        if tail.forgotten {
            return Err(AppendError::Unavailable(format!(
                "room `{}` was deleted",
                self.room
            )));
        }
        let seq = self.seq.load(Ordering::Acquire) + 1;
        let event = Arc::new(append.stamp.stamp(seq)?);
        self.seq.store(seq, Ordering::Release);
        let (done, answer) = oneshot::channel();
        self.store.submit(Write {
            room: self.room.clone(),
            event: event.clone(),
            trigger: append
                .id
                .as_ref()
                .map(|id| format!("{}{TRIGGER_SEPARATOR}{}", id.user, id.id)),
            epoch: self.epoch,
            generation: tail.generation,
            done,
        });
        if let Some(id) = &append.id {
            tail.pending
                .insert(id.clone(), Arc::new(Pending::default()));
        }
        tail.uncommitted.push_back(Entry {
            event: event.clone(),
            keep: append.keep,
            kept: append.kept,
            id: append.id,
        });
        Ok(Step::Sent(event, answer))
    }
}

#[cfg(test)]
mod tests;
