//! How long the store keeps events: by age and by rows per room, never
//! less than each room's recovery window. Applied by the writer every few
//! seconds, a bounded number of rows at a time so that it never holds
//! writes up for long; while rows are due faster than that (a busy server),
//! again after every batch of writes until it has caught up.

use std::time::Duration;

use rusqlite::{Connection, params};

/// What the store keeps (by default, everything).
///
/// ```
/// use std::time::Duration;
/// use dialogue_runtime::sqlite::Retention;
///
/// let week = Retention::default()
///     .max_age(Duration::from_secs(7 * 24 * 3600))
///     .max_rows_per_room(100_000);
/// assert_eq!(week.rows_per_room(), Some(100_000));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Retention {
    max_age: Option<Duration>,
    max_rows: Option<u64>,
    /// The recovery window, which is always kept (set by the server).
    pub(crate) window_rows: u64,
    pub(crate) window_age: Duration,
}

impl Retention {
    /// Drops events older than `age` (beyond the recovery window).
    pub fn max_age(mut self, age: Duration) -> Self {
        self.max_age = Some(age);
        self
    }

    /// Keeps at most `rows` events per room (at least the recovery window's
    /// size).
    pub fn max_rows_per_room(mut self, rows: u64) -> Self {
        self.max_rows = Some(rows);
        self
    }

    /// The age limit, if any.
    pub fn age(&self) -> Option<Duration> {
        self.max_age
    }

    /// The rows limit, if any.
    pub fn rows_per_room(&self) -> Option<u64> {
        self.max_rows
    }

    fn is_unbounded(&self) -> bool {
        self.max_age.is_none() && self.max_rows.is_none()
    }
}

/// Rows deleted in one statement at most: trimming a large backlog takes
/// several turns of the writer, each short.
const CHUNK: i64 = 5000;

/// What one turn of trimming did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Trimmed {
    pub(crate) deleted: usize,
    /// A statement hit its chunk: more rows are due, trim again soon.
    pub(crate) more: bool,
}

/// Applies `retention` once, at most [`CHUNK`] rows per limit.
pub(crate) fn trim(connection: &Connection, retention: &Retention) -> rusqlite::Result<Trimmed> {
    if retention.is_unbounded() {
        return Ok(Trimmed::default());
    }
    let mut trimmed = Trimmed::default();
    let mut count = |deleted: usize| {
        trimmed.deleted += deleted;
        trimmed.more |= deleted >= CHUNK as usize;
    };
    if let Some(rows) = retention.max_rows {
        let keep = rows.max(retention.window_rows) as i64;
        count(connection.execute(
            "DELETE FROM dialogue_events WHERE (room, seq) IN (
                 SELECT e.room, e.seq FROM dialogue_events e JOIN dialogue_rooms r ON r.room = e.room
                 WHERE e.seq <= r.seq - ?1 LIMIT ?2)",
            params![keep, CHUNK],
        )?);
    }
    if let Some(age) = retention.max_age {
        let age = age.max(retention.window_age);
        let before = crate::envelope::now_millis().saturating_sub(age.as_millis() as u64) as i64;
        let window = retention.window_rows as i64;
        count(connection.execute(
            "DELETE FROM dialogue_events WHERE (room, seq) IN (
                 SELECT e.room, e.seq FROM dialogue_events e JOIN dialogue_rooms r ON r.room = e.room
                 WHERE e.timestamp < ?1 AND e.seq <= r.seq - ?2 LIMIT ?3)",
            params![before, window, CHUNK],
        )?);
    }
    Ok(trimmed)
}
