//! The rooms of a running server: declared ones, fixed at start-up and read
//! without a lock, and rooms created at run time.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::RwLock;

use crate::room::RoomState;
use crate::rules;
use crate::spec::{AppSpec, RoomSpec};

/// A per-user room as declared: instances are made from it on first use.
pub(crate) struct Template {
    pub(crate) spec: RoomSpec,
    prefix: String,
    suffix: String,
}

impl Template {
    /// The instance id for `user`.
    pub(crate) fn id_for(&self, user: &str) -> String {
        format!("{}{user}{}", self.prefix, self.suffix)
    }

    /// The user an instance id belongs to.
    pub(crate) fn owner_of<'a>(&self, id: &'a str) -> Option<&'a str> {
        rules::user_of_room((&self.prefix, &self.suffix), id)
    }
}

pub(crate) struct RoomRegistry {
    declared: HashMap<String, Arc<RoomState>>,
    templates: Vec<Template>,
    /// Declared rooms in declaration order, for listing.
    declared_order: Vec<Arc<RoomState>>,
    dynamic: RwLock<HashMap<String, Arc<RoomState>>>,
    next_order: AtomicU64,
}

impl RoomRegistry {
    pub(crate) fn new(spec: &AppSpec) -> Self {
        let (per_user, shared): (Vec<&RoomSpec>, Vec<&RoomSpec>) = spec
            .rooms
            .iter()
            .partition(|room| room.user_pattern().is_some());
        let declared_order: Vec<Arc<RoomState>> = shared
            .into_iter()
            .enumerate()
            .map(|(i, room)| Arc::new(RoomState::declared(room, room.id.clone(), None, i as u64)))
            .collect();
        let templates = per_user
            .into_iter()
            .filter_map(|room| {
                let (prefix, suffix) = room.user_pattern()?;
                Some(Template {
                    prefix: prefix.to_owned(),
                    suffix: suffix.to_owned(),
                    spec: room.clone(),
                })
            })
            .collect();
        Self {
            templates,
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

    /// The per-user room an id is an instance of, with its owner.
    pub(crate) fn template_of<'a>(&self, id: &'a str) -> Option<(&Template, &'a str)> {
        self.templates
            .iter()
            .find_map(|template| template.owner_of(id).map(|owner| (template, owner)))
    }

    /// The per-user template declared with this pattern id.
    pub(crate) fn template(&self, pattern: &str) -> Option<&Template> {
        self.templates.iter().find(|t| t.spec.id == pattern)
    }

    /// `owner`'s instance of `template`, made on first use.
    pub(crate) fn instance(&self, template: &Template, owner: &str) -> Arc<RoomState> {
        let id = template.id_for(owner);
        if let Some(room) = self.dynamic.read().get(&id) {
            return room.clone();
        }
        let mut dynamic = self.dynamic.write();
        dynamic
            .entry(id.clone())
            .or_insert_with(|| {
                Arc::new(RoomState::declared(
                    &template.spec,
                    id,
                    Some(owner.to_owned()),
                    self.next_order(),
                ))
            })
            .clone()
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
