//! Rooms created and deleted on other nodes (a shared registry, Redis):
//! this node makes or tears down its own copy and tells its own clients
//! (`roomCreated`, `roomDeleted`), so every client hears of each change
//! once. `on_room_created` and `on_room_deleted` run on the node that made
//! the change; `on_left` runs where each removed member was.

use std::sync::Arc;

use futures_util::future::BoxFuture;

use crate::engine::Engine;
use crate::protocol::{Member, PresenceDiff, RoomIdPayload, ServerEvent};
use crate::state::client::ClientState;
use crate::state::people::{Departure, RosterChange};
use crate::state::registry::RegistryWatcher;
use crate::state::room::{RoomKind, RoomOptions, RoomState};

#[cfg_attr(not(feature = "redis"), allow(dead_code))]
impl Engine {
    /// Ends a deleted room on this node: no seat can be taken, nothing more
    /// is delivered, this node's members are removed. `here` when this node
    /// deleted it (it closes the room for all, and tells its clients after),
    /// else another node did (and this node's clients were told the moment
    /// it dropped the room from its view, before anything could announce a
    /// room made again with the id). Returns the members removed (for
    /// `on_left`).
    pub(crate) async fn tear_down(
        self: &Arc<Self>,
        room: &Arc<RoomState>,
        here: bool,
    ) -> Vec<Arc<ClientState>> {
        let mut removed = Vec::new();
        let members = if here {
            room.seats.close().await
        } else {
            room.seats.closed_elsewhere().await
        };
        // What is still queued for the room goes nowhere (a room created
        // again with its id has its own delivery).
        room.stream.delivery().close();
        for member_id in members {
            let Some(member) = self.state.directory.get(&member_id) else {
                continue;
            };
            if let Some(membership) = member.remove_membership(&room.id) {
                member.conn.leave(membership.keys());
                tokio::spawn(self.state.sessions.save(&member));
                removed.push(member);
            }
        }
        if here {
            self.announce_deleted(&room.id);
        }
        removed
    }

    /// Tells this node's clients that room `id` is deleted.
    fn announce_deleted(&self, id: &str) {
        self.broadcast_all(ServerEvent::RoomDeleted, &RoomIdPayload::new(id));
    }

    /// Drops room `id`, deleted by another node, from this node's view and
    /// tells this node's clients at once; the room, to tear down.
    fn drop_from_view(&self, id: &str) -> Option<Arc<RoomState>> {
        let room = self.state.registry.drop_view(id)?;
        self.announce_deleted(id);
        Some(room)
    }

    /// Makes this node's copy of a room another node created, and tells
    /// this node's clients; `false` when it had one already.
    fn adopt_room(&self, options: RoomOptions) -> bool {
        if self.room(&options.id).is_some() {
            return false;
        }
        let order = self.rooms.next_order();
        let room = Arc::new(self.state.room(options, RoomKind::Created, order));
        if !self.state.registry.adopt(room.clone()) {
            return false;
        }
        self.broadcast_all(ServerEvent::RoomCreated, &room.info());
        true
    }

    /// Tells this node's members of a roster change another node made
    /// (applied to the view already).
    async fn heard_roster(self: &Arc<Self>, room_id: &str, change: RosterChange) {
        let Some(room) = self.room(room_id) else {
            return;
        };
        let member = |user_id: String, info: Option<serde_json::Value>| Member { user_id, info };
        match change {
            RosterChange::Arrived { u, i, .. } => {
                if room.config.presence {
                    self.announce_arrival(&room, member(u, i));
                }
            }
            RosterChange::Left { u, i, h } => self.announce_departure(
                &room,
                Departure {
                    left: Some(member(u, i)),
                    new_host: h,
                },
            ),
            RosterChange::Updated { u, i } => self.tell_members(
                &room,
                ServerEvent::PresenceDiff,
                &PresenceDiff::updated(room_id, member(u, Some(i))),
            ),
            RosterChange::Host { u: Some(host) } => self.announce_host(&room, &host),
            RosterChange::Host { u: None } | RosterChange::Banned { .. } => {}
            RosterChange::Kicked { u, i, c, r, h } => {
                let removed = self.remove_kicked(room_id, &c, r.as_deref());
                self.announce_departure(
                    &room,
                    Departure {
                        left: Some(member(u, i)),
                        new_host: h,
                    },
                );
                for client in removed {
                    self.left(&client, room_id).await;
                }
            }
        }
    }

    /// Tears down `room`, deleted by another node and dropped from the
    /// view already; `on_left` for each member removed.
    async fn drop_room(self: &Arc<Self>, room: Arc<RoomState>) {
        for member in self.tear_down(&room, false).await {
            self.left(&member, &room.id).await;
        }
    }
}

impl RegistryWatcher for std::sync::Weak<Engine> {
    fn created(&self, options: RoomOptions) {
        if let Some(engine) = self.upgrade() {
            engine.adopt_room(options);
        }
    }

    /// Drops the room from the view at once (a room made again with its
    /// id right after is adopted), and tears it down when awaited.
    fn deleted(&self, id: String) -> BoxFuture<'static, ()> {
        let engine = self.upgrade();
        let room = engine
            .as_ref()
            .and_then(|engine| engine.drop_from_view(&id));
        Box::pin(async move {
            if let (Some(engine), Some(room)) = (engine, room) {
                engine.drop_room(room).await;
            }
        })
    }

    fn resync(&self, rooms: Vec<RoomOptions>) -> BoxFuture<'static, ()> {
        let engine = self.upgrade();
        Box::pin(async move {
            let Some(engine) = engine else { return };
            let ids: std::collections::HashSet<String> =
                rooms.iter().map(|options| options.id.clone()).collect();
            for options in rooms {
                engine.adopt_room(options);
            }
            let gone: Vec<String> = engine
                .state
                .registry
                .all()
                .into_iter()
                .map(|room| room.id.clone())
                .filter(|id| !ids.contains(id))
                .collect();
            for id in gone {
                if let Some(room) = engine.drop_from_view(&id) {
                    engine.drop_room(room).await;
                }
            }
        })
    }

    fn roster_changed(&self, room: String, change: RosterChange) -> BoxFuture<'static, ()> {
        let engine = self.upgrade();
        Box::pin(async move {
            if let Some(engine) = engine {
                engine.heard_roster(&room, change).await;
            }
        })
    }

    fn seat_freed(&self, room: String, user: String, connection: String) -> BoxFuture<'static, ()> {
        let engine = self.upgrade();
        Box::pin(async move {
            if let Some(engine) = engine
                && let Some(room) = engine.room_or_instance(&room)
            {
                engine.depart(&room, &user, &connection).await;
            }
        })
    }

    fn user_closed(&self, user: String) -> BoxFuture<'static, ()> {
        let engine = self.upgrade();
        Box::pin(async move {
            if let Some(engine) = engine {
                engine.close_user_here(&user).await;
            }
        })
    }
}
