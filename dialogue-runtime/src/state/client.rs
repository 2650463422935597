//! A client connected to this node: its identity, its rooms and its
//! subscriptions in each.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use parking_lot::Mutex;
use serde_json::{Map, Value};

use crate::control::limits::Rates;
use crate::rules::WILDCARD;
use crate::spec::Subscriptions;
use crate::state::connection::Connection;
use crate::state::fanout;
use crate::state::room::RoomState;
use crate::state::sessions::SessionId;

/// A client's membership of one room.
pub(crate) struct RoomMembership {
    pub(crate) room: Arc<RoomState>,
    /// Subscribed to `*`.
    pub(crate) all: bool,
    /// Subscribed event names.
    pub(crate) events: BTreeSet<String>,
}

impl RoomMembership {
    /// A new membership with `subscriptions`, or the room's default ones.
    pub(crate) fn new(room: Arc<RoomState>, subscriptions: Option<&Subscriptions>) -> Self {
        let (all, events) = split(subscriptions.unwrap_or(&room.config.default_subscriptions));
        Self { room, all, events }
    }

    /// Whether the member receives `event`.
    pub(crate) fn receives(&self, event: &str) -> bool {
        self.all || self.events.contains(event)
    }

    /// The fan-out keys this membership is subscribed through.
    pub(crate) fn keys(&self) -> Vec<String> {
        let room = &self.room.id;
        let mut keys: Vec<String> = self.events.iter().map(|e| fanout::key(room, e)).collect();
        if self.all {
            keys.push(fanout::key(room, WILDCARD));
        }
        keys
    }

    /// The subscriptions as names, `*` for all.
    pub(crate) fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.events.iter().cloned().collect();
        if self.all {
            names.push(WILDCARD.to_owned());
        }
        names
    }
}

/// Subscriptions as (`*`, names).
fn split(subscriptions: &Subscriptions) -> (bool, BTreeSet<String>) {
    match subscriptions {
        Subscriptions::All => (true, BTreeSet::new()),
        Subscriptions::Only(names) => {
            let all = names.iter().any(|name| name == WILDCARD);
            let names = names.iter().filter(|n| *n != WILDCARD).cloned().collect();
            (all, names)
        }
    }
}

/// Whether a subscription is being added or removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Change {
    Subscribe,
    Unsubscribe,
}

/// A connected client's state. Shared as `Arc<ClientState>`.
///
/// `memberships` is the only lock, held briefly and never together with a
/// room's: a client's requests are handled one at a time, so it is contended
/// only by server-side calls.
pub(crate) struct ClientState {
    /// The connection's public id (not the transport's session id, which is a
    /// credential of the polling transport and never shown).
    pub(crate) id: String,
    pub(crate) user_id: String,
    /// What authentication established (claims).
    pub(crate) auth: Option<Value>,
    /// The handshake's auth object without `userId`.
    pub(crate) meta: Map<String, Value>,
    pub(crate) conn: Box<dyn Connection>,
    pub(crate) rates: Rates,
    connected: AtomicBool,
    /// Its session (set once, when the session is opened or resumed).
    session: OnceLock<SessionId>,
    /// A new connection took its session over: its memberships moved there.
    taken_over: AtomicBool,
    /// The server dropped its transport (a slow member): its disconnection
    /// holds the session whatever socketioxide reports.
    dropped: AtomicBool,
    /// When its credentials run out, in Unix milliseconds (0: never).
    expires_at: AtomicU64,
    /// Rooms the host removed it from while its session was held (room,
    /// reason): told when the session resumes.
    kicked: Mutex<Vec<(String, Option<String>)>>,
    memberships: Mutex<HashMap<String, RoomMembership>>,
    /// How many times its session's record was read ([`record`](Self::record)).
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    records: AtomicU64,
}

