//! The checkpointer: a thread of its own that copies the WAL back into the
//! database file, so that the writer never does.
//!
//! Why: SQLite checkpoints, by default, inside the commit that makes the
//! WAL pass 1000 pages, and a checkpoint syncs both files (also with
//! `synchronous = NORMAL`). At a few thousand small commits a second that is
//! several syncs a second on the writer's path: every event committed
//! meanwhile waits for them, which showed as a p99 of 5.5 ms against
//! 0.4 ms in memory (`validation` scenario). Here the writer pokes this
//! thread after each commit; a *passive* checkpoint runs beside the writer
//! (WAL mode lets one checkpointer and one writer work at once) at most
//! every [`EVERY`], and none while nothing is written. The WAL starts over
//! at the writer's next commit once a checkpoint has copied all of it.
//!
//! Under writes without pause a passive checkpoint never copies all of it
//! (new frames arrive while it runs), so the WAL would grow without end: the
//! writer keeps SQLite's own checkpoint as a backstop, at a WAL of
//! `WAL_BACKSTOP` pages instead of 1000 (see `SqliteStore::start`).

use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::time::Duration;

use rusqlite::Connection;

use crate::logging::guarded;

/// The shortest time between two checkpoints while writes go on. Short:
/// a checkpoint slows the commits that run beside its syncs, and a small
/// one slows them for less (measured on `validation`: p99 0.64 ms at 50 ms,
/// 0.74 ms at 200 ms, 1.8 ms at 1 s).
const EVERY: Duration = Duration::from_millis(50);

/// Tells the checkpointer that something was committed; never blocks.
#[derive(Clone)]
pub(crate) struct Poke(SyncSender<()>);

impl Poke {
    pub(crate) fn committed(&self) {
        match self.0.try_send(()) {
            Ok(()) | Err(TrySendError::Full(())) | Err(TrySendError::Disconnected(())) => {}
        }
    }
}

/// A poke and the receiver the checkpointer waits on.
pub(crate) fn channel() -> (Poke, Receiver<()>) {
    let (poke, pokes) = std::sync::mpsc::sync_channel(1);
    (Poke(poke), pokes)
}

/// Runs until the writer is gone, then checkpoints once more.
pub(crate) fn run(connection: Connection, pokes: Receiver<()>) {
    let mut failing = false;
    while pokes.recv().is_ok() {
        checkpoint(&connection, &mut failing);
        // Let commits gather: each checkpoint syncs the files.
        std::thread::sleep(EVERY);
    }
    checkpoint(&connection, &mut failing);
}

/// One passive checkpoint: copies what no reader still needs, never waits
/// for the writer. A failure (a full disk) is logged once per burst; the
/// WAL keeps everything meanwhile.
fn checkpoint(connection: &Connection, failing: &mut bool) {
    let result = connection.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
        row.get::<_, i64>(0)
    });
    match result {
        Ok(_) if *failing => {
            *failing = false;
            guarded(|| tracing::info!("the store's checkpoints work again"));
        }
        Ok(_) => {}
        Err(error) if !*failing => {
            *failing = true;
            guarded(
                || tracing::warn!(%error, "the store cannot checkpoint its WAL; it is tried again"),
            );
        }
        Err(_) => {}
    }
}
