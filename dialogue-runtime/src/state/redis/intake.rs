//! This node's intake of a room's events from Redis, put back in seq
//! order before its delivery.
//!
//! Pub/sub is at most once and a node may miss a message (a dropped
//! subscription, a publisher's message lost in flight), so each node checks
//! seqs: an event past the next one expected waits in `early` while the
//! missing ones are read from the log (`repair`), and the bus checks every
//! room's latest seq in Redis on a timer, so that a gap is noticed even when
//! no later event follows (`state::redis::bus`).

use std::collections::BTreeMap;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use parking_lot::Mutex;
use redis::streams::StreamRangeReply;

use crate::envelope::StampedEvent;
use crate::state::delivery::{Delivery, Op, Turn};
use crate::state::recovery::Window;
use crate::state::redis::keys::{Keys, RoomKeys};
use crate::state::redis::link::{Link, Unavailable};
use crate::state::redis::scripts;

/// What a room's stream on this node shares with the bus.
pub(crate) struct Intake {
    pub(crate) room: String,
    pub(crate) link: Arc<Link>,
    pub(crate) keys: Arc<Keys>,
    /// The room's own keys, named by every append and check.
    pub(crate) own: RoomKeys,
    pub(crate) delivery: Arc<Delivery>,
    pub(crate) window: Window,
    /// The event names the room keeps, and how many of each.
    pub(crate) keeps: Arc<Vec<(String, NonZeroU32)>>,
    inbox: Mutex<Inbox>,
    /// The highest seq this node knows the room reached.
    latest: AtomicU64,
    /// A start over is queued: no second one.
    restarting: AtomicBool,
}

#[derive(Default)]
struct Inbox {
    /// The room's epoch, once read from Redis.
    epoch: Option<Arc<str>>,
    /// The seq this node hands to its delivery next.
    next: u64,
    /// Events past `next`, waiting for the ones before them.
    early: BTreeMap<u64, Arc<StampedEvent>>,
    /// Events heard before the epoch was read, with their epoch.
    unsorted: Vec<(Arc<str>, Arc<StampedEvent>)>,
    /// Since when (ms) this node has been behind Redis, by the bus's checks.
    behind_since: Option<u64>,
}

/// What [`Intake::accept`] did with an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Accepted {
    /// Queued for delivery (or kept until the ones before it come): nothing
    /// more to do.
    Queued,
    /// Queued, and nobody was delivering: the caller drains the delivery.
    Drain,
    /// From another epoch than this node's: the room starts over.
    OtherEpoch,
}

impl Intake {
    /// The intake of `room`, which starts (reads its position from Redis)
    /// in its delivery's order, before any join.
    pub(crate) fn start(
        room: &str,
        link: Arc<Link>,
        keys: Arc<Keys>,
        delivery: Arc<Delivery>,
        window: Window,
        keeps: Arc<Vec<(String, NonZeroU32)>>,
    ) -> Arc<Self> {
        let intake = Arc::new(Self {
            room: room.to_owned(),
            own: keys.of_room(room),
            link,
            keys,
            delivery,
            window,
            keeps,
            inbox: Mutex::new(Inbox::default()),
            latest: AtomicU64::new(0),
            restarting: AtomicBool::new(false),
        });
        intake.start_over();
        intake
    }

    /// The highest seq this node knows the room reached.
    pub(crate) fn latest(&self) -> u64 {
        self.latest.load(Ordering::Acquire)
    }

    /// Hands an event of the room to this node's delivery, in seq order.
    pub(crate) fn accept(&self, epoch: &str, event: Arc<StampedEvent>) -> Accepted {
        let seq = event.seq();
        let mut inbox = self.inbox.lock();
        match inbox.epoch.as_deref() {
            None => {
                inbox.unsorted.push((epoch.into(), event));
                return Accepted::Queued;
            }
            Some(current) if current != epoch => return Accepted::OtherEpoch,
            Some(_) => {}
        }
        self.latest.fetch_max(seq, Ordering::AcqRel);
        if seq < inbox.next {
            // Heard twice (the publisher's own, then from the channel).
            return Accepted::Queued;
        }
        inbox.early.insert(seq, event);
        self.flush(&mut inbox)
    }

