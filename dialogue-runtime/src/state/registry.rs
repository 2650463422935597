//! The rooms created at run time (by clients, the server or, later, the HTTP
//! API): the rooms whose existence is not in the declaration.

use std::collections::HashMap;
use std::sync::Arc;

use futures_util::future::{self, BoxFuture};
use parking_lot::RwLock;

use crate::state::room::RoomState;

/// A room with this id exists already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Exists;

/// The registry of rooms created at run time.
///
/// Changes go to the backend's authority (async, atomic: two creations of
/// one id never both succeed); `get` and `all` read this node's view.
pub(crate) trait RoomRegistry: Send + Sync + 'static {
    /// The room with this id.
    fn get(&self, id: &str) -> Option<Arc<RoomState>>;

    /// Every room, in no particular order.
    fn all(&self) -> Vec<Arc<RoomState>>;

    /// Adds a room; `Err(Exists)` when the id is taken.
    fn insert(&self, room: Arc<RoomState>) -> BoxFuture<'_, Result<(), Exists>>;

    /// Removes a room; `None` when there was none (or a racing call removed
    /// it first).
    fn remove<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Option<Arc<RoomState>>>;
}

/// The registry in this process's memory.
#[derive(Default)]
pub(crate) struct MemoryRegistry {
    rooms: RwLock<HashMap<String, Arc<RoomState>>>,
}

impl RoomRegistry for MemoryRegistry {
    fn get(&self, id: &str) -> Option<Arc<RoomState>> {
        self.rooms.read().get(id).cloned()
    }

    fn all(&self) -> Vec<Arc<RoomState>> {
        self.rooms.read().values().cloned().collect()
    }

    fn insert(&self, room: Arc<RoomState>) -> BoxFuture<'_, Result<(), Exists>> {
        let mut rooms = self.rooms.write();
        let inserted = match rooms.entry(room.id.clone()) {
            std::collections::hash_map::Entry::Occupied(_) => Err(Exists),
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(room);
                Ok(())
            }
        };
        Box::pin(future::ready(inserted))
    }

    fn remove<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Option<Arc<RoomState>>> {
        Box::pin(future::ready(self.rooms.write().remove(id)))
    }
}
