//! A room's row in `dialogue_rooms` outside the commits of its events:
//! written when the room starts without one (`pin`), let go when it leaves
//! memory without events (`release`), removed with the room (`forget`).
//! Each keeps the rule of `schema`: no life of a room id ever has an epoch
//! another of its lives had.

use rusqlite::{Connection, OptionalExtension};

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
pub(crate) fn release(connection: &Connection, room: &str) -> rusqlite::Result<()> {
    let transaction = connection.unchecked_transaction()?;
    let epoch: Option<i64> = transaction
        .query_row(
            "DELETE FROM dialogue_rooms WHERE room = ?1 AND seq = 0 RETURNING epoch",
            [room],
            |row| row.get(0),
        )
        .optional()?;
    if let Some(epoch) = epoch
        && epoch as u64 >= schema::next_epoch(&transaction)?
    {
        schema::raise_next_epoch(&transaction, epoch as u64)?;
    }
    transaction.commit()
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