    /// Hands what is contiguous from `next` on to the delivery.
    fn flush(&self, inbox: &mut Inbox) -> Accepted {
        let mut turn = Accepted::Queued;
        while let Some(event) = inbox.early.remove(&inbox.next) {
            if self.delivery.push(event) == Turn::Drain {
                turn = Accepted::Drain;
            }
            inbox.next += 1;
        }
        turn
    }

    /// Accepts an event from the channel (its envelope as JSON), and
    /// delivers if it is this caller's turn.
    pub(crate) async fn heard(self: &Arc<Self>, epoch: &str, seq: u64, json: &str) {
        let Some(event) = super::read_event(&self.room, seq, json.to_owned()) else {
            return;
        };
        self.settle(self.accept(epoch, event)).await;
    }

    /// Does what [`accept`](Self::accept) asks of its caller.
    pub(crate) async fn settle(self: &Arc<Self>, accepted: Accepted) {
        match accepted {
            Accepted::Queued => {}
            Accepted::Drain => self.delivery.drain().await,
            Accepted::OtherEpoch => self.start_over(),
        }
    }

    /// Reads the room's position from Redis again and starts this node's
    /// delivery over from it, in the room's delivery order (a join waits
    /// for it). Used at the start and when the epoch changed.
    pub(crate) fn start_over(self: &Arc<Self>) {
        if self.restarting.swap(true, Ordering::AcqRel) {
            return;
        }
        let intake = self.clone();
        let op: Op = Box::new(move |delivery| {
            Box::pin(async move {
                let mut warned = false;
                while !delivery.is_closed() {
                    match intake.read_start().await {
                        Ok(()) => break,
                        Err(error) => {
                            if !warned {
                                tracing::warn!(room = %intake.room, %error, "cannot read the room's position; trying again");
                                warned = true;
                            }
                            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
                        }
                    }
                }
                intake.restarting.store(false, Ordering::Release);
            })
        });
        self.delivery.run_soon(op);
    }

    /// Reads the room's epoch, seq and recent events, and starts from them.
    async fn read_start(&self) -> Result<(), Unavailable> {
        let room = &self.room;
        let mut position = scripts::POSITION.prepare_invoke();
        position
            .key(&self.own.epoch)
            .key(&self.own.seq)
            .key(&self.own.log)
            .arg(crate::state::new_epoch());
        let (epoch, seq): (String, u64) = self.link.script(&position).await?;
        let mut recent = self.range(0, seq, Some(self.window.size)).await?;
        recent.retain(|event| event.seq() <= seq);
        let epoch: Arc<str> = epoch.into();
        let mut inbox = self.inbox.lock();
        let changed = inbox.epoch.as_deref() != Some(&*epoch);
        if changed && inbox.epoch.is_some() {
            tracing::warn!(room = %room, %epoch, "the room's epoch changed in Redis (its data was lost): members recover from the start");
        }
        self.delivery.restart(epoch.clone(), seq, recent);
        inbox.epoch = Some(epoch.clone());
        inbox.next = seq + 1;
        inbox.behind_since = None;
        inbox.early.retain(|&s, _| s > seq && !changed);
        for (heard_in, event) in std::mem::take(&mut inbox.unsorted) {
            if heard_in == epoch && event.seq() > seq {
                inbox.early.insert(event.seq(), event);
            }
        }
        self.latest.store(seq, Ordering::Release);
        // Inside the delivery's order: what this queues is delivered after
        // this operation, by the one delivering it.
        let _ = self.flush(&mut inbox);
        Ok(())
    }

