//! The rooms: declared ones (fixed at start-up, read without a lock),
//! instances of templates (per-user rooms and others such as `doc:{docId}`,
//! made from their declaration on first use, dropped from memory when nobody
//! uses them), and rooms created at run time (in the registry); creating and
//! deleting them.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use parking_lot::RwLock;

use crate::engine::hooks;
use crate::engine::{Engine, Followup};
use crate::envelope::now_millis;
use crate::error::{CreateRoomError, DeleteRoomError, RoomNotFound};
use crate::protocol::{RoomInfo, ServerEvent};
use crate::rules;
use crate::spec::{AppSpec, RoomSpec};
use crate::state::State;
use crate::state::fanout::GREETED;
use crate::state::registry::RegistryError;
use crate::state::room::{RoomKind, RoomOptions, RoomState};

/// A template as declared (`user:{userId}`, `doc:{docId}`): instances are
/// made from it on first use.
pub(crate) struct Template {
    pub(crate) spec: RoomSpec,
}

impl Template {
    fn pattern(&self) -> rules::RoomPattern<'_> {
        rules::RoomPattern::parse(&self.spec.id)
            .unwrap_or_else(|| unreachable!("templates are made from patterns"))
    }

    /// Whether its instances belong to one user each (`{userId}`).
    pub(crate) fn is_per_user(&self) -> bool {
        self.pattern().is_per_user()
    }

    /// The instance id for `value` of its parameter.
    pub(crate) fn id_for(&self, value: &str) -> String {
        self.pattern().instance(value)
    }

    /// The value of its parameter in an instance id.
    pub(crate) fn value_of<'a>(&self, id: &'a str) -> Option<&'a str> {
        self.pattern().value_of(id)
    }
}

/// The rooms the declaration makes: the same on every node.
pub(crate) struct Rooms {
    declared: HashMap<String, Arc<RoomState>>,
    /// Declared rooms in declaration order, for listing.
    declared_order: Vec<Arc<RoomState>>,
    templates: Vec<Template>,
    /// Template instances in this node's memory.
    instances: RwLock<HashMap<String, Instance>>,
    /// How long an unused instance stays in memory (see [`Engine::sweep`]).
    idle: Duration,
    /// When instances were last swept, in milliseconds since the epoch.
    swept_at: AtomicU64,
    next_order: AtomicU64,
}

/// A template instance in memory, and when it was last looked up.
///
/// Users come and go by the thousand (one inbox per user of a notifications
/// service), so an instance nobody holds is dropped after `idle`: its
/// history stays in the durable store when there is one (the instance
/// comes back from it, same epoch, next seq), and goes with it otherwise
/// (it comes back empty, in a new epoch).
struct Instance {
    room: Arc<RoomState>,
    used_at: AtomicU64,
}

impl Instance {
    fn touch(&self) -> Arc<RoomState> {
        self.used_at.store(now_millis(), Ordering::Relaxed);
        self.room.clone()
    }

    /// Nobody holds it (no member, no held session, no operation under way,
    /// no handle of the application: each holds an `Arc`), it has no
    /// listener, and it was not looked up since `before`.
    fn unused_since(&self, before: u64) -> bool {
        Arc::strong_count(&self.room) == 1
            && self.used_at.load(Ordering::Relaxed) < before
            && self.room.seats.count() == 0
            && !self.room.has_any_listener()
    }
}

/// Who creates a room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Creator<'a> {
    /// A client (its user): counts against the limits on created rooms.
    Client(&'a str),
    /// The server's own code: no limits.
    Server,
}

/// Who deletes a room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Deleter<'a> {
    /// A client (its user): only the current host of a room a client
    /// created may.
    Client(&'a str),
    /// The server's own code: any room created at run time.
    Server,
}

