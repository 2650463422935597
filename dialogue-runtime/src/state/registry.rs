//! The rooms created at run time (by clients, the server or the HTTP API):
//! the rooms whose existence is not in the declaration.

use std::collections::HashMap;
use std::sync::Arc;

use futures_util::future::{self, BoxFuture};
use parking_lot::RwLock;

use crate::state::people::RosterChange;
use crate::state::room::{RoomOptions, RoomState};

/// Why the registry refused a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RegistryError {
    /// A room with this id exists already.
    Exists,
    /// The authority (Redis) could not be reached: nothing changed.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    Unavailable(String),
}

/// The registry of rooms created at run time.
///
/// Changes go to the backend's authority (async, atomic: two creations of
/// one id never both succeed); `get` and `all` read this node's view. A
/// shared registry tells its [`RegistryWatcher`] of the changes other nodes
/// make, so every node's view follows.
pub(crate) trait RoomRegistry: Send + Sync + 'static {
    /// The room with this id.
    fn get(&self, id: &str) -> Option<Arc<RoomState>>;

    /// Every room, in no particular order.
    fn all(&self) -> Vec<Arc<RoomState>>;

    /// Adds a room; `Err(Exists)` when the id is taken.
    fn insert(&self, room: Arc<RoomState>) -> BoxFuture<'_, Result<(), RegistryError>>;

    /// Removes a room; `Ok(None)` when there was none (or a racing call
    /// removed it first).
    fn remove<'a>(
        &'a self,
        id: &'a str,
    ) -> BoxFuture<'a, Result<Option<Arc<RoomState>>, RegistryError>>;

    /// Adds to this node's view a room the authority has (made by another
    /// node); `false` when one of that id is in the view already.
    fn adopt(&self, room: Arc<RoomState>) -> bool;

    /// Removes from this node's view a room the authority no longer has.
    fn drop_view(&self, id: &str) -> Option<Arc<RoomState>>;

    /// Tells `watcher` of other nodes' changes (it holds its engine
    /// weakly: no cycle).
    fn watch(&self, _watcher: Arc<dyn RegistryWatcher>) {}

    /// Waits (briefly) until this node's view has been read from the
    /// authority once: a node that just started lists the rooms other nodes
    /// made before it.
    fn settled(&self) -> BoxFuture<'_, ()> {
        Box::pin(future::ready(()))
    }

    /// Asks the authority about `id`, unknown to this node (made on another
    /// node a moment ago?): when it has the room, the watcher hears of it
    /// before this returns.
    fn look_up<'a>(&'a self, _id: &'a str) -> BoxFuture<'a, ()> {
        Box::pin(future::ready(()))
    }
}

/// What follows the changes other nodes make to a shared registry: this
/// node's rooms, and its clients' `roomCreated` and `roomDeleted`.
#[cfg_attr(not(feature = "redis"), allow(dead_code))]
pub(crate) trait RegistryWatcher: Send + Sync {
    /// Another node created a room with these options.
    fn created(&self, options: RoomOptions);

    /// Another node deleted the room `id`.
    fn deleted(&self, id: String) -> BoxFuture<'static, ()>;

    /// Every room the authority has, after a start or an outage (when
    /// changes may have gone unheard): the view follows it.
    fn resync(&self, rooms: Vec<RoomOptions>) -> BoxFuture<'static, ()>;

    /// Another node changed the roster of room `room` (applied to this
    /// node's view already): this node's members are told.
    fn roster_changed(&self, room: String, change: RosterChange) -> BoxFuture<'static, ()>;

    /// A dead node's connection gave its seat in `room` back (its grace
    /// period over): its user departs, and everyone is told.
    fn seat_freed(&self, room: String, user: String, connection: String) -> BoxFuture<'static, ()>;

    /// Another node closed every connection of `user` (the HTTP API): this
    /// node closes its own and ends the sessions it holds for the user.
    fn user_closed(&self, user: String) -> BoxFuture<'static, ()>;
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

    fn insert(&self, room: Arc<RoomState>) -> BoxFuture<'_, Result<(), RegistryError>> {
        let inserted = if self.adopt(room) {
            Ok(())
        } else {
            Err(RegistryError::Exists)
        };
        Box::pin(future::ready(inserted))
    }

    fn remove<'a>(
        &'a self,
        id: &'a str,
    ) -> BoxFuture<'a, Result<Option<Arc<RoomState>>, RegistryError>> {
        Box::pin(future::ready(Ok(self.drop_view(id))))
    }

    fn adopt(&self, room: Arc<RoomState>) -> bool {
        match self.rooms.write().entry(room.id.clone()) {
            std::collections::hash_map::Entry::Occupied(_) => false,
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(room);
                true
            }
        }
    }

    fn drop_view(&self, id: &str) -> Option<Arc<RoomState>> {
        self.rooms.write().remove(id)
    }
}

/// A registry shared with another part of the node (the Redis bus tells it
/// of other nodes' changes).
impl<R: RoomRegistry> RoomRegistry for Arc<R> {
    fn get(&self, id: &str) -> Option<Arc<RoomState>> {
        (**self).get(id)
    }

    fn all(&self) -> Vec<Arc<RoomState>> {
        (**self).all()
    }

    fn insert(&self, room: Arc<RoomState>) -> BoxFuture<'_, Result<(), RegistryError>> {
        (**self).insert(room)
    }

    fn remove<'a>(
        &'a self,
        id: &'a str,
    ) -> BoxFuture<'a, Result<Option<Arc<RoomState>>, RegistryError>> {
        (**self).remove(id)
    }

    fn adopt(&self, room: Arc<RoomState>) -> bool {
        (**self).adopt(room)
    }

    fn drop_view(&self, id: &str) -> Option<Arc<RoomState>> {
        (**self).drop_view(id)
    }

    fn watch(&self, watcher: Arc<dyn RegistryWatcher>) {
        (**self).watch(watcher)
    }

    fn settled(&self) -> BoxFuture<'_, ()> {
        (**self).settled()
    }

    fn look_up<'a>(&'a self, id: &'a str) -> BoxFuture<'a, ()> {
        (**self).look_up(id)
    }
}
