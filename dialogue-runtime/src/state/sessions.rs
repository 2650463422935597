//! Resumable sessions: what a client keeps across a dropped connection (its
//! memberships and subscriptions, its seats), found again by a secret
//! token.
//!
//! A session is opened with every connection. When the connection drops
//! without the client asking, the session is *held* for a grace period:
//! its client state (rooms, subscriptions) stays, its seats still count.
//! A new connection presenting the token takes the session over. Tokens
//! rotate on every resume; the one before the latest stays good until the
//! latest has been used, so an answer lost in a cut costs nothing.

use std::collections::HashMap;
use std::sync::Arc;

use base64::Engine as _;
use futures_util::future::{self, BoxFuture};
use parking_lot::Mutex;

use crate::state::client::ClientState;

/// A session's number, unique in this process.
pub(crate) type SessionId = u64;

/// A resume token: at least 128 random bits, URL-safe base64. Never
/// logged: its `Debug` shows nothing of it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct Token(String);

impl Token {
    /// A new token from the operating system's random source.
    pub(crate) fn new() -> Self {
        let mut bytes = [0u8; 16];
        if getrandom::fill(&mut bytes).is_err() {
            // No OS randomness (never on the platforms we build for): fall
            // back to the keyed hasher's, still unpredictable from outside.
            bytes[..8].copy_from_slice(&crate::state::random_u64().to_le_bytes());
            bytes[8..].copy_from_slice(&crate::state::random_u64().to_le_bytes());
        }
        Self(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
    }

    /// A token as a client presented it.
    pub(crate) fn presented(text: &str) -> Self {
        Self(text.to_owned())
    }

    /// The text to give the client.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(…)")
    }
}

/// A session taken over by a new connection.
pub(crate) struct Takeover {
    pub(crate) id: SessionId,
    /// Where the session's connection was, and what it held.
    pub(crate) previous: Previous,
    /// Whether it was held (its connection dropped) rather than live.
    pub(crate) was_held: bool,
}

/// The connection a session had before a takeover.
pub(crate) enum Previous {
    /// On this node: its client state, connected still or held.
    Here(Arc<ClientState>),
    /// On another node, alive or dead (several nodes, docs/scaling.md):
    /// what the shared record says it held. That node lets its
    /// connection go when told of the takeover.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    Elsewhere(Remote),
}

impl Previous {
    /// The previous connection's id.
    pub(crate) fn connection(&self) -> &str {
        match self {
            Self::Here(client) => &client.id,
            Self::Elsewhere(remote) => &remote.connection,
        }
    }

    /// The session's user.
    pub(crate) fn user_id(&self) -> &str {
        match self {
            Self::Here(client) => &client.user_id,
            Self::Elsewhere(remote) => &remote.user_id,
        }
    }
}

/// A session's connection on another node, as the shared record has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Remote {
    pub(crate) user_id: String,
    pub(crate) connection: String,
    /// Each room joined, with its subscriptions (`*` for all).
    pub(crate) memberships: Vec<(String, Vec<String>)>,
}

/// Why a token does not resume.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NoResume {
    /// Unknown, expired, or older than the two latest.
    Unknown,
    /// Another user's session (it stays good for its owner).
    OtherUser,
}

/// The sessions of a server.
///
/// Lookups and changes are async for backends that keep sessions elsewhere;
/// in memory they are immediate.
pub(crate) trait Sessions: Send + Sync + 'static {
    /// Opens a session for a new connection's client; its first token.
    fn open(&self, client: Arc<ClientState>) -> BoxFuture<'_, (SessionId, Token)>;

    /// The session `token` resumes, for `user` (`None`: the new connection
    /// named no user of its own, and keeps the session's). The session is
    /// not changed until [`resume`](Self::resume).
    fn find<'a>(
        &'a self,
        token: &'a Token,
        user: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Takeover, NoResume>>;

    /// Gives the session found (`takeover`) to `client`, presenting
    /// `presented`, and a new latest token; `presented` stays good until
    /// that one is used. `None` when the session moved meanwhile (another
    /// connection took it over first, on another node): no resume.
    fn resume<'a>(
        &'a self,
        takeover: &'a Takeover,
        presented: &'a Token,
        client: Arc<ClientState>,
    ) -> BoxFuture<'a, Option<Token>>;

    /// Records what `client`'s session holds now (its rooms and
    /// subscriptions), where other nodes can take it over from: read now,
    /// written when the future runs (awaited before an answer, or spawned
    /// where the caller cannot wait; a later record never loses to an
    /// earlier one). Memory holds the client itself, and does nothing here.
    fn save(&self, _client: &ClientState) -> BoxFuture<'static, ()> {
        Box::pin(future::ready(()))
    }

    /// Like [`save`](Self::save), with the room `room` (subscribed to
    /// `names`) that the client is joining, before the join is answered.
    fn save_joining(
        &self,
        _client: &ClientState,
        _room: &str,
        _names: Vec<String>,
    ) -> BoxFuture<'static, ()> {
        Box::pin(future::ready(()))
    }

    /// Holds session `id` (its connection dropped): returns the hold's
    /// number, to [`expire`](Self::expire) that hold and no later one.
    fn hold(&self, id: SessionId) -> BoxFuture<'_, Option<u64>>;

    /// Ends session `id` if it is still held by hold `hold`; its client.
    fn expire(&self, id: SessionId, hold: u64) -> BoxFuture<'_, Option<Arc<ClientState>>>;

    /// Ends session `id` now (the client asked to leave).
    fn end(&self, id: SessionId) -> BoxFuture<'_, ()>;

    /// The client of the held session whose connection was `connection`.
    fn held_client(&self, connection: &str) -> Option<Arc<ClientState>>;

    /// Ends every held session of `user` now (the HTTP API closing a
    /// user's connections); their clients.
    fn end_held_of<'a>(&'a self, user: &'a str) -> BoxFuture<'a, Vec<Arc<ClientState>>>;

    /// Tells the other nodes to close `user`'s connections and end the
    /// sessions they hold for it, as this node did with its own (the HTTP
    /// API closing a user's connections). One node has no others: done.
    fn close_user_elsewhere<'a>(&'a self, _user: &'a str) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(future::ready(Ok(())))
    }
}

