//! The rooms of a running server: declared ones, fixed at start-up and read
//! without a lock, and rooms created at run time.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::RwLock;

use crate::room::RoomState;
use crate::spec::AppSpec;

pub(crate) struct RoomRegistry {
    declared: HashMap<String, Arc<RoomState>>,
    /// Declared rooms in declaration order, for listing.
    declared_order: Vec<Arc<RoomState>>,
    dynamic: RwLock<HashMap<String, Arc<RoomState>>>,
    next_order: AtomicU64,
}

impl RoomRegistry {
    pub(crate) fn new(spec: &AppSpec) -> Self {
        let declared_order: Vec<Arc<RoomState>> = spec
            .rooms
            .iter()
            .enumerate()
            .map(|(i, room)| Arc::new(RoomState::declared(room, i as u64)))
            .collect();
        Self {
            declared: declared_order
                .iter()
                .map(|room| (room.id.clone(), room.clone()))
                .collect(),
            next_order: AtomicU64::new(declared_order.len() as u64),
            declared_order,
            dynamic: RwLock::new(HashMap::new()),
        }
    }

    /// The room with this id.
    pub(crate) fn get(&self, id: &str) -> Option<Arc<RoomState>> {
        match self.declared.get(id) {
            Some(room) => Some(room.clone()),
            None => self.dynamic.read().get(id).cloned(),
        }
    }

    /// Every room: declared ones in declaration order, then the others in
    /// creation order.
    pub(crate) fn all(&self) -> Vec<Arc<RoomState>> {
        let mut dynamic: Vec<Arc<RoomState>> = self.dynamic.read().values().cloned().collect();
        dynamic.sort_by_key(|room| room.order);
        self.declared_order.iter().cloned().chain(dynamic).collect()
    }

    /// A creation-order number for a new room.
    pub(crate) fn next_order(&self) -> u64 {
        self.next_order.fetch_add(1, Ordering::Relaxed)
    }

    /// Adds a room created at run time; `false` when the id is taken.
    pub(crate) fn insert(&self, room: Arc<RoomState>) -> bool {
        if self.declared.contains_key(&room.id) {
            return false;
        }
        let mut dynamic = self.dynamic.write();
        if dynamic.contains_key(&room.id) {
            return false;
        }
        dynamic.insert(room.id.clone(), room);
        true
    }

    /// Removes a room created at run time.
    pub(crate) fn remove(&self, id: &str) -> Option<Arc<RoomState>> {
        self.dynamic.write().remove(id)
    }
}
