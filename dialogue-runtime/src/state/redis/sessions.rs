//! Sessions shared by every node: a resume token is good on any node, and
//! a session whose node died is taken over by another.
//!
//! Each session has a record in Redis (its user, connection, node, two
//! tokens, and its rooms with their subscriptions, rewritten on every
//! change) and the node of its connection keeps the client itself in
//! memory ([`MemorySessions`]). A resume on the same node is served from
//! memory and the record follows; a resume on another node reads the
//! record, moves the session in one script (which refuses when another
//! connection took it first) and tells the old node, which lets its
//! connection go. The seats move with the session (`TRANSFER_SEAT`), so
//! capacity never counts a user twice.

use std::sync::Arc;

use futures_util::future::BoxFuture;

use crate::state::client::ClientState;
use crate::state::redis::keys::Keys;
use crate::state::redis::link::Link;
use crate::state::redis::scripts;
use crate::state::sessions::{
    MemorySessions, NoResume, Previous, Remote, SessionId, Sessions, Takeover, Token,
};

/// The sessions of one node, shared through Redis (see the module).
pub(crate) struct RedisSessions {
    here: MemorySessions,
    link: Arc<Link>,
    keys: Arc<Keys>,
    /// This node's name in Redis (its process: unique per start).
    node: String,
}

impl RedisSessions {
    pub(crate) fn new(link: Arc<Link>, keys: Arc<Keys>, node: String) -> Self {
        Self {
            here: MemorySessions::default(),
            link,
            keys,
            node,
        }
    }

    /// Another node took session `id` over: its connection here goes
    /// (closed when live, forgotten when held), its memberships moved with
    /// the session and end nothing here.
    pub(crate) fn taken_elsewhere(&self, id: SessionId) {
        let Some((client, held)) = self.here.forget(id) else {
            return;
        };
        tracing::info!(client = %client.id, user = %client.user_id, "a session moved to another node");
        client.mark_taken_over();
        for membership in client.take_memberships() {
            client.conn.leave(membership.keys());
        }
        if !held {
            client.conn.disconnect();
        }
    }

    /// The record of the session `token` names, read from Redis.
    async fn find_shared(&self, token: &Token, user: Option<&str>) -> Result<Takeover, NoResume> {
        let id: Option<u64> = self
            .link
            .run(redis::cmd("GET").arg(self.keys.token(token.as_str())))
            .await
            .map_err(|error| {
                tracing::warn!(%error, "cannot read a resume token from Redis");
                NoResume::Unknown
            })?;
        let id = id.ok_or(NoResume::Unknown)?;
        let fields: Vec<Option<String>> = self
            .link
            .run(
                redis::cmd("HMGET")
                    .arg(self.keys.session(id))
                    .arg("user")
                    .arg("conn")
                    .arg("latest")
                    .arg("previous")
                    .arg("rooms"),
            )
            .await
            .map_err(|_| NoResume::Unknown)?;
        let [user_id, connection, latest, previous, rooms] =
            <[Option<String>; 5]>::try_from(fields).map_err(|_| NoResume::Unknown)?;
        let (Some(user_id), Some(connection)) = (user_id, connection) else {
            return Err(NoResume::Unknown);
        };
        let presented = Some(token.as_str());
        if latest.as_deref() != presented && previous.as_deref() != presented {
            return Err(NoResume::Unknown);
        }
        if user.is_some_and(|user| user != user_id) {
            return Err(NoResume::OtherUser);
        }
        let memberships = rooms
            .and_then(|rooms| serde_json::from_str(&rooms).ok())
            .unwrap_or_default();
        Ok(Takeover {
            id,
            previous: Previous::Elsewhere(Remote {
                user_id,
                connection,
                memberships,
            }),
            was_held: true,
        })
    }

    /// Rewrites the session's rooms in its record (with `joining`, a room
    /// the client is joining): read now, written when the future runs.
    fn write_record(
        &self,
        client: &ClientState,
        joining: Option<(String, Vec<String>)>,
    ) -> BoxFuture<'static, ()> {
        let Some(id) = client.session() else {
            return Box::pin(std::future::ready(()));
        };
        let (version, mut rooms) = client.record();
        if let Some((room, names)) = joining
            && !rooms.iter().any(|(id, _)| *id == room)
        {
            rooms.push((room, names));
            rooms.sort();
        }
        let rooms = serde_json::to_string(&rooms).unwrap_or_else(|_| "[]".into());
        let link = self.link.clone();
        let key = self.keys.session(id);
        let connection = client.id.clone();
        Box::pin(async move {
            let mut script = scripts::SAVE_SESSION.prepare_invoke();
            script.key(key).arg(connection).arg(version).arg(rooms);
            if let Err(error) = link.script::<i64>(&script).await {
                tracing::warn!(%error, "cannot record a session's rooms in Redis");
            }
        })
    }

    /// Ends session `id` of `connection` in Redis, unless it moved on;
    /// `false` when it did (another node took it over).
    async fn end_shared(&self, id: SessionId, connection: &str) -> bool {
        let mut script = scripts::END_SESSION.prepare_invoke();
        script
            .key(self.keys.session(id))
            .key(self.keys.node_sessions(&self.node))
            .arg(connection)
            .arg(self.keys.prefix())
            .arg(id);
        match self.link.script::<i64>(&script).await {
            Ok(0) => false,
            Ok(_) => true,
            Err(error) => {
                // Ended here all the same; its record goes with its node.
                tracing::warn!(%error, "cannot end a session in Redis");
                true
            }
        }
    }
}