struct Record {
    user_id: String,
    latest: Token,
    /// Good until `latest` is used.
    previous: Option<Token>,
    client: Arc<ClientState>,
    /// The number of the hold in force, when the connection dropped.
    held: Option<u64>,
}

/// Sessions in this process's memory.
#[derive(Default)]
pub(crate) struct MemorySessions {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    next_id: SessionId,
    next_hold: u64,
    records: HashMap<SessionId, Record>,
    tokens: HashMap<Token, SessionId>,
}

impl Inner {
    fn forget_tokens(&mut self, record_tokens: impl IntoIterator<Item = Token>) {
        for token in record_tokens {
            self.tokens.remove(&token);
        }
    }

    fn remove(&mut self, id: SessionId) -> Option<Record> {
        let record = self.records.remove(&id)?;
        let tokens: Vec<Token> = std::iter::once(record.latest.clone())
            .chain(record.previous.clone())
            .collect();
        self.forget_tokens(tokens);
        Some(record)
    }
}

impl MemorySessions {
    /// Records session `id` of `client`, its tokens `latest` and
    /// `previous` (a session opened here, or taken over from another
    /// node).
    pub(crate) fn insert(
        &self,
        id: SessionId,
        latest: Token,
        previous: Option<Token>,
        client: Arc<ClientState>,
    ) {
        let mut inner = self.inner.lock();
        inner.remove(id);
        inner.tokens.insert(latest.clone(), id);
        if let Some(previous) = &previous {
            inner.tokens.insert(previous.clone(), id);
        }
        inner.records.insert(
            id,
            Record {
                user_id: client.user_id.clone(),
                latest,
                previous,
                client,
                held: None,
            },
        );
    }

    /// Gives session `id` to `client` with the new latest token `token`:
    /// the latest and the one presented stay good, anything older goes.
    /// `false` when no such session is here.
    pub(crate) fn take_over(
        &self,
        id: SessionId,
        presented: &Token,
        token: Token,
        client: Arc<ClientState>,
    ) -> bool {
        let mut inner = self.inner.lock();
        let Some(record) = inner.records.get_mut(&id) else {
            return false;
        };
        let mut dropped: Vec<Token> = vec![record.latest.clone()];
        dropped.extend(record.previous.take());
        dropped.retain(|t| t != presented);
        record.previous = Some(presented.clone());
        record.latest = token.clone();
        record.client = client;
        record.held = None;
        inner.forget_tokens(dropped);
        inner.tokens.insert(token, id);
        true
    }

    /// Forgets session `id` without ending anything (another node took it
    /// over): its client and whether it was held.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn forget(&self, id: SessionId) -> Option<(Arc<ClientState>, bool)> {
        let record = self.inner.lock().remove(id)?;
        Some((record.client, record.held.is_some()))
    }
}

