//! The order in which this node delivers a room's events, keeps the latest
//! of them for recovery, and makes the membership changes that must not
//! interleave with them (a join with its position and replay).
//!
//! A room's events must reach every member in seq order, however many
//! publish at once. Holding the room's lock while delivering would keep the
//! order but stall every other publisher of the room: a thread waits idle
//! (a plain lock) or the publisher yields (an async one), and then the
//! sockets' writers run between single events, one small write each. At
//! saturation either cost about a third of the throughput.
//!
//! So delivery is "flat combining": a publisher queues its event in seq order
//! (under the stream's lock, briefly) and, if nobody is delivering, delivers
//! the queue itself, its own event and those queued meanwhile by others;
//! otherwise it leaves its event to the one delivering and waits only for
//! its own event to be out ([`Delivery::settled`]) before it answers. A
//! publisher delivers at most [`BATCH`] items for the others, then hands the
//! rest to a task of its own, so that no client's answers are held up by a
//! busy room for long.
//!
//! The queue is bounded: past [`MAX_PENDING`] items, publishers wait
//! ([`Delivery::room_for_more`]) until it is half empty. That is the room's
//! backpressure: a flood slows its publishers (whose requests then queue,
//! and past their own limit are refused with `RATE_LIMITED`) instead of
//! growing memory and latency without bound.
//!
//! Work other than events ([`Ordered`] operations) runs in the same order:
//! a join adds its member at a precise point between two events, so its
//! position, its replay and its first live event neither overlap nor leave
//! a gap.

use std::collections::VecDeque;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use parking_lot::Mutex;
use tokio::sync::Notify;

use crate::envelope::{StampedEvent, now_millis};
use crate::protocol::Position;
use crate::state::recovery::{self, Decision, Window};

/// Items one caller delivers before it hands the rest to a task.
pub(crate) const BATCH: usize = 256;

/// Items a room may have waiting for delivery before publishers wait.
pub(crate) const MAX_PENDING: usize = 1024;

/// Hands one of a room's events to the sockets of this node.
pub(crate) trait Deliver: Send + Sync + 'static {
    /// Delivers `event`; called once per event, in seq order.
    fn deliver(&self, event: &StampedEvent);
}

/// Work run in the room's delivery order, given the room's delivery (to
/// read its position and recovery window). Between two events: no event is
/// delivered while it runs.
pub(crate) type Op = Box<dyn FnOnce(Arc<Delivery>) -> BoxFuture<'static, ()> + Send>;

enum Work {
    Event(Arc<StampedEvent>),
    Run(Op),
}

/// A room's events on their way to this node's sockets, in seq order, and
/// the latest of them, kept for recovery.
pub(crate) struct Delivery {
    queue: Mutex<Queue>,
    deliver: Box<dyn Deliver>,
    /// Wakes the publishers waiting for room in a full queue.
    space: Notify,
    /// Wakes the publishers waiting for their event to be delivered.
    settled: Notify,
    /// The seq of the last event delivered on this node.
    delivered: AtomicU64,
    /// Set when the room is deleted: nothing more is delivered.
    closed: AtomicBool,
    epoch: Mutex<Arc<str>>,
    limits: Window,
    /// Subscribers that are not sockets (`state::taps`).
    pub(crate) taps: crate::state::taps::Taps,
}

struct Queue {
    pending: VecDeque<Work>,
    /// Someone is delivering: whoever queues now leaves its work to them.
    draining: bool,
    /// The latest events delivered, oldest first, for recovery.
    window: VecDeque<Arc<StampedEvent>>,
}

/// Whether the caller of [`Delivery::push`] must deliver.
#[must_use = "when it is `Drain`, await `Delivery::drain`: nobody else will deliver"]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Turn {
    /// Nobody was delivering: the caller delivers (await `drain`).
    Drain,
    /// Someone is delivering and will take this work too.
    Queued,
}

