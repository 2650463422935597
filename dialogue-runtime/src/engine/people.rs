//! The people in a room: presence (arrivals, departures, `info`), the host
//! (succession, transfer) and kicks with bans.
//!
//! Arrivals and departures follow the seats: a connection's seat taken is
//! its arrival in the roster, a seat given back its departure; a user
//! arrives with its first connection and departs with its last. What
//! members are told (`presenceDiff`, `hostChanged`) is sent to each member
//! connection of this node: rare events, so a walk over the room's members
//! rather than a fan-out key every member would have to hold.

use std::sync::Arc;

use serde_json::Value;

use crate::engine::Engine;
use crate::engine::validation::EventRuntime;
use crate::error::{HostError, PresenceError, RoomNotFound};
use crate::protocol::{HostChanged, Kicked, Member, PresenceDiff, PresencePage, ServerEvent};
use crate::state::client::ClientState;
use crate::state::people::Departure;
use crate::state::room::RoomState;

/// What the application supplies for presence: the `info` each arriving
/// member starts with, as JSON.
pub(crate) type InfoFn =
    dyn Fn(&Arc<Engine>, &Arc<ClientState>, &Arc<RoomState>) -> Option<Value> + Send + Sync;

/// The application's presence: its info type's schema, and the hook that
/// gives an arriving member its info.
#[derive(Default)]
pub(crate) struct Presence {
    pub(crate) schema: Option<EventRuntime>,
    pub(crate) info: Option<Arc<InfoFn>>,
}

/// Who asks a host's request: a client (it must be the host), or the
/// server's own code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Actor<'a> {
    Client(&'a str),
    Server,
}

impl Engine {
    /// `client`'s connection took its seat in `room`: the user arrives
    /// when it is its first connection there. Returns the member to
    /// announce (in a room with presence), once the join is answered.
    pub(crate) async fn arrive(
        self: &Arc<Self>,
        client: &Arc<ClientState>,
        room: &Arc<RoomState>,
    ) -> Option<Member> {
        let info = match (&self.presence.info, room.config.presence) {
            (Some(info), true) => self.initial_info(info, client, room),
            _ => None,
        };
        let member = room.roster.arrive(&client.user_id, &client.id, info).await;
        member.filter(|_| room.config.presence)
    }