impl Rooms {
    /// The rooms of `spec`; unused per-user instances leave memory after
    /// `idle`.
    pub(crate) fn new(spec: &AppSpec, state: &State, idle: Duration) -> Self {
        let (templates, shared): (Vec<&RoomSpec>, Vec<&RoomSpec>) =
            spec.rooms.iter().partition(|room| room.pattern().is_some());
        let declared_order: Vec<Arc<RoomState>> = shared
            .into_iter()
            .enumerate()
            .map(|(order, room)| {
                let config = RoomOptions::declared(room, room.id.clone());
                Arc::new(state.room(config, RoomKind::Declared, order as u64))
            })
            .collect();
        let templates = templates
            .into_iter()
            .map(|room| Template { spec: room.clone() })
            .collect();
        Self {
            templates,
            declared: declared_order
                .iter()
                .map(|room| (room.id.clone(), room.clone()))
                .collect(),
            next_order: AtomicU64::new(declared_order.len() as u64),
            declared_order,
            instances: RwLock::new(HashMap::new()),
            idle,
            swept_at: AtomicU64::new(now_millis()),
        }
    }

    /// The template an id is an instance of, with its parameter's value.
    pub(crate) fn template_of<'a>(&self, id: &'a str) -> Option<(&Template, &'a str)> {
        self.templates
            .iter()
            .find_map(|template| template.value_of(id).map(|value| (template, value)))
    }

    /// The template declared with this pattern id.
    pub(crate) fn template(&self, pattern: &str) -> Option<&Template> {
        self.templates.iter().find(|t| t.spec.id == pattern)
    }

    /// How long an unused instance stays in memory.
    pub(crate) fn instance_idle(&self) -> Duration {
        self.idle
    }

    /// A creation-order number for a new room.
    pub(crate) fn next_order(&self) -> u64 {
        self.next_order.fetch_add(1, Ordering::Relaxed)
    }
}

impl Engine {
    /// The room with this id: declared, a per-user instance already made, or
    /// created at run time.
    pub(crate) fn room(&self, id: &str) -> Option<Arc<RoomState>> {
        if let Some(room) = self.rooms.declared.get(id) {
            return Some(room.clone());
        }
        if let Some(instance) = self.rooms.instances.read().get(id) {
            return Some(instance.touch());
        }
        self.state.registry.get(id)
    }

    /// Like [`room`](Self::room), making the template instance `id` names
    /// when it is not in memory: what the server pushes into a user's room
    /// (or a document's) reaches it whether or not the instance was in
    /// memory.
    pub(crate) fn room_or_instance(&self, id: &str) -> Option<Arc<RoomState>> {
        self.room(id).or_else(|| {
            let (template, owner) = self.rooms.template_of(id)?;
            Some(self.instance(template, owner))
        })
    }

    /// Whether `id` names a room: one in memory, or a template instance
    /// (made on first use).
    pub(crate) fn room_exists(&self, id: &str) -> bool {
        self.room(id).is_some() || self.rooms.template_of(id).is_some()
    }

    /// A declared room (never removed).
    pub(crate) fn declared_room(&self, id: &str) -> Option<Arc<RoomState>> {
        self.rooms.declared.get(id).cloned()
    }

    /// Like [`instance`](Self::instance), for a client: `None` when making
    /// it would pass `max_room_instances` (after a sweep of unused ones).
    pub(crate) fn instance_for_client(
        &self,
        template: &Template,
        value: &str,
    ) -> Option<Arc<RoomState>> {
        if let Some(max) = self.limits.max_room_instances {
            let id = template.id_for(value);
            let full = {
                let instances = self.rooms.instances.read();
                !instances.contains_key(&id) && instances.len() >= max
            };
            if full {
                let mut instances = self.rooms.instances.write();
                self.sweep(&mut instances);
                if !instances.contains_key(&id) && instances.len() >= max {
                    return None;
                }
            }
        }
        Some(self.instance(template, value))
    }

    /// The instance of `template` for `value` (a per-user room's: the
    /// user's), made on first use.
    pub(crate) fn instance(&self, template: &Template, value: &str) -> Arc<RoomState> {
        let id = template.id_for(value);
        if let Some(instance) = self.rooms.instances.read().get(&id) {
            return instance.touch();
        }
        let mut instances = self.rooms.instances.write();
        self.sweep(&mut instances);
        instances
            .entry(id.clone())
            .or_insert_with(|| {
                let config = RoomOptions::declared(&template.spec, id);
                let kind = RoomKind::Instance {
                    owner: template.is_per_user().then(|| value.to_owned()),
                };
                let room = Arc::new(self.state.room(config, kind, self.rooms.next_order()));
                Instance {
                    room,
                    used_at: AtomicU64::new(now_millis()),
                }
            })
            .touch()
    }

