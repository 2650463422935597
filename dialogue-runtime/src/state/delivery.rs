//! The order in which this node delivers a room's events.
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
//! otherwise it returns at once and the one delivering takes its event too.
//! Nobody waits for anybody. A publisher delivers at most [`BATCH`] events
//! for the others, then hands the rest to a task of its own, so that no
//! client's answers are held up by a busy room for long.
//!
//! The queue is bounded: past [`MAX_PENDING`] events, publishers wait
//! ([`Delivery::room_for_more`]) until it is half empty. That is the room's
//! backpressure: a flood slows its publishers (whose requests then queue,
//! and past their own limit are refused with `RATE_LIMITED`) instead of
//! growing memory and latency without bound.

use std::collections::VecDeque;
use std::sync::Arc;

use parking_lot::Mutex;
use tokio::sync::Notify;

use crate::envelope::StampedEvent;

/// Events one publisher delivers before it hands the rest to a task.
pub(crate) const BATCH: usize = 256;

/// Events a room may have waiting for delivery before publishers wait.
pub(crate) const MAX_PENDING: usize = 1024;

/// Hands one of a room's events to the sockets of this node.
pub(crate) trait Deliver: Send + Sync + 'static {
    /// Delivers `event`; called once per event, in seq order.
    fn deliver(&self, event: &StampedEvent);
}

/// A room's events on their way to this node's sockets, in seq order.
pub(crate) struct Delivery {
    queue: Mutex<Queue>,
    deliver: Box<dyn Deliver>,
    /// Wakes the publishers waiting for room in a full queue.
    space: Notify,
}

#[derive(Default)]
struct Queue {
    pending: VecDeque<Arc<StampedEvent>>,
    /// Someone is delivering: whoever queues now leaves its event to them.
    draining: bool,
}

/// Whether the caller of [`Delivery::push`] must deliver.
#[must_use = "when it is `Drain`, call `Delivery::drain`: nobody else will deliver"]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Turn {
    /// Nobody was delivering: the caller delivers (call `drain`).
    Drain,
    /// Someone is delivering and will take this event too.
    Queued,
}

impl Delivery {
    pub(crate) fn new(deliver: Box<dyn Deliver>) -> Arc<Self> {
        Arc::new(Self {
            queue: Mutex::new(Queue::default()),
            deliver,
            space: Notify::new(),
        })
    }

    /// Waits while [`MAX_PENDING`] events wait for delivery (until half of
    /// them are delivered); at once otherwise. Publishers call it before
    /// they append.
    pub(crate) async fn room_for_more(&self) {
        loop {
            // Created before the check: it receives every wake-up from then
            // on, so none is lost between the check and the wait.
            let space = self.space.notified();
            if self.queue.lock().pending.len() < MAX_PENDING {
                return;
            }
            space.await;
        }
    }

    /// Queues `event`. Call it in seq order (the stream calls it under its
    /// own lock); then, on [`Turn::Drain`], call [`drain`](Self::drain).
    pub(crate) fn push(&self, event: Arc<StampedEvent>) -> Turn {
        let mut queue = self.queue.lock();
        queue.pending.push_back(event);
        if queue.draining {
            Turn::Queued
        } else {
            queue.draining = true;
            Turn::Drain
        }
    }

    /// Delivers what is queued, in order, until the queue is empty; after
    /// [`BATCH`] events the rest goes on in a task of its own. Only the
    /// caller that got [`Turn::Drain`] calls it.
    pub(crate) fn drain(self: &Arc<Self>) {
        for _ in 0..BATCH {
            let next = {
                let mut queue = self.queue.lock();
                let next = queue.pending.pop_front();
                if queue.pending.len() == MAX_PENDING / 2 {
                    self.space.notify_waiters();
                }
                match next {
                    Some(event) => event,
                    None => {
                        queue.draining = false;
                        return;
                    }
                }
            };
            self.deliver.deliver(&next);
        }
        // Still busy: let a task go on, and the caller answer its client.
        let delivery = self.clone();
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move { delivery.drain() });
            }
            // Outside a runtime (never, in a server), finish here.
            Err(_) => delivery.drain(),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    struct Record(Arc<Mutex<Vec<u64>>>);

    impl Deliver for Record {
        fn deliver(&self, event: &StampedEvent) {
            self.0.lock().push(event.seq());
        }
    }

    fn event(seq: u64) -> Arc<StampedEvent> {
        Arc::new(StampedEvent::stamp(seq, "r", "e", &json!(seq), "u", None).unwrap())
    }

    #[test]
    fn whoever_finds_it_idle_delivers_everything_queued_in_order() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let delivery = Delivery::new(Box::new(Record(seen.clone())));
        assert_eq!(delivery.push(event(1)), Turn::Drain);
        // Others queue while the first has not delivered yet.
        assert_eq!(delivery.push(event(2)), Turn::Queued);
        assert_eq!(delivery.push(event(3)), Turn::Queued);
        delivery.drain();
        assert_eq!(*seen.lock(), [1, 2, 3]);
        // Idle again: the next publisher delivers its own.
        assert_eq!(delivery.push(event(4)), Turn::Drain);
        delivery.drain();
        assert_eq!(*seen.lock(), [1, 2, 3, 4]);
    }

    #[tokio::test]
    async fn a_full_queue_holds_publishers_until_it_is_half_empty() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let delivery = Delivery::new(Box::new(Record(seen.clone())));
        tokio::time::timeout(std::time::Duration::from_secs(1), delivery.room_for_more())
            .await
            .expect("an empty queue has room");
        assert_eq!(delivery.push(event(1)), Turn::Drain);
        for seq in 2..=MAX_PENDING as u64 {
            assert_eq!(delivery.push(event(seq)), Turn::Queued);
        }
        let waiting = {
            let delivery = delivery.clone();
            tokio::spawn(async move { delivery.room_for_more().await })
        };
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished(), "a full queue holds the publisher");
        delivery.drain();
        tokio::time::timeout(std::time::Duration::from_secs(5), waiting)
            .await
            .expect("room again once half is delivered")
            .unwrap();
    }

    #[tokio::test]
    async fn a_long_queue_goes_on_in_a_task_and_stays_in_order() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let delivery = Delivery::new(Box::new(Record(seen.clone())));
        let total = BATCH as u64 * 3 + 7;
        assert_eq!(delivery.push(event(1)), Turn::Drain);
        for seq in 2..=total {
            assert_eq!(delivery.push(event(seq)), Turn::Queued);
        }
        delivery.drain();
        assert_eq!(seen.lock().len(), BATCH, "the caller delivered one batch");
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
        while seen.lock().len() < total as usize {
            assert!(tokio::time::Instant::now() < deadline, "the task finishes");
            tokio::task::yield_now().await;
        }
        assert_eq!(*seen.lock(), (1..=total).collect::<Vec<_>>());
        assert_eq!(
            delivery.push(event(total + 1)),
            Turn::Drain,
            "idle at the end"
        );
        delivery.drain();
    }
}