impl Sessions for RedisSessions {
    fn open(&self, client: Arc<ClientState>) -> BoxFuture<'_, (SessionId, Token)> {
        Box::pin(async move {
            // Random, so that no two nodes number two sessions alike (0 is
            // never drawn twice in a row, and never matters: ids are keys).
            let id = crate::state::random_u64();
            let token = Token::new();
            let mut script = scripts::OPEN_SESSION.prepare_invoke();
            script
                .key(self.keys.session(id))
                .key(self.keys.token(token.as_str()))
                .key(self.keys.node_sessions(&self.node))
                .arg(id)
                .arg(&client.user_id)
                .arg(&client.id)
                .arg(&self.node)
                .arg(token.as_str());
            if let Err(error) = self.link.script::<i64>(&script).await {
                // The session works on this node; another cannot take it.
                tracing::warn!(%error, "cannot record a session in Redis");
            }
            self.here.insert(id, token.clone(), None, client);
            (id, token)
        })
    }

    fn find<'a>(
        &'a self,
        token: &'a Token,
        user: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Takeover, NoResume>> {
        Box::pin(async move {
            match self.here.find(token, user).await {
                Err(NoResume::Unknown) => self.find_shared(token, user).await,
                found => found,
            }
        })
    }

    fn resume<'a>(
        &'a self,
        takeover: &'a Takeover,
        presented: &'a Token,
        client: Arc<ClientState>,
    ) -> BoxFuture<'a, Option<Token>> {
        Box::pin(async move {
            let token = Token::new();
            let mut script = scripts::TAKE_SESSION.prepare_invoke();
            script
                .key(self.keys.session(takeover.id))
                .key(self.keys.token(token.as_str()))
                .key(self.keys.node_sessions(&self.node))
                .arg(takeover.id)
                .arg(takeover.previous.connection())
                .arg(&client.id)
                .arg(&self.node)
                .arg(presented.as_str())
                .arg(token.as_str())
                .arg(self.keys.prefix())
                .arg(self.keys.control_channel());
            let taken = self.link.script::<i64>(&script).await;
            match (&takeover.previous, taken) {
                // Another node took it a moment ago (its word is on the
                // way): not resumed here too.
                (Previous::Here(_), Ok(0)) => {
                    self.taken_elsewhere(takeover.id);
                    None
                }
                (Previous::Here(_), taken) => {
                    if let Err(error) = taken {
                        // Resumed here all the same; other nodes cannot.
                        tracing::warn!(%error, "cannot move a session in Redis");
                    }
                    self.here
                        .take_over(takeover.id, presented, token.clone(), client)
                        .then_some(token)
                }
                (Previous::Elsewhere(_), Ok(1)) => {
                    self.here
                        .insert(takeover.id, token.clone(), Some(presented.clone()), client);
                    Some(token)
                }
                // Moved on, or no record (expired meanwhile).
                (Previous::Elsewhere(_), Ok(_)) => None,
                (Previous::Elsewhere(_), Err(error)) => {
                    tracing::warn!(%error, "cannot take a session over from Redis");
                    None
                }
            }
        })
    }

    fn save(&self, client: &ClientState) -> BoxFuture<'static, ()> {
        self.write_record(client, None)
    }

    fn save_joining(
        &self,
        client: &ClientState,
        room: &str,
        names: Vec<String>,
    ) -> BoxFuture<'static, ()> {
        self.write_record(client, Some((room.to_owned(), names)))
    }

    fn hold(&self, id: SessionId) -> BoxFuture<'_, Option<u64>> {
        self.here.hold(id)
    }

    fn expire(&self, id: SessionId, hold: u64) -> BoxFuture<'_, Option<Arc<ClientState>>> {
        Box::pin(async move {
            let client = self.here.expire(id, hold).await?;
            if self.end_shared(id, &client.id).await {
                return Some(client);
            }
            // Taken over on another node just before (its word not heard
            // yet): the memberships moved with it, nothing ends here.
            tracing::info!(client = %client.id, user = %client.user_id, "a held session moved to another node");
            client.mark_taken_over();
            drop(client.take_memberships());
            None
        })
    }

    fn end(&self, id: SessionId) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            if let Some((client, _)) = self.here.forget(id) {
                self.end_shared(id, &client.id).await;
            }
        })
    }

    fn held_client(&self, connection: &str) -> Option<Arc<ClientState>> {
        self.here.held_client(connection)
    }

    fn end_held_of<'a>(&'a self, user: &'a str) -> BoxFuture<'a, Vec<Arc<ClientState>>> {
        Box::pin(async move {
            let clients = self.here.end_held_of(user).await;
            for client in &clients {
                if let Some(id) = client.session() {
                    self.end_shared(id, &client.id).await;
                }
            }
            clients
        })
    }

    fn close_user_elsewhere<'a>(&'a self, user: &'a str) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let message = format!("closeUser\n{}\n{user}", self.node);
            let command = redis::cmd("PUBLISH")
                .arg(self.keys.control_channel())
                .arg(message)
                .clone();
            self.link
                .run::<i64>(&command)
                .await
                .map(drop)
                .map_err(|error| error.0)
        })
    }
}
