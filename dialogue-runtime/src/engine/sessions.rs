//! Sessions: each connection's resume token, a connection that takes a
//! session over (`auth.resume`), and what a dropped connection leaves held
//! for the grace period.

use std::collections::HashMap;
use std::sync::{Arc, Weak};

use serde_json::Value;

use crate::engine::Engine;
use crate::engine::catch_up::{Rejoined, rejoin_room};
use crate::engine::hooks;
use crate::envelope::StampedEvent;
use crate::protocol::Position;
use crate::spec::Subscriptions;
use crate::state::client::ClientState;
use crate::state::client::RoomMembership;
use crate::state::room::RoomState;
use crate::state::sessions::{NoResume, Previous, Remote, Takeover, Token};

/// A resume asked for in a handshake.
pub(crate) struct ResumeRequest {
    pub(crate) token: Token,
    /// The client's position in each room, where it gave a well-formed one.
    pub(crate) positions: HashMap<String, Position>,
}

impl ResumeRequest {
    /// `auth.resume` (a string) and `auth.positions`, when the handshake
    /// asks to resume. A non-string `auth.resume` is no resume at all; a
    /// malformed entry of `auth.positions` is no position for that room.
    pub(crate) fn read(auth: &Value) -> Option<Self> {
        let token = auth.get("resume")?.as_str()?;
        let positions = auth
            .get("positions")
            .and_then(Value::as_object)
            .map(|positions| {
                positions
                    .iter()
                    .filter_map(|(room, position)| {
                        let position = serde_json::from_value(position.clone()).ok()?;
                        Some((room.clone(), position))
                    })
                    .collect()
            })
            .unwrap_or_default();
        Some(Self {
            token: Token::presented(token),
            positions,
        })
    }
}

/// What a handshake's resume came to.
pub(crate) enum Resuming {
    /// None asked for.
    Fresh,
    /// Asked for, but the token is unknown, expired or another user's.
    Refused,
    /// Found: the session to take over.
    Found(Takeover, ResumeRequest),
}

/// What `dialogue:connected` says of the session, and the rooms whose
/// memberships come back.
pub(crate) struct Greeting {
    pub(crate) token: Token,
    /// Only when the handshake asked to resume.
    pub(crate) resumed: Option<bool>,
    pub(crate) rooms: Option<Vec<String>>,
    pub(crate) recovered: Option<Vec<String>>,
    /// Rooms the host removed the user from while the session was held.
    pub(crate) kicked: Option<Vec<(String, Option<String>)>>,
    /// Done once the client was greeted (see [`Engine::rejoin`]).
    rejoins: Vec<Rejoin>,
}

/// A membership back on a new connection: its socket joins the room's keys
/// in the room's delivery order, after the missed events when recovered.
struct Rejoin {
    room: Arc<RoomState>,
    keys: Vec<String>,
    /// When recovered: the events missed up to the seq they reach.
    missed: Option<(Vec<Arc<StampedEvent>>, u64)>,
}

/// How a connection ended, for its session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ending {
    /// The client asked, or the server closed the connection for good: the
    /// session ends now.
    Ended,
    /// The connection dropped: the session is held for the grace period.
    Dropped,
    /// A new connection took the session over.
    TakenOver,
}

impl Engine {
    /// Finds the session a handshake asks to resume, for `user` (`None`:
    /// the handshake named no user of its own).
    pub(crate) async fn find_session(&self, auth: &Value, user: Option<&str>) -> Resuming {
        let Some(request) = ResumeRequest::read(auth) else {
            return Resuming::Fresh;
        };
        match self.state.sessions.find(&request.token, user).await {
            Ok(takeover) => Resuming::Found(takeover, request),
            Err(NoResume::Unknown) => Resuming::Refused,
            Err(NoResume::OtherUser) => {
                tracing::debug!("a resume token of another user was refused");
                Resuming::Refused
            }
        }
    }

