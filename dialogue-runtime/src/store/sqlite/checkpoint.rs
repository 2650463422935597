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
//! (new frames arrive while it runs), so the WAL would grow without end.
//! Once it holds [`CATCH_UP`] pages, the checkpointer copies what is left
//! right after a passive checkpoint, with commits held
//! ([`Shared::between_commits`]): little is left by then, so commits wait
//! for a short copy and its syncs, on this thread, not for a whole
//! checkpoint on a trigger's task (SQLite's own checkpoint inside a commit,
//! kept as a backstop far above, at `WAL_BACKSTOP`; see
//! `SqliteStore::start`). Measured on `validation`: that backstop, at
//! 8192 pages, set the p99 (1.66 ms against 1.44 ms with no checkpoint
//! inside the run; memory 1.01 ms).

use std::path::Path;
use std::sync::Weak;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::time::Duration;

use rusqlite::Connection;

use crate::logging::guarded;
use crate::store::sqlite::writer::Shared;

/// The shortest time between two checkpoints while writes go on. Short:
/// a checkpoint slows the commits that run beside its syncs, and a small
/// one slows them for less (measured on `validation`: p99 0.64 ms at 50 ms,
/// 0.74 ms at 200 ms, 1.8 ms at 1 s).
const EVERY: Duration = Duration::from_millis(50);

/// WAL pages (32 MiB of 4 KiB pages) past which a checkpoint that did not
/// copy everything is finished with commits held, so that the WAL starts
/// over. Large: each time holds commits for a few milliseconds (the
/// syncs), and the WAL grows by up to 25 MiB a second at 2,000 commits a
/// second (three pages each: the event, its index entry, the room's row).
const CATCH_UP: i64 = if cfg!(test) { 1024 } else { 8192 };

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

/// Runs until the writer is gone, then checkpoints once more. `writer`
/// is weak: the writer's end is what ends this thread.
pub(crate) fn run(connection: Connection, path: &Path, pokes: Receiver<()>, writer: Weak<Shared>) {
    let mut failing = false;
    while pokes.recv().is_ok() {
        // The WAL's pages when the checkpoint started, and how many it
        // copied: all of them unless a reader still needs some (then
        // holding commits would not let the WAL start over either).
        if let Some((pages, copied)) = checkpoint(&connection, &mut failing)
            && pages >= CATCH_UP
            && copied == pages
            && let Some(writer) = writer.upgrade()
        {
            presync(path);
            writer.between_commits(|| {
                checkpoint(&connection, &mut failing);
            });
        }
        // Let commits gather: each checkpoint syncs the files.
        std::thread::sleep(EVERY);
    }
    checkpoint(&connection, &mut failing);
}

/// Syncs the database file and the WAL ahead of a checkpoint that holds
/// commits, so that the syncs it does itself find little to write.
///
/// Why: SQLite syncs the database file only at a checkpoint that reaches
/// the WAL's end, which under steady writes is only the one that holds
/// commits: it found every page copied since the WAL started over still
/// to write (10 ms of the 15 ms commits were held, at 16,384 pages). The
/// WAL's own sync finds what was appended since the last checkpoint. An
/// extra sync changes nothing else; a failure here is left to the
/// checkpoint's own syncs.
fn presync(path: &Path) {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    for file in [path.as_os_str(), wal.as_os_str()] {
        if let Ok(file) = std::fs::File::open(file) {
            let _ = file.sync_data();
        }
    }
}

/// One passive checkpoint: copies what no reader still needs, never waits
/// for the writer; gives the WAL's pages when it started and how many of
/// them are copied.
/// A failure (a full disk) is logged once per burst; the WAL keeps
/// everything meanwhile.
fn checkpoint(connection: &Connection, failing: &mut bool) -> Option<(i64, i64)> {
    let result = connection.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
        Ok((row.get::<_, i64>(1)?, row.get::<_, i64>(2)?))
    });
    match result {
        Ok(frames) => {
            if std::mem::replace(failing, false) {
                guarded(|| tracing::info!("the store's checkpoints work again"));
            }
            Some(frames)
        }
        Err(error) => {
            if !std::mem::replace(failing, true) {
                guarded(
                    || tracing::warn!(%error, "the store cannot checkpoint its WAL; it is tried again"),
                );
            }
            None
        }
    }
}
