//! A [`HistoryStore`] in a SQLite file: every kept event is written as it is
//! accepted, and pages past memory are read back, across restarts.
//!
//! ```no_run
//! use dialogue_runtime::sqlite::SqliteHistory;
//! # use dialogue_runtime::prelude::*;
//! # #[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
//! # #[event(history = 100)]
//! # pub struct Message { pub text: String }
//! # dialogue! { pub ChatApp { chat: { name: "Chat Room", events: [Message] } } }
//! # fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let dialogue = Dialogue::<ChatApp>::builder()
//!     .history_store(SqliteHistory::open("history.sqlite")?)
//!     .build()?;
//! # Ok(()) }
//! ```

use std::path::Path;
use std::sync::{Arc, Mutex};

use futures_util::future::BoxFuture;
use rusqlite::{Connection, params};
use serde_json::value::RawValue;

use crate::envelope::StampedEvent;
use crate::store::{HistoryStore, StoreError};

/// History kept in a SQLite file (created on first use).
///
/// Events are rows of one table, `dialogue_history`, in the order the server
/// accepted them (an autoincrement id, so the order holds across restarts);
/// each row holds the envelope exactly as clients received it. Calls run on
/// Tokio's blocking pool.
#[derive(Clone, Debug)]
pub struct SqliteHistory {
    connection: Arc<Mutex<Connection>>,
}

impl SqliteHistory {
    /// Opens (or creates) the file and its table.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let connection =
            Connection::open(path.as_ref()).map_err(|e| store_error(path.as_ref(), e))?;
        connection
            .execute_batch(
                "PRAGMA journal_mode = WAL;
                 PRAGMA synchronous = NORMAL;
                 CREATE TABLE IF NOT EXISTS dialogue_history (
                     id INTEGER PRIMARY KEY AUTOINCREMENT,
                     room TEXT NOT NULL,
                     event TEXT NOT NULL,
                     timestamp INTEGER NOT NULL,
                     envelope TEXT NOT NULL
                 );
                 CREATE INDEX IF NOT EXISTS dialogue_history_by_room_event
                     ON dialogue_history (room, event, id);",
            )
            .map_err(|e| store_error(path.as_ref(), e))?;
        Ok(Self {
            connection: Arc::new(Mutex::new(connection)),
        })
    }

    /// Runs `work` on the connection, on the blocking pool.
    fn with<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> BoxFuture<'static, Result<T, StoreError>> {
        let connection = self.connection.clone();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || {
                let connection = connection
                    .lock()
                    .map_err(|_| StoreError("the SQLite connection is poisoned".into()))?;
                work(&connection).map_err(|e| StoreError(e.to_string()))
            })
            .await
            .map_err(|e| StoreError(e.to_string()))?
        })
    }
}

fn store_error(path: &Path, error: rusqlite::Error) -> StoreError {
    StoreError(format!("{}: {error}", path.display()))
}

impl HistoryStore for SqliteHistory {
    fn record(
        &self,
        room: &str,
        event: Arc<StampedEvent>,
    ) -> BoxFuture<'static, Result<(), StoreError>> {
        let room = room.to_owned();
        self.with(move |connection| {
            connection
                .prepare_cached(
                    "INSERT INTO dialogue_history (room, event, timestamp, envelope) VALUES (?1, ?2, ?3, ?4)",
                )?
                .execute(params![room, event.event(), event.timestamp() as i64, event.json().get()])?;
            Ok(())
        })
    }

    fn page(
        &self,
        room: &str,
        event: &str,
        start: u64,
        end: u64,
    ) -> BoxFuture<'static, Result<Vec<Arc<StampedEvent>>, StoreError>> {
        let (room, event) = (room.to_owned(), event.to_owned());
        let limit = end.saturating_sub(start).min(i64::MAX as u64) as i64;
        let offset = start.min(i64::MAX as u64) as i64;
        let rows = self.with(move |connection| {
            let mut statement = connection.prepare_cached(
                "SELECT id, envelope FROM dialogue_history WHERE room = ?1 AND event = ?2
                 ORDER BY id DESC LIMIT ?3 OFFSET ?4",
            )?;
            let rows = statement
                .query_map(params![room, event, limit, offset], |row| {
                    Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        });
        Box::pin(async move {
            rows.await?
                .into_iter()
                .map(|(id, envelope)| {
                    let json =
                        RawValue::from_string(envelope).map_err(|e| StoreError(e.to_string()))?;
                    let published = StampedEvent::from_json(id as u64, json)
                        .map_err(|e| StoreError(e.to_string()))?;
                    Ok(Arc::new(published))
                })
                .collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn published(n: u64, event: &str) -> Arc<StampedEvent> {
        Arc::new(StampedEvent::stamp(n, "r", event, &json!({ "n": n }), "u", None).unwrap())
    }

    #[tokio::test]
    async fn pages_are_newest_first_and_survive_reopening() {
        let dir = std::env::temp_dir().join(format!("dialogue-sqlite-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("history.sqlite");
        {
            let store = SqliteHistory::open(&path).unwrap();
            for n in 0..5 {
                store.record("r", published(n, "m")).await.unwrap();
            }
            store.record("r", published(9, "other")).await.unwrap();
            store.record("elsewhere", published(8, "m")).await.unwrap();
        }
        let store = SqliteHistory::open(&path).unwrap();
        store.record("r", published(0, "m")).await.unwrap(); // after a restart, seq starts again
        let page = store.page("r", "m", 0, 3).await.unwrap();
        let ns: Vec<u64> = page
            .iter()
            .map(|p| p.message().unwrap().data["n"].as_u64().unwrap())
            .collect();
        assert_eq!(ns, [0, 4, 3], "acceptance order across the restart");
        let rest = store.page("r", "m", 3, 100).await.unwrap();
        assert_eq!(rest.len(), 3);
        assert!(store.page("r", "m", 10, 20).await.unwrap().is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_bad_path_is_an_error_naming_it() {
        let error = SqliteHistory::open("/nonexistent-dir/x/history.sqlite").unwrap_err();
        assert!(
            error.0.contains("/nonexistent-dir/x/history.sqlite"),
            "{error}"
        );
    }
}
