//! The server's core operations, shared by the wire handlers and the server
//! API so that each rule lives in one place: join, leave, subscribe, publish,
//! history, room creation and deletion, disconnection.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use socketioxide::SocketIo;
use tokio::sync::mpsc;

use crate::client::{ClientState, Membership};
use crate::clients::ClientRegistry;
use crate::envelope::Published;
use crate::error::{
    CreateRoomError, DeleteRoomError, HistoryError, JoinError, LeaveError, SubscribeError,
    TriggerError,
};
use crate::fanout;
use crate::history::{HistoryStore, MAX_PAGE};
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

/// A history store and the queue of events waiting to be written to it.
struct Store {
    store: Arc<dyn HistoryStore>,
    writer: mpsc::UnboundedSender<(String, Arc<Published>)>,
}

/// The shared state of one running server.
pub(crate) struct Engine {
    pub(crate) spec: &'static AppSpec,
    pub(crate) events: EventTable,
    pub(crate) rooms: RoomRegistry,
    pub(crate) clients: ClientRegistry,
    pub(crate) io: SocketIo,
    store: Option<Store>,
    next_listener: AtomicU64,
    /// Set by shutdown: socketioxide's broadcast operators panic once it is
    /// closed, so nothing reaches them after this.
    stopped: AtomicBool,
}

