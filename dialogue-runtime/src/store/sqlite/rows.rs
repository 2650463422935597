//! A room's row in `dialogue_rooms` outside the commits of its events:
//! written when the room starts without one (`pin`), let go when it leaves
//! memory without events (`release`), removed with the room (`forget`).
//! Each keeps the rule of `schema`: no life of a room id ever has an epoch
//! another of its lives had.

use rusqlite::{Connection, OptionalExtension};

use crate::logging::guarded;
use crate::store::sqlite::schema;

/// Records the epoch of a room that has no row yet, at seq 0.
pub(crate) fn pin(connection: &Connection, room: &str, epoch: u64) -> rusqlite::Result<()> {
    connection
        .prepare_cached(
            "INSERT OR IGNORE INTO dialogue_rooms (room, epoch, seq) VALUES (?1, ?2, 0)",
        )?
        .execute(rusqlite::params![room, epoch as i64])?;
    Ok(())
}

/// Removes the row of a room that has no event in its epoch (a write that
/// came since keeps it). Its next life starts at `next_epoch`, raised past
/// this epoch if need be (a row whose epoch was bumped on open, its events
/// gone, may carry an epoch past `next_epoch`).
fn release(connection: &Connection, room: &str) -> rusqlite::Result<()> {
    let epoch: Option<i64> = connection
        .query_row(
            "DELETE FROM dialogue_rooms WHERE room = ?1 AND seq = 0 RETURNING epoch",
            [room],
            |row| row.get(0),
        )
        .optional()?;
    if let Some(epoch) = epoch
        && epoch as u64 >= schema::next_epoch(connection)?
    {
        schema::raise_next_epoch(connection, epoch as u64)?;
    }
    Ok(())
}

/// What happens to rows outside the commits of events, queued in order.
pub(crate) enum Change {
    /// [`pin`] a room at this epoch.
    Pin(std::sync::Arc<str>, u64),
    /// [`release`] a room.
    Release(std::sync::Arc<str>),
}

/// Applies `changes` in order, in one transaction (one sync in `FULL`
/// mode, however many rooms started or left): their order against the
/// events' commits does not matter (a pin never overwrites a row, a
/// release never removes one with events), only against deletions, which
/// apply what is queued before them first. A change that fails is logged
/// and skipped (a room's epoch may then move on a restart: a reload,
/// nothing lost).
pub(crate) fn apply(connection: &Connection, changes: Vec<Change>) {
    if changes.is_empty() {
        return;
    }
    let result = connection.unchecked_transaction().and_then(|transaction| {
        for change in &changes {
            let (room, outcome) = match change {
                Change::Pin(room, epoch) => (room, pin(&transaction, room, *epoch)),
                Change::Release(room) => (room, release(&transaction, room)),
            };
            if let Err(error) = outcome {
                guarded(
                    || tracing::warn!(%room, %error, "the store could not update a room's row"),
                );
            }
        }
        transaction.commit()
    });
    if let Err(error) = result {
        guarded(|| tracing::warn!(%error, "the store could not update the rooms' rows"));
    }
}

/// A room deleted, in one transaction: its events and its row go, and the
/// file's `next_epoch` passes the room's epoch, so that its next life (which
/// starts there, having no row) has a new one (`schema`).
pub(crate) fn forget(connection: &Connection, room: &str) -> rusqlite::Result<()> {
    let transaction = connection.unchecked_transaction()?;
    let epoch: Option<i64> = transaction
        .query_row(
            "SELECT epoch FROM dialogue_rooms WHERE room = ?1",
            [room],
            |row| row.get(0),
        )
        .optional()?;
    transaction.execute("DELETE FROM dialogue_events WHERE room = ?1", [room])?;
    transaction.execute("DELETE FROM dialogue_rooms WHERE room = ?1", [room])?;
    // Without a row its epoch was at most `next_epoch`, which is raised anyway.
    schema::raise_next_epoch(&transaction, epoch.map_or(0, |epoch| epoch as u64))?;
    transaction.commit()
}
