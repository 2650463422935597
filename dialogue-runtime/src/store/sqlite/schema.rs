//! The file's layout, its creation and migration, and what opening it
//! decides about each room's epoch.
//!
//! ```text
//! dialogue_meta    (key PRIMARY KEY, value)          file_id, boot_id, next_epoch
//! dialogue_rooms   (room PRIMARY KEY, epoch, seq)    each room's position
//! dialogue_events  (room, seq, event, timestamp, trigger, envelope)
//!                  PRIMARY KEY (room, seq), INDEX (room, event, seq)
//! ```
//!
//! `PRAGMA user_version` is the layout's version: 0 is the history table of
//! the first store (`dialogue_history`, no seq, no epoch), migrated on open.
//! A room's epoch, as clients see it, is `{file_id}.{epoch}`: a file that is
//! replaced (another file id) changes every epoch, and `epoch` is bumped
//! when the room's last events may be gone.
//!
//! A room without a row (new to the file, or deleted) starts at epoch
//! `next_epoch` and writes its row at once (so that a later deletion of
//! another room does not move it). Deleting a room removes its row and raises `next_epoch`
//! past the room's epoch, so its next life has an epoch it never had, and
//! the table holds the rooms that exist, not every id there ever was (a
//! row kept per deleted room grew the file without bound when rooms with
//! fresh ids come and go: docs/reliability.md, defect 5).

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Map, Value};

use crate::store::StoreError;
use crate::store::sqlite::Synchronous;

/// The layout this code writes.
pub(crate) const VERSION: i64 = 2;

/// What opening the file found out.
#[derive(Debug, Clone)]
pub(crate) struct Opened {
    /// The file's random id (the first part of every epoch).
    pub(crate) file_id: String,
    /// Rooms whose epoch was bumped on this open, and why (for the log).
    pub(crate) rotated: Option<&'static str>,
}

/// Opens a connection with the store's settings.
pub(crate) fn connect(path: &Path, synchronous: Synchronous) -> Result<Connection, StoreError> {
    let connection = Connection::open(path).map_err(|e| StoreError::at(path, e))?;
    let pragmas = format!(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = {};
         PRAGMA busy_timeout = 5000;
         PRAGMA journal_size_limit = 67108864;
         PRAGMA foreign_keys = OFF;",
        synchronous.pragma()
    );
    connection
        .execute_batch(&pragmas)
        .map_err(|e| StoreError::at(path, e))?;
    Ok(connection)
}

/// Creates or migrates the layout, checks the file, and rotates epochs when
/// the last commits may be gone.
pub(crate) fn prepare(
    connection: &mut Connection,
    path: &Path,
    synchronous: Synchronous,
    boot_id: Option<String>,
) -> Result<Opened, StoreError> {
    let fail = |e: rusqlite::Error| StoreError::at(path, e);
    // A file that is not a database fails here, with SQLite's reason.
    let version: i64 = connection
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .map_err(fail)?;
    if version > VERSION {
        return Err(StoreError(format!(
            "{}: written by a newer version of Dialogue (layout {version}, this one reads up to {VERSION})",
            path.display()
        )));
    }
    // IMMEDIATE: the write lock is taken first, waiting (busy_timeout) for
    // another writer of the file. A deferred transaction would read first
    // and then fail at once ("database is locked", a stale snapshot: no
    // wait helps) when another connection commits between its read and its
    // first write, e.g. a server on the same file finishing its last
    // writes while this one starts.
    let transaction = connection
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(fail)?;
    transaction
        .execute_batch(
            "CREATE TABLE IF NOT EXISTS dialogue_meta (
                 key TEXT PRIMARY KEY, value TEXT NOT NULL
             ) WITHOUT ROWID;
             CREATE TABLE IF NOT EXISTS dialogue_rooms (
                 room TEXT PRIMARY KEY, epoch INTEGER NOT NULL, seq INTEGER NOT NULL
             ) WITHOUT ROWID;
             CREATE TABLE IF NOT EXISTS dialogue_events (
                 room TEXT NOT NULL,
                 seq INTEGER NOT NULL,
                 event TEXT NOT NULL,
                 timestamp INTEGER NOT NULL,
                 trigger TEXT,
                 envelope TEXT NOT NULL,
                 PRIMARY KEY (room, seq)
             ) WITHOUT ROWID;
             CREATE INDEX IF NOT EXISTS dialogue_events_by_name
                 ON dialogue_events (room, event, seq);",
        )
        .map_err(fail)?;
    if version < 2 && has_table(&transaction, "dialogue_history").map_err(fail)? {
        migrate_history(&transaction).map_err(|e| {
            StoreError(format!(
                "{}: cannot migrate its history table: {e}",
                path.display()
            ))
        })?;
    }
    let file_id = match meta(&transaction, "file_id").map_err(fail)? {
        Some(id) => id,
        None => {
            let mut bytes = [0u8; 6];
            getrandom::fill(&mut bytes).map_err(|e| {
                StoreError(format!(
                    "{}: no randomness for the file id: {e}",
                    path.display()
                ))
            })?;
            let id: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            set_meta(&transaction, "file_id", &id).map_err(fail)?;
            id
        }
    };
    let mut rotated = None;
    // Rows cut (restored from an older copy, edited): a room whose stored
    // position is past its last event may have lost events.
    // The seq goes back to the last event there is, in the new epoch, so
    // that the next open finds nothing cut.
    let cut = transaction
        .execute(
            "UPDATE dialogue_rooms SET epoch = epoch + 1,
                 seq = COALESCE((SELECT MAX(seq) FROM dialogue_events e WHERE e.room = dialogue_rooms.room), 0)
             WHERE seq > COALESCE((SELECT MAX(seq) FROM dialogue_events e WHERE e.room = dialogue_rooms.room), 0)",
            [],
        )
        .map_err(fail)?;
    if cut > 0 {
        rotated = Some("events before the last recorded position are missing");
    }
    // A reboot since the last run: without FULL, the last commits may be
    // gone with the page cache.
    if let Some(boot) = boot_id {
        let previous = meta(&transaction, "boot_id").map_err(fail)?;
        if previous.as_deref().is_some_and(|p| p != boot) && synchronous != Synchronous::Full {
            transaction
                .execute("UPDATE dialogue_rooms SET epoch = epoch + 1", [])
                .map_err(fail)?;
            // Rooms without a row too: their first events may be gone.
            raise_next_epoch(&transaction, 0).map_err(fail)?;
            rotated = Some("the machine restarted and synchronous is not FULL");
        }
        set_meta(&transaction, "boot_id", &boot).map_err(fail)?;
    }
    transaction
        .execute_batch(&format!("PRAGMA user_version = {VERSION}"))
        .map_err(fail)?;
    transaction.commit().map_err(fail)?;
    Ok(Opened { file_id, rotated })
}

