//! A room's state: what it accepts, who is in it, what it keeps.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};

use parking_lot::{Mutex, RwLock};
use serde_json::Value;

use crate::client::ClientState;
use crate::envelope::{EventMessage, Published};
use crate::history::RoomHistory;
use crate::protocol::RoomInfo;
use crate::spec::{HistorySync, RoomEvents, RoomSpec, Subscriptions};

/// A listener registered with `on`: called with each event of its name.
pub(crate) type ListenerFn =
    dyn Fn(&EventMessage) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync;

/// One registered listener.
pub(crate) struct Listener {
    pub(crate) id: u64,
    pub(crate) event: String,
    pub(crate) call: Arc<ListenerFn>,
}

/// Everything about one room. Shared as `Arc<RoomState>`.
///
/// Locks: `members` guards capacity, `history` guards the buffers and the
/// sequence, `listeners` the `on` handlers; each is held briefly and never
/// together with a client's lock.
pub(crate) struct RoomState {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) description: Option<String>,
    pub(crate) max_size: Option<u32>,
    pub(crate) events: RoomEvents,
    pub(crate) default_subscriptions: Subscriptions,
    pub(crate) sync_history: HistorySync,
    pub(crate) created_by: Option<String>,
    /// Declared in `dialogue!` (rather than created at run time); per-user
    /// instances count as declared.
    pub(crate) declared: bool,
    /// Claims a member's authentication must carry.
    pub(crate) required_claims: BTreeMap<String, Value>,
    /// The user a per-user room belongs to.
    pub(crate) owner: Option<String>,
    /// Creation order, for listing.
    pub(crate) order: u64,
    /// Set once, when the room is deleted; a join racing the deletion sees it.
    deleted: AtomicBool,
    /// Members by client id.
    members: Mutex<HashMap<String, Weak<ClientState>>>,
    /// How many members are subscribed to `*`. When none is, a broadcast goes
    /// to the event's key alone: socketioxide then skips the de-duplication
    /// set it builds for a broadcast to several of its rooms, which costs
    /// about a tenth of the server's CPU at saturation. Kept by
    /// [`ClientState`]'s membership methods, raised before a socket joins the
    /// `*` key and lowered as it leaves, so it never undercounts a member
    /// that should receive.
    wildcard_members: AtomicUsize,
    /// The next sequence number; assigned under the `history` lock for events
    /// kept in history, so buffer order is acceptance order.
    seq: AtomicU64,
    history: Mutex<RoomHistory>,
    listeners: RwLock<Vec<Listener>>,
}

/// Why a member could not be added.
pub(crate) enum AdmitError {
    Full(u32),
    Deleted,
}

impl RoomState {
    /// A declared room, or (with `owner`) one user's instance of a per-user
    /// room, whose id is then `id`.
    pub(crate) fn declared(spec: &RoomSpec, id: String, owner: Option<String>, order: u64) -> Self {
        let mut room = Self::new(
            id,
            spec.name.clone(),
            spec.description.clone(),
            spec.max_size.map(|n| n.get()),
            spec.events.clone(),
            spec.default_subscriptions.clone(),
            spec.sync_history_on_join,
            None,
            true,
            order,
        );
        room.required_claims = spec.required_claims.clone();
        room.owner = owner;
        room
    }

