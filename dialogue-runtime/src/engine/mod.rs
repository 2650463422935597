//! The server's core operations, shared by the wire handlers and the server
//! API so that each rule lives in one place: join, leave, subscribe, publish,
//! history, room creation and deletion, disconnection.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Weak};

use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use socketioxide::SocketIo;
use socketioxide::layer::SocketIoLayer;
use tokio::sync::{mpsc, watch};

use crate::client::{ClientState, Membership};
use crate::clients::ClientRegistry;
use crate::envelope::EventMessage;
use crate::envelope::Published;
use crate::error::{
    CreateRoomError, DeleteRoomError, HistoryError, JoinError, LeaveError, SubscribeError,
    TriggerError,
};
use crate::fanout;
use crate::handles::{ConnectedClient, Room};
use crate::history::{HistoryStore, MAX_PAGE};
use crate::hooks::{self, Evicted, HookFailure, Hooks, LoadRequest, SocketInfo};
use crate::limits::Limits;
use crate::protocol::{HistoryPush, Joined, RoomIdPayload, RoomInfo, names};
use crate::room::{AdmitError, RoomState};
use crate::rooms::RoomRegistry;
use crate::rules::{self, WILDCARD};
use crate::spec::{AppSpec, HistorySync, RoomEvents, Subscriptions};
use crate::validation::EventTable;

/// What a successful join gives.
pub(crate) struct JoinOutcome {
    pub(crate) room: Arc<RoomState>,
    /// The client was a member already: nothing changed.
    pub(crate) already: bool,
    /// History to send, newest first (empty when the room does not sync).
    pub(crate) history: Vec<Arc<Published>>,
}

/// A page of history.
pub(crate) struct HistoryPageOutcome {
    pub(crate) events: Vec<Arc<Published>>,
    pub(crate) start: u64,
    pub(crate) end: u64,
}

/// The options of a room created at run time.
pub(crate) struct NewRoom {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) description: Option<String>,
    pub(crate) max_size: Option<u32>,
    pub(crate) events: RoomEvents,
    pub(crate) default_subscriptions: Subscriptions,
    pub(crate) created_by: Option<String>,
}

/// Work on history done off the broadcast path, in acceptance order.
enum HistoryJob {
    /// Write an event to the store.
    Record(String, Arc<Published>),
    /// Tell `on_cleanup` an event left memory.
    Evicted(String, Arc<Published>),
    /// Answer once every job before it is done.
    Flush(tokio::sync::oneshot::Sender<()>),
}

/// What a published event hands to the hooks that run after it.
pub(crate) struct Publication {
    pub(crate) room: Arc<RoomState>,
    pub(crate) published: Arc<Published>,
    /// The envelope as a value, when a hook or listener needs it, and always
    /// when `before_each` made it (then it is exactly what was broadcast).
    message: Option<EventMessage>,
    /// `message` is `before_each`'s.
    transformed: bool,
    /// Sockets it was sent to, when `after_each` needs the count.
    recipients: usize,
}

impl Publication {
    /// What `before_each` made of the event, which is what everyone received;
    /// `None` when no hook changed it (the payload as given went out).
    pub(crate) fn transformed(&self) -> Option<&EventMessage> {
        self.message.as_ref().filter(|_| self.transformed)
    }
}

/// The shared state of one running server.
pub(crate) struct Engine {
    pub(crate) spec: &'static AppSpec,
    pub(crate) events: EventTable,
    pub(crate) rooms: RoomRegistry,
    pub(crate) clients: ClientRegistry,
    pub(crate) io: SocketIo,
    pub(crate) limits: Limits,
    /// The Socket.IO endpoint, for `Dialogue::router`.
    pub(crate) layer: SocketIoLayer,
    /// CORS around it, unless disabled.
    pub(crate) cors: Option<tower_http::cors::CorsLayer>,
    /// `true` once shutdown has begun; `serve` returns when it sees it.
    pub(crate) stop_signal: watch::Sender<bool>,
    pub(crate) hooks: Hooks,
    store: Option<Arc<dyn HistoryStore>>,
    /// The queue of [`HistoryJob`]s, when there is a store or `on_cleanup`.
    history_jobs: Option<mpsc::UnboundedSender<HistoryJob>>,
    next_listener: AtomicU64,
    /// Set by shutdown: socketioxide's broadcast operators panic once it is
    /// closed, so nothing reaches them after this.
    stopped: AtomicBool,
}

