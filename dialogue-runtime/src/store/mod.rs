//! Stores: the durable SQLite store ([`sqlite::SqliteStore`], with the
//! `sqlite` feature, on by default), and the [`HistoryStore`] trait through
//! which a store of the application's own keeps more history than memory
//! does.
//!
//! Order is the order the server accepted events (each room numbers them),
//! never the millisecond timestamp, so a burst within one millisecond keeps its
//! order. Pages are newest first: index 0 is the latest event.

#[cfg(feature = "sqlite")]
pub mod sqlite;

use std::sync::Arc;

use futures_util::future::BoxFuture;

use crate::envelope::StampedEvent;

/// A persistent history store, consulted past the in-memory buffers.
///
/// The server calls [`record`](Self::record) for every event kept in history
/// (write-through, off the broadcast path) and [`page`](Self::page) when a
/// client pages past what memory holds. Implementations clone what they need
/// into the returned futures.
///
/// ```
/// use std::sync::{Arc, Mutex};
///
/// use dialogue_runtime::{HistoryStore, StampedEvent, StoreError};
/// use futures_util::future::BoxFuture;
///
/// /// Keeps everything, in memory: a stand-in for a database.
/// #[derive(Default)]
/// struct Everything(Arc<Mutex<Vec<(String, String, Arc<StampedEvent>)>>>);
///
/// impl HistoryStore for Everything {
///     fn record(&self, room: &str, event: Arc<StampedEvent>) -> BoxFuture<'static, Result<(), StoreError>> {
///         let rows = self.0.clone();
///         let key = (room.to_owned(), event.event().to_owned());
///         Box::pin(async move {
///             rows.lock().unwrap().push((key.0, key.1, event));
///             Ok(())
///         })
///     }
///
///     fn page(&self, room: &str, event: &str, start: u64, end: u64)
///         -> BoxFuture<'static, Result<Vec<Arc<StampedEvent>>, StoreError>>
///     {
///         let rows: Vec<Arc<StampedEvent>> = self.0.lock().unwrap().iter().rev()
///             .filter(|(r, e, _)| r == room && e == event)
///             .map(|(_, _, p)| p.clone())
///             .skip(start as usize)
///             .take((end - start) as usize)
///             .collect();
///         Box::pin(async move { Ok(rows) })
///     }
/// }
/// ```
pub trait HistoryStore: Send + Sync + 'static {
    /// Keeps one event of `room`. Called in the order events are accepted.
    fn record(
        &self,
        room: &str,
        event: Arc<StampedEvent>,
    ) -> BoxFuture<'static, Result<(), StoreError>>;

    /// The events named `event` in `room`, newest first, from index `start`
    /// (0 is the latest) to `end` (exclusive).
    fn page(
        &self,
        room: &str,
        event: &str,
        start: u64,
        end: u64,
    ) -> BoxFuture<'static, Result<Vec<Arc<StampedEvent>>, StoreError>>;

    /// Whether the store takes writes now, for the server's `/ready`: `Err`
    /// says why not. By default always ready.
    fn ready(&self) -> Result<(), StoreError> {
        Ok(())
    }
}

/// A store's failure: what failed and why, the file's path first when there
/// is one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct StoreError(pub String);

impl StoreError {
    /// A failure of the file at `path`.
    pub(crate) fn at(path: &std::path::Path, cause: impl std::fmt::Display) -> Self {
        Self(format!("{}: {cause}", path.display()))
    }
}
