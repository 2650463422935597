//! The one writer: a thread that owns the write connection and commits
//! whatever is waiting in one transaction (group commit), in the order the
//! writes were sent, then answers each.
//!
//! Why one thread: SQLite has one writer at a time anyway, and a batch per
//! transaction is what makes durable writes fast (one WAL append and, with
//! `synchronous = FULL`, one fsync for the whole batch). The rooms send their
//! writes in seq order (under their stream's lock), so each room's events
//! are committed in seq order too.
//!
//! A failed batch (disk full, I/O error) answers each of its writes with
//! the cause, and bumps the *generation* of each room in it: writes the
//! room numbered before it learned of the failure carry the old generation
//! and are refused, so a room never commits seq 7 after failing seq 6. The
//! room takes its seq back to the last committed one (see
//! `state::durable`).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use rusqlite::{Connection, params};
use tokio::sync::oneshot;

use crate::envelope::StampedEvent;
use crate::store::sqlite::checkpoint::Poke;
use crate::store::sqlite::retention::{self, Retention};

/// Writes in one transaction at most.
const BATCH: usize = 1024;

/// How often the retention policy is applied (more often while it is
/// behind). Often, so that the file stays close to what the policy keeps:
/// a turn that finds nothing due costs one indexed read per room.
const TRIM_EVERY: Duration = Duration::from_secs(1);

/// One event to commit.
pub(crate) struct Write {
    pub(crate) room: Arc<str>,
    pub(crate) event: Arc<StampedEvent>,
    /// The trigger id it was accepted with (`user\u{1f}id`), to recognize a
    /// retry after a restart.
    pub(crate) trigger: Option<String>,
    /// The room's epoch number (the part after the file id).
    pub(crate) epoch: u64,
    /// The room's generation when the event was numbered.
    pub(crate) generation: u64,
    pub(crate) done: oneshot::Sender<Result<(), Refused>>,
}

/// Why a write was not committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refused {
    /// Its batch failed: the cause, the room's new generation, and the last
    /// seq of the room committed before it.
    Failed {
        cause: String,
        generation: u64,
        committed: u64,
    },
    /// Numbered before an earlier write of its room failed.
    Stale { cause: String },
}

impl Refused {
    /// The cause, for the client's `UNAVAILABLE`.
    pub(crate) fn cause(&self) -> &str {
        match self {
            Self::Failed { cause, .. } | Self::Stale { cause } => cause,
        }
    }
}

/// What the writer is asked.
pub(crate) enum Job {
    Write(Write),
    /// A room deleted: drop its events, bump its epoch (after the writes
    /// sent before).
    Forget(Arc<str>, oneshot::Sender<Result<(), String>>),
}

/// Each room as the writer knows it.
#[derive(Default)]
struct Room {
    generation: u64,
    /// The cause of the failure that bumped the generation.
    cause: String,
}

/// Runs until every sender is gone.
pub(crate) fn run(
    mut connection: Connection,
    jobs: Receiver<Job>,
    retention: Retention,
    checkpoint: Poke,
) {
    let mut rooms: HashMap<Arc<str>, Room> = HashMap::new();
    let mut failing = false;
    let mut trimmed = Instant::now();
    // More is due than one turn of trimming deletes: trim after every
    // batch until caught up.
    let mut behind = false;
    let mut cursor: retention::Cursor = None;
    loop {
        // Wake now and then to trim, even when idle.
        let wait = if behind { Duration::ZERO } else { TRIM_EVERY };
        let first = match jobs.recv_timeout(wait) {
            Ok(job) => Some(job),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => return,
        };
        let mut waiting: Vec<Job> = first.into_iter().collect();
        while waiting.len() < BATCH {
            match jobs.try_recv() {
                Ok(job) => waiting.push(job),
                Err(_) => break,
            }
        }
        let wrote = !waiting.is_empty();
        let mut batch = Vec::new();
        for job in waiting {
            match job {
                Job::Write(write) => {
                    let room = rooms.entry(write.room.clone()).or_default();
                    if write.generation < room.generation {
                        let _ = write.done.send(Err(Refused::Stale {
                            cause: room.cause.clone(),
                        }));
                    } else {
                        batch.push(write);
                    }
                }
                Job::Forget(room, done) => {
                    // Earlier writes first, in order.
                    commit_or_refuse(
                        &mut connection,
                        &mut rooms,
                        &mut failing,
                        std::mem::take(&mut batch),
                    );
                    rooms.remove(&room);
                    let _ = done.send(forget(&connection, &room).map_err(|e| e.to_string()));
                }
            }
        }
        commit_or_refuse(&mut connection, &mut rooms, &mut failing, batch);
        let mut changed = wrote;
        if behind || trimmed.elapsed() >= TRIM_EVERY {
            trimmed = Instant::now();
            behind = match retention::trim(&connection, &retention, &mut cursor) {
                Ok(done) => {
                    changed |= done.deleted > 0;
                    done.more
                }
                Err(error) => {
                    tracing::warn!(%error, "trimming the store failed; it is tried again later");
                    false
                }
            };
        }
        if changed {
            checkpoint.committed();
        }
    }
}

