//! Joining, leaving and subscriptions.

use std::sync::Arc;

use crate::engine::hooks::{self, HookFailure};
use crate::engine::{Engine, Followup};
use crate::envelope::StampedEvent;
use crate::error::{
    InvalidEventName, JoinError, LeaveError, NotInRoom, NotJoined, RoomNotFound, SubscribeError,
};
use crate::rules::WILDCARD;
use crate::spec::HistorySync;
use crate::state::client::{Change, ClientState, RoomMembership};
use crate::state::room::RoomState;
use crate::state::seats::SeatError;

/// What a successful join gives.
pub(crate) struct JoinOutcome {
    pub(crate) room: Arc<RoomState>,
    /// The client was a member already: nothing changed.
    pub(crate) already: bool,
    /// History to send, newest first (empty when the room does not sync).
    pub(crate) history: Vec<Arc<StampedEvent>>,
    /// `on_joined` (nothing for a join again).
    pub(crate) then: Followup,
}

impl JoinOutcome {
    /// Whether the answer carries a history sync: a first join of a room
    /// that syncs.
    pub(crate) fn syncs_history(&self) -> bool {
        !self.already && !self.room.config.sync_history_on_join.is_off()
    }
}

/// What a leave did.
pub(crate) struct LeaveOutcome {
    /// The client was a member (else nothing changed).
    pub(crate) was_member: bool,
    /// `on_left`, when it was.
    pub(crate) then: Followup,
}

impl Engine {
    /// The room a client asks for: declared, created at run time, or the
    /// client's own instance of a per-user room (made on first use).
    /// Another user's per-user room is refused.
    fn room_to_join(
        &self,
        client: &ClientState,
        room_id: &str,
    ) -> Result<Arc<RoomState>, JoinError> {
        if let Some(room) = self.room(room_id) {
            if room.owner().is_some_and(|owner| owner != client.user_id) {
                return Err(not_yours(room_id));
            }
            return Ok(room);
        }
        match self.rooms.template_of(room_id) {
            Some((template, owner)) if owner == client.user_id => {
                Ok(self.instance(template, owner))
            }
            Some(_) => Err(not_yours(room_id)),
            None => Err(RoomNotFound(room_id.to_owned()).into()),
        }
    }

    /// Joins `client` to `room_id`, checking in order: the room, capacity,
    /// ownership of per-user rooms, required claims, `before_join`; then
    /// takes a seat atomically. A member joining again changes nothing; a
    /// refused join has no side effect.
    pub(crate) async fn join(
        self: &Arc<Self>,
        client: &Arc<ClientState>,
        room_id: &str,
    ) -> Result<JoinOutcome, JoinError> {
        let room = self.room_to_join(client, room_id)?;
        if client.is_member(room_id) {
            return Ok(again(room));
        }
        if let Some(max) = self.limits.rooms_per_connection
            && client.room_count() >= max
        {
            return Err(JoinError::TooManyRooms(max));
        }
        // Not binding (taking the seat is), but spares the hooks a full room.
        if let Some(max_size) = room.config.max_size.filter(|_| room.is_full()) {
            return Err(JoinError::RoomFull {
                room: room_id.to_owned(),
                max_size,
            });
        }
        if let Some((claim, wanted)) =
            crate::spec::missing_claim(&room.config.required_claims, client.auth.as_ref())
        {
            return Err(JoinError::Denied {
                room: room_id.to_owned(),
                reason: format!("room `{room_id}` requires the claim `{claim}` = {wanted}"),
            });
        }
        let allowed = hooks::decide(self, "before_join", &self.hooks.before_join, || {
            (client.clone(), room.clone())
        })
        .await;
        match allowed {
            Ok(()) => {}
            Err(HookFailure::Refused(reason)) => {
                return Err(JoinError::Denied {
                    room: room_id.to_owned(),
                    reason,
                });
            }
            Err(HookFailure::Failed) => return Err(JoinError::HookFailed("before_join")),
        }
        self.admit(client, room).await
    }

