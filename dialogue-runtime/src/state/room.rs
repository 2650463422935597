//! A room as this node holds it: its configuration, its seats and stream
//! (through the backend), its `on` listeners, and the count of its local
//! `*` subscribers.

use std::collections::BTreeMap;
use std::future::Future;
use std::num::NonZeroU32;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use parking_lot::RwLock;
use serde_json::Value;

use crate::protocol::{EventMessage, RoomInfo};
use crate::spec::{HistorySync, RoomEvents, RoomSpec, Subscriptions};
use crate::state::fanout::RoomFanout;
use crate::state::people::Roster;
use crate::state::seats::Seats;
use crate::state::stream::Stream;

/// A room's configuration: what it is called, what it accepts, who joins
/// it. Rooms declared in `dialogue!` have theirs from the declaration; rooms
/// created at run time from these options (see
/// [`Dialogue::create_room`](crate::Dialogue::create_room)).
///
/// ```
/// use dialogue_runtime::RoomOptions;
///
/// let options = RoomOptions::new("game-42", "Game 42")
///     .max_size(4)
///     .host("alice")
///     .secret("open sesame")
///     .presence(true);
/// assert_eq!(options.id, "game-42");
/// assert_eq!(options.max_size, Some(4));
/// assert!(options.secret.as_ref().is_some_and(|s| s.admits("open sesame")));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RoomOptions {
    /// The room id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its description.
    pub description: Option<String>,
    /// Its capacity.
    pub max_size: Option<u32>,
    /// The events clients may trigger: any by default.
    pub events: RoomEvents,
    /// Events only the server triggers: clients receive them but may not
    /// send them.
    pub server_events: Vec<String>,
    /// What joiners are subscribed to: everything by default.
    pub default_subscriptions: Subscriptions,
    /// What history a joining client receives: none by default.
    pub sync_history_on_join: HistorySync,
    /// Claims a client's authentication must carry to join.
    pub required_claims: BTreeMap<String, Value>,
    /// The user who created it, when a client did.
    pub created_by: Option<String>,
    /// Who runs it at first: kicks, transfers the host, and (in a room a
    /// client created) deletes it. A client-created room's creator.
    pub host: Option<String>,
    /// Joins must carry this secret.
    pub secret: Option<crate::RoomSecret>,
    /// Only the host triggers (without a host, only the server).
    pub host_only: bool,
    /// Members see who is present (`getPresence`, presence diffs).
    pub presence: bool,
}

impl RoomOptions {
    /// A room that takes any event and subscribes joiners to all of them.
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            name: name.into(),
            description: None,
            max_size: None,
            events: RoomEvents::Any,
            server_events: Vec::new(),
            default_subscriptions: Subscriptions::All,
            sync_history_on_join: HistorySync::Off,
            required_claims: BTreeMap::new(),
            created_by: None,
            host: None,
            secret: None,
            host_only: false,
            presence: false,
        }
    }

    /// The options of a declared room, under the id `id` (a per-user room's
    /// instance has its own).
    pub(crate) fn declared(spec: &RoomSpec, id: String) -> Self {
        Self {
            id,
            name: spec.name.clone(),
            description: spec.description.clone(),
            max_size: spec.max_size.map(NonZeroU32::get),
            events: spec.events.clone(),
            server_events: spec.server_events.clone(),
            default_subscriptions: spec.default_subscriptions.clone(),
            sync_history_on_join: spec.sync_history_on_join,
            required_claims: spec.required_claims.clone(),
            created_by: None,
            host: None,
            secret: None,
            host_only: false,
            presence: spec.presence,
        }
    }

    /// Sets the description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Sets the capacity.
    pub fn max_size(mut self, max_size: u32) -> Self {
        self.max_size = Some(max_size);
        self
    }

    /// Sets the events clients may trigger (names of declared events are
    /// validated against their schemas).
    pub fn events(mut self, events: RoomEvents) -> Self {
        self.events = events;
        self
    }

    /// Whether a member of the room may receive `event`: the events it takes
    /// from clients and those the server pushes; in a room that takes no
    /// events and names no server events, anything the server pushes.
    pub fn receives(&self, event: &str) -> bool {
        match &self.events {
            RoomEvents::Only(names) if names.is_empty() && self.server_events.is_empty() => true,
            events => events.allows(event) || self.server_events.iter().any(|name| name == event),
        }
    }

    /// Sets the events only the server triggers: members receive them, a
    /// client that sends one gets `EVENT_NOT_ALLOWED`.
    pub fn server_events<I, S>(mut self, events: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.server_events = events.into_iter().map(Into::into).collect();
        self
    }

    /// Sets what joiners are subscribed to.
    pub fn default_subscriptions(mut self, subscriptions: Subscriptions) -> Self {
        self.default_subscriptions = subscriptions;
        self
    }

    /// Sets what history a joining client receives.
    pub fn sync_history_on_join(mut self, sync: HistorySync) -> Self {
        self.sync_history_on_join = sync;
        self
    }

    /// Requires a claim of every joiner's authentication: equal to `value`,
    /// or an array containing it.
    pub fn require_claim(mut self, claim: impl Into<String>, value: Value) -> Self {
        self.required_claims.insert(claim.into(), value);
        self
    }

    /// Records the creator.
    pub fn created_by(mut self, user_id: impl Into<String>) -> Self {
        self.created_by = Some(user_id.into());
        self
    }

    /// Names the room's host.
    pub fn host(mut self, user_id: impl Into<String>) -> Self {
        self.host = Some(user_id.into());
        self
    }

    /// Admits only joins that carry `secret` (kept as a salted hash).
    pub fn secret(mut self, secret: &str) -> Self {
        self.secret = Some(crate::RoomSecret::new(secret));
        self
    }

    /// Lets only the host trigger.
    pub fn host_only(mut self, host_only: bool) -> Self {
        self.host_only = host_only;
        self
    }

    /// Turns presence on or off.
    pub fn presence(mut self, presence: bool) -> Self {
        self.presence = presence;
        self
    }
}