impl ClientState {
    pub(crate) fn new(
        id: String,
        user_id: String,
        auth: Option<Value>,
        meta: Map<String, Value>,
        conn: Box<dyn Connection>,
        rates: Rates,
    ) -> Self {
        Self {
            id,
            user_id,
            auth,
            meta,
            conn,
            rates,
            connected: AtomicBool::new(true),
            session: OnceLock::new(),
            taken_over: AtomicBool::new(false),
            dropped: AtomicBool::new(false),
            expires_at: AtomicU64::new(0),
            kicked: Mutex::new(Vec::new()),
            memberships: Mutex::new(HashMap::new()),
            records: AtomicU64::new(0),
        }
    }

    /// Its rooms and subscriptions as its session's shared record holds
    /// them, and the record's version: each call a higher one, taken under
    /// the lock that orders changes, so a later version is a later state.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn record(&self) -> (u64, Vec<(String, Vec<String>)>) {
        let memberships = self.memberships.lock();
        let version = self.records.fetch_add(1, Ordering::AcqRel) + 1;
        let mut rooms: Vec<(String, Vec<String>)> = memberships
            .iter()
            .map(|(id, membership)| (id.clone(), membership.names()))
            .collect();
        rooms.sort();
        (version, rooms)
    }

    /// Notes that the host removed it from `room` while its session was
    /// held.
    pub(crate) fn note_kicked(&self, room: &str, reason: Option<&str>) {
        self.kicked
            .lock()
            .push((room.to_owned(), reason.map(str::to_owned)));
    }

    /// The rooms it was removed from while held, for the resume's greeting.
    pub(crate) fn take_kicked(&self) -> Vec<(String, Option<String>)> {
        std::mem::take(&mut *self.kicked.lock())
    }

    /// When its credentials run out (Unix milliseconds), if they do.
    pub(crate) fn expires_at(&self) -> Option<u64> {
        Some(self.expires_at.load(Ordering::Acquire)).filter(|&at| at > 0)
    }

    /// Sets when its credentials run out (`None`: never).
    pub(crate) fn set_expires_at(&self, at: Option<u64>) {
        self.expires_at.store(at.unwrap_or(0), Ordering::Release);
    }

    /// Its session.
    pub(crate) fn session(&self) -> Option<SessionId> {
        self.session.get().copied()
    }

    /// Records its session (once).
    pub(crate) fn set_session(&self, id: SessionId) {
        let _ = self.session.set(id);
    }

    /// Marks it taken over by a new connection of its session.
    pub(crate) fn mark_taken_over(&self) {
        self.taken_over.store(true, Ordering::Release);
    }

    /// Whether a new connection took its session over.
    pub(crate) fn is_taken_over(&self) -> bool {
        self.taken_over.load(Ordering::Acquire)
    }

    /// Marks its transport dropped by the server; true the first time.
    pub(crate) fn mark_dropped(&self) -> bool {
        !self.dropped.swap(true, Ordering::AcqRel)
    }

    /// Whether the server dropped its transport.
    pub(crate) fn was_dropped(&self) -> bool {
        self.dropped.load(Ordering::Acquire)
    }

    /// Marks its connection gone while its session is held: its memberships
    /// stay (and count), nothing more reaches it.
    pub(crate) fn mark_gone(&self) {
        self.connected.store(false, Ordering::Release);
    }

    /// Hands its memberships over to a new connection of its session.
    pub(crate) fn take_memberships(&self) -> Vec<RoomMembership> {
        let memberships: Vec<RoomMembership> =
            self.memberships.lock().drain().map(|(_, m)| m).collect();
        for membership in &memberships {
            if membership.all {
                membership.room.wildcard_unsubscribed();
            }
        }
        memberships
    }

    /// Whether the client is still connected.
    pub(crate) fn is_connected(&self) -> bool {
        self.connected.load(Ordering::Acquire)
    }

    /// Marks the client gone and hands back its memberships.
    pub(crate) fn disconnect(&self) -> Vec<RoomMembership> {
        self.connected.store(false, Ordering::Release);
        let memberships: Vec<RoomMembership> =
            self.memberships.lock().drain().map(|(_, m)| m).collect();
        for membership in &memberships {
            if membership.all {
                membership.room.wildcard_unsubscribed();
            }
        }
        memberships
    }

    /// The room, if the client is a member.
    pub(crate) fn room(&self, room_id: &str) -> Option<Arc<RoomState>> {
        self.memberships.lock().get(room_id).map(|m| m.room.clone())
    }

    /// How many rooms the client is in.
    pub(crate) fn room_count(&self) -> usize {
        self.memberships.lock().len()
    }

    /// Whether the client is a member of `room_id`.
    pub(crate) fn is_member(&self, room_id: &str) -> bool {
        self.memberships.lock().contains_key(room_id)
    }

    /// Records a membership; returns its fan-out keys, or `None` when the
    /// client is already a member (or gone).
    pub(crate) fn add_membership(&self, membership: RoomMembership) -> Option<Vec<String>> {
        let mut memberships = self.memberships.lock();
        if !self.is_connected() || memberships.contains_key(&membership.room.id) {
            return None;
        }
        let keys = membership.keys();
        if membership.all {
            membership.room.wildcard_subscribed();
        }
        memberships.insert(membership.room.id.clone(), membership);
        Some(keys)
    }

    /// Ends a membership.
    pub(crate) fn remove_membership(&self, room_id: &str) -> Option<RoomMembership> {
        let membership = self.memberships.lock().remove(room_id)?;
        if membership.all {
            membership.room.wildcard_unsubscribed();
        }
        Some(membership)
    }

    /// Subscribes to or unsubscribes from `event` (`*` for all) in a joined
    /// room; returns the key to join or leave, `None` when not a member.
    pub(crate) fn change_subscription(
        &self,
        room_id: &str,
        event: &str,
        change: Change,
    ) -> Option<String> {
        let mut memberships = self.memberships.lock();
        let membership = memberships.get_mut(room_id)?;
        let on = change == Change::Subscribe;
        if event == WILDCARD {
            match (membership.all, on) {
                (false, true) => membership.room.wildcard_subscribed(),
                (true, false) => membership.room.wildcard_unsubscribed(),
                _ => {}
            }
            membership.all = on;
        } else if on {
            membership.events.insert(event.to_owned());
        } else {
            membership.events.remove(event);
        }
        Some(fanout::key(room_id, event))
    }

    /// Replaces the subscriptions in a joined room; returns the keys to
    /// leave and to join, `None` when not a member.
    pub(crate) fn replace_subscriptions(
        &self,
        room_id: &str,
        subscriptions: &Subscriptions,
    ) -> Option<(Vec<String>, Vec<String>)> {
        let mut memberships = self.memberships.lock();
        let membership = memberships.get_mut(room_id)?;
        let old = membership.keys();
        let (all, events) = split(subscriptions);
        match (membership.all, all) {
            (false, true) => membership.room.wildcard_subscribed(),
            (true, false) => membership.room.wildcard_unsubscribed(),
            _ => {}
        }
        membership.all = all;
        membership.events = events;
        let new = membership.keys();
        let leave = old.iter().filter(|k| !new.contains(k)).cloned().collect();
        let join = new.iter().filter(|k| !old.contains(k)).cloned().collect();
        Some((leave, join))
    }

    /// Whether it is a member of this very room (not another room that
    /// took its id since).
    pub(crate) fn is_member_of(&self, room: &Arc<RoomState>) -> bool {
        self.memberships
            .lock()
            .get(&room.id)
            .is_some_and(|membership| Arc::ptr_eq(&membership.room, room))
    }

    /// Whether the member of `room_id` receives `event` (`false` when not a
    /// member).
    pub(crate) fn receives(&self, room_id: &str, event: &str) -> bool {
        self.memberships
            .lock()
            .get(room_id)
            .is_some_and(|m| m.receives(event))
    }

    /// The ids of the rooms joined, sorted.
    pub(crate) fn room_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.memberships.lock().keys().cloned().collect();
        ids.sort();
        ids
    }

    /// The subscriptions in a joined room.
    pub(crate) fn subscriptions(&self, room_id: &str) -> Option<Vec<String>> {
        self.memberships
            .lock()
            .get(room_id)
            .map(RoomMembership::names)
    }
}