impl Engine {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        spec: &'static AppSpec,
        events: EventTable,
        io: SocketIo,
        layer: SocketIoLayer,
        cors: Option<tower_http::cors::CorsLayer>,
        limits: Limits,
        hooks: Hooks,
        store: Option<Arc<dyn HistoryStore>>,
    ) -> Arc<Self> {
        Arc::new_cyclic(|me| {
            let history_jobs = (store.is_some() || hooks.on_cleanup.is_some())
                .then(|| spawn_history_worker(me.clone()));
            Self {
                spec,
                events,
                rooms: RoomRegistry::new(spec),
                clients: ClientRegistry::default(),
                io,
                limits,
                layer,
                cors,
                stop_signal: watch::channel(false).0,
                hooks,
                store,
                history_jobs,
                next_listener: AtomicU64::new(0),
                stopped: AtomicBool::new(false),
            }
        })
    }

    pub(crate) fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::Acquire)
    }

    pub(crate) fn stop(&self) {
        self.stopped.store(true, Ordering::Release);
    }

    pub(crate) fn next_listener_id(&self) -> u64 {
        self.next_listener.fetch_add(1, Ordering::Relaxed)
    }

    /// The room a client asks for: declared, created at run time, or the
    /// client's own instance of a per-user room (made on first use). Another
    /// user's per-user room is refused.
    fn room_to_join(
        &self,
        client: &ClientState,
        room_id: &str,
    ) -> Result<Arc<RoomState>, JoinError> {
        if let Some(room) = self.rooms.get(room_id) {
            if room
                .owner
                .as_deref()
                .is_some_and(|owner| owner != client.user_id)
            {
                return Err(not_yours(room_id));
            }
            return Ok(room);
        }
        match self.rooms.template_of(room_id) {
            Some((template, owner)) if owner == client.user_id => {
                Ok(self.rooms.instance(template, owner))
            }
            Some(_) => Err(not_yours(room_id)),
            None => Err(JoinError::RoomNotFound(room_id.to_owned())),
        }
    }

    /// Joins `client` to `room_id`, checking in order: the room, capacity,
    /// ownership of per-user rooms, required claims, `before_join`; then takes
    /// a place atomically. A member joining again changes nothing; a refused
    /// join has no side effect.
    pub(crate) async fn join(
        self: &Arc<Self>,
        client: &Arc<ClientState>,
        room_id: &str,
    ) -> Result<JoinOutcome, JoinError> {
        let room = self.room_to_join(client, room_id)?;
        if client.is_member(room_id) {
            return Ok(JoinOutcome {
                room,
                already: true,
                history: Vec::new(),
            });
        }
        if let Some(max) = self.limits.rooms_per_connection
            && client.room_count() >= max
        {
            return Err(JoinError::TooManyRooms(max));
        }
        // Not binding (admission below is), but spares the hooks a full room.
        if let Some(max_size) = room.max_size.filter(|_| room.is_full()) {
            return Err(JoinError::RoomFull {
                room: room_id.to_owned(),
                max_size,
            });
        }
        if let Some((claim, wanted)) =
            dialogue_core::spec::missing_claim(&room.required_claims, client.auth.as_ref())
        {
            return Err(JoinError::Denied {
                room: room_id.to_owned(),
                reason: format!("room `{room_id}` requires the claim `{claim}` = {wanted}"),
            });
        }
        if let Some(hook) = &self.hooks.before_join {
            let args = (
                self.connected_client(client),
                Room {
                    state: room.clone(),
                    engine: self.clone(),
                },
            );
            match hooks::decide(self, "before_join", hook, args).await {
                Ok(()) => {}
                Err(HookFailure::Refused(reason)) => {
                    return Err(JoinError::Denied {
                        room: room_id.to_owned(),
                        reason,
                    });
                }
                Err(HookFailure::Failed) => return Err(JoinError::HookFailed("before_join")),
            }
        }
        self.admit(client, room)
    }

    /// Takes a place in the room and subscribes the client.
    fn admit(
        &self,
        client: &Arc<ClientState>,
        room: Arc<RoomState>,
    ) -> Result<JoinOutcome, JoinError> {
        let room_id = room.id.as_str();
        match room.admit(client) {
            Ok(()) => {}
            Err(AdmitError::Full(max_size)) => {
                return Err(JoinError::RoomFull {
                    room: room_id.to_owned(),
                    max_size,
                });
            }
            Err(AdmitError::Deleted) => return Err(JoinError::RoomNotFound(room_id.to_owned())),
        }
        let Some(keys) = client.add_membership(Membership::new(room.clone())) else {
            // Gone meanwhile, or joined by a racing call that already counts.
            if !client.is_member(room_id) {
                room.release(&client.id);
                return Err(JoinError::Disconnected);
            }
            return Ok(JoinOutcome {
                room,
                already: true,
                history: Vec::new(),
            });
        };
        client.socket.join(keys.clone());
        // A deletion that drained the members before we recorded the
        // membership, or left the room's keys before our socket joined them,
        // cannot have undone either: undo both here. (The deletion marks the
        // room deleted before draining, so one of us always sees the other.)
        if room.is_deleted() {
            client.remove_membership(room_id);
            for key in keys {
                client.socket.leave(key);
            }
            return Err(JoinError::RoomNotFound(room_id.to_owned()));
        }
        let history = match room.sync_history {
            HistorySync::Off => Vec::new(),
            HistorySync::All => room.with_history(|h| h.latest(None)),
            HistorySync::Latest(n) => room.with_history(|h| h.latest(Some(n.get() as usize))),
        };
        Ok(JoinOutcome {
            room,
            already: false,
            history,
        })
    }

    /// Runs `on_joined` after a join was answered (not for a re-join).
    pub(crate) async fn joined(self: &Arc<Self>, client: &Arc<ClientState>, outcome: &JoinOutcome) {
        if outcome.already {
            return;
        }
        hooks::observe(self, "on_joined", &self.hooks.on_joined, || {
            (self.connected_client(client), outcome.room.id.clone())
        })
        .await;
    }

    /// Tells a client it joined: `dialogue:joined`, then `dialogue:history`.
    /// Used when the server (not the client) asked for the join.
    pub(crate) fn notify_joined(&self, client: &ClientState, joined: &JoinOutcome) {
        let socket = &client.socket;
        let answer = Joined {
            room_id: &joined.room.id,
            room_name: &joined.room.name,
            history: None,
        };
        let _ = socket.emit(names::JOINED, &answer);
        if !joined.already && !matches!(joined.room.sync_history, HistorySync::Off) {
            let _ = socket.emit(
                names::HISTORY,
                &HistoryPush {
                    room_id: &joined.room.id,
                    events: joined.history.iter().map(|e| e.json()).collect(),
                },
            );
        }
    }

    /// Removes `client` from `room_id`; `Ok(false)` when it was not a member.
    pub(crate) fn leave(&self, client: &ClientState, room_id: &str) -> Result<bool, LeaveError> {
        let Some(membership) = client.remove_membership(room_id) else {
            return match self.rooms.get(room_id) {
                Some(_) => Ok(false),
                None => Err(LeaveError::RoomNotFound(room_id.to_owned())),
            };
        };
        membership.room.release(&client.id);
        for key in membership.keys() {
            client.socket.leave(key);
        }
        Ok(true)
    }

    /// Subscribes to `event` (`*` for all) in a joined room.
    pub(crate) fn subscribe(
        &self,
        client: &ClientState,
        room_id: &str,
        event: &str,
    ) -> Result<(), SubscribeError> {
        check_subscription_name(event)?;
        match client.subscribe(room_id, event) {
            Some(key) => {
                client.socket.join(key);
                Ok(())
            }
            None => Err(self.not_joined(room_id)),
        }
    }

    /// Unsubscribes from `event` (`*` for the wildcard) in a joined room.
    pub(crate) fn unsubscribe(
        &self,
        client: &ClientState,
        room_id: &str,
        event: &str,
    ) -> Result<(), SubscribeError> {
        check_subscription_name(event)?;
        match client.unsubscribe(room_id, event) {
            Some(key) => {
                client.socket.leave(key);
                Ok(())
            }
            None => Err(self.not_joined(room_id)),
        }
    }

    fn not_joined(&self, room_id: &str) -> SubscribeError {
        match self.rooms.get(room_id) {
            Some(_) => SubscribeError::NotInRoom(room_id.to_owned()),
            None => SubscribeError::RoomNotFound(room_id.to_owned()),
        }
    }

    /// A client's trigger: membership, the room's rules, then [`publish`].
    ///
    /// [`publish`]: Self::publish
    pub(crate) async fn client_trigger(
        self: &Arc<Self>,
        client: &ClientState,
        room_id: &str,
        event: &str,
        data: &Value,
        meta: Option<&Map<String, Value>>,
    ) -> Result<Publication, TriggerError> {
        if !client.rates.trigger() {
            let rate = self.limits.triggers_per_second.map_or(0, |n| n.get());
            return Err(TriggerError::RateLimited(rate));
        }
        rules::check_event_name(event).map_err(|source| TriggerError::InvalidEventName {
            name: event.to_owned(),
            source,
        })?;
        let Some(room) = client.room(room_id) else {
            return Err(match self.rooms.get(room_id) {
                Some(_) => TriggerError::NotInRoom(room_id.to_owned()),
                None => TriggerError::RoomNotFound(room_id.to_owned()),
            });
        };
        if !room.events.allows(event) {
            return Err(TriggerError::EventNotAllowed {
                room: room_id.to_owned(),
                event: event.to_owned(),
            });
        }
        self.publish(&room, event, data, &client.user_id, meta)
            .await
    }

    /// Validates, lets `before_each` refuse or transform, stamps, keeps and
    /// broadcasts one event. The server's own triggers come here directly (it
    /// may push any event into any room). Run [`after_publish`] once the
    /// requester has its answer.
    ///
    /// The envelope is serialized once, here; the broadcast, history and join
    /// sync all send those bytes.
    ///
    /// [`after_publish`]: Self::after_publish
    pub(crate) async fn publish(
        self: &Arc<Self>,
        room: &Arc<RoomState>,
        event: &str,
        data: &Value,
        from: &str,
        meta: Option<&Map<String, Value>>,
    ) -> Result<Publication, TriggerError> {
        let declared = self.events.get(event);
        // Rooms that take any event (`*`, and rooms created by clients) pass
        // data through; everywhere else a declared event is validated.
        let validator = declared.filter(|_| !matches!(room.events, RoomEvents::Any));
        let validate = |data: &Value| match validator {
            Some(declared) => declared
                .validate(data)
                .map_err(|issues| TriggerError::Validation {
                    event: event.to_owned(),
                    issues,
                }),
            None => Ok(()),
        };
        validate(data)?;
        let serialize_failed = |e: serde_json::Error| TriggerError::Serialize {
            event: event.to_owned(),
            reason: e.to_string(),
        };

        // Without `before_each`, the envelope is written straight from the
        // borrowed payload; with it, the hook's message is what is written.
        let transformed = match &self.hooks.before_each {
            None => None,
            Some(hook) => {
                let proposed = EventMessage {
                    event: event.to_owned(),
                    room_id: room.id.clone(),
                    data: data.clone(),
                    from: from.to_owned(),
                    timestamp: crate::envelope::now_millis(),
                    meta: meta.cloned(),
                };
                let message = match hooks::decide(self, "before_each", hook, proposed).await {
                    Ok(message) => message,
                    Err(HookFailure::Refused(reason)) => return Err(TriggerError::Refused(reason)),
                    Err(HookFailure::Failed) => {
                        return Err(TriggerError::HookFailed("before_each"));
                    }
                };
                if message.event != event || message.room_id != room.id {
                    tracing::error!(room = %room.id, event, "before_each changed the event name or room");
                    return Err(TriggerError::HookFailed("before_each"));
                }
                if message.data != *data && validate(&message.data).is_err() {
                    tracing::error!(room = %room.id, event, "before_each made the payload invalid");
                    return Err(TriggerError::HookFailed("before_each"));
                }
                Some(message)
            }
        };
        let stamp = |seq| match &transformed {
            Some(message) => Published::from_message(seq, message).map_err(serialize_failed),
            None => {
                Published::stamp(seq, &room.id, event, data, from, meta).map_err(serialize_failed)
            }
        };
        let published = match declared.and_then(|d| d.history()) {
            Some(limit) => {
                let (published, evicted) = room.stamp_and_keep(limit.get() as usize, stamp)?;
                if let Some(jobs) = &self.history_jobs {
                    if self.store.is_some() {
                        let _ = jobs.send(HistoryJob::Record(room.id.clone(), published.clone()));
                    }
                    if let Some(evicted) = evicted
                        && self.hooks.on_cleanup.is_some()
                    {
                        let _ = jobs.send(HistoryJob::Evicted(room.id.clone(), evicted));
                    }
                }
                published
            }
            None => Arc::new(stamp(room.next_seq())?),
        };

        let mut recipients = 0;
        if !self.is_stopped() {
            let targets = fanout::targets(&room.id, event, room.has_wildcard_members());
            let operator = self.io.to(targets);
            // Counting walks the recipients: only when a hook wants the count.
            if self.hooks.after_each.is_some() {
                recipients = operator.clone().sockets().len();
            }
            // Failures are sockets closing meanwhile; the others received it.
            if let Err(error) = operator.emit(names::EVENT, published.json()).await {
                tracing::debug!(room = %room.id, event, %error, "broadcast missed closing sockets");
            }
        }
        tracing::debug!(room = %room.id, event, user = from, "event published");

        let wants_message = self.hooks.after_each.is_some()
            || self.hooks.on_triggered.is_some()
            || room.has_listeners(event);
        let was_transformed = transformed.is_some();
        let message = match (transformed, wants_message) {
            (Some(message), _) => Some(message),
            (None, false) => None,
            (None, true) => Some(EventMessage {
                event: event.to_owned(),
                room_id: room.id.clone(),
                data: data.clone(),
                from: from.to_owned(),
                timestamp: published.timestamp(),
                meta: meta.cloned(),
            }),
        };
        Ok(Publication {
            room: room.clone(),
            published,
            message,
            transformed: was_transformed,
            recipients,
        })
    }

    /// Runs what follows a publication: `after_each`, `on_triggered`, then
    /// the room's listeners (each in its own task).
    pub(crate) async fn after_publish(self: &Arc<Self>, publication: Publication) {
        let room = &publication.room;
        let Some(message) = publication.message else {
            return;
        };
        let recipients = publication.recipients;
        hooks::observe(self, "after_each", &self.hooks.after_each, || {
            (message.clone(), recipients)
        })
        .await;
        hooks::observe(self, "on_triggered", &self.hooks.on_triggered, || {
            message.clone()
        })
        .await;
        for listener in room.listeners_of(&message.event) {
            tokio::spawn(listener(&message));
        }
    }

    /// A page of `event`'s history in `room`, newest first: from memory, and
    /// past it from the history store when there is one.
    pub(crate) async fn history(
        self: &Arc<Self>,
        room: &RoomState,
        event: &str,
        start: u64,
        end: u64,
    ) -> Result<HistoryPageOutcome, HistoryError> {
        rules::check_event_name(event).map_err(|source| HistoryError::InvalidEventName {
            name: event.to_owned(),
            source,
        })?;
        let end = end.min(start.saturating_add(MAX_PAGE));
        if end <= start {
            return Ok(HistoryPageOutcome {
                events: Vec::new(),
                start,
                end: start,
            });
        }
        let (from_memory, in_memory) = room.with_history(|h| {
            let in_memory = h.len(event);
            let page = h.page(event, start as usize, end.min(in_memory as u64) as usize);
            (page, in_memory as u64)
        });
        let mut events = from_memory;
        if end > in_memory {
            // What memory dropped is written behind the broadcast: let the
            // writer catch up, so the store (or `on_cleanup`'s database) holds
            // everything up to now.
            self.flush_history().await;
            if let Some(store) = &self.store {
                // The store holds every event (write-through): the whole page
                // comes from it, so no index shifts between the two.
                events = store
                    .page(&room.id, event, start, end)
                    .await
                    .map_err(|e| HistoryError::Store(e.0))?;
            } else if let Some(hook) = &self.hooks.on_load {
                let request = LoadRequest {
                    room_id: room.id.clone(),
                    event_name: event.to_owned(),
                    start: start.saturating_sub(in_memory),
                    end: end - in_memory,
                };
                let loaded = hooks::decide(self, "on_load", hook, request)
                    .await
                    .map_err(|_| HistoryError::HookFailed("on_load"))?;
                for message in loaded.iter().take((end - start.max(in_memory)) as usize) {
                    let published = Published::from_message(0, message)
                        .map_err(|e| HistoryError::Store(e.to_string()))?;
                    events.push(Arc::new(published));
                }
            }
        }
        Ok(HistoryPageOutcome { events, start, end })
    }

    /// Waits until the history worker has done every job queued so far.
    async fn flush_history(&self) {
        if let Some(jobs) = &self.history_jobs {
            let (done, wait) = tokio::sync::oneshot::channel();
            if jobs.send(HistoryJob::Flush(done)).is_ok() {
                let _ = wait.await;
            }
        }
    }

    /// Creates a room at run time and tells everyone. A client's request
    /// (`by_client`) counts against the dynamic room limits; the server's does
    /// not.
    pub(crate) async fn create_room(
        self: &Arc<Self>,
        new: NewRoom,
        by_client: bool,
    ) -> Result<Arc<RoomState>, CreateRoomError> {
        rules::check_room_id(&new.id).map_err(|source| CreateRoomError::InvalidId {
            id: new.id.clone(),
            source,
        })?;
        if by_client {
            self.check_room_quotas(new.created_by.as_deref())?;
        }
        let name = new.name.trim();
        if name.is_empty() || name.len() > rules::MAX_NAME_LEN {
            return Err(CreateRoomError::InvalidName);
        }
        let room = Arc::new(RoomState::new(
            new.id.clone(),
            name.to_owned(),
            new.description,
            new.max_size,
            new.events,
            new.default_subscriptions,
            HistorySync::Off,
            new.created_by,
            false,
            self.rooms.next_order(),
        ));
        if !self.rooms.insert(room.clone()) {
            return Err(CreateRoomError::Exists(new.id));
        }
        self.broadcast_all(names::ROOM_CREATED, &room.info()).await;
        Ok(room)
    }

    /// Runs `on_room_created`, once the requester has its answer.
    pub(crate) async fn room_created(self: &Arc<Self>, room: &Arc<RoomState>) {
        hooks::observe(self, "on_room_created", &self.hooks.on_room_created, || {
            Room {
                state: room.clone(),
                engine: self.clone(),
            }
        })
        .await;
    }

    fn check_room_quotas(&self, creator: Option<&str>) -> Result<(), CreateRoomError> {
        let limits = &self.limits;
        if limits.dynamic_rooms.is_none() && limits.dynamic_rooms_per_user.is_none() {
            return Ok(());
        }
        let dynamic: Vec<Arc<RoomState>> = self
            .rooms
            .all()
            .into_iter()
            .filter(|r| !r.declared)
            .collect();
        if let Some(max) = limits.dynamic_rooms
            && dynamic.len() >= max
        {
            return Err(CreateRoomError::TooManyRooms(max));
        }
        if let (Some(max), Some(user)) = (limits.dynamic_rooms_per_user, creator)
            && dynamic
                .iter()
                .filter(|r| r.created_by.as_deref() == Some(user))
                .count()
                >= max
        {
            return Err(CreateRoomError::TooManyRoomsForUser(max));
        }
        Ok(())
    }

    /// Deletes a room created at run time: its members are removed and
    /// everyone is told. `requester` is the user asking, `None` for the server.
    /// Returns the removed members, for [`room_deleted`] to run the hooks
    /// once the requester has its answer.
    ///
    /// [`room_deleted`]: Self::room_deleted
    pub(crate) async fn delete_room(
        self: &Arc<Self>,
        room_id: &str,
        requester: Option<&str>,
    ) -> Result<Vec<Arc<ClientState>>, DeleteRoomError> {
        let room = self
            .rooms
            .get(room_id)
            .ok_or_else(|| DeleteRoomError::RoomNotFound(room_id.to_owned()))?;
        if room.declared {
            return Err(DeleteRoomError::Declared(room_id.to_owned()));
        }
        if let Some(user) = requester
            && room.created_by.as_deref() != Some(user)
        {
            return Err(DeleteRoomError::NotCreator(room_id.to_owned()));
        }
        if self.rooms.remove(room_id).is_none() {
            // Deleted by a racing call.
            return Err(DeleteRoomError::RoomNotFound(room_id.to_owned()));
        }
        let mut removed = Vec::new();
        for member in room.close() {
            if let Some(membership) = member.remove_membership(room_id) {
                for key in membership.keys() {
                    member.socket.leave(key);
                }
                removed.push(member);
            }
        }
        self.broadcast_all(names::ROOM_DELETED, &RoomIdPayload { room_id })
            .await;
        Ok(removed)
    }

    /// Runs what follows a deletion: `on_left` for each removed member, then
    /// `on_room_deleted`.
    pub(crate) async fn room_deleted(
        self: &Arc<Self>,
        room_id: &str,
        removed: Vec<Arc<ClientState>>,
    ) {
        for member in removed {
            self.left(&member, room_id).await;
        }
        hooks::observe(self, "on_room_deleted", &self.hooks.on_room_deleted, || {
            room_id.to_owned()
        })
        .await;
    }

    /// What `listRooms` shows: every room but the instances of per-user
    /// rooms, which would list user ids to everyone.
    pub(crate) fn room_infos(&self) -> Vec<RoomInfo> {
        self.rooms
            .all()
            .iter()
            .filter(|room| room.owner.is_none())
            .map(|room| room.info())
            .collect()
    }

    /// Runs `on_left` for a client that left `room_id`.
    pub(crate) async fn left(self: &Arc<Self>, client: &Arc<ClientState>, room_id: &str) {
        hooks::observe(self, "on_left", &self.hooks.on_left, || {
            (self.connected_client(client), room_id.to_owned())
        })
        .await;
    }

    /// The public handle of a client.
    pub(crate) fn connected_client(self: &Arc<Self>, client: &Arc<ClientState>) -> ConnectedClient {
        ConnectedClient {
            state: client.clone(),
            engine: self.clone(),
        }
    }

    /// Forgets a client that disconnected: `on_disconnected` (while it still
    /// has its rooms), then its rooms (`on_left` each) and its registration,
    /// then `on_disconnect`.
    pub(crate) async fn disconnect(
        self: &Arc<Self>,
        client: &Arc<ClientState>,
        transport: &'static str,
    ) {
        hooks::observe(self, "on_disconnected", &self.hooks.on_disconnected, || {
            self.connected_client(client)
        })
        .await;
        for membership in client.disconnect() {
            membership.room.release(&client.id);
            self.left(client, &membership.room.id).await;
        }
        self.clients.remove(client);
        hooks::observe(self, "on_disconnect", &self.hooks.on_disconnect, || {
            socket_info(client, transport)
        })
        .await;
    }

    /// Sends `payload` as `event` to every connected client.
    pub(crate) async fn broadcast_all<T: Serialize + ?Sized>(&self, event: &str, payload: &T) {
        if self.is_stopped() {
            return;
        }
        // Serialized once, then sent as is (socketioxide copies raw JSON).
        let raw = match serde_json::value::to_raw_value(payload) {
            Ok(raw) => raw,
            Err(error) => {
                tracing::error!(event, %error, "cannot serialize a broadcast");
                return;
            }
        };
        let raw: &RawValue = &raw;
        if let Err(error) = self.io.to(fanout::GREETED).emit(event, raw).await {
            tracing::debug!(event, %error, "broadcast missed closing sockets");
        }
    }
}