/// Where a room comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RoomKind {
    /// Declared in `dialogue!`.
    Declared,
    /// An instance of a template: a user's per-user room (`user:{userId}`),
    /// or another template's (`doc:{docId}`).
    Instance {
        /// The user it belongs to, for a per-user room.
        owner: Option<String>,
    },
    /// Created at run time, by a client or the server.
    Created,
}

/// A listener registered with `on`: called with each event of its name.
pub(crate) type ListenerFn =
    dyn Fn(&EventMessage) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync;

/// One registered listener.
pub(crate) struct Listener {
    pub(crate) id: u64,
    pub(crate) event: String,
    pub(crate) call: Arc<ListenerFn>,
}

/// Everything this node holds of one room. Shared as `Arc<RoomState>`.
pub(crate) struct RoomState {
    /// The room id (also `config.id`).
    pub(crate) id: String,
    pub(crate) config: RoomOptions,
    pub(crate) kind: RoomKind,
    /// Creation order, for listing.
    pub(crate) order: u64,
    /// Who holds a seat, against `max_size`.
    pub(crate) seats: Box<dyn Seats>,
    /// Who is present, by user; the host; bans.
    pub(crate) roster: Box<dyn Roster>,
    /// Its events: order and history.
    pub(crate) stream: Box<dyn Stream>,
    /// Its delivery to this node's sockets, which keeps the count of this
    /// node's members subscribed to `*` (see `state::fanout`). The count is
    /// raised before a socket joins the `*` key and lowered as it leaves, so
    /// it never undercounts a member that should receive.
    pub(crate) fanout: Arc<RoomFanout>,
    listeners: RwLock<Vec<Listener>>,
}

impl RoomState {
    pub(crate) fn new(
        config: RoomOptions,
        kind: RoomKind,
        order: u64,
        seats: Box<dyn Seats>,
        roster: Box<dyn Roster>,
        stream: Box<dyn Stream>,
        fanout: Arc<RoomFanout>,
    ) -> Self {
        Self {
            id: config.id.clone(),
            config,
            kind,
            order,
            seats,
            roster,
            stream,
            fanout,
            listeners: RwLock::new(Vec::new()),
        }
    }

    /// The user a per-user room belongs to.
    pub(crate) fn owner(&self) -> Option<&str> {
        match &self.kind {
            RoomKind::Instance { owner } => owner.as_deref(),
            _ => None,
        }
    }

    /// Declared, or an instance of a declared template.
    pub(crate) fn is_declared(&self) -> bool {
        !matches!(self.kind, RoomKind::Created)
    }

    /// One more local member subscribed to `*` (before its socket joins the
    /// key).
    pub(crate) fn wildcard_subscribed(&self) {
        self.fanout.wildcard.fetch_add(1, Ordering::AcqRel);
    }

    /// One local member fewer subscribed to `*`.
    pub(crate) fn wildcard_unsubscribed(&self) {
        // Saturating: a miscount must never wrap to "everyone".
        let _ = self
            .fanout
            .wildcard
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                Some(n.saturating_sub(1))
            });
    }

    /// Members now.
    pub(crate) fn size(&self) -> usize {
        self.seats.count()
    }

    /// Whether it holds `max_size` members now.
    pub(crate) fn is_full(&self) -> bool {
        self.config
            .max_size
            .is_some_and(|max| self.size() >= max as usize)
    }

    /// What clients learn about the room.
    pub(crate) fn info(&self) -> RoomInfo {
        RoomInfo {
            id: self.id.clone(),
            name: self.config.name.clone(),
            description: self.config.description.clone(),
            size: self.size(),
            max_size: self.config.max_size,
            created_by_id: self.config.created_by.clone(),
            host_id: self.roster.host(),
            has_secret: self.config.secret.is_some(),
            host_only: self.config.host_only,
            presence: self.config.presence,
        }
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

    /// Whether any event of the room has a listener.
    pub(crate) fn has_any_listener(&self) -> bool {
        !self.listeners.read().is_empty()
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
