//! The durable store: every event a room accepts is committed to a SQLite
//! file before it is answered and delivered, and a restart continues each
//! room's stream where it stopped (docs/persistence.md).
//!
//! ```no_run
//! # use dialogue_runtime::prelude::*;
//! # #[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
//! # #[event(history = 100)]
//! # pub struct Message { pub text: String }
//! # dialogue! { pub ChatApp { chat: { name: "Chat Room", events: [Message] } } }
//! # fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let dialogue = Dialogue::<ChatApp>::builder()
//!     .store("data/chat.sqlite")
//!     .build()?;
//! # Ok(()) }
//! ```
//!
//! The parts: the file's layout and what opening it decides (`schema`), the
//! one writer thread and its group commits (`writer`), reads on their own
//! connections (`reads`), and the retention policy (`retention`).

mod batch;
mod checkpoint;
mod reads;
pub(crate) mod retention;
mod rows;
mod schema;
pub(crate) mod writer;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::sync::oneshot;

use crate::envelope::StampedEvent;
use crate::store::StoreError;
use crate::store::sqlite::reads::Readers;
use crate::store::sqlite::writer::{Job, Shared, Write};

/// WAL pages past which the writer checkpoints itself (128 MiB of 4 KiB
/// pages): a safety net, reached only if the checkpointer cannot finish
/// its own (`checkpoint::CATCH_UP`, a quarter of it).
const WAL_BACKSTOP: u32 = 32768;

pub use retention::Retention;

/// A stored event and the trigger id it was accepted with.
pub(crate) type Recent = (Arc<StampedEvent>, Option<String>);

/// How hard each commit is pushed to the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Synchronous {
    /// SQLite's `synchronous = NORMAL` in WAL mode: an acknowledged event
    /// survives a crash of the process (kill -9), not necessarily a power
    /// loss or a crash of the machine.
    #[default]
    Normal,
    /// `synchronous = FULL`: an acknowledged event survives a power loss
    /// too; each group commit waits for an fsync.
    Full,
}

impl Synchronous {
    fn pragma(self) -> &'static str {
        match self {
            Self::Normal => "NORMAL",
            Self::Full => "FULL",
        }
    }
}

/// How a [`SqliteStore`] writes and what it keeps.
///
/// ```
/// use std::time::Duration;
/// use dialogue_runtime::sqlite::{Retention, StoreOptions, Synchronous};
///
/// let options = StoreOptions::default()
///     .synchronous(Synchronous::Full)
///     .retention(Retention::default().max_age(Duration::from_secs(30 * 24 * 3600)));
/// assert_eq!(options.synchronous_mode(), Synchronous::Full);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StoreOptions {
    synchronous: Synchronous,
    retention: Retention,
}

impl StoreOptions {
    /// How hard commits are pushed to the disk (default
    /// [`Synchronous::Normal`]).
    pub fn synchronous(mut self, synchronous: Synchronous) -> Self {
        self.synchronous = synchronous;
        self
    }

    /// What the store keeps (default: everything).
    pub fn retention(mut self, retention: Retention) -> Self {
        self.retention = retention;
        self
    }

    /// The synchronous mode.
    pub fn synchronous_mode(&self) -> Synchronous {
        self.synchronous
    }
}

/// A SQLite file that keeps every room's events, positions and epochs.
/// Cheap to clone; clones share the file's writer.
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    file_id: String,
    options: StoreOptions,
    readers: Readers,
    /// The write connection until the writer starts, then its queue.
    writer: parking_lot::Mutex<WriterState>,
}

enum WriterState {
    Ready(rusqlite::Connection),
    Running(Arc<Shared>),
    Gone,
}