fn not_yours(room_id: &str) -> JoinError {
    JoinError::Denied {
        room: room_id.to_owned(),
        reason: format!("room `{room_id}` belongs to another user"),
    }
}

/// Subscriptions name an event or `*`.
fn check_subscription_name(event: &str) -> Result<(), SubscribeError> {
    if event == WILDCARD {
        return Ok(());
    }
    rules::check_event_name(event).map_err(|source| SubscribeError::InvalidEventName {
        name: event.to_owned(),
        source,
    })
}

/// The history worker: store writes and `on_cleanup` calls, one at a time in
/// acceptance order, off the broadcast path. It ends with the engine.
fn spawn_history_worker(engine: Weak<Engine>) -> mpsc::UnboundedSender<HistoryJob> {
    let (tx, mut rx) = mpsc::unbounded_channel::<HistoryJob>();
    tokio::spawn(async move {
        while let Some(job) = rx.recv().await {
            let Some(engine) = engine.upgrade() else {
                return;
            };
            match job {
                HistoryJob::Record(room, event) => {
                    if let Some(store) = &engine.store
                        && let Err(error) = store.record(&room, event).await
                    {
                        tracing::error!(%room, %error, "the history store failed to record an event");
                    }
                }
                HistoryJob::Flush(done) => {
                    let _ = done.send(());
                }
                HistoryJob::Evicted(room, event) => {
                    let message = match event.message() {
                        Ok(message) => message,
                        Err(error) => {
                            tracing::error!(%room, %error, "cannot read back an evicted event");
                            continue;
                        }
                    };
                    hooks::observe(&engine, "on_cleanup", &engine.hooks.on_cleanup, || {
                        Evicted {
                            room_id: room,
                            event_name: message.event.clone(),
                            events: vec![message],
                        }
                    })
                    .await;
                }
            }
        }
    });
    tx
}

/// What the raw-socket hooks learn of a client.
pub(crate) fn socket_info(client: &ClientState, transport: &'static str) -> SocketInfo {
    SocketInfo {
        client_id: client.id.clone(),
        user_id: client.user_id.clone(),
        auth: client.meta.clone(),
        headers: client.socket.req_parts().headers.clone(),
        transport,
    }
}