impl Engine {
    pub(crate) fn new(
        spec: &'static AppSpec,
        events: EventTable,
        io: SocketIo,
        store: Option<Arc<dyn HistoryStore>>,
    ) -> Self {
        let store = store.map(|store| Store {
            writer: spawn_store_writer(store.clone()),
            store,
        });
        Self {
            spec,
            events,
            rooms: RoomRegistry::new(spec),
            clients: ClientRegistry::default(),
            io,
            store,
            next_listener: AtomicU64::new(0),
            stopped: AtomicBool::new(false),
        }
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

    /// Joins `client` to `room_id`. A member joining again changes nothing; a
    /// refused join has no side effect.
    pub(crate) fn join(
        &self,
        client: &Arc<ClientState>,
        room_id: &str,
    ) -> Result<JoinOutcome, JoinError> {
        let room = self
            .rooms
            .get(room_id)
            .ok_or_else(|| JoinError::RoomNotFound(room_id.to_owned()))?;
        if client.is_member(room_id) {
            return Ok(JoinOutcome {
                room,
                already: true,
                history: Vec::new(),
            });
        }
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
        // A deletion that drained the members before we recorded the
        // membership cannot have removed it: undo it here.
        if room.is_deleted() {
            client.remove_membership(room_id);
            return Err(JoinError::RoomNotFound(room_id.to_owned()));
        }
        client.socket.join(keys);
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
        &self,
        client: &ClientState,
        room_id: &str,
        event: &str,
        data: &Value,
        meta: Option<&Map<String, Value>>,
    ) -> Result<Arc<Published>, TriggerError> {
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

    /// Validates, stamps, keeps and broadcasts one event; calls the room's
    /// listeners. The server's own triggers come here directly (it may push any
    /// event into any room).
    ///
    /// The envelope is serialized once, here; the broadcast, history and join
    /// sync all send those bytes.
    pub(crate) async fn publish(
        &self,
        room: &Arc<RoomState>,
        event: &str,
        data: &Value,
        from: &str,
        meta: Option<&Map<String, Value>>,
    ) -> Result<Arc<Published>, TriggerError> {
        let declared = self.events.get(event);
        // Rooms that take any event (`*`, and rooms created by clients) pass
        // data through; everywhere else a declared event is validated.
        if !matches!(room.events, RoomEvents::Any)
            && let Some(declared) = declared
        {
            declared
                .validate(data)
                .map_err(|issues| TriggerError::Validation {
                    event: event.to_owned(),
                    issues,
                })?;
        }
        let stamp = |seq| {
            Published::stamp(seq, &room.id, event, data, from, meta).map_err(|e| {
                TriggerError::Serialize {
                    event: event.to_owned(),
                    reason: e.to_string(),
                }
            })
        };
        let published = match declared.and_then(|d| d.history()) {
            Some(limit) => {
                let (published, _evicted) = room.stamp_and_keep(limit.get() as usize, stamp)?;
                if let Some(store) = &self.store {
                    let _ = store.writer.send((room.id.clone(), published.clone()));
                }
                published
            }
            None => Arc::new(stamp(room.next_seq())?),
        };
        if !self.is_stopped() {
            let targets = fanout::targets(&room.id, event);
            // Failures are sockets closing meanwhile; the others received it.
            if let Err(error) = self
                .io
                .to(targets)
                .emit(names::EVENT, published.json())
                .await
            {
                tracing::debug!(room = %room.id, event, %error, "broadcast missed closing sockets");
            }
        }
        self.call_listeners(room, &published);
        Ok(published)
    }

    fn call_listeners(&self, room: &RoomState, published: &Published) {
        let listeners = room.listeners_of(published.event());
        if listeners.is_empty() {
            return;
        }
        match published.message() {
            Ok(message) => {
                for listener in listeners {
                    tokio::spawn(listener(&message));
                }
            }
            Err(error) => {
                tracing::error!(room = %room.id, %error, "cannot read back a published event")
            }
        }
    }

    /// A page of `event`'s history in `room`, newest first: from memory, and
    /// past it from the history store when there is one.
    pub(crate) async fn history(
        &self,
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
        let (from_memory, in_memory, oldest_seq) = room.with_history(|h| {
            let in_memory = h.len(event);
            let page = h.page(event, start as usize, end.min(in_memory as u64) as usize);
            let oldest = h.page(event, in_memory.saturating_sub(1), in_memory);
            (page, in_memory as u64, oldest.first().map(|e| e.seq()))
        });
        let mut events = from_memory;
        if end > in_memory
            && let Some(Store { store, .. }) = &self.store
        {
            let older = store
                .page(&room.id, event, start.max(in_memory), end)
                .await
                .map_err(|e| HistoryError::Store(e.0))?;
            // A store written behind memory may still hold events memory has.
            events.extend(
                older
                    .into_iter()
                    .filter(|e| oldest_seq.is_none_or(|oldest| e.seq() < oldest)),
            );
        }
        Ok(HistoryPageOutcome { events, start, end })
    }

    /// Creates a room at run time and tells everyone.
    pub(crate) async fn create_room(
        &self,
        new: NewRoom,
    ) -> Result<Arc<RoomState>, CreateRoomError> {
        rules::check_room_id(&new.id).map_err(|source| CreateRoomError::InvalidId {
            id: new.id.clone(),
            source,
        })?;
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

    /// Deletes a room created at run time: its members are removed and
    /// everyone is told. `requester` is the user asking, `None` for the server.
    pub(crate) async fn delete_room(
        &self,
        room_id: &str,
        requester: Option<&str>,
    ) -> Result<(), DeleteRoomError> {
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
        for member in room.close() {
            if let Some(membership) = member.remove_membership(room_id) {
                for key in membership.keys() {
                    member.socket.leave(key);
                }
            }
        }
        self.broadcast_all(names::ROOM_DELETED, &RoomIdPayload { room_id })
            .await;
        Ok(())
    }

    /// Every room's info.
    pub(crate) fn room_infos(&self) -> Vec<RoomInfo> {
        self.rooms.all().iter().map(|room| room.info()).collect()
    }

    /// Forgets a client that disconnected: its rooms and its registration.
    pub(crate) fn disconnect(&self, client: &ClientState) {
        for membership in client.disconnect() {
            membership.room.release(&client.id);
        }
        self.clients.remove(client);
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
        if let Err(error) = self.io.emit(event, raw).await {
            tracing::debug!(event, %error, "broadcast missed closing sockets");
        }
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

/// Writes history to the store in acceptance order, off the broadcast path.
fn spawn_store_writer(
    store: Arc<dyn HistoryStore>,
) -> mpsc::UnboundedSender<(String, Arc<Published>)> {
    let (tx, mut rx) = mpsc::unbounded_channel::<(String, Arc<Published>)>();
    tokio::spawn(async move {
        while let Some((room, event)) = rx.recv().await {
            if let Err(error) = store.record(&room, event).await {
                tracing::error!(%room, %error, "the history store failed to record an event");
            }
        }
    });
    tx
}
