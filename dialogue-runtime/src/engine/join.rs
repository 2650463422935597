//! Joining and leaving.

use std::sync::Arc;

use crate::engine::hooks::{self, HookFailure};
use crate::engine::subscriptions::check_subscriptions;
use crate::engine::{Engine, Followup};
use crate::envelope::StampedEvent;
use crate::error::{JoinError, LeaveError, NotInRoom, NotJoined, RoomNotFound};
use crate::protocol::{JoinRequest, Member, Position};
use crate::spec::{HistorySync, Subscriptions};
use crate::state::client::{ClientState, RoomMembership};
use crate::state::delivery::Delivery;
use crate::state::room::RoomState;
use crate::state::seats::SeatError;

/// What a join asks for besides the room.
#[derive(Debug, Clone, Default)]
pub(crate) struct JoinOptions {
    /// The client's last position: replay what it missed.
    pub(crate) since: Option<Position>,
    /// Subscriptions replacing the room's defaults for this member.
    pub(crate) subscriptions: Option<Subscriptions>,
    /// The join as the client sent it, for `before_join` (the room's
    /// secret is checked from it).
    pub(crate) request: Option<JoinRequest>,
}

/// What a join answers with.
#[derive(Clone)]
pub(crate) struct JoinAnswer {
    pub(crate) room: Arc<RoomState>,
    /// The room's position when the member was added.
    pub(crate) position: Position,
    /// With `since`: whether everything after it was replayed.
    pub(crate) recovered: Option<bool>,
    /// With `since` and recovered: the events missed that the member
    /// subscribes to, oldest first.
    pub(crate) missed: Vec<Arc<StampedEvent>>,
    /// Without `since`, on a first join of a room that syncs: its latest
    /// events, newest first.
    pub(crate) history: Option<Vec<Arc<StampedEvent>>>,
    /// The member's user arrived with this join (its first connection in
    /// the room): announced after the answer, in a room with presence.
    pub(crate) arrived: Option<Member>,
}

/// Gives the outcome of a join to whoever answers the client, inside the
/// room's delivery order (so that its answer is queued on the client's
/// socket before the room's next event).
pub(crate) type AnswerJoin = Box<dyn FnOnce(&Result<JoinAnswer, JoinError>) + Send>;