    /// Takes a seat in the room and subscribes the client.
    async fn admit(
        self: &Arc<Self>,
        client: &Arc<ClientState>,
        room: Arc<RoomState>,
    ) -> Result<JoinOutcome, JoinError> {
        let room_id = room.id.as_str();
        match room.seats.take(&client.id, room.config.max_size).await {
            Ok(()) => {}
            Err(SeatError::Full(max_size)) => {
                return Err(JoinError::RoomFull {
                    room: room_id.to_owned(),
                    max_size,
                });
            }
            Err(SeatError::Closed) => return Err(RoomNotFound(room_id.to_owned()).into()),
        }
        let Some(keys) = client.add_membership(RoomMembership::new(room.clone())) else {
            // Gone meanwhile, or joined by a racing call that already counts.
            if !client.is_member(room_id) {
                room.seats.release(&client.id).await;
                return Err(JoinError::Disconnected);
            }
            return Ok(again(room));
        };
        client.conn.join(keys.clone());
        // A deletion that drained the seats before we recorded the
        // membership, or left the room's keys before our socket joined them,
        // cannot have undone either: undo both here. (The deletion closes
        // the seats before draining, so one of us always sees the other.)
        if room.seats.is_closed() {
            client.remove_membership(room_id);
            client.conn.leave(keys);
            return Err(RoomNotFound(room_id.to_owned()).into());
        }
        let history = match room.config.sync_history_on_join {
            HistorySync::Off => Vec::new(),
            HistorySync::All => room.stream.latest(None).await,
            HistorySync::Latest(n) => room.stream.latest(Some(n.get() as usize)).await,
        };
        let engine = self.clone();
        let joined = client.clone();
        let joined_room = room.id.clone();
        let then = Followup::of(async move {
            hooks::observe(&engine, "on_joined", &engine.hooks.on_joined, || {
                (joined, joined_room)
            })
            .await;
        });
        Ok(JoinOutcome {
            room,
            already: false,
            history,
            then,
        })
    }

    /// Removes `client` from `room_id`.
    pub(crate) async fn leave(
        self: &Arc<Self>,
        client: &Arc<ClientState>,
        room_id: &str,
    ) -> Result<LeaveOutcome, LeaveError> {
        let Some(membership) = client.remove_membership(room_id) else {
            return match self.room(room_id) {
                Some(_) => Ok(LeaveOutcome {
                    was_member: false,
                    then: Followup::none(),
                }),
                None => Err(RoomNotFound(room_id.to_owned()).into()),
            };
        };
        membership.room.seats.release(&client.id).await;
        client.conn.leave(membership.keys());
        let engine = self.clone();
        let left = client.clone();
        let room_id = room_id.to_owned();
        Ok(LeaveOutcome {
            was_member: true,
            then: Followup::of(async move { engine.left(&left, &room_id).await }),
        })
    }

    /// Runs `on_left` for a client that left `room_id`.
    pub(crate) async fn left(self: &Arc<Self>, client: &Arc<ClientState>, room_id: &str) {
        hooks::observe(self, "on_left", &self.hooks.on_left, || {
            (client.clone(), room_id.to_owned())
        })
        .await;
    }

    /// Subscribes to or unsubscribes from `event` (`*` for all) in a joined
    /// room.
    pub(crate) fn change_subscription(
        &self,
        client: &ClientState,
        room_id: &str,
        event: &str,
        change: Change,
    ) -> Result<(), SubscribeError> {
        if event != WILDCARD {
            InvalidEventName::check(event)?;
        }
        let key = client
            .change_subscription(room_id, event, change)
            .ok_or_else(|| self.not_joined(room_id))?;
        match change {
            Change::Subscribe => client.conn.join(vec![key]),
            Change::Unsubscribe => client.conn.leave(vec![key]),
        }
        Ok(())
    }

    /// Why `room_id` is not one of the client's rooms.
    pub(crate) fn not_joined(&self, room_id: &str) -> NotJoined {
        match self.room(room_id) {
            Some(_) => NotInRoom(room_id.to_owned()).into(),
            None => RoomNotFound(room_id.to_owned()).into(),
        }
    }

    /// The client's membership of `room_id`, or why it has none.
    pub(crate) fn joined_room(
        &self,
        client: &ClientState,
        room_id: &str,
    ) -> Result<Arc<RoomState>, NotJoined> {
        client.room(room_id).ok_or_else(|| self.not_joined(room_id))
    }
}

fn again(room: Arc<RoomState>) -> JoinOutcome {
    JoinOutcome {
        room,
        already: true,
        history: Vec::new(),
        then: Followup::none(),
    }
}

fn not_yours(room_id: &str) -> JoinError {
    JoinError::Denied {
        room: room_id.to_owned(),
        reason: format!("room `{room_id}` belongs to another user"),
    }
}
