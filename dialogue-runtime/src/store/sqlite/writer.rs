//! The one writer: whoever holds the write connection commits whatever is
//! waiting in one transaction (group commit), in the order the writes were
//! queued, then answers each.
//!
//! Why one connection: SQLite has one writer at a time anyway, and a batch
//! per transaction is what makes durable writes fast (one WAL append and,
//! with `synchronous = FULL`, one fsync for the whole batch). The rooms
//! queue their writes in seq order (under their stream's lock), and only
//! the holder of the connection takes from the queue, so each room's events
//! are committed in seq order too.
//!
//! Who commits: with `synchronous = NORMAL` a commit is a write to the page
//! cache (tens of microseconds), so the trigger that waits for it commits
//! on its own task, with whatever else is queued, unless someone is
//! committing already (who then takes it too); no thread is woken and none
//! hands the answer back, which saves CPU and latency at rates too low to
//! batch (`validation`: 20 % less CPU per delivery, p50 12 % lower than
//! through a thread, in one alternating run). A committer does at most a
//! few batches in a row and leaves the rest to the writer thread. With FULL
//! each commit waits for the disk, so only the thread commits. The thread
//! also wakes every second to trim and to commit what a trigger left (one
//! whose task went away before committing).
//!
//! A failed batch (disk full, I/O error) answers each of its writes with
//! the cause, and bumps the *generation* of each room in it: writes the
//! room numbered before it learned of the failure carry the old generation
//! and are refused, so a room never commits seq 7 after failing seq 6. The
//! room takes its seq back to the last committed one (see
//! `state::durable`).

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use rusqlite::Connection;
use tokio::sync::oneshot;

use crate::envelope::StampedEvent;
use crate::logging::guarded;
use crate::store::sqlite::batch;
use crate::store::sqlite::checkpoint::Poke;
use crate::store::sqlite::retention::{self, Retention};
use crate::store::sqlite::rows;

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
    Stale {
        cause: String,
        /// The room's generation since that failure.
        generation: u64,
        /// The last seq of the room committed before that failure.
        committed: u64,
    },
}

impl Refused {
    /// The cause, for the client's `UNAVAILABLE`.
    pub(crate) fn cause(&self) -> &str {
        match self {
            Self::Failed { cause, .. } | Self::Stale { cause, .. } => cause,
        }
    }
}

/// What the writer is asked.
pub(crate) enum Job {
    Write(Write),
    /// A room started without a row: write it at seq 0 of this epoch
    /// (`SqliteStore::position`).
    Pin(Arc<str>, u64),
    /// A room left memory without any event: its row goes (it is not
    /// deleted, so `next_epoch` stays).
    Release(Arc<str>),
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
    /// The last seq committed before that failure: a stale write carries it
    /// too, so that the room rolls back whichever answer it reads first
    /// (the `Failed` one may have gone to a task that is no more).
    committed: u64,
}

/// Batches one committer takes in a row before it leaves the rest to the
/// writer thread (a trigger's task must not commit for others forever).
const INLINE_ROUNDS: usize = 4;

/// What the writer thread and the triggers that commit share.
pub(crate) struct Shared {
    queue: Mutex<Queue>,
    /// Wakes the thread: work it must do (FULL mode, a forget, a committer
    /// that gave up), or the store closing.
    wake: Condvar,
    /// The write connection and what goes with it; whoever holds it takes
    /// the queue, so jobs are committed in the order they were queued.
    core: Mutex<Core>,
    /// Whether triggers commit on their own task (NORMAL mode).
    inline: bool,
    checkpoint: Poke,
    /// The last commit failed (and none succeeded since).
    failing_now: Arc<std::sync::atomic::AtomicBool>,
    /// How many times commits were held for a checkpoint
    /// ([`Self::between_commits`]).
    holds: std::sync::atomic::AtomicU64,
}

#[derive(Default)]
struct Queue {
    jobs: VecDeque<Job>,
    closed: bool,
    /// The thread has work it must not wait for (set with each wake-up, so
    /// that one given while it is busy is not lost).
    wanted: bool,
}

struct Core {
    connection: Connection,
    rooms: HashMap<Arc<str>, Room>,
    failing: bool,
    /// `failing`, readable without the core's lock (`/ready`).
    failing_now: Arc<std::sync::atomic::AtomicBool>,
}