/// The machine's boot id, when the system tells it.
pub(crate) fn boot_id() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .ok()
        .map(|id| id.trim().to_owned())
        .filter(|id| !id.is_empty())
}

fn has_table(connection: &Connection, name: &str) -> rusqlite::Result<bool> {
    connection
        .query_row(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1",
            [name],
            |_| Ok(()),
        )
        .optional()
        .map(|found| found.is_some())
}

/// The meta key of the epoch a room without a row starts at.
const NEXT_EPOCH: &str = "next_epoch";

/// The epoch number a room without a row starts at (0 in a file that never
/// deleted a room).
pub(crate) fn next_epoch(connection: &Connection) -> rusqlite::Result<u64> {
    Ok(meta(connection, NEXT_EPOCH)?
        .and_then(|value| value.parse().ok())
        .unwrap_or(0))
}

/// Raises `next_epoch` past `epoch` (and past its current value), so that a
/// room starting there has an epoch that no earlier life of it had.
pub(crate) fn raise_next_epoch(connection: &Connection, epoch: u64) -> rusqlite::Result<()> {
    let next = next_epoch(connection)?.max(epoch) + 1;
    set_meta(connection, NEXT_EPOCH, &next.to_string())
}

fn meta(connection: &Connection, key: &str) -> rusqlite::Result<Option<String>> {
    connection
        .query_row(
            "SELECT value FROM dialogue_meta WHERE key = ?1",
            [key],
            |row| row.get(0),
        )
        .optional()
}

fn set_meta(connection: &Connection, key: &str, value: &str) -> rusqlite::Result<()> {
    connection
        .execute(
            "INSERT INTO dialogue_meta (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )
        .map(|_| ())
}

/// The first store's table: events in acceptance order (an autoincrement
/// id), envelopes without `seq`. Each room's events get seqs 1, 2, ... in
/// that order, written into their envelopes; the old table goes.
fn migrate_history(connection: &Connection) -> Result<(), String> {
    let mut rooms: std::collections::HashMap<String, u64> = std::collections::HashMap::new();
    {
        let mut select = connection
            .prepare("SELECT room, event, timestamp, envelope FROM dialogue_history ORDER BY id")
            .map_err(|e| e.to_string())?;
        let mut insert = connection
            .prepare(
                "INSERT INTO dialogue_events (room, seq, event, timestamp, trigger, envelope)
                 VALUES (?1, ?2, ?3, ?4, NULL, ?5)",
            )
            .map_err(|e| e.to_string())?;
        let mut rows = select.query([]).map_err(|e| e.to_string())?;
        while let Some(row) = rows.next().map_err(|e| e.to_string())? {
            let room: String = row.get(0).map_err(|e| e.to_string())?;
            let event: String = row.get(1).map_err(|e| e.to_string())?;
            let timestamp: i64 = row.get(2).map_err(|e| e.to_string())?;
            let envelope: String = row.get(3).map_err(|e| e.to_string())?;
            let seq = rooms.entry(room.clone()).or_insert(0);
            *seq += 1;
            let mut object: Map<String, Value> =
                serde_json::from_str(&envelope).map_err(|e| e.to_string())?;
            object.insert("seq".into(), Value::from(*seq));
            let envelope = serde_json::to_string(&object).map_err(|e| e.to_string())?;
            insert
                .execute(params![room, *seq as i64, event, timestamp, envelope])
                .map_err(|e| e.to_string())?;
        }
    }
    for (room, seq) in rooms {
        connection
            .execute(
                "INSERT INTO dialogue_rooms (room, epoch, seq) VALUES (?1, 0, ?2)
                 ON CONFLICT (room) DO UPDATE SET seq = excluded.seq",
                params![room, seq as i64],
            )
            .map_err(|e| e.to_string())?;
    }
    connection
        .execute_batch("DROP TABLE dialogue_history")
        .map_err(|e| e.to_string())
}
