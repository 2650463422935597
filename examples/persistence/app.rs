//! Chat history past memory, in SQLite, through two hooks: `on_cleanup`
//! writes each message as it leaves the room's in-memory history, `on_load`
//! reads older pages back when a client asks past memory.
//!
//! (dialogue-runtime also has a ready-made durable store that keeps every
//! event, `Dialogue::builder().store(path)`, docs/persistence.md; this
//! example shows the hooks, the way of dialogue-ts, with a table of your
//! own.)

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use dialogue_runtime::prelude::*;
use dialogue_runtime::{BuildError, HookError};
use rusqlite::{Connection, OptionalExtension, params};

/// A chat message. Memory keeps the last 20 per room; older ones go to
/// SQLite.
#[derive(Event, Serialize, Deserialize, JsonSchema, TS, Debug, Clone, PartialEq)]
#[event(name = "message", history = 20)]
pub struct Message {
    /// 1 to 1000 characters.
    #[schemars(length(min = 1, max = 1000))]
    pub text: String,
}

dialogue! {
    /// A chat whose history outlives memory.
    pub PersistenceApp {
        /// Everyone's room; the last 10 messages are sent on joining, and
        /// `dialogue:getHistory` pages as far back as the database goes.
        general: {
            name: "General",
            events: [Message],
            sync_history_on_join: 10,
        },
    }
}

/// The database of evicted events: one table, newest last.
///
/// ```sql
/// CREATE TABLE archived_events (
///     seq INTEGER PRIMARY KEY AUTOINCREMENT,  -- the order of eviction
///     room_id TEXT NOT NULL, event_name TEXT NOT NULL,
///     sender TEXT NOT NULL, timestamp INTEGER NOT NULL,
///     room_seq INTEGER NOT NULL,              -- the event's place in its room
///     data TEXT NOT NULL, meta TEXT
/// );
/// ```
#[derive(Debug)]
pub struct Archive {
    connection: Arc<Mutex<Connection>>,
    /// Events of each room and type accepted since start, to know how many
    /// memory holds at shutdown.
    accepted: Mutex<HashMap<(String, String), u64>>,
}

impl Archive {
    /// Opens the database at `path`, creating the file (and its folder) and
    /// the table on first run.
    pub fn open(path: &Path) -> Result<Self, rusqlite::Error> {
        if let Some(folder) = path
            .parent()
            .filter(|folder| !folder.as_os_str().is_empty())
        {
            std::fs::create_dir_all(folder).map_err(|error| {
                rusqlite::Error::InvalidPath(format!("{}: {error}", folder.display()).into())
            })?;
        }
        let connection = Connection::open(path)?;
        connection.execute_batch(
            "PRAGMA journal_mode = WAL;
             CREATE TABLE IF NOT EXISTS archived_events (
                 seq INTEGER PRIMARY KEY AUTOINCREMENT,
                 room_id TEXT NOT NULL,
                 event_name TEXT NOT NULL,
                 sender TEXT NOT NULL,
                 timestamp INTEGER NOT NULL,
                 room_seq INTEGER NOT NULL,
                 data TEXT NOT NULL,
                 meta TEXT
             );
             CREATE INDEX IF NOT EXISTS archived_by_room
                 ON archived_events (room_id, event_name, seq);",
        )?;
        Ok(Self {
            connection: Arc::new(Mutex::new(connection)),
            accepted: Mutex::default(),
        })
    }