    /// Opens `client`'s session, or hands it the one it resumes: its
    /// memberships, subscriptions and seats, and which rooms recover.
    pub(crate) async fn greet_session(
        self: &Arc<Self>,
        client: &Arc<ClientState>,
        resuming: Resuming,
    ) -> Greeting {
        let (takeover, request) = match resuming {
            Resuming::Found(takeover, request) => (takeover, request),
            other => {
                let (id, token) = self.state.sessions.open(client.clone()).await;
                client.set_session(id);
                let resumed = matches!(other, Resuming::Refused).then_some(false);
                return Greeting {
                    token,
                    resumed,
                    rooms: None,
                    recovered: None,
                    kicked: None,
                    rejoins: Vec::new(),
                };
            }
        };
        // The session moves first: when another connection took it over
        // meanwhile (on another node), this one is refused.
        let Some(token) = self
            .state
            .sessions
            .resume(&takeover, &request.token, client.clone())
            .await
        else {
            let (id, token) = self.state.sessions.open(client.clone()).await;
            client.set_session(id);
            return Greeting {
                token,
                resumed: Some(false),
                rooms: None,
                recovered: None,
                kicked: None,
                rejoins: Vec::new(),
            };
        };
        client.set_session(takeover.id);
        let (memberships, kicked) = match &takeover.previous {
            Previous::Here(previous) => {
                if !takeover.was_held {
                    // A live connection of the session: closed first, for
                    // good (at the namespace level, so it does not come
                    // back for it).
                    previous.mark_taken_over();
                    previous.conn.disconnect();
                }
                (previous.take_memberships(), previous.take_kicked())
            }
            // On another node: its rooms as the shared record has them
            // (that node lets its connection go when told).
            Previous::Elsewhere(remote) => (self.remote_memberships(remote), Vec::new()),
        };
        let from = takeover.previous.connection();
        let mut rooms = Vec::new();
        let mut recovered = Vec::new();
        let mut rejoins = Vec::new();
        // Each recovery is decided against its room's position, not a copy
        // still hearing it (several nodes): the rooms catch up together,
        // so that a resume waits at most one bound, not one per room.
        futures_util::future::join_all(
            memberships
                .iter()
                .filter(|membership| request.positions.contains_key(&membership.room.id))
                .map(|membership| membership.room.stream.catch_up()),
        )
        .await;
        for membership in memberships {
            let room = membership.room.clone();
            // Deleted while the session was held: gone with it (a room made
            // again under the same id is another room, joined anew).
            if room.stream.delivery().is_closed() {
                continue;
            }
            // A seat no longer held (the user was kicked meanwhile): the
            // membership does not come back.
            if !room.seats.transfer(from, &client.id).await {
                continue;
            }
            room.roster
                .transfer(&client.user_id, from, &client.id)
                .await;
            let missed = request.positions.get(&room.id).and_then(|since| {
                let recovered = room.stream.delivery().recover(since).ok();
                crate::metrics::recovery(recovered.is_some());
                recovered
            });
            let Some(keys) = client.add_membership(membership) else {
                continue;
            };
            rooms.push(room.id.clone());
            if missed.is_some() {
                recovered.push(room.id.clone());
            }
            rejoins.push(Rejoin { room, keys, missed });
        }
        rooms.sort();
        recovered.sort();
        self.state.sessions.save(client).await;
        tracing::info!(client = %client.id, user = %client.user_id, rooms = rooms.len(), recovered = recovered.len(), "session resumed");
        Greeting {
            token,
            resumed: Some(true),
            rooms: Some(rooms),
            recovered: Some(recovered),
            kicked: (!kicked.is_empty()).then_some(kicked),
            rejoins,
        }
    }

    /// The memberships of a session taken over from another node, in the
    /// rooms this node has of those ids (a room it does not know is gone).
    fn remote_memberships(&self, remote: &Remote) -> Vec<RoomMembership> {
        remote
            .memberships
            .iter()
            .filter_map(|(room_id, names)| {
                let room = self.room_or_instance(room_id)?;
                let subscriptions = Subscriptions::Only(names.clone());
                Some(RoomMembership::new(room, Some(&subscriptions)))
            })
            .collect()
    }