/// A join that passed every check and holds its seat: [`complete`] adds the
/// member at a point of the room's delivery order and answers.
///
/// [`complete`]: JoinTicket::complete
#[must_use = "complete it: the seat is held until then"]
pub(crate) struct JoinTicket {
    engine: Arc<Engine>,
    client: Arc<ClientState>,
    room: Arc<RoomState>,
    /// The client was a member already.
    already: bool,
    options: JoinOptions,
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
    pub(crate) fn room_to_join(
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
            Some((template, owner)) if template.is_per_user() && owner != client.user_id => {
                Err(not_yours(room_id))
            }
            Some((template, value)) => {
                self.instance_for_client(template, value)
                    .ok_or_else(|| JoinError::Denied {
                        room: room_id.to_owned(),
                        reason: "too many rooms are open on this server; try again later"
                            .to_owned(),
                    })
            }
            None => Err(RoomNotFound(room_id.to_owned()).into()),
        }
    }

    /// Checks a join of `client` to `room_id`, in order: the room (and
    /// ownership of per-user rooms), the subscriptions asked for, the
    /// connection's room limit, a ban, the room's secret, capacity,
    /// required claims, `before_join`; then takes a seat atomically. A
    /// member joining again passes at once. A refused join has no side
    /// effect (an instance of a template it made stays until swept; but a
    /// connection at its room limit makes none: a client cannot fill the
    /// server with instances it may not join).
    pub(crate) async fn join(
        self: &Arc<Self>,
        client: &Arc<ClientState>,
        room_id: &str,
        options: JoinOptions,
    ) -> Result<JoinTicket, JoinError> {
        if !self.room_exists(room_id) {
            // Made on another node a moment ago, and not heard of yet?
            self.state.registry.look_up(room_id).await;
        }
        let at_limit = self
            .limits
            .rooms_per_connection
            .filter(|max| client.room_count() >= *max && !client.is_member(room_id));
        if let Some(max) = at_limit
            && self.room(room_id).is_none()
            && self.rooms.template_of(room_id).is_some()
        {
            return Err(JoinError::TooManyRooms(max));
        }
        let room = self.room_to_join(client, room_id)?;
        check_subscriptions(&room, options.subscriptions.as_ref())?;
        let ticket = |already| JoinTicket {
            engine: self.clone(),
            client: client.clone(),
            room: room.clone(),
            already,
            options: options.clone(),
        };
        if client.is_member(room_id) {
            return Ok(ticket(true));
        }
        if let Some(max) = self.limits.rooms_per_connection
            && client.room_count() >= max
        {
            return Err(JoinError::TooManyRooms(max));
        }
        self.admit(client, &room, &options, Seat::Taken).await?;
        match room.seats.take(&client.id, room.config.max_size).await {
            Ok(()) => {
                // The session's shared record names the room before the
                // join is answered: a node killed right after the answer
                // leaves a record another node resumes from, and that the
                // dead node's seats are given back by.
                let joining = RoomMembership::new(room.clone(), options.subscriptions.as_ref());
                self.state
                    .sessions
                    .save_joining(client, &room.id, joining.names())
                    .await;
                Ok(ticket(false))
            }
            Err(SeatError::Full(max_size)) => Err(JoinError::RoomFull {
                room: room_id.to_owned(),
                max_size,
            }),
            Err(SeatError::Closed) => Err(RoomNotFound(room_id.to_owned()).into()),
            Err(SeatError::Unavailable(cause)) => Err(JoinError::Unavailable(cause)),
        }
    }

    /// The checks of a join after the room and the subscriptions: a ban,
    /// the room's secret, capacity (for a join that takes a seat), required
    /// claims, `before_join`. A server-sent event stream passes them too,
    /// without a seat.
    pub(crate) async fn admit(
        self: &Arc<Self>,
        client: &Arc<ClientState>,
        room: &Arc<RoomState>,
        options: &JoinOptions,
        seat: Seat,
    ) -> Result<(), JoinError> {
        let room_id = room.id.as_str();
        if room.roster.is_banned(&client.user_id) {
            return Err(JoinError::Denied {
                room: room_id.to_owned(),
                reason: format!("you are banned from room `{room_id}`"),
            });
        }
        // A join the server makes (no request) needs no secret.
        if let (Some(secret), Some(request)) = (&room.config.secret, &options.request) {
            let given = request.secret.as_deref();
            // One message for a missing and a wrong secret.
            if !given.is_some_and(|given| secret.admits(given)) {
                return Err(JoinError::Denied {
                    room: room_id.to_owned(),
                    reason: format!("room `{room_id}` needs its secret"),
                });
            }
        }
        // Not binding (taking the seat is), but spares the hooks a full
        // room, where this node's count is the room's own.
        if let Some(max_size) = room
            .config
            .max_size
            .filter(|_| seat == Seat::Taken && room.seats.count_is_exact() && room.is_full())
        {
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
        let request = options.request.clone().unwrap_or_else(|| JoinRequest {
            room_id: room_id.to_owned(),
            since: options.since.clone(),
            subscriptions: None,
            secret: None,
        });
        let allowed = hooks::decide(self, "before_join", &self.hooks.before_join, || {
            (client.clone(), room.clone(), request.clone())
        })
        .await;
        match allowed {
            Ok(()) => Ok(()),
            Err(HookFailure::Refused(reason)) => Err(JoinError::Denied {
                room: room_id.to_owned(),
                reason,
            }),
            Err(HookFailure::Failed) => Err(JoinError::HookFailed("before_join")),
        }
    }

    /// Removes `client` from `room_id`.
    pub(crate) async fn leave(
        self: &Arc<Self>,
        client: &Arc<ClientState>,
        room_id: &str,
    ) -> Result<LeaveOutcome, LeaveError> {
        let Some(membership) = client.remove_membership(room_id) else {
            return if self.room_exists(room_id) {
                Ok(LeaveOutcome {
                    was_member: false,
                    then: Followup::none(),
                })
            } else {
                Err(RoomNotFound(room_id.to_owned()).into())
            };
        };
        membership.room.seats.release(&client.id).await;
        client.conn.leave(membership.keys());
        self.state.sessions.save(client).await;
        self.depart(&membership.room, &client.user_id, &client.id)
            .await;
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

    /// Why `room_id` is not one of the client's rooms.
    pub(crate) fn not_joined(&self, room_id: &str) -> NotJoined {
        if self.room_exists(room_id) {
            NotInRoom(room_id.to_owned()).into()
        } else {
            RoomNotFound(room_id.to_owned()).into()
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

impl JoinTicket {
    /// Adds the member (or, joining again, applies its subscriptions) at a
    /// point of the room's delivery order, and answers there through
    /// `answer`: the room's position at that point, the missed events when
    /// `since` is recovered, the history sync otherwise. Every event after
    /// the position reaches the member live, none before it does. Returns
    /// the follow-up (`on_joined`, for a first join).
    pub(crate) async fn complete(self, answer: AnswerJoin) -> Result<Followup, JoinError> {
        // Whoever runs last answers: the operation, or this call when the
        // room was deleted before the operation could run.
        let answer = Arc::new(parking_lot::Mutex::new(Some(answer)));
        let answer_in_order = answer.clone();
        let (sent, outcome) = tokio::sync::oneshot::channel();
        let room = self.room.clone();
        // A recovery is decided against the room's position, not against a
        // node still hearing it (several nodes).
        if self.options.since.is_some() {
            room.stream.catch_up().await;
        }
        let op: crate::state::delivery::Op = Box::new(move |delivery| {
            Box::pin(async move {
                let result = self.add(&delivery).await;
                let answer = answer_in_order.lock().take();
                if let Some(answer) = answer {
                    answer(&result);
                }
                // After the answer, in the room's order: the arrival, to
                // every member (the arriving connection included).
                if let Ok(JoinAnswer {
                    arrived: Some(member),
                    ..
                }) = &result
                {
                    self.engine.announce_arrival(&self.room, member.clone());
                }
                let _ = sent.send((result.map(|_| ()), self));
            })
        });
        room.stream.delivery().run_in_order(op).await;
        let Ok((result, ticket)) = outcome.await else {
            let error = JoinError::from(RoomNotFound(room.id.clone()));
            let answer = answer.lock().take();
            if let Some(answer) = answer {
                answer(&Err(error.clone()));
            }
            return Err(error);
        };
        result?;
        if ticket.already {
            return Ok(Followup::none());
        }
        let JoinTicket {
            engine,
            client,
            room,
            ..
        } = ticket;
        Ok(Followup::of(async move {
            hooks::observe(&engine, "on_joined", &engine.hooks.on_joined, || {
                (client, room.id.clone())
            })
            .await;
        }))
    }

    /// The join itself, in the room's delivery order.
    async fn add(&self, delivery: &Arc<Delivery>) -> Result<JoinAnswer, JoinError> {
        let (client, room) = (&self.client, &self.room);
        let room_id = room.id.as_str();
        let subscriptions = self.options.subscriptions.as_ref();
        let first = !self.already;
        if first {
            let membership = RoomMembership::new(room.clone(), subscriptions);
            let Some(keys) = client.add_membership(membership) else {
                // Gone meanwhile (a racing join of the same client counts
                // as joining again).
                if !client.is_member(room_id) {
                    room.seats.release(&client.id).await;
                    return Err(JoinError::Disconnected);
                }
                return self.answer(delivery, false).await;
            };
            client.conn.join(keys.clone());
            // A deletion that drained the seats before we recorded the
            // membership cannot have removed it: undo here. (The deletion
            // closes the seats before draining, so one of us sees the
            // other.)
            if room.seats.is_closed() {
                client.remove_membership(room_id);
                client.conn.leave(keys);
                return Err(RoomNotFound(room_id.to_owned()).into());
            }
            let arrived = self.engine.arrive(client, room).await;
            // Written beside the room's order, not in it: a Redis round
            // trip per join would hold every event of the room back.
            tokio::spawn(self.engine.state.sessions.save(client));
            let mut answer = self.answer(delivery, first).await?;
            answer.arrived = arrived;
            return Ok(answer);
        } else if let Some(subscriptions) = subscriptions
            && let Some((leave, join)) = client.replace_subscriptions(room_id, subscriptions)
        {
            client.conn.leave(leave);
            client.conn.join(join);
            tokio::spawn(self.engine.state.sessions.save(client));
        }
        self.answer(delivery, first).await
    }

    async fn answer(&self, delivery: &Arc<Delivery>, first: bool) -> Result<JoinAnswer, JoinError> {
        let (client, room) = (&self.client, &self.room);
        let position = delivery.position();
        let (recovered, missed) = match &self.options.since {
            None => (None, Vec::new()),
            Some(since) => match delivery
                .recover(since)
                .inspect(|_| crate::metrics::recovery(true))
                .inspect_err(|_| crate::metrics::recovery(false))
            {
                Ok((events, _)) => {
                    let missed = events
                        .into_iter()
                        .filter(|e| client.receives(&room.id, e.event()))
                        .collect();
                    (Some(true), missed)
                }
                Err(_) => (Some(false), Vec::new()),
            },
        };
        let sync = &room.config.sync_history_on_join;
        let history = if first && self.options.since.is_none() && !sync.is_off() {
            let per_event = match sync {
                HistorySync::Latest(n) => Some(n.get() as usize),
                _ => None,
            };
            let mut events = room.stream.latest(per_event).await;
            // What the stream accepted after this point reaches the member
            // live: not in its history too.
            events.retain(|e| e.seq() <= position.seq);
            Some(events)
        } else {
            None
        };
        Ok(JoinAnswer {
            room: room.clone(),
            position,
            recovered,
            missed,
            history,
            arrived: None,
        })
    }
}

/// Whether a join takes a seat (a member) or not (a stream).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Seat {
    Taken,
    None,
}

fn not_yours(room_id: &str) -> JoinError {
    JoinError::Denied {
        room: room_id.to_owned(),
        reason: format!("room `{room_id}` belongs to another user"),
    }
}