/// Commits a batch and answers its writes; logs a failure once per burst.
fn commit_or_refuse(
    connection: &mut Connection,
    rooms: &mut HashMap<Arc<str>, Room>,
    failing: &mut bool,
    batch: Vec<Write>,
) {
    if batch.is_empty() {
        return;
    }
    match commit(connection, &batch) {
        Ok(()) => {
            if *failing {
                tracing::info!("the store accepts writes again");
                *failing = false;
            }
            for write in batch {
                let _ = write.done.send(Ok(()));
            }
        }
        Err(error) => {
            let cause = error.to_string();
            if !*failing {
                tracing::error!(%cause, "the store cannot commit; triggers are refused with UNAVAILABLE until it can");
                *failing = true;
            }
            refuse(rooms, batch, &cause);
        }
    }
}

/// A room deleted: its events go, and its next life has a new epoch.
fn forget(connection: &Connection, room: &str) -> rusqlite::Result<()> {
    connection.execute("DELETE FROM dialogue_events WHERE room = ?1", [room])?;
    connection.execute(
        "UPDATE dialogue_rooms SET epoch = epoch + 1 WHERE room = ?1",
        [room],
    )?;
    Ok(())
}

/// Commits `batch` in one transaction: the events, and each room's position.
fn commit(connection: &mut Connection, batch: &[Write]) -> rusqlite::Result<()> {
    let transaction = connection.transaction()?;
    {
        let mut insert = transaction.prepare_cached(
            "INSERT INTO dialogue_events (room, seq, event, timestamp, trigger, envelope)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        let mut latest: HashMap<&str, (u64, u64)> = HashMap::new();
        for write in batch {
            let event = &write.event;
            insert.execute(params![
                &*write.room,
                event.seq() as i64,
                event.event(),
                event.timestamp() as i64,
                write.trigger,
                event.json().get(),
            ])?;
            latest.insert(&write.room, (write.epoch, event.seq()));
        }
        let mut position = transaction.prepare_cached(
            "INSERT INTO dialogue_rooms (room, epoch, seq) VALUES (?1, ?2, ?3)
             ON CONFLICT (room) DO UPDATE SET epoch = excluded.epoch, seq = excluded.seq",
        )?;
        for (room, (epoch, seq)) in latest {
            position.execute(params![room, epoch as i64, seq as i64])?;
        }
    }
    transaction.commit()
}

/// Answers a failed batch: each room in it moves to a new generation, and
/// its writes learn the last seq committed before them.
fn refuse(rooms: &mut HashMap<Arc<str>, Room>, batch: Vec<Write>, cause: &str) {
    let mut first_seq: HashMap<Arc<str>, u64> = HashMap::new();
    for write in &batch {
        first_seq
            .entry(write.room.clone())
            .and_modify(|seq| *seq = (*seq).min(write.event.seq()))
            .or_insert(write.event.seq());
    }
    for (room, _) in first_seq.iter() {
        let state = rooms.entry(room.clone()).or_default();
        state.generation += 1;
        state.cause = cause.to_owned();
    }
    for write in batch {
        let committed = first_seq[&write.room].saturating_sub(1);
        let generation = rooms[&write.room].generation;
        let _ = write.done.send(Err(Refused::Failed {
            cause: cause.to_owned(),
            generation,
            committed,
        }));
    }
}