    /// Sweeps unused instances out of memory (the room keeper's turn).
    pub(crate) fn sweep_instances(&self) {
        self.sweep(&mut self.rooms.instances.write());
    }

    /// Drops the instances unused for `idle`, at most every `idle / 2`:
    /// run when an instance is made, so that memory follows the users of
    /// the last minutes, not every user ever seen, without a timer. Under
    /// the write lock nobody can take a new `Arc` of an instance, so one
    /// whose count is 1 cannot be in use, and two copies of a room never
    /// live at once.
    fn sweep(&self, instances: &mut HashMap<String, Instance>) {
        let now = now_millis();
        let idle = self.rooms.idle.as_millis() as u64;
        let last = self.rooms.swept_at.load(Ordering::Relaxed);
        if now.saturating_sub(last) < idle / 2 {
            return;
        }
        self.rooms.swept_at.store(now, Ordering::Relaxed);
        let before = now.saturating_sub(idle);
        let count = instances.len();
        instances.retain(|_, instance| {
            let unused = instance.unused_since(before);
            if unused {
                instance.room.stream.left_memory();
            }
            !unused
        });
        if instances.len() < count {
            tracing::debug!(
                dropped = count - instances.len(),
                kept = instances.len(),
                "unused per-user rooms left memory"
            );
        }
    }

    /// Every room: declared ones in declaration order, then the others in
    /// creation order.
    pub(crate) fn all_rooms(&self) -> Vec<Arc<RoomState>> {
        let mut others: Vec<Arc<RoomState>> = self.state.registry.all();
        others.extend(
            self.rooms
                .instances
                .read()
                .values()
                .map(|instance| instance.room.clone()),
        );
        others.sort_by_key(|room| room.order);
        self.rooms
            .declared_order
            .iter()
            .cloned()
            .chain(others)
            .collect()
    }

    /// What `listRooms` shows: every room but the instances of per-user
    /// rooms, which would list user ids to everyone. Sizes are counted
    /// anew where other nodes change them (all at once: one round trip on
    /// a pipelined connection).
    pub(crate) async fn room_infos(&self) -> Vec<RoomInfo> {
        self.state.registry.settled().await;
        let rooms: Vec<Arc<RoomState>> = self
            .all_rooms()
            .into_iter()
            .filter(|room| room.owner().is_none())
            .collect();
        futures_util::future::join_all(rooms.iter().map(|room| room.seats.refresh())).await;
        rooms.iter().map(|room| room.info()).collect()
    }

    /// Creates a room at run time and tells everyone; the follow-up runs
    /// `on_room_created`.
    pub(crate) async fn create_room(
        self: &Arc<Self>,
        options: RoomOptions,
        creator: Creator<'_>,
    ) -> Result<(Arc<RoomState>, Followup), CreateRoomError> {
        rules::check_room_id(&options.id).map_err(|source| CreateRoomError::InvalidId {
            id: options.id.clone(),
            source,
        })?;
        if let Creator::Client(user) = creator {
            self.check_room_quotas(user)?;
        }
        let name = options.name.trim();
        if name.is_empty() || name.len() > rules::MAX_NAME_LEN {
            return Err(CreateRoomError::InvalidName);
        }
        let options = RoomOptions {
            name: name.to_owned(),
            ..options
        };
        let id = options.id.clone();
        if self.rooms.declared.contains_key(&id) {
            return Err(CreateRoomError::Exists(id));
        }
        if self.rooms.template_of(&id).is_some() {
            return Err(CreateRoomError::Reserved(id));
        }
        // Before the room is built: building it reads (and records) the
        // stored position, which a room still being deleted under this id
        // is about to remove (the registry answers again at insertion).
        if self.state.registry.get(&id).is_some() {
            return Err(CreateRoomError::Exists(id));
        }
        let order = self.rooms.next_order();
        let room = Arc::new(self.state.room(options, RoomKind::Created, order));
        match self.state.registry.insert(room.clone()).await {
            Ok(()) => {}
            Err(RegistryError::Exists) => return Err(CreateRoomError::Exists(id)),
            Err(RegistryError::Unavailable(cause)) => {
                return Err(CreateRoomError::Unavailable(cause));
            }
        }
        self.broadcast_all(ServerEvent::RoomCreated, &room.info());
        let engine = self.clone();
        let created = room.clone();
        let then = Followup::of(async move {
            hooks::observe(
                &engine,
                "on_room_created",
                &engine.hooks.on_room_created,
                || (created,),
            )
            .await;
        });
        Ok((room, then))
    }

