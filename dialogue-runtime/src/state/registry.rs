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

    /// How many rooms this node's view holds, and how many of them
    /// `creator` created: what the creation quotas are checked against,
    /// once per `createRoom`, so kept as counts rather than walked.
    fn counts(&self, creator: &str) -> Counts;

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

/// What [`RoomRegistry::counts`] answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Counts {
    /// Every room in the view.
    pub(crate) rooms: usize,
    /// Those created by the user asked about.
    pub(crate) by_creator: usize,
}

/// The registry in this process's memory.
#[derive(Default)]
pub(crate) struct MemoryRegistry {
    rooms: RwLock<Rooms>,
}

/// The rooms, and how many each user created (kept with every change, so
/// that a quota check does not walk every room: a client asking to create
/// rooms in a loop would otherwise cost the server more with each room).
#[derive(Default)]
struct Rooms {
    by_id: HashMap<String, Arc<RoomState>>,
    /// Users with at least one room in `by_id`, and how many.
    by_creator: HashMap<String, usize>,
}

impl RoomRegistry for MemoryRegistry {
    fn get(&self, id: &str) -> Option<Arc<RoomState>> {
        self.rooms.read().by_id.get(id).cloned()
    }

    fn all(&self) -> Vec<Arc<RoomState>> {
        self.rooms.read().by_id.values().cloned().collect()
    }

    fn counts(&self, creator: &str) -> Counts {
        let rooms = self.rooms.read();
        Counts {
            rooms: rooms.by_id.len(),
            by_creator: rooms.by_creator.get(creator).copied().unwrap_or(0),
        }
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
        let mut rooms = self.rooms.write();
        let Rooms { by_id, by_creator } = &mut *rooms;
        match by_id.entry(room.id.clone()) {
            std::collections::hash_map::Entry::Occupied(_) => false,
            std::collections::hash_map::Entry::Vacant(slot) => {
                if let Some(creator) = &room.config.created_by {
                    *by_creator.entry(creator.clone()).or_insert(0) += 1;
                }
                slot.insert(room);
                true
            }
        }
    }

    fn drop_view(&self, id: &str) -> Option<Arc<RoomState>> {
        let mut rooms = self.rooms.write();
        let room = rooms.by_id.remove(id)?;
        if let Some(creator) = &room.config.created_by {
            // `adopt` counted it (a room's creator never changes).
            let count = rooms.by_creator.get_mut(creator);
            debug_assert!(count.is_some(), "room {id} of {creator} was not counted");
            if let Some(count) = count {
                *count -= 1;
                if *count == 0 {
                    rooms.by_creator.remove(creator);
                }
            }
        }
        Some(room)
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

    fn counts(&self, creator: &str) -> Counts {
        (**self).counts(creator)
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

#[cfg(test)]
mod tests {
    use futures_util::FutureExt;

    use super::*;
    use crate::state::counters::Counters;
    use crate::state::fanout::{Fanout, Missed};
    use crate::state::recovery::Window;
    use crate::state::room::{RoomKind, RoomOptions};
    use crate::state::{Memory, State};

    /// A node without sockets.
    struct NoSockets;

    impl Fanout for NoSockets {
        fn send(&self, _: Vec<String>, _: &str, _: &serde_json::value::RawValue) -> Missed {
            Missed::default()
        }
        fn drop_slow(&self, _: Vec<String>, _: usize) -> usize {
            0
        }
        fn count(&self, _: Vec<String>) -> usize {
            0
        }
        fn close(&self) -> BoxFuture<'static, ()> {
            Box::pin(future::ready(()))
        }
    }

    fn room(state: &State, id: &str, creator: Option<&str>) -> Arc<RoomState> {
        let mut options = RoomOptions::new(id, id);
        if let Some(creator) = creator {
            options = options.created_by(creator);
        }
        Arc::new(state.room(options, RoomKind::Created, 0))
    }

    #[test]
    fn counts_follow_every_change_of_the_view() {
        let state = State::new(
            Box::new(Memory::new()),
            Arc::new(NoSockets),
            Window::default(),
            Arc::new(Counters::default()),
        );
        let registry = MemoryRegistry::default();
        let counts = |user: &str| {
            let Counts { rooms, by_creator } = registry.counts(user);
            (rooms, by_creator)
        };
        assert_eq!(counts("alice"), (0, 0));
        let inserted = registry.insert(room(&state, "a1", Some("alice")));
        assert_eq!(inserted.now_or_never(), Some(Ok(())));
        assert!(registry.adopt(room(&state, "a2", Some("alice"))));
        assert!(registry.adopt(room(&state, "b1", Some("bob"))));
        assert!(registry.adopt(room(&state, "api", None)));
        assert_eq!(counts("alice"), (4, 2));
        assert_eq!(counts("bob"), (4, 1));
        assert_eq!(counts("carol"), (4, 0));
        // A refused insert (the id is taken) counts nothing.
        assert!(!registry.adopt(room(&state, "a1", Some("bob"))));
        assert_eq!(counts("bob"), (4, 1));
        // Removing gives the creator's place back, and forgets a user
        // who has none left.
        let removed = registry.remove("a1").now_or_never();
        assert!(matches!(removed, Some(Ok(Some(_)))));
        assert_eq!(counts("alice"), (3, 1));
        assert!(registry.drop_view("b1").is_some());
        assert!(registry.drop_view("b1").is_none());
        assert_eq!(counts("bob"), (2, 0));
        assert!(!registry.rooms.read().by_creator.contains_key("bob"));
        assert!(registry.drop_view("api").is_some());
        assert!(registry.drop_view("a2").is_some());
        assert_eq!(counts("alice"), (0, 0));
        assert!(registry.rooms.read().by_creator.is_empty());
    }
}