    /// After the greeting: each resumed membership's socket joins its room
    /// in the room's delivery order, its missed events first ([`rejoin_room`]).
    /// `false` when the client went (or was dropped) meanwhile: it must not
    /// be greeted.
    pub(crate) async fn rejoin(
        self: &Arc<Self>,
        client: &Arc<ClientState>,
        greeting: Greeting,
    ) -> bool {
        for Rejoin { room, keys, missed } in greeting.rejoins {
            match rejoin_room(client, &room, keys, missed).await {
                Rejoined::Joined | Rejoined::Skipped => {}
                Rejoined::Gone => return false,
            }
        }
        client.is_connected()
    }

    /// A connection ended: its session ends, is held, or moved on.
    ///
    /// Hooks: `on_disconnected` (while the client is in its rooms) and
    /// `on_disconnect` run for every connection; `on_left` runs when the
    /// memberships end: now for an ended session, at the end of the grace
    /// period for a held one that no connection resumed, never for one
    /// taken over.
    pub(crate) async fn connection_gone(
        self: &Arc<Self>,
        client: &Arc<ClientState>,
        ending: Ending,
    ) {
        // Gone from now on, before any hook: a greeting still on its way
        // sees it and does not list the client (`Engine::greeted`).
        client.mark_gone();
        let session = client.session();
        let hold = match (ending, session) {
            (Ending::Dropped, Some(id)) if !self.grace.is_zero() => {
                self.state.sessions.hold(id).await.map(|hold| (id, hold))
            }
            _ => None,
        };
        hooks::observe(self, "on_disconnected", &self.hooks.on_disconnected, || {
            (client.clone(),)
        })
        .await;
        match hold {
            Some((id, hold)) => {
                let engine = Arc::downgrade(self);
                let grace = self.grace;
                tokio::spawn(async move {
                    tokio::time::sleep(grace).await;
                    expire(engine, id, hold).await;
                });
            }
            None => {
                if let (Some(id), false) = (session, ending == Ending::TakenOver) {
                    self.state.sessions.end(id).await;
                }
                self.end_memberships(client).await;
            }
        }
        self.state.directory.remove(client);
        hooks::observe(self, "on_disconnect", &self.hooks.on_disconnect, || {
            (crate::engine::clients::socket_info(self, client),)
        })
        .await;
        // A held session keeps the client, not its dead socket.
        client.conn.release();
    }

    /// Closes every connection of `user_id`, on every node: each closed
    /// at the namespace level (its session ends, as a disconnection's
    /// would), and the sessions held for the user end too (their seats go,
    /// `on_left` runs). With several nodes, the others are told through
    /// Redis and act a moment later; when Redis cannot be told, this node
    /// has done its part and the error says the others did not hear it.
    pub(crate) async fn close_user(self: &Arc<Self>, user_id: &str) -> Result<(), String> {
        self.close_user_here(user_id).await;
        self.state.sessions.close_user_elsewhere(user_id).await
    }

    /// [`close_user`](Self::close_user) on this node only.
    pub(crate) async fn close_user_here(self: &Arc<Self>, user_id: &str) {
        for client in self.state.directory.of_user(user_id) {
            client.conn.disconnect();
        }
        for client in self.state.sessions.end_held_of(user_id).await {
            self.end_memberships(&client).await;
        }
    }

    /// Ends every membership of `client`: its seats go, `on_left` runs.
    pub(crate) async fn end_memberships(self: &Arc<Self>, client: &Arc<ClientState>) {
        for membership in client.disconnect() {
            let room = &membership.room;
            // A seat already given back (a kick) departs nothing more.
            if room.seats.release(&client.id).await {
                self.depart(room, &client.user_id, &client.id).await;
            }
            self.left(client, &room.id).await;
        }
    }
}

/// The end of a grace period: the session ends unless a connection resumed
/// it meanwhile.
async fn expire(engine: Weak<Engine>, id: crate::state::sessions::SessionId, hold: u64) {
    let Some(engine) = engine.upgrade() else {
        return;
    };
    if let Some(client) = engine.state.sessions.expire(id, hold).await {
        tracing::info!(client = %client.id, user = %client.user_id, "a held session expired");
        engine.end_memberships(&client).await;
    }
}