    /// The info the application gives an arriving member: its hook, run
    /// with a panic caught (a failing hook gives no info, and is logged).
    fn initial_info(
        self: &Arc<Self>,
        info: &Arc<InfoFn>,
        client: &Arc<ClientState>,
        room: &Arc<RoomState>,
    ) -> Option<Value> {
        let call =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| info(self, client, room)));
        match call {
            Ok(Some(value)) => match &self.presence.schema {
                Some(schema) if schema.validate(&value).is_err() => {
                    tracing::error!(room = %room.id, user = %client.user_id, "the presence info hook gave info its schema refuses; the member shows none");
                    None
                }
                _ => Some(value),
            },
            Ok(None) => None,
            Err(panic) => {
                tracing::error!(room = %room.id, reason = %crate::engine::hooks::panic_message(&*panic), "the presence info hook panicked");
                None
            }
        }
    }

    /// Tells the room a user arrived.
    pub(crate) fn announce_arrival(&self, room: &RoomState, member: Member) {
        self.tell_members(
            room,
            ServerEvent::PresenceDiff,
            &PresenceDiff::joined(&room.id, member),
        );
    }

    /// `connection` of `user` gave its seat back: the user departs when it
    /// was its last, and the host passes on when it was the host.
    pub(crate) async fn depart(&self, room: &RoomState, user: &str, connection: &str) {
        let departure = room.roster.depart(user, connection).await;
        self.announce_departure(room, departure);
    }

    pub(crate) fn announce_departure(&self, room: &RoomState, departure: Departure) {
        if let Some(member) = departure.left
            && room.config.presence
        {
            self.tell_members(
                room,
                ServerEvent::PresenceDiff,
                &PresenceDiff::left(&room.id, member),
            );
        }
        if let Some(host) = departure.new_host {
            self.announce_host(room, &host);
        }
    }

    pub(crate) fn announce_host(&self, room: &RoomState, host: &str) {
        self.tell_members(
            room,
            ServerEvent::HostChanged,
            &HostChanged {
                room_id: room.id.as_str().into(),
                host_id: host.into(),
            },
        );
    }

    /// Sends `payload` as `event` to every member connection of `room` on
    /// this node (whatever it subscribes to), written once.
    pub(crate) fn tell_members<T: serde::Serialize + ?Sized>(
        &self,
        room: &RoomState,
        event: ServerEvent,
        payload: &T,
    ) {
        if self.is_stopped() {
            return;
        }
        let raw = match serde_json::value::to_raw_value(payload) {
            Ok(raw) => raw,
            Err(error) => {
                tracing::error!(event = event.wire_name(), %error, "cannot serialize a room notice");
                return;
            }
        };
        for connection in room.seats.members() {
            if let Some(member) = self.state.directory.get(&connection)
                && member.is_member(&room.id)
            {
                // A member whose buffer is full is dropped as slow and
                // recovers by resuming; nothing more to do here.
                let _ = member.conn.emit_raw(event.wire_name(), &raw);
            }
        }
    }

    /// A joined room with presence, for a presence request of `client`.
    fn presence_room(
        &self,
        client: &ClientState,
        room_id: &str,
    ) -> Result<Arc<RoomState>, PresenceError> {
        let room = self
            .joined_room(client, room_id)
            .map_err(PresenceError::from)?;
        if !room.config.presence {
            return Err(PresenceError::NoPresence(room_id.to_owned()));
        }
        Ok(room)
    }

    /// `dialogue:getPresence`: who is present, for a member.
    pub(crate) fn get_presence(
        &self,
        client: &ClientState,
        room_id: &str,
    ) -> Result<PresencePage<'static>, PresenceError> {
        let room = self.presence_room(client, room_id)?;
        Ok(presence_page(&room))
    }

    /// `dialogue:setPresence`: replaces the caller's info, announced as
    /// `updated` when it changed.
    pub(crate) async fn set_presence(
        &self,
        client: &ClientState,
        room_id: &str,
        info: Option<Value>,
    ) -> Result<(), PresenceError> {
        let room = self.presence_room(client, room_id)?;
        let Some(info @ Value::Object(_)) = info else {
            return Err(PresenceError::NotAnObject);
        };
        if let Some(schema) = &self.presence.schema {
            schema
                .validate(&info)
                .map_err(|issues| PresenceError::Validation { issues })?;
        }
        if let Some(member) = room.roster.set_info(&client.user_id, info).await {
            self.tell_members(
                &room,
                ServerEvent::PresenceDiff,
                &PresenceDiff::updated(&room.id, member),
            );
        }
        Ok(())
    }

    /// Checks that `actor` may act as the host of `room_id`.
    fn hosted_room(&self, actor: Actor<'_>, room_id: &str) -> Result<Arc<RoomState>, HostError> {
        // The server may act on a template instance this node does not hold
        // in memory (its members may be on another node): it is made, its
        // roster read, as for a push into it.
        let room = match actor {
            Actor::Server => self.room_or_instance(room_id),
            Actor::Client(_) => self.room(room_id),
        }
        .ok_or_else(|| RoomNotFound(room_id.to_owned()))?;
        if let Actor::Client(user) = actor
            && room.roster.host().as_deref() != Some(user)
        {
            return Err(HostError::NotHost(room_id.to_owned()));
        }
        Ok(room)
    }

    /// `dialogue:kick`: every connection of `user` leaves the room and is
    /// told `dialogue:kicked`; with `ban` the user cannot join again while
    /// the room exists (a user not present is banned in advance).
    pub(crate) async fn kick(
        self: &Arc<Self>,
        actor: Actor<'_>,
        room_id: &str,
        user: &str,
        reason: Option<&str>,
        ban: bool,
    ) -> Result<(), HostError> {
        let room = self.hosted_room(actor, room_id)?;
        room.roster.loaded().await;
        if ban {
            room.roster.ban(user).await;
        }
        if !room.roster.is_present(user) {
            return if ban {
                Ok(())
            } else {
                Err(HostError::NotPresent {
                    room: room_id.to_owned(),
                    user: user.to_owned(),
                })
            };
        }
        let removal = room.roster.remove(user, reason).await;
        for connection in &removal.connections {
            room.seats.release(connection).await;
        }
        tracing::info!(room = %room_id, user, ban, connections = removal.connections.len(), "kicked");
        let removed = self.remove_kicked(room_id, &removal.connections, reason);
        self.announce_departure(
            &room,
            Departure {
                left: removal.left,
                new_host: removal.new_host,
            },
        );
        for member in removed {
            self.left(&member, room_id).await;
        }
        Ok(())
    }

    /// Removes this node's `connections` of a kicked user from `room_id`
    /// (their seats given back already) and tells each `dialogue:kicked`;
    /// the clients removed, for `on_left`. Other nodes do the same for
    /// theirs when they hear of the kick.
    pub(crate) fn remove_kicked(
        &self,
        room_id: &str,
        connections: &[String],
        reason: Option<&str>,
    ) -> Vec<Arc<ClientState>> {
        let notice = Kicked {
            room_id: room_id.into(),
            reason: reason.map(Into::into),
        };
        let mut removed = Vec::new();
        for connection in connections {
            // A held session's connection is not in the directory: its
            // membership goes now, and its resume is told (`kicked` in the
            // greeting), so that the client does not join again.
            let Some(member) = self.state.directory.get(connection) else {
                if let Some(held) = self.state.sessions.held_client(connection)
                    && held.remove_membership(room_id).is_some()
                {
                    held.note_kicked(room_id, reason);
                    tokio::spawn(self.state.sessions.save(&held));
                    removed.push(held);
                }
                continue;
            };
            if let Some(membership) = member.remove_membership(room_id) {
                member.conn.leave(membership.keys());
                let _ = member.conn.emit(ServerEvent::Kicked.wire_name(), &notice);
                tokio::spawn(self.state.sessions.save(&member));
                removed.push(member);
            }
        }
        removed
    }

    /// `dialogue:transferHost`: `user`, who must be present, becomes the
    /// host; everyone in the room is told.
    pub(crate) async fn transfer_host(
        &self,
        actor: Actor<'_>,
        room_id: &str,
        user: &str,
    ) -> Result<(), HostError> {
        let room = self.hosted_room(actor, room_id)?;
        if !room.roster.is_present(user) {
            return Err(HostError::NotPresent {
                room: room_id.to_owned(),
                user: user.to_owned(),
            });
        }
        room.roster.set_host(Some(user)).await;
        self.announce_host(&room, user);
        Ok(())
    }

    /// Makes `user` the host of `room` (the server's own call), telling the
    /// room when there is a new one.
    pub(crate) async fn name_host(&self, room: &RoomState, user: Option<&str>) {
        let before = room.roster.host();
        room.roster.set_host(user).await;
        if let Some(user) = user
            && before.as_deref() != Some(user)
        {
            self.announce_host(room, user);
        }
    }
}

/// Who is present in `room`, as `getPresence` answers.
pub(crate) fn presence_page(room: &RoomState) -> PresencePage<'static> {
    let members = room.roster.members();
    PresencePage {
        room_id: room.id.clone().into(),
        count: members.len(),
        members,
    }
}