impl Drop for Inner {
    /// The last clone is gone: the writer commits what is queued and stops.
    fn drop(&mut self) {
        if let WriterState::Running(shared) = &*self.writer.lock() {
            shared.close();
        }
    }
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.inner.path)
            .field("options", &self.inner.options)
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens (or creates) the file with the default options.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        Self::open_with(path, StoreOptions::default())
    }

    /// Opens (or creates) the file: creates its tables, migrates a file of
    /// an older layout, and checks that it can be written. A file that is
    /// not a database, cannot be read or written, or is locked by another
    /// process is an error naming the path and the cause.
    pub fn open_with(path: impl AsRef<Path>, options: StoreOptions) -> Result<Self, StoreError> {
        let path = path.as_ref().to_owned();
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| {
                StoreError(format!("{}: cannot create its folder: {e}", path.display()))
            })?;
        }
        let mut connection = schema::connect(&path, options.synchronous)?;
        let opened = schema::prepare(
            &mut connection,
            &path,
            options.synchronous,
            schema::boot_id(),
        )?;
        if let Some(why) = opened.rotated {
            tracing::warn!(path = %path.display(), why, "every room of the store starts a new epoch: clients reload");
        }
        Ok(Self {
            inner: Arc::new(Inner {
                readers: Readers::new(&path),
                path,
                file_id: opened.file_id,
                options,
                writer: parking_lot::Mutex::new(WriterState::Ready(connection)),
            }),
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Runs `work` on the write connection before the writer starts (tests
    /// shape the file with it, e.g. a page limit that makes it "full").
    #[cfg(test)]
    pub(crate) fn before_start(&self, work: impl FnOnce(&rusqlite::Connection)) {
        if let WriterState::Ready(connection) = &*self.inner.writer.lock() {
            work(connection);
        }
    }

    /// Starts the writer thread, keeping at least `window` (rows and age)
    /// whatever the retention. Called once, when the server is built.
    pub(crate) fn start(
        &self,
        window_rows: u64,
        window_age: std::time::Duration,
    ) -> Result<(), StoreError> {
        let mut state = self.inner.writer.lock();
        let WriterState::Ready(connection) = std::mem::replace(&mut *state, WriterState::Gone)
        else {
            return Err(StoreError(format!(
                "{}: the store is already used by a server",
                self.inner.path.display()
            )));
        };
        let mut retention = self.inner.options.retention;
        retention.window_rows = window_rows;
        retention.window_age = window_age;
        // Checkpoints run beside the writer, never inside its commits
        // (`checkpoint`).
        let checkpointer = schema::connect(&self.inner.path, self.inner.options.synchronous)?;
        // A backstop: if the checkpointer cannot finish its checkpoints (a
        // reader holding an old snapshot), past `WAL_BACKSTOP` pages the
        // writer checkpoints itself, between its commits.
        connection
            .execute_batch(&format!("PRAGMA wal_autocheckpoint = {WAL_BACKSTOP};"))
            .map_err(|e| StoreError::at(&self.inner.path, e))?;
        let (poke, pokes) = checkpoint::channel();
        // With NORMAL a commit is a write to the page cache: a trigger
        // commits on its own task (`writer::Shared::commit_here`); with FULL
        // each commit waits for the disk, so only the thread commits.
        let inline = self.inner.options.synchronous == Synchronous::Normal;
        let shared = Shared::new(connection, inline, poke);
        let writer = Arc::downgrade(&shared);
        let path = self.inner.path.clone();
        std::thread::Builder::new()
            .name("dialogue-checkpoint".into())
            .spawn(move || checkpoint::run(checkpointer, &path, pokes, writer))
            .map_err(|e| StoreError(format!("cannot start the store's checkpointer: {e}")))?;
        let thread = shared.clone();
        std::thread::Builder::new()
            .name("dialogue-store".into())
            .spawn(move || writer::run(thread, retention))
            .map_err(|e| StoreError(format!("cannot start the store's writer: {e}")))?;
        *state = WriterState::Running(shared);
        ignore_file_size_signal();
        Ok(())
    }

    /// Sends a write; its answer comes on `write.done`.
    pub(crate) fn submit(&self, write: Write) {
        let state = self.inner.writer.lock();
        let refused = match &*state {
            WriterState::Running(shared) => match shared.push(Job::Write(write)) {
                Ok(()) => return,
                Err(Job::Write(write)) => write,
                Err(_) => return,
            },
            _ => write,
        };
        let _ = refused.done.send(Err(writer::Refused::Stale {
            cause: "the store's writer is not running".into(),
            generation: 0,
            committed: 0,
        }));
    }

    /// Forgets a deleted room: its events go and its next life has a new
    /// epoch.
    pub(crate) async fn forget(&self, room: &str) {
        let (done, wait) = oneshot::channel();
        if self.send(Job::Forget(Arc::from(room), done))
            && let Ok(Err(error)) = wait.await
        {
            tracing::error!(room, %error, "the store could not forget a deleted room");
        }
    }

    fn send(&self, job: Job) -> bool {
        match &*self.inner.writer.lock() {
            WriterState::Running(shared) => shared.push(job).is_ok(),
            _ => false,
        }
    }

    /// How many times commits were held for a checkpoint (`checkpoint`).
    #[cfg(test)]
    pub(crate) fn holds(&self) -> u64 {
        match &*self.inner.writer.lock() {
            WriterState::Running(shared) => shared.holds(),
            _ => 0,
        }
    }

    /// Commits what waits on the caller's task, unless someone else is
    /// committing (who takes it too) or the mode is FULL: called by a
    /// trigger about to wait for its commit.
    pub(crate) fn commit_waiting(&self) {
        let shared = match &*self.inner.writer.lock() {
            WriterState::Running(shared) => shared.clone(),
            _ => return,
        };
        shared.commit_here();
    }

    /// A room's stored position as clients see it: `(epoch, epoch number,
    /// seq)`; a room without a row (never written, or deleted) starts at
    /// seq 0 of the file's next epoch number, and that epoch is written as
    /// its row (see [`Self::pin`]).
    pub(crate) fn position(&self, room: &str) -> Result<(String, u64, u64), StoreError> {
        let (epoch, seq, found) = self.inner.readers.with(|c| {
            Ok(match reads::position(c, room)? {
                Some((epoch, seq)) => (epoch, seq, true),
                None => (schema::next_epoch(c)?, 0, false),
            })
        })?;
        // A row at seq 0 may be on its way out (`release`, queued before):
        // pinning again, after it in the queue, keeps it.
        if (!found || seq == 0)
            && let Err(error) = self.pin(room, epoch)
        {
            // The read stands: the room starts right; only a restart after
            // another room's deletion may move its epoch (a reload, nothing
            // lost).
            crate::logging::guarded(
                || tracing::warn!(room, %error, "the store could not record a room's epoch"),
            );
        }
        Ok((self.epoch_name(epoch), epoch, seq))
    }

    /// Writes the row of a room that starts without one, at seq 0 of
    /// `epoch`: positions at that epoch go out with its first join, and a
    /// deletion of another room raises `next_epoch`, so without a row the
    /// room would start again at another epoch and its clients would be
    /// told `recovered: false` for nothing. Before the server runs, written
    /// here; after, queued to the writer, ahead of anything that could
    /// raise `next_epoch` (a deletion queued later), so that whatever a
    /// crash keeps, the room's epoch is the same.
    fn pin(&self, room: &str, epoch: u64) -> Result<(), StoreError> {
        // A failure here is logged by the caller, whose read stands.
        match &*self.inner.writer.lock() {
            WriterState::Ready(connection) => {
                rows::pin(connection, room, epoch).map_err(|e| StoreError::at(&self.inner.path, e))
            }
            WriterState::Running(shared) => {
                let _ = shared.push(Job::Pin(Arc::from(room), epoch));
                Ok(())
            }
            WriterState::Gone => Ok(()),
        }
    }

    /// Lets go of the row of a room that leaves memory without ever having
    /// had an event (see [`Self::pin`]), through the writer's queue.
    pub(crate) fn release(&self, room: &str) {
        self.send(Job::Release(Arc::from(room)));
    }

    /// The epoch clients see for a room's epoch number.
    pub(crate) fn epoch_name(&self, epoch: u64) -> String {
        format!("{}.{epoch}", self.inner.file_id)
    }

    /// The last `count` events of `room`, none older than `since_ms`,
    /// oldest first, with their trigger ids.
    pub(crate) fn recent(
        &self,
        room: &str,
        count: u64,
        since_ms: u64,
    ) -> Result<Vec<Recent>, StoreError> {
        self.inner
            .readers
            .with(|c| reads::recent(c, room, count, since_ms))
    }

    /// Events named `event` in `room`, newest first, `start..end`.
    pub(crate) fn page_blocking(
        &self,
        room: &str,
        event: &str,
        start: u64,
        end: u64,
    ) -> Result<Vec<Arc<StampedEvent>>, StoreError> {
        self.inner
            .readers
            .with(|c| reads::page(c, room, event, start, end.saturating_sub(start)))
    }
}

impl crate::store::HistoryStore for SqliteStore {
    /// Nothing: a durable room commits its events itself, before it
    /// answers.
    fn record(
        &self,
        _room: &str,
        _event: Arc<StampedEvent>,
    ) -> futures_util::future::BoxFuture<'static, Result<(), StoreError>> {
        Box::pin(std::future::ready(Ok(())))
    }

    fn page(
        &self,
        room: &str,
        event: &str,
        start: u64,
        end: u64,
    ) -> futures_util::future::BoxFuture<'static, Result<Vec<Arc<StampedEvent>>, StoreError>> {
        let (store, room, event) = (self.clone(), room.to_owned(), event.to_owned());
        Box::pin(async move {
            tokio::task::spawn_blocking(move || store.page_blocking(&room, &event, start, end))
                .await
                .map_err(|e| StoreError(e.to_string()))?
        })
    }

    /// Not ready while its last commit failed (a full disk, an I/O error:
    /// triggers are refused with `UNAVAILABLE` meanwhile), or once stopped.
    fn ready(&self) -> Result<(), StoreError> {
        match &*self.inner.writer.lock() {
            WriterState::Running(shared) if shared.is_failing() => Err(StoreError::at(
                &self.inner.path,
                "the last commit failed; triggers are refused until one succeeds",
            )),
            WriterState::Gone => Err(StoreError::at(&self.inner.path, "the writer stopped")),
            _ => Ok(()),
        }
    }
}

/// A file-size limit (`ulimit -f`) sends SIGXFSZ, whose default is to kill
/// the process: caught instead, a write past the limit fails with EFBIG and
/// the store answers `UNAVAILABLE` until the limit is raised.
fn ignore_file_size_signal() {
    #[cfg(target_os = "linux")]
    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
        const SIGXFSZ: i32 = 25;
        let _guard = runtime.enter();
        if let Ok(mut signals) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::from_raw(SIGXFSZ))
        {
            runtime.spawn(async move {
                while signals.recv().await.is_some() {
                    tracing::debug!("SIGXFSZ: a write went past the file-size limit");
                }
            });
        }
    }
}

#[cfg(test)]
pub(crate) mod tests;
#[cfg(test)]
mod tests_checkpoint;
#[cfg(test)]
mod tests_rows;