    /// Whether `creator` may create one more room. Checked before the
    /// insertion, not with it: creations racing each other (one user's on
    /// two connections, or on two nodes, whose views lag) may each pass
    /// and go past a quota by as many rooms as raced.
    fn check_room_quotas(&self, creator: &str) -> Result<(), CreateRoomError> {
        let limits = &self.limits;
        if limits.dynamic_rooms.is_none() && limits.dynamic_rooms_per_user.is_none() {
            return Ok(());
        }
        let counts = self.state.registry.counts(creator);
        if let Some(max) = limits.dynamic_rooms
            && counts.rooms >= max
        {
            return Err(CreateRoomError::TooManyRooms(max));
        }
        if let Some(max) = limits.dynamic_rooms_per_user
            && counts.by_creator >= max
        {
            return Err(CreateRoomError::TooManyRoomsForUser(max));
        }
        Ok(())
    }

    /// Deletes a room created at run time: its members are removed and
    /// everyone is told. The follow-up runs `on_left` for each removed
    /// member, then `on_room_deleted`.
    pub(crate) async fn delete_room(
        self: &Arc<Self>,
        room_id: &str,
        deleter: Deleter<'_>,
    ) -> Result<Followup, DeleteRoomError> {
        let room = self
            .room(room_id)
            .ok_or_else(|| RoomNotFound(room_id.to_owned()))?;
        if room.is_declared() {
            return Err(DeleteRoomError::Declared(room_id.to_owned()));
        }
        // A client deletes only a room a client created, and only as its
        // current host (at first its creator).
        if let Deleter::Client(user) = deleter
            && (room.config.created_by.is_none() || room.roster.host().as_deref() != Some(user))
        {
            return Err(DeleteRoomError::NotCreator(room_id.to_owned()));
        }
        // What the backend keeps of the room goes before its id is free
        // again: a room created with it starts a new epoch.
        room.stream.forget().await;
        room.roster.forget().await;
        match self.state.registry.remove(room_id).await {
            Ok(Some(_)) => {}
            // Deleted by a racing call.
            Ok(None) | Err(RegistryError::Exists) => {
                return Err(RoomNotFound(room_id.to_owned()).into());
            }
            Err(RegistryError::Unavailable(cause)) => {
                return Err(DeleteRoomError::Unavailable(cause));
            }
        }
        let removed = self.tear_down(&room, true).await;
        let engine = self.clone();
        let room_id = room_id.to_owned();
        Ok(Followup::of(async move {
            for member in removed {
                engine.left(&member, &room_id).await;
            }
            hooks::observe(
                &engine,
                "on_room_deleted",
                &engine.hooks.on_room_deleted,
                || (room_id,),
            )
            .await;
        }))
    }

    /// Sends `payload` as `event` to every greeted client of this node.
    pub(crate) fn broadcast_all<T: serde::Serialize + ?Sized>(
        &self,
        event: ServerEvent,
        payload: &T,
    ) {
        if self.is_stopped() {
            return;
        }
        // Written once, then sent as is.
        let raw = match serde_json::value::to_raw_value(payload) {
            Ok(raw) => raw,
            Err(error) => {
                tracing::error!(event = event.wire_name(), %error, "cannot serialize a broadcast");
                return;
            }
        };
        self.state
            .fanout
            .send(vec![GREETED.to_owned()], event.wire_name(), &raw);
    }
}