impl Shared {
    pub(crate) fn new(connection: Connection, inline: bool, checkpoint: Poke) -> Arc<Self> {
        let failing_now = Arc::new(std::sync::atomic::AtomicBool::new(false));
        Arc::new(Self {
            queue: Mutex::new(Queue::default()),
            wake: Condvar::new(),
            core: Mutex::new(Core {
                connection,
                rooms: HashMap::new(),
                failing: false,
                failing_now: failing_now.clone(),
            }),
            failing_now,
            inline,
            checkpoint,
            holds: std::sync::atomic::AtomicU64::new(0),
        })
    }

    /// How many times commits were held for a checkpoint.
    #[cfg(test)]
    pub(crate) fn holds(&self) -> u64 {
        self.holds.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Whether the last commit failed (and none succeeded since).
    pub(crate) fn is_failing(&self) -> bool {
        self.failing_now.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Queues a job; gives it back when the writer has stopped. A write in
    /// NORMAL mode waits for its trigger to commit it (`commit_here`); the
    /// rest wakes the thread.
    pub(crate) fn push(&self, job: Job) -> Result<(), Job> {
        let mut queue = self.queue.lock();
        if queue.closed {
            return Err(job);
        }
        let wake = !self.inline || !matches!(job, Job::Write(_));
        queue.jobs.push_back(job);
        if wake {
            queue.wanted = true;
            self.wake.notify_one();
        }
        Ok(())
    }

    /// Commits what waits, here, unless someone else is committing (who
    /// then takes it too): a few batches, the rest to the thread.
    pub(crate) fn commit_here(&self) {
        if !self.inline {
            return;
        }
        loop {
            let Some(mut core) = self.core.try_lock() else {
                return;
            };
            let mut rounds = 0;
            loop {
                let jobs = self.take(true);
                if jobs.is_empty() {
                    break;
                }
                core.process(jobs);
                rounds += 1;
                if rounds == INLINE_ROUNDS {
                    drop(core);
                    self.checkpoint.committed();
                    self.queue.lock().wanted = true;
                    self.wake.notify_one();
                    return;
                }
            }
            drop(core);
            if rounds > 0 {
                self.checkpoint.committed();
            }
            // A job queued after the last look, while the lock was still
            // held, found it taken: look again now that it is free. A job
            // this task leaves (a deletion) is the thread's.
            let queue = self.queue.lock();
            match queue.jobs.front() {
                None => return,
                Some(Job::Write(_) | Job::Pin(..) | Job::Release(_)) => {}
                Some(Job::Forget(..)) => return,
            }
        }
    }

    /// Runs `catch_up` (the checkpointer's) while no commit can start, then
    /// commits the writes queued meanwhile, here: their triggers found the
    /// connection taken and left them to its holder. That commit is the
    /// first of a WAL that starts over, so the sync of the WAL's new header
    /// happens on this thread too, not on a trigger's task.
    pub(crate) fn between_commits(&self, catch_up: impl FnOnce()) {
        let started = Instant::now();
        let mut core = self.core.lock();
        catch_up();
        core.process(self.take(true));
        drop(core);
        let held = started.elapsed();
        self.holds
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        crate::metrics::commits_held(held.as_secs_f64());
        guarded(|| tracing::debug!(?held, "the store's WAL started over"));
        // A deletion, or writes queued after the take: the thread's.
        let mut queue = self.queue.lock();
        if !queue.jobs.is_empty() {
            queue.wanted = true;
            self.wake.notify_one();
        }
    }

    /// Stops the thread once the queue is empty.
    pub(crate) fn close(&self) {
        let mut queue = self.queue.lock();
        queue.closed = true;
        queue.wanted = true;
        self.wake.notify_one();
    }

    /// Takes up to a batch of jobs, in order (only under the core's lock).
    /// `writes_only`: stop at a job that is not a write (a trigger's task
    /// leaves a room's deletion, which may take long, to the thread).
    fn take(&self, writes_only: bool) -> Vec<Job> {
        let mut queue = self.queue.lock();
        let mut jobs = Vec::new();
        while jobs.len() < BATCH {
            match queue.jobs.front() {
                Some(Job::Write(_) | Job::Pin(..) | Job::Release(_)) => {}
                Some(Job::Forget(..)) if !writes_only => {}
                _ => break,
            }
            if let Some(job) = queue.jobs.pop_front() {
                jobs.push(job);
            }
        }
        jobs
    }
}

impl Core {
    /// Commits `jobs` in order and answers them.
    fn process(&mut self, jobs: Vec<Job>) {
        let mut batch = Vec::new();
        let mut changes = Vec::new();
        for job in jobs {
            match job {
                Job::Write(write) => {
                    let room = self.rooms.entry(write.room.clone()).or_default();
                    if write.generation < room.generation {
                        let _ = write.done.send(Err(Refused::Stale {
                            cause: room.cause.clone(),
                            generation: room.generation,
                            committed: room.committed,
                        }));
                    } else {
                        batch.push(write);
                    }
                }
                Job::Pin(room, epoch) => changes.push(rows::Change::Pin(room, epoch)),
                Job::Release(room) => changes.push(rows::Change::Release(room)),
                Job::Forget(room, done) => {
                    // Earlier writes and row changes first, in order.
                    commit_or_refuse(
                        &mut self.connection,
                        &mut self.rooms,
                        (&mut self.failing, &self.failing_now),
                        std::mem::take(&mut batch),
                    );
                    rows::apply(&self.connection, std::mem::take(&mut changes));
                    self.rooms.remove(&room);
                    let _ =
                        done.send(rows::forget(&self.connection, &room).map_err(|e| e.to_string()));
                }
            }
        }
        commit_or_refuse(
            &mut self.connection,
            &mut self.rooms,
            (&mut self.failing, &self.failing_now),
            batch,
        );
        rows::apply(&self.connection, changes);
    }
}

/// The writer thread: commits what the triggers leave to it (all of it in
/// FULL mode), and trims by the retention policy; runs until the store is
/// dropped and its queue is empty.
pub(crate) fn run(shared: Arc<Shared>, retention: Retention) {
    let mut trimmed = Instant::now();
    // More is due than one turn of trimming deletes: trim after every
    // batch until caught up.
    let mut behind = false;
    let mut cursor: retention::Cursor = None;
    loop {
        {
            let mut queue = shared.queue.lock();
            if queue.closed && queue.jobs.is_empty() {
                return;
            }
            if !behind && !queue.wanted && !queue.closed && (queue.jobs.is_empty() || shared.inline)
            {
                // Wake now and then to trim, and to commit what a trigger
                // left (one whose task went away before committing).
                shared.wake.wait_for(&mut queue, TRIM_EVERY);
            }
            queue.wanted = false;
        }
        let mut core = shared.core.lock();
        let jobs = shared.take(false);
        let mut changed = !jobs.is_empty();
        core.process(jobs);
        if behind || trimmed.elapsed() >= TRIM_EVERY {
            trimmed = Instant::now();
            behind = match retention::trim(&core.connection, &retention, &mut cursor) {
                Ok(done) => {
                    changed |= done.deleted > 0;
                    done.more
                }
                Err(error) => {
                    guarded(
                        || tracing::warn!(%error, "trimming the store failed; it is tried again later"),
                    );
                    false
                }
            };
        }
        drop(core);
        if changed {
            shared.checkpoint.committed();
        }
        // A trigger that found the connection taken while this turn held it
        // left its write to the holder: this thread, then. Look again now.
        let mut queue = shared.queue.lock();
        if !queue.jobs.is_empty() {
            queue.wanted = true;
        }
    }
}

/// Commits a batch and answers its writes; logs a failure once per burst,
/// after the answers and [`guarded`]: a committer that unwound would leave
/// its batch unanswered and every later trigger of those rooms waiting.
fn commit_or_refuse(
    connection: &mut Connection,
    rooms: &mut HashMap<Arc<str>, Room>,
    (failing, failing_now): (&mut bool, &std::sync::atomic::AtomicBool),
    batch: Vec<Write>,
) {
    if batch.is_empty() {
        return;
    }
    let started = std::time::Instant::now();
    let committed = batch::commit(connection, &batch);
    crate::metrics::commit(started.elapsed().as_secs_f64(), batch.len());
    match committed {
        Ok(()) => {
            let recovered = std::mem::replace(failing, false);
            failing_now.store(false, std::sync::atomic::Ordering::Relaxed);
            for write in batch {
                let _ = write.done.send(Ok(()));
            }
            if recovered {
                guarded(|| tracing::info!("the store accepts writes again"));
            }
        }
        Err(error) => {
            let cause = error.to_string();
            let first = !std::mem::replace(failing, true);
            failing_now.store(true, std::sync::atomic::Ordering::Relaxed);
            refuse(rooms, batch, &cause);
            if first {
                guarded(
                    || tracing::error!(%cause, "the store cannot commit; triggers are refused with UNAVAILABLE until it can"),
                );
            }
        }
    }
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
    for (room, first) in first_seq.iter() {
        let state = rooms.entry(room.clone()).or_default();
        state.generation += 1;
        state.cause = cause.to_owned();
        state.committed = first.saturating_sub(1);
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