    /// A room created at run time.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        id: String,
        name: String,
        description: Option<String>,
        max_size: Option<u32>,
        events: RoomEvents,
        default_subscriptions: Subscriptions,
        sync_history: HistorySync,
        created_by: Option<String>,
        declared: bool,
        order: u64,
    ) -> Self {
        Self {
            id,
            name,
            description,
            max_size,
            events,
            default_subscriptions,
            sync_history,
            created_by,
            declared,
            required_claims: BTreeMap::new(),
            owner: None,
            order,
            deleted: AtomicBool::new(false),
            members: Mutex::new(HashMap::new()),
            wildcard_members: AtomicUsize::new(0),
            seq: AtomicU64::new(0),
            history: Mutex::new(RoomHistory::default()),
            listeners: RwLock::new(Vec::new()),
        }
    }

    /// One more member subscribed to `*` (before its socket joins the key).
    pub(crate) fn wildcard_joined(&self) {
        self.wildcard_members.fetch_add(1, Ordering::AcqRel);
    }

    /// One member fewer subscribed to `*`.
    pub(crate) fn wildcard_left(&self) {
        // Saturating: a miscount must never wrap to "everyone".
        let _ = self
            .wildcard_members
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                Some(n.saturating_sub(1))
            });
    }

    /// Whether any member is subscribed to `*`.
    pub(crate) fn has_wildcard_members(&self) -> bool {
        self.wildcard_members.load(Ordering::Acquire) > 0
    }

    /// Adds a member unless the room is full or deleted; capacity is checked
    /// and taken under one lock, so racing joins never overfill the room.
    pub(crate) fn admit(&self, client: &Arc<ClientState>) -> Result<(), AdmitError> {
        let mut members = self.members.lock();
        if self.deleted.load(Ordering::Acquire) {
            return Err(AdmitError::Deleted);
        }
        if let Some(max) = self.max_size
            && members.len() >= max as usize
            && !members.contains_key(&client.id)
        {
            return Err(AdmitError::Full(max));
        }
        members.insert(client.id.clone(), Arc::downgrade(client));
        Ok(())
    }

    /// Removes a member; whether it was one.
    pub(crate) fn release(&self, client_id: &str) -> bool {
        self.members.lock().remove(client_id).is_some()
    }

    /// Marks the room deleted and hands back its members.
    pub(crate) fn close(&self) -> Vec<Arc<ClientState>> {
        let mut members = self.members.lock();
        self.deleted.store(true, Ordering::Release);
        members.drain().filter_map(|(_, c)| c.upgrade()).collect()
    }

    /// Whether the room was deleted.
    pub(crate) fn is_deleted(&self) -> bool {
        self.deleted.load(Ordering::Acquire)
    }

    /// Whether it holds `max_size` members now.
    pub(crate) fn is_full(&self) -> bool {
        self.max_size.is_some_and(|max| self.size() >= max as usize)
    }

    /// Members now.
    pub(crate) fn size(&self) -> usize {
        self.members.lock().len()
    }

    /// The members, connected ones only.
    pub(crate) fn members(&self) -> Vec<Arc<ClientState>> {
        self.members
            .lock()
            .values()
            .filter_map(Weak::upgrade)
            .collect()
    }

    /// What clients learn about the room.
    pub(crate) fn info(&self) -> RoomInfo {
        RoomInfo {
            id: self.id.clone(),
            name: self.name.clone(),
            description: self.description.clone(),
            size: self.size(),
            max_size: self.max_size,
            created_by_id: self.created_by.clone(),
        }
    }

    /// A sequence number for an event not kept in history.
    pub(crate) fn next_seq(&self) -> u64 {
        self.seq.fetch_add(1, Ordering::Relaxed)
    }

    /// Stamps an event with the next sequence number and keeps it in history,
    /// both under the history lock so that buffer order is acceptance order.
    pub(crate) fn stamp_and_keep<E>(
        &self,
        limit: usize,
        stamp: impl FnOnce(u64) -> Result<Published, E>,
    ) -> Result<(Arc<Published>, Option<Arc<Published>>), E> {
        let mut history = self.history.lock();
        let published = Arc::new(stamp(self.next_seq())?);
        let evicted = history.push(published.clone(), limit);
        Ok((published, evicted))
    }

    /// Runs `read` on the in-memory history.
    pub(crate) fn with_history<T>(&self, read: impl FnOnce(&RoomHistory) -> T) -> T {
        read(&self.history.lock())
    }

    /// Registers a listener.
    pub(crate) fn add_listener(&self, listener: Listener) {
        self.listeners.write().push(listener);
    }

    /// Removes a listener; whether it was there.
    pub(crate) fn remove_listener(&self, id: u64) -> bool {
        let mut listeners = self.listeners.write();
        let before = listeners.len();
        listeners.retain(|l| l.id != id);
        listeners.len() != before
    }

    /// Whether `event` has listeners.
    pub(crate) fn has_listeners(&self, event: &str) -> bool {
        let listeners = self.listeners.read();
        !listeners.is_empty() && listeners.iter().any(|l| l.event == event)
    }

    /// The listeners of `event`.
    pub(crate) fn listeners_of(&self, event: &str) -> Vec<Arc<ListenerFn>> {
        let listeners = self.listeners.read();
        if listeners.is_empty() {
            return Vec::new();
        }
        listeners
            .iter()
            .filter(|l| l.event == event)
            .map(|l| l.call.clone())
            .collect()
    }
}