    /// The room's events with seqs `from..=to`, read from the log, oldest
    /// first; at most the newest `count` when given.
    pub(crate) async fn range(
        &self,
        from: u64,
        to: u64,
        count: Option<usize>,
    ) -> Result<Vec<Arc<StampedEvent>>, Unavailable> {
        let log = &self.own.log;
        let command = match count {
            Some(count) => redis::cmd("XREVRANGE")
                .arg(log)
                .arg(format!("{to}-1"))
                .arg(format!("{from}-1"))
                .arg("COUNT")
                .arg(count)
                .to_owned(),
            None => redis::cmd("XRANGE")
                .arg(log)
                .arg(format!("{from}-1"))
                .arg(format!("{to}-1"))
                .to_owned(),
        };
        let reply: StreamRangeReply = self.link.run(&command).await?;
        let mut events = Vec::with_capacity(reply.ids.len());
        for entry in reply.ids {
            let Some(seq) = entry
                .id
                .split('-')
                .next()
                .and_then(|s| s.parse::<u64>().ok())
            else {
                continue;
            };
            let Some(json) = entry.get::<String>("e") else {
                continue;
            };
            events.extend(super::read_event(&self.room, seq, json));
        }
        if count.is_some() {
            events.reverse();
        }
        Ok(events)
    }

    /// What the bus found in Redis: the room's epoch (`None`: missing) and
    /// latest seq. Starts over on another epoch; reads what this node
    /// missed once it has been behind for `patience` ms (events in flight
    /// are not missed).
    pub(crate) async fn check(
        self: &Arc<Self>,
        epoch: Option<&str>,
        seq: u64,
        now: u64,
        patience: u64,
    ) {
        let from = {
            let mut inbox = self.inbox.lock();
            let Some(current) = inbox.epoch.clone() else {
                return;
            };
            if epoch != Some(&*current) {
                drop(inbox);
                self.start_over();
                return;
            }
            if seq < inbox.next {
                inbox.behind_since = None;
                return;
            }
            match inbox.behind_since {
                Some(since) if now.saturating_sub(since) >= patience => inbox.next,
                Some(_) => return,
                None => {
                    inbox.behind_since = Some(now);
                    return;
                }
            }
        };
        self.repair(from, seq).await;
    }

    /// Waits until this node has delivered every event the room held in
    /// Redis when called: a moment while they are in flight, then the ones
    /// still missing are read from the log; `patience` in all. Gives up
    /// quietly (Redis slow or away, another epoch): the caller then goes on
    /// with what the node has, which is never wrong, only possibly behind.
    pub(crate) async fn catch_up(self: &Arc<Self>, patience: std::time::Duration) {
        // On a task of its own: a repair may drain the room's delivery, and
        // a drain cancelled half way would leave the room stalled (its ops
        // dropped, `draining` set). Only the wait is bounded.
        let intake = self.clone();
        let reaching = tokio::spawn(async move { intake.reach_latest(patience).await });
        let _ = tokio::time::timeout(patience, reaching).await;
    }

    async fn reach_latest(self: &Arc<Self>, patience: std::time::Duration) {
        let in_flight = patience / 3;
        let mut pipeline = redis::pipe();
        pipeline
            .cmd("GET")
            .arg(&self.own.epoch)
            .cmd("GET")
            .arg(&self.own.seq);
        let Ok((Some(epoch), Some(seq))) = self
            .link
            .pipe::<(Option<String>, Option<u64>)>(&pipeline)
            .await
        else {
            return;
        };
        if self.inbox.lock().epoch.as_deref() != Some(epoch.as_str()) {
            // The room started over in Redis: the bus's check starts this
            // node over too; meanwhile recovery is decided on the old epoch.
            return;
        }
        if tokio::time::timeout(in_flight, self.delivery.settled(seq))
            .await
            .is_ok()
        {
            return;
        }
        let from = self.inbox.lock().next;
        if from <= seq {
            self.repair(from, seq).await;
        }
        // Bounded: nobody waits for this task past its caller's patience.
        let _ = tokio::time::timeout(patience, self.delivery.settled(seq)).await;
    }

