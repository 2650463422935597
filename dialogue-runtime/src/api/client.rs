//! Connected clients as the server's code sees them.

use std::sync::Arc;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::engine::Engine;
use crate::engine::join::{AnswerJoin, JoinOptions};
use crate::error::{JoinError, LeaveError, SubscribeError};
use crate::protocol::Request;
use crate::rules::WILDCARD;
use crate::state::client::{Change, ClientState};
use crate::state::connection::{SendFailure, Transport};
use crate::wire::reply::{self, Answer};

/// A connected client, as the server sees it.
#[derive(Clone)]
pub struct ConnectedClient {
    pub(crate) state: Arc<ClientState>,
    pub(crate) engine: Arc<Engine>,
}

impl std::fmt::Debug for ConnectedClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectedClient")
            .field("id", &self.state.id)
            .field("user_id", &self.state.user_id)
            .finish_non_exhaustive()
    }
}

/// Why a message could not be sent to a client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The client is gone.
    #[error("the client is disconnected")]
    Disconnected,
    /// The client does not read what it is sent: its outgoing buffer is full.
    #[error("the client is not reading; its outgoing buffer is full")]
    Full,
    /// The payload could not be serialized.
    #[error("cannot serialize the message")]
    Serialize,
}

impl ConnectedClient {
    pub(crate) fn new(state: Arc<ClientState>, engine: Arc<Engine>) -> Self {
        Self { state, engine }
    }

    /// The connection id (unique per connection).
    pub fn id(&self) -> &str {
        &self.state.id
    }

    /// The application's user id (one user may hold several connections).
    pub fn user_id(&self) -> &str {
        &self.state.user_id
    }

    /// What authentication established (claims), if any.
    pub fn auth(&self) -> Option<&Value> {
        self.state.auth.as_ref()
    }

    /// The handshake's auth object without `userId`.
    pub fn meta(&self) -> &Map<String, Value> {
        &self.state.meta
    }

    /// Whether it is still connected.
    pub fn is_connected(&self) -> bool {
        self.state.is_connected()
    }

    /// How it connected (a long-polling connection may have upgraded to a
    /// WebSocket since).
    pub fn transport(&self) -> Transport {
        self.state.conn.transport()
    }

    /// Joins a room on the client's behalf; the client receives
    /// `dialogue:joined` (and history) as if it had asked.
    pub async fn join(&self, room_id: &str) -> Result<(), JoinError> {
        let ticket = self
            .engine
            .join(&self.state, room_id, JoinOptions::default())
            .await?;
        let client = self.state.clone();
        let answer: AnswerJoin = Box::new(move |joined| {
            if let Ok(joined) = joined {
                reply::send_events(&*client.conn, Request::Join, Answer::Joined(joined.clone()));
            }
        });
        ticket.complete(answer).await?.run().await;
        Ok(())
    }

    /// Leaves a room; the client receives `dialogue:left` when it was in it.
    pub async fn leave(&self, room_id: &str) -> Result<(), LeaveError> {
        let outcome = self.engine.leave(&self.state, room_id).await?;
        if outcome.was_member {
            let answer = Answer::Left(room_id.to_owned());
            reply::send_events(&*self.state.conn, Request::Leave, answer);
        }
        outcome.then.run().await;
        Ok(())
    }

    /// Subscribes to an event in a joined room.
    pub fn subscribe(&self, room_id: &str, event: &str) -> Result<(), SubscribeError> {
        self.engine
            .change_subscription(&self.state, room_id, event, Change::Subscribe)
    }

    /// Subscribes to every event in a joined room.
    pub fn subscribe_all(&self, room_id: &str) -> Result<(), SubscribeError> {
        self.subscribe(room_id, WILDCARD)
    }

    /// Unsubscribes from an event (`*`: from the wildcard) in a joined room.
    pub fn unsubscribe(&self, room_id: &str, event: &str) -> Result<(), SubscribeError> {
        self.engine
            .change_subscription(&self.state, room_id, event, Change::Unsubscribe)
    }

    /// The rooms joined, sorted.
    pub fn rooms(&self) -> Vec<String> {
        self.state.room_ids()
    }

    /// The subscriptions in a joined room (`*` for all); empty if not joined.
    pub fn subscriptions(&self, room_id: &str) -> Vec<String> {
        self.state.subscriptions(room_id).unwrap_or_default()
    }

    /// Sends `data` as `event` to this client only.
    pub fn send<T: Serialize + ?Sized>(&self, event: &str, data: &T) -> Result<(), SendError> {
        if !self.state.is_connected() {
            return Err(SendError::Disconnected);
        }
        self.state
            .conn
            .emit(event, data)
            .map_err(|failure| match failure {
                SendFailure::Gone => SendError::Disconnected,
                SendFailure::Full => SendError::Full,
                SendFailure::Serialize => SendError::Serialize,
            })
    }

    /// Disconnects the client for good (at the Socket.IO level: it does not
    /// reconnect by itself); its session ends and its rooms are left.
    pub fn disconnect(&self) {
        self.state.conn.disconnect();
    }

    /// Closes the client's connection but keeps its session: the client
    /// reconnects by itself, resumes, and gets what was sent meanwhile
    /// (docs/recovery.md). Useful to move clients off a node before it
    /// stops. Needs the server served with
    /// [`serve_router`](crate::Dialogue::serve_router) (or a
    /// [`DialogueListener`](crate::DialogueListener)); otherwise a WebSocket
    /// client is disconnected for good.
    ///
    /// ```no_run
    /// # use dialogue_runtime::prelude::*;
    /// # #[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
    /// # pub struct Message { pub text: String }
    /// # dialogue! { pub ChatApp { chat: { name: "Chat Room", events: [Message] } } }
    /// # fn run(dialogue: Dialogue<ChatApp>) {
    /// for client in dialogue.get_all_clients() {
    ///     client.force_reconnect();
    /// }
    /// # }
    /// ```
    pub fn force_reconnect(&self) {
        self.state.conn.drop_transport();
    }
}

/// The rooms a user is in, across all of their connections.
#[derive(Debug, Clone)]
pub struct ClientRooms {
    /// The room ids, sorted.
    pub ids: Vec<String>,
    clients: Vec<ConnectedClient>,
}

impl ClientRooms {
    pub(crate) fn new(clients: Vec<ConnectedClient>) -> Self {
        let mut ids: Vec<String> = clients.iter().flat_map(ConnectedClient::rooms).collect();
        ids.sort();
        ids.dedup();
        Self { ids, clients }
    }

    /// Calls `f` with each room id.
    pub fn for_all(&self, mut f: impl FnMut(&str)) {
        self.ids.iter().for_each(|id| f(id));
    }

    /// Removes the user from every room (all connections), calling `f` with
    /// each room id after leaving it.
    pub async fn leave_all(&self, mut f: impl FnMut(&str)) {
        for id in &self.ids {
            for client in &self.clients {
                let _ = client.leave(id).await;
            }
            f(id);
        }
    }
}
