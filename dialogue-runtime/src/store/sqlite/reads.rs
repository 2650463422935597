//! Reads, on connections of their own (WAL lets them run while the writer
//! commits): a room's stored position, its latest events for memory at
//! start, and history pages past memory.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::Mutex;
use rusqlite::{Connection, OpenFlags, params};
use serde_json::value::RawValue;

use crate::envelope::StampedEvent;
use crate::store::StoreError;

/// Read connections, opened as needed and kept for reuse.
pub(crate) struct Readers {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

/// Idle read connections kept at most.
const IDLE: usize = 4;

impl Readers {
    pub(crate) fn new(path: &Path) -> Self {
        Self {
            path: path.to_owned(),
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Runs `read` on a read-only connection (blocking: call it off the
    /// async threads, or where a short wait is fine).
    pub(crate) fn with<T>(
        &self,
        read: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        let connection = match self.idle.lock().pop() {
            Some(connection) => connection,
            None => Connection::open_with_flags(
                &self.path,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
            .and_then(|c| c.execute_batch("PRAGMA busy_timeout = 5000;").map(|()| c))
            .map_err(|e| StoreError::at(&self.path, e))?,
        };
        let result = read(&connection).map_err(|e| StoreError::at(&self.path, e));
        let mut idle = self.idle.lock();
        if idle.len() < IDLE {
            idle.push(connection);
        }
        result
    }
}

/// A row's event.
fn event_of(seq: i64, envelope: String) -> rusqlite::Result<Arc<StampedEvent>> {
    let bad = |e: serde_json::Error| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    };
    let json = RawValue::from_string(envelope).map_err(bad)?;
    Ok(Arc::new(
        StampedEvent::from_json(seq as u64, json).map_err(bad)?,
    ))
}

/// A room's stored epoch number and latest seq.
pub(crate) fn position(
    connection: &Connection,
    room: &str,
) -> rusqlite::Result<Option<(u64, u64)>> {
    use rusqlite::OptionalExtension;
    connection
        .query_row(
            "SELECT epoch, seq FROM dialogue_rooms WHERE room = ?1",
            [room],
            |row| Ok((row.get::<_, i64>(0)? as u64, row.get::<_, i64>(1)? as u64)),
        )
        .optional()
}

/// The latest `count` events named `event` in `room`, newest first, from
/// index `start`.
pub(crate) fn page(
    connection: &Connection,
    room: &str,
    event: &str,
    start: u64,
    count: u64,
) -> rusqlite::Result<Vec<Arc<StampedEvent>>> {
    let mut statement = connection.prepare_cached(
        "SELECT seq, envelope FROM dialogue_events WHERE room = ?1 AND event = ?2
         ORDER BY seq DESC LIMIT ?3 OFFSET ?4",
    )?;
    let rows = statement.query_map(
        params![
            room,
            event,
            count.min(i64::MAX as u64) as i64,
            start.min(i64::MAX as u64) as i64
        ],
        |row| event_of(row.get(0)?, row.get(1)?),
    )?;
    rows.collect()
}

/// The last `count` events of `room` (every name), none older than
/// `since_ms`, oldest first, with their trigger ids.
pub(crate) fn recent(
    connection: &Connection,
    room: &str,
    count: u64,
    since_ms: u64,
) -> rusqlite::Result<Vec<(Arc<StampedEvent>, Option<String>)>> {
    let mut statement = connection.prepare_cached(
        "SELECT seq, envelope, trigger FROM dialogue_events
         WHERE room = ?1 AND timestamp >= ?2 ORDER BY seq DESC LIMIT ?3",
    )?;
    let rows = statement.query_map(
        params![
            room,
            since_ms.min(i64::MAX as u64) as i64,
            count.min(i64::MAX as u64) as i64
        ],
        |row| {
            Ok((
                event_of(row.get(0)?, row.get(1)?)?,
                row.get::<_, Option<String>>(2)?,
            ))
        },
    )?;
    let mut events = rows.collect::<rusqlite::Result<Vec<_>>>()?;
    events.reverse();
    Ok(events)
}