impl Sessions for MemorySessions {
    fn open(&self, client: Arc<ClientState>) -> BoxFuture<'_, (SessionId, Token)> {
        let id = {
            let mut inner = self.inner.lock();
            inner.next_id += 1;
            inner.next_id
        };
        let token = Token::new();
        self.insert(id, token.clone(), None, client);
        Box::pin(future::ready((id, token)))
    }

    fn find<'a>(
        &'a self,
        token: &'a Token,
        user: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Takeover, NoResume>> {
        let inner = self.inner.lock();
        let found = match inner
            .tokens
            .get(token)
            .and_then(|id| Some((*id, inner.records.get(id)?)))
        {
            None => Err(NoResume::Unknown),
            Some((_, record)) if user.is_some_and(|user| user != record.user_id) => {
                Err(NoResume::OtherUser)
            }
            Some((id, record)) => Ok(Takeover {
                id,
                previous: Previous::Here(record.client.clone()),
                was_held: record.held.is_some(),
            }),
        };
        Box::pin(future::ready(found))
    }

    fn resume<'a>(
        &'a self,
        takeover: &'a Takeover,
        presented: &'a Token,
        client: Arc<ClientState>,
    ) -> BoxFuture<'a, Option<Token>> {
        let token = Token::new();
        self.take_over(takeover.id, presented, token.clone(), client);
        Box::pin(future::ready(Some(token)))
    }

    fn hold(&self, id: SessionId) -> BoxFuture<'_, Option<u64>> {
        let mut inner = self.inner.lock();
        inner.next_hold += 1;
        let hold = inner.next_hold;
        let held = inner.records.get_mut(&id).map(|record| {
            record.held = Some(hold);
            hold
        });
        Box::pin(future::ready(held))
    }

    fn expire(&self, id: SessionId, hold: u64) -> BoxFuture<'_, Option<Arc<ClientState>>> {
        let mut inner = self.inner.lock();
        let expired = match inner.records.get(&id) {
            Some(record) if record.held == Some(hold) => inner.remove(id).map(|r| r.client),
            _ => None,
        };
        Box::pin(future::ready(expired))
    }

    fn end(&self, id: SessionId) -> BoxFuture<'_, ()> {
        self.inner.lock().remove(id);
        Box::pin(future::ready(()))
    }

    fn held_client(&self, connection: &str) -> Option<Arc<ClientState>> {
        self.inner
            .lock()
            .records
            .values()
            .find(|record| record.held.is_some() && record.client.id == connection)
            .map(|record| record.client.clone())
    }

    fn end_held_of<'a>(&'a self, user: &'a str) -> BoxFuture<'a, Vec<Arc<ClientState>>> {
        let mut inner = self.inner.lock();
        let held: Vec<SessionId> = inner
            .records
            .iter()
            .filter(|(_, record)| record.held.is_some() && record.user_id == user)
            .map(|(id, _)| *id)
            .collect();
        let clients = held
            .into_iter()
            .filter_map(|id| inner.remove(id).map(|record| record.client))
            .collect();
        Box::pin(future::ready(clients))
    }
}

/// Sessions shared with another part of the node (the Redis bus tells them
/// of takeovers).
impl<S: Sessions> Sessions for Arc<S> {
    fn open(&self, client: Arc<ClientState>) -> BoxFuture<'_, (SessionId, Token)> {
        (**self).open(client)
    }

    fn find<'a>(
        &'a self,
        token: &'a Token,
        user: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Takeover, NoResume>> {
        (**self).find(token, user)
    }

    fn resume<'a>(
        &'a self,
        takeover: &'a Takeover,
        presented: &'a Token,
        client: Arc<ClientState>,
    ) -> BoxFuture<'a, Option<Token>> {
        (**self).resume(takeover, presented, client)
    }

    fn save(&self, client: &ClientState) -> BoxFuture<'static, ()> {
        (**self).save(client)
    }

    fn save_joining(
        &self,
        client: &ClientState,
        room: &str,
        names: Vec<String>,
    ) -> BoxFuture<'static, ()> {
        (**self).save_joining(client, room, names)
    }

    fn hold(&self, id: SessionId) -> BoxFuture<'_, Option<u64>> {
        (**self).hold(id)
    }

    fn expire(&self, id: SessionId, hold: u64) -> BoxFuture<'_, Option<Arc<ClientState>>> {
        (**self).expire(id, hold)
    }

    fn end(&self, id: SessionId) -> BoxFuture<'_, ()> {
        (**self).end(id)
    }

    fn held_client(&self, connection: &str) -> Option<Arc<ClientState>> {
        (**self).held_client(connection)
    }

    fn end_held_of<'a>(&'a self, user: &'a str) -> BoxFuture<'a, Vec<Arc<ClientState>>> {
        (**self).end_held_of(user)
    }

    fn close_user_elsewhere<'a>(&'a self, user: &'a str) -> BoxFuture<'a, Result<(), String>> {
        (**self).close_user_elsewhere(user)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_carry_128_random_bits_and_never_show() {
        let a = Token::new();
        let b = Token::new();
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), 22, "16 bytes in unpadded base64");
        assert_eq!(format!("{a:?}"), "Token(…)");
    }
}