    /// Reads the events `from..=to` from the log and accepts them. When the
    /// log no longer holds the first of them, this node's members cannot
    /// get them in order: the delivery starts over from the room's position,
    /// and members whose position is then behind recover on their next
    /// resume (the window no longer holds what they missed).
    async fn repair(self: &Arc<Self>, from: u64, to: u64) {
        let events = match self.range(from, to, None).await {
            Ok(events) => events,
            Err(error) => {
                tracing::warn!(room = %self.room, %error, "cannot read missed events");
                return;
            }
        };
        tracing::debug!(room = %self.room, from, to, found = events.len(), "reading missed events from Redis");
        if events.first().map(|e| e.seq()) != Some(from) {
            tracing::error!(room = %self.room, from, to, "missed events are no longer in Redis");
            crate::metrics::gap(false);
            self.start_over();
            return;
        }
        crate::metrics::gap(true);
        let epoch = self.inbox.lock().epoch.clone();
        let Some(epoch) = epoch else { return };
        let mut turn = Accepted::Queued;
        for event in events {
            if self.accept(&epoch, event) == Accepted::Drain {
                turn = Accepted::Drain;
            }
        }
        self.inbox.lock().behind_since = None;
        self.settle(turn).await;
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde_json::json;

    use super::*;
    use crate::state::delivery::Deliver;

    struct Record(Arc<Mutex<Vec<u64>>>);

    impl Deliver for Record {
        fn deliver(&self, event: &StampedEvent) {
            self.0.lock().push(event.seq());
        }
    }

    /// An intake whose epoch `e` was read, expecting seq 1; its Redis is
    /// never reached (nothing here needs it).
    fn intake(seen: &Arc<Mutex<Vec<u64>>>, epoch: Option<&str>) -> Arc<Intake> {
        let window = Window {
            size: 100,
            age: Duration::from_secs(60),
        };
        let client = redis::Client::open("redis://127.0.0.1:1").unwrap();
        Arc::new(Intake {
            room: "r".into(),
            link: Arc::new(Link::new(client)),
            own: Keys::new("test").of_room("r"),
            keys: Arc::new(Keys::new("test")),
            delivery: Delivery::new(Box::new(Record(seen.clone())), "e".into(), window),
            window,
            keeps: Arc::new(Vec::new()),
            inbox: Mutex::new(Inbox {
                epoch: epoch.map(Into::into),
                next: 1,
                ..Inbox::default()
            }),
            latest: AtomicU64::new(0),
            restarting: AtomicBool::new(false),
        })
    }

    fn event(seq: u64) -> Arc<StampedEvent> {
        Arc::new(StampedEvent::stamp(seq, "r", "m", &json!(seq), "u", None).unwrap())
    }

    #[tokio::test]
    async fn events_heard_out_of_order_or_twice_are_delivered_once_in_seq_order() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let intake = intake(&seen, Some("e"));
        for seq in [2, 3, 1, 2, 6, 4, 1, 5] {
            let accepted = intake.accept("e", event(seq));
            assert_ne!(accepted, Accepted::OtherEpoch);
            intake.settle(accepted).await;
        }
        assert_eq!(*seen.lock(), [1, 2, 3, 4, 5, 6]);
        assert_eq!(intake.latest.load(Ordering::Acquire), 6);
    }

    #[tokio::test]
    async fn a_gap_holds_what_follows_until_it_is_filled() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let intake = intake(&seen, Some("e"));
        for seq in [1, 3, 4] {
            let accepted = intake.accept("e", event(seq));
            intake.settle(accepted).await;
        }
        assert_eq!(*seen.lock(), [1], "3 and 4 wait for 2");
        let accepted = intake.accept("e", event(2));
        intake.settle(accepted).await;
        assert_eq!(*seen.lock(), [1, 2, 3, 4]);
    }

    #[tokio::test]
    async fn an_event_of_another_epoch_is_not_delivered() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let intake = intake(&seen, Some("e"));
        assert_eq!(intake.accept("other", event(1)), Accepted::OtherEpoch);
        assert!(seen.lock().is_empty());
    }

    #[tokio::test]
    async fn before_the_epoch_is_read_events_wait_with_theirs() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let intake = intake(&seen, None);
        assert_eq!(intake.accept("e", event(1)), Accepted::Queued);
        assert!(seen.lock().is_empty());
        assert_eq!(intake.inbox.lock().unsorted.len(), 1);
    }
}