    /// Runs `work` on the connection, off the async threads.
    async fn with<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Connection) -> Result<T, rusqlite::Error> + Send + 'static,
    ) -> Result<T, HookError> {
        let connection = self.connection.clone();
        tokio::task::spawn_blocking(move || {
            let mut connection = connection.lock().unwrap_or_else(PoisonError::into_inner);
            work(&mut connection)
        })
        .await?
        .map_err(HookError::fail)
    }

    /// Appends events, oldest first.
    pub async fn insert(&self, events: Vec<EventMessage>) -> Result<(), HookError> {
        self.with(move |connection| {
            let batch = connection.transaction()?;
            {
                let mut insert = batch.prepare_cached(
                    "INSERT INTO archived_events (room_id, event_name, sender, timestamp, room_seq, data, meta)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )?;
                for event in &events {
                    let meta = event.meta.as_ref().map(|meta| serde_json::Value::Object(meta.clone()).to_string());
                    insert.execute(params![
                        event.room_id,
                        event.event,
                        event.from,
                        event.timestamp as i64,
                        event.seq as i64,
                        event.data.to_string(),
                        meta,
                    ])?;
                }
            }
            batch.commit()
        })
        .await
    }

    /// Events `start..end` of a room's archive, newest first (0 is the most
    /// recently archived).
    pub async fn load(
        &self,
        room_id: &str,
        event_name: &str,
        start: u64,
        end: u64,
    ) -> Result<Vec<EventMessage>, HookError> {
        let (room_id, event_name) = (room_id.to_owned(), event_name.to_owned());
        let limit = end.saturating_sub(start).min(i64::MAX as u64) as i64;
        let offset = start.min(i64::MAX as u64) as i64;
        self.with(move |connection| {
            let mut select = connection.prepare_cached(
                "SELECT sender, timestamp, data, meta, room_seq FROM archived_events
                 WHERE room_id = ?1 AND event_name = ?2
                 ORDER BY seq DESC LIMIT ?3 OFFSET ?4",
            )?;
            let rows = select.query_map(params![room_id, event_name, limit, offset], |row| {
                let data: String = row.get(2)?;
                let meta: Option<String> = row.get(3)?;
                Ok(EventMessage {
                    event: event_name.clone(),
                    room_id: room_id.clone(),
                    data: serde_json::from_str(&data).unwrap_or(serde_json::Value::Null),
                    from: row.get(0)?,
                    timestamp: row.get::<_, i64>(1)? as u64,
                    seq: row.get::<_, i64>(4)? as u64,
                    meta: meta.and_then(|meta| serde_json::from_str(&meta).ok()),
                })
            })?;
            rows.collect()
        })
        .await
    }

    /// How many events of a room the archive holds.
    pub async fn count(&self, room_id: &str, event_name: &str) -> Result<u64, HookError> {
        let (room_id, event_name) = (room_id.to_owned(), event_name.to_owned());
        self.with(move |connection| {
            connection
                .query_row(
                    "SELECT COUNT(*) FROM archived_events WHERE room_id = ?1 AND event_name = ?2",
                    params![room_id, event_name],
                    |row| row.get::<_, i64>(0),
                )
                .optional()
                .map(|count| count.unwrap_or(0) as u64)
        })
        .await
    }

    fn accepted(&self, room_id: &str, event_name: &str) -> u64 {
        let accepted = self.accepted.lock().unwrap_or_else(PoisonError::into_inner);
        accepted
            .get(&(room_id.to_owned(), event_name.to_owned()))
            .copied()
            .unwrap_or(0)
    }

    fn count_accepted(&self, room_id: &str, event_name: &str) {
        let mut accepted = self.accepted.lock().unwrap_or_else(PoisonError::into_inner);
        *accepted
            .entry((room_id.to_owned(), event_name.to_owned()))
            .or_insert(0) += 1;
    }

    /// Archives what memory still holds, for a restart to find it: call it
    /// once, when the server has stopped (after `shutdown`). Returns how many
    /// events it saved.
    ///
    /// `on_cleanup` only sees what memory drops, so without this the last
    /// messages would be lost with the process. (A crash still loses them:
    /// when that matters, use a write-through `HistoryStore`.)
    pub async fn save_memory(
        &self,
        dialogue: &Dialogue<PersistenceApp>,
    ) -> Result<usize, HookError> {
        let room = dialogue.room(PersistenceApp::general());
        let limit = dialogue
            .spec()
            .event(Message::NAME)
            .and_then(|event| event.history)
            .map_or(0, |limit| u64::from(limit.get()));
        let held = self.accepted(room.id(), Message::NAME).min(limit);
        if held == limit {
            // Asking one event past memory makes the runtime finish the
            // `on_cleanup` calls still queued, so the archive is in order.
            room.history(Message::NAME, held, held + 1)
                .await
                .map_err(HookError::fail)?;
        }
        let mut events = room
            .history(Message::NAME, 0, held)
            .await
            .map_err(HookError::fail)?;
        events.reverse();
        let saved = events.len();
        self.insert(events).await?;
        Ok(saved)
    }
}

/// The server, archiving into `archive`.
pub fn build(archive: Arc<Archive>) -> Result<Dialogue<PersistenceApp>, BuildError> {
    let (cleanup, load, counting) = (archive.clone(), archive.clone(), archive);
    Dialogue::<PersistenceApp>::builder()
        .on_connected(|_, client| async move {
            if let Err(error) = client.join(PersistenceApp::GENERAL).await {
                tracing::warn!(user = client.user_id(), %error, "cannot join");
            }
        })
        .on_triggered(move |_, message| {
            let archive = counting.clone();
            async move { archive.count_accepted(&message.room_id, &message.event) }
        })
        // Each event leaving memory, oldest first: into the table.
        .on_cleanup(move |_, evicted| {
            let archive = cleanup.clone();
            async move {
                let count = evicted.events.len();
                match archive.insert(evicted.events).await {
                    Ok(()) => tracing::debug!(room = %evicted.room_id, event = %evicted.event_name, count, "archived"),
                    Err(error) => tracing::error!(room = %evicted.room_id, %error, "cannot archive"),
                }
            }
        })
        // A page past memory: `start` and `end` count from the newest
        // archived event, the order the table keeps.
        .on_load(move |_, request| {
            let archive = load.clone();
            async move {
                tracing::info!(
                    room = %request.room_id, event = %request.event_name,
                    start = request.start, end = request.end, "loading from SQLite"
                );
                archive.load(&request.room_id, &request.event_name, request.start, request.end).await
            }
        })
        .build()
}
