//! A room's seats in Redis: one set per room, taken by a script, so that
//! `maxSize` holds across every node however many join at once.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use futures_util::future::BoxFuture;
use parking_lot::Mutex;

use crate::state::redis::keys::Keys;
use crate::state::redis::link::Link;
use crate::state::redis::scripts;
use crate::state::seats::{SeatError, Seats};

/// How long (ms) a deleted room's mark refuses seats on every node.
const CLOSED_FOR_MS: u64 = 10_000;

/// The seats of one room in Redis, with this node's view: the members on
/// this node (whom its notices go to) and the room's count as last seen.
pub(crate) struct RedisSeats {
    room: String,
    link: Arc<Link>,
    keys: Arc<Keys>,
    /// The room's members on every node, as Redis last answered.
    count: AtomicUsize,
    /// The members connected to this node.
    here: Mutex<HashSet<String>>,
    closed: AtomicBool,
}

impl RedisSeats {
    pub(crate) fn new(room: &str, link: Arc<Link>, keys: Arc<Keys>) -> Self {
        Self {
            room: room.to_owned(),
            link,
            keys,
            count: AtomicUsize::new(0),
            here: Mutex::new(HashSet::new()),
            closed: AtomicBool::new(false),
        }
    }

    /// Notes the count Redis answered (a negative answer is none).
    fn counted(&self, count: i64) {
        if let Ok(count) = usize::try_from(count) {
            self.count.store(count, Ordering::Release);
        }
    }
}

impl Seats for RedisSeats {
    fn take<'a>(
        &'a self,
        member: &'a str,
        max: Option<u32>,
    ) -> BoxFuture<'a, Result<(), SeatError>> {
        Box::pin(async move {
            if self.closed.load(Ordering::Acquire) {
                return Err(SeatError::Closed);
            }
            let mut script = scripts::TAKE_SEAT.prepare_invoke();
            script
                .key(self.keys.seats(&self.room))
                .key(self.keys.closed(&self.room))
                .arg(member)
                .arg(max.unwrap_or(0));
            let answer: i64 = self
                .link
                .script(&script)
                .await
                .map_err(|error| SeatError::Unavailable(error.0))?;
            match answer {
                -1 => Err(SeatError::Closed),
                -2 => Err(SeatError::Full(max.unwrap_or(0))),
                count => {
                    self.counted(count);
                    self.here.lock().insert(member.to_owned());
                    Ok(())
                }
            }
        })
    }

    fn release<'a>(&'a self, member: &'a str) -> BoxFuture<'a, bool> {
        Box::pin(async move {
            let held = self.here.lock().remove(member);
            let seats = self.keys.seats(&self.room);
            let mut pipeline = redis::pipe();
            pipeline
                .cmd("SREM")
                .arg(&seats)
                .arg(member)
                .cmd("SCARD")
                .arg(&seats);
            match self.link.pipe::<(i64, i64)>(&pipeline).await {
                Ok((removed, count)) => {
                    self.counted(count);
                    held || removed == 1
                }
                Err(error) => {
                    // Its seat stays taken in Redis until the room is
                    // deleted or emptied: capacity errs on the safe side.
                    tracing::warn!(room = %self.room, member, %error, "cannot give a seat back in Redis");
                    held
                }
            }
        })
    }

    fn transfer<'a>(&'a self, from: &'a str, to: &'a str) -> BoxFuture<'a, bool> {
        Box::pin(async move {
            let mut script = scripts::TRANSFER_SEAT.prepare_invoke();
            script.key(self.keys.seats(&self.room)).arg(from).arg(to);
            let moved = match self.link.script::<i64>(&script).await {
                Ok(moved) => moved == 1,
                Err(error) => {
                    tracing::warn!(room = %self.room, from, to, %error, "cannot move a seat in Redis");
                    false
                }
            };
            let mut here = self.here.lock();
            let held = here.remove(from);
            if moved || held {
                here.insert(to.to_owned());
            }
            moved || held
        })
    }

    fn close(&self) -> BoxFuture<'_, Vec<String>> {
        Box::pin(async move {
            self.closed.store(true, Ordering::Release);
            let mut script = scripts::CLOSE.prepare_invoke();
            script
                .key(self.keys.seats(&self.room))
                .key(self.keys.closed(&self.room))
                .arg(CLOSED_FOR_MS);
            if let Err(error) = self.link.script::<Vec<String>>(&script).await {
                tracing::warn!(room = %self.room, %error, "cannot close the room's seats in Redis");
            }
            self.count.store(0, Ordering::Release);
            // The members this node tells: its own (each node tells its own).
            self.here.lock().drain().collect()
        })
    }

    fn closed_elsewhere(&self) -> BoxFuture<'_, Vec<String>> {
        Box::pin(async move {
            self.closed.store(true, Ordering::Release);
            self.count.store(0, Ordering::Release);
            let here: Vec<String> = self.here.lock().drain().collect();
            if !here.is_empty() {
                let command = redis::cmd("SREM")
                    .arg(self.keys.seats(&self.room))
                    .arg(&here)
                    .clone();
                if let Err(error) = self.link.run::<i64>(&command).await {
                    tracing::debug!(room = %self.room, %error, "cannot give a deleted room's seats back");
                }
            }
            here
        })
    }

    fn close_if_empty(&self) -> BoxFuture<'_, bool> {
        Box::pin(async move {
            let mut script = scripts::CLOSE_IF_EMPTY.prepare_invoke();
            script
                .key(self.keys.seats(&self.room))
                .key(self.keys.closed(&self.room))
                .arg(CLOSED_FOR_MS);
            match self.link.script::<i64>(&script).await {
                Ok(1) => {
                    self.closed.store(true, Ordering::Release);
                    true
                }
                Ok(_) => false,
                Err(error) => {
                    tracing::warn!(room = %self.room, %error, "cannot close the room in Redis");
                    false
                }
            }
        })
    }

    fn count(&self) -> usize {
        self.count
            .load(Ordering::Acquire)
            .max(self.here.lock().len())
    }

    fn refresh(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let command = redis::cmd("SCARD").arg(self.keys.seats(&self.room)).clone();
            match self.link.run::<i64>(&command).await {
                Ok(count) => self.counted(count),
                Err(error) => {
                    tracing::debug!(room = %self.room, %error, "cannot count a room's seats in Redis");
                }
            }
        })
    }

    /// Other nodes take and give back seats meanwhile, and a dead node's
    /// are given back without a word to anyone.
    fn count_is_exact(&self) -> bool {
        false
    }

    fn members(&self) -> Vec<String> {
        self.here.lock().iter().cloned().collect()
    }

    fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }
}