impl Delivery {
    /// A delivery in `epoch`, keeping the recovery window `limits`.
    pub(crate) fn new(deliver: Box<dyn Deliver>, epoch: Arc<str>, limits: Window) -> Arc<Self> {
        Arc::new(Self {
            queue: Mutex::new(Queue {
                pending: VecDeque::new(),
                draining: false,
                window: VecDeque::new(),
            }),
            deliver,
            space: Notify::new(),
            settled: Notify::new(),
            delivered: AtomicU64::new(0),
            closed: AtomicBool::new(false),
            epoch: Mutex::new(epoch),
            limits,
            taps: crate::state::taps::Taps::default(),
        })
    }

    /// Starts this delivery where a stored stream stopped: at `seq`, its
    /// recovery window holding `recent` (oldest first). Before any event.
    pub(crate) fn resume_at(&self, seq: u64, recent: impl IntoIterator<Item = Arc<StampedEvent>>) {
        let mut queue = self.queue.lock();
        queue.window.extend(recent);
        self.limits.evict(&mut queue.window, seq, now_millis());
        self.delivered.store(seq, Ordering::Release);
    }

    /// Starts this delivery over in `epoch` at `seq`, its recovery window
    /// holding `recent` (oldest first): a shared stream read the room's
    /// position (again). Inside an [`Op`], so that no event is delivered
    /// meanwhile.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn restart(
        &self,
        epoch: Arc<str>,
        seq: u64,
        recent: impl IntoIterator<Item = Arc<StampedEvent>>,
    ) {
        {
            let mut queue = self.queue.lock();
            *self.epoch.lock() = epoch;
            queue.window.clear();
            queue.window.extend(recent);
            self.limits.evict(&mut queue.window, seq, now_millis());
            self.delivered.store(seq, Ordering::Release);
        }
        self.settled.notify_waiters();
    }

    /// The position of this node's delivery: the room's epoch and the seq
    /// of the last event delivered. Inside an [`Op`] it is exactly the
    /// point the operation runs at.
    pub(crate) fn position(&self) -> Position {
        Position {
            epoch: self.epoch.lock().to_string(),
            seq: self.delivered.load(Ordering::Acquire),
        }
    }

    /// The room's epoch.
    pub(crate) fn epoch(&self) -> Arc<str> {
        self.epoch.lock().clone()
    }

    /// Whether everything after `since` up to the current position is still
    /// held, and if so those events, oldest first, with the seq they reach.
    /// Inside an [`Op`] nothing is delivered meanwhile, so that seq is the
    /// position the op runs at.
    pub(crate) fn recover(
        &self,
        since: &Position,
    ) -> Result<(Vec<Arc<StampedEvent>>, u64), Decision> {
        let mut queue = self.queue.lock();
        // Read under the queue's lock: the deliverer records an event in the
        // window and then its seq, both before it takes the lock again.
        let current = self.position();
        self.limits
            .evict(&mut queue.window, current.seq, now_millis());
        let oldest = queue.window.front().map(|e| e.seq());
        match recovery::decide(since, &current, oldest) {
            Decision::Recovered => Ok((
                queue
                    .window
                    .iter()
                    .filter(|e| e.seq() > since.seq && e.seq() <= current.seq)
                    .cloned()
                    .collect(),
                current.seq,
            )),
            other => Err(other),
        }
    }

    /// Waits while [`MAX_PENDING`] items wait for delivery (until half of
    /// them are delivered); at once otherwise. Publishers call it before
    /// they append.
    pub(crate) async fn room_for_more(&self) {
        loop {
            // Created before the check: it receives every wake-up from then
            // on, so none is lost between the check and the wait.
            let space = self.space.notified();
            if self.queue.lock().pending.len() < MAX_PENDING || self.is_closed() {
                return;
            }
            space.await;
        }
    }

    /// Queues `event`. Call it in seq order (the stream calls it under its
    /// own lock); then, on [`Turn::Drain`], await [`drain`](Self::drain).
    pub(crate) fn push(&self, event: Arc<StampedEvent>) -> Turn {
        self.push_work(Work::Event(event))
    }

    fn push_work(&self, work: Work) -> Turn {
        let mut queue = self.queue.lock();
        queue.pending.push_back(work);
        if queue.draining {
            Turn::Queued
        } else {
            queue.draining = true;
            Turn::Drain
        }
    }

    /// Runs `op` in the room's delivery order, and returns once it ran.
    pub(crate) async fn run_in_order(self: &Arc<Self>, op: Op) {
        let (done, ran) = tokio::sync::oneshot::channel::<()>();
        let op: Op = Box::new(move |delivery| {
            let work = op(delivery);
            Box::pin(async move {
                work.await;
                let _ = done.send(());
            })
        });
        if self.push_work(Work::Run(op)) == Turn::Drain {
            self.drain().await;
        }
        // The sender drops unsent only when the room closes first.
        let _ = ran.await;
    }

    /// Queues `op` in the room's delivery order without waiting for it; a
    /// task delivers if nobody is.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn run_soon(self: &Arc<Self>, op: Op) {
        if self.push_work(Work::Run(op)) == Turn::Drain {
            tokio::spawn(self.drain());
        }
    }

    /// Waits until the event `seq` is delivered on this node (or the room
    /// closed).
    pub(crate) async fn settled(&self, seq: u64) {
        loop {
            let settled = self.settled.notified();
            if self.delivered.load(Ordering::Acquire) >= seq || self.is_closed() {
                return;
            }
            settled.await;
        }
    }

    /// Delivers what is queued, in order, until the queue is empty; after
    /// [`BATCH`] items the rest goes on in a task of its own. Only the
    /// caller that got [`Turn::Drain`] calls it.
    pub(crate) fn drain(self: &Arc<Self>) -> BoxFuture<'static, ()> {
        let delivery = self.clone();
        Box::pin(async move {
            for _ in 0..BATCH {
                let next = {
                    let mut queue = delivery.queue.lock();
                    let next = queue.pending.pop_front();
                    if queue.pending.len() == MAX_PENDING / 2 {
                        delivery.space.notify_waiters();
                    }
                    match next {
                        Some(work) => work,
                        None => {
                            queue.draining = false;
                            return;
                        }
                    }
                };
                delivery.run(next).await;
            }
            // Still busy: let a task go on, and the caller answer its client.
            let rest = delivery.drain();
            match tokio::runtime::Handle::try_current() {
                Ok(runtime) => {
                    runtime.spawn(rest);
                }
                // Outside a runtime (never, in a server), finish here.
                Err(_) => rest.await,
            }
        })
    }

    /// Delivers one event or runs one operation. A panic is contained (and
    /// logged): the room goes on delivering.
    async fn run(self: &Arc<Self>, work: Work) {
        match work {
            Work::Event(event) => {
                if !self.is_closed() {
                    let delivered = std::panic::catch_unwind(AssertUnwindSafe(|| {
                        self.deliver.deliver(&event);
                    }));
                    if delivered.is_err() {
                        tracing::error!(seq = event.seq(), "delivering an event panicked");
                    }
                    self.taps.send(&event);
                }
                let seq = event.seq();
                {
                    let mut queue = self.queue.lock();
                    queue.window.push_back(event);
                    self.limits.evict(&mut queue.window, seq, now_millis());
                    self.delivered.store(seq, Ordering::Release);
                }
                self.settled.notify_waiters();
            }
            Work::Run(op) => {
                let ran = AssertUnwindSafe(op(self.clone())).catch_unwind().await;
                if ran.is_err() {
                    tracing::error!("an operation in a room's delivery order panicked");
                }
            }
        }
    }

    /// Stops delivery for good (the room is deleted): what is queued is
    /// dropped, and whoever waits on the room is let go.
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.queue.lock().pending.clear();
        self.taps.close();
        self.space.notify_waiters();
        self.settled.notify_waiters();
    }

    /// Whether the room was deleted.
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests;
