//! How long the store keeps events: by age and by rows per room, never
//! less than each room's recovery window. Applied by the writer every
//! second, a bounded number of rooms and rows at a time so that it never
//! holds writes up for long; while more is due than one turn deletes (a
//! busy server, many rooms), again after every batch of writes until it has
//! caught up.

use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, params};

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

/// Rows deleted in one turn at most: trimming a large backlog takes
/// several turns of the writer, each short.
const CHUNK: i64 = 5000;

/// Rooms looked at in one turn at most: a store of many rooms (one per
/// user) is trimmed a slice at a time, so a turn stays short however many
/// rooms there are.
const ROOMS_PER_TURN: i64 = 1000;

/// What one turn of trimming did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Trimmed {
    pub(crate) deleted: usize,
    /// Rooms or rows are left for another turn: trim again soon.
    pub(crate) more: bool,
}

/// Where the next turn starts: after this room (`None`: from the first).
pub(crate) type Cursor = Option<String>;

/// Applies `retention` to the next slice of rooms, deleting at most
/// [`CHUNK`] rows. Each room is looked at by its oldest rows only (the
/// primary key's order), never by a scan of all its rows: an event's
/// timestamp grows with its seq, so the rows due are the oldest.
pub(crate) fn trim(
    connection: &Connection,
    retention: &Retention,
    cursor: &mut Cursor,
) -> rusqlite::Result<Trimmed> {
    if retention.is_unbounded() {
        return Ok(Trimmed::default());
    }
    let rooms: Vec<(String, i64)> = connection
        .prepare_cached(
            "SELECT room, seq FROM dialogue_rooms WHERE room > ?1 ORDER BY room LIMIT ?2",
        )?
        .query_map(
            params![cursor.as_deref().unwrap_or(""), ROOMS_PER_TURN],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?
        .collect::<rusqlite::Result<_>>()?;
    let mut trimmed = Trimmed::default();
    let mut budget = CHUNK;
    let before = retention.max_age.map(|age| {
        let age = age.max(retention.window_age);
        crate::envelope::now_millis().saturating_sub(age.as_millis() as u64) as i64
    });
    let mut delete_oldest = connection.prepare_cached(
        "DELETE FROM dialogue_events WHERE room = ?1 AND seq IN (
             SELECT seq FROM dialogue_events WHERE room = ?1 AND seq <= ?2 ORDER BY seq LIMIT ?3
         ) AND timestamp < ?4",
    )?;
    let mut oldest = connection.prepare_cached(
        "SELECT timestamp FROM dialogue_events WHERE room = ?1 ORDER BY seq LIMIT 1",
    )?;
    for (index, (room, seq)) in rooms.iter().enumerate() {
        let mut deleted = 0;
        if let Some(rows) = retention.max_rows {
            let upto = seq - rows.max(retention.window_rows) as i64;
            if upto > 0 {
                deleted += delete_oldest.execute(params![room, upto, budget, i64::MAX])?;
            }
        }
        if let Some(before) = before
            && deleted < budget as usize
        {
            let upto = seq - retention.window_rows as i64;
            let due = oldest
                .query_row([room], |row| row.get::<_, i64>(0))
                .optional()?
                .is_some_and(|timestamp| timestamp < before);
            if upto > 0 && due {
                let left = budget - deleted as i64;
                deleted += delete_oldest.execute(params![room, upto, left, before])?;
            }
        }
        trimmed.deleted += deleted;
        budget -= deleted as i64;
        if budget <= 0 {
            // This room may have more: the next turn starts with it.
            *cursor = index
                .checked_sub(1)
                .map(|previous| rooms[previous].0.clone())
                .or(cursor.take());
            trimmed.more = true;
            return Ok(trimmed);
        }
    }
    if rooms.len() as i64 == ROOMS_PER_TURN {
        *cursor = rooms.last().map(|(room, _)| room.clone());
        trimmed.more = true;
    } else {
        *cursor = None;
    }
    Ok(trimmed)
}
