//! One typed client's state across connections: the connection in use (or
//! none while reconnecting), who it is (ids, resume token), its rooms; and
//! the two things every operation does: open a connection and greet, and
//! call the server with an acknowledgement.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use dialogue_core::protocol::{Position, Request, ServerEvent};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use tokio::sync::watch;
use tokio::time::Instant;

use super::error::read_ack;
use super::rooms::{JoinAnswer, Rooms, Subscribed};
use super::{CallError, ConnectError};
use crate::{Client, ClientBuilder, Error, Transport};

/// What the builder fixed.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    pub(crate) url: String,
    pub(crate) auth: Map<String, Value>,
    pub(crate) transport: Transport,
    pub(crate) connect_timeout: Duration,
    pub(crate) call_timeout: Duration,
    pub(crate) reconnect: bool,
    pub(crate) delay_min: Duration,
    pub(crate) delay_max: Duration,
}

/// The connection in use.
#[derive(Clone)]
pub(crate) enum Link {
    Up(Arc<Client>),
    Reconnecting,
    Closed,
}

/// `dialogue:connected`, owned and read leniently.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Greeting {
    pub(crate) client_id: String,
    pub(crate) user_id: String,
    #[serde(default)]
    pub(crate) resume_token: Option<String>,
    #[serde(default)]
    pub(crate) resumed: Option<bool>,
    #[serde(default)]
    pub(crate) rooms: Vec<String>,
    #[serde(default)]
    pub(crate) recovered: Vec<String>,
    #[serde(default)]
    pub(crate) kicked: Vec<KickedRoom>,
}

/// A room of `Greeting::kicked`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct KickedRoom {
    pub(crate) room_id: String,
}

/// The shared state of a typed client; see the module docs.
pub(crate) struct Session {
    pub(crate) options: Options,
    link: watch::Sender<Link>,
    greeting: Mutex<Greeting>,
    rooms: Mutex<Rooms>,
    trigger_prefix: String,
    next_trigger: AtomicU64,
}

impl Session {
    pub(crate) fn new(options: Options, client: Arc<Client>, greeting: Greeting) -> Self {
        Self {
            options,
            link: watch::channel(Link::Up(client)).0,
            greeting: Mutex::new(greeting),
            rooms: Mutex::new(Rooms::default()),
            trigger_prefix: format!("{:016x}", random_u64()),
            next_trigger: AtomicU64::new(0),
        }
    }

    /// Opens a connection and reads its greeting, resuming `resume` (a
    /// token and the rooms' positions) when given.
    pub(crate) async fn open(
        options: &Options,
        resume: Option<(String, Map<String, Value>)>,
    ) -> Result<(Arc<Client>, Greeting), ConnectError> {
        let mut auth = options.auth.clone();
        if let Some((token, positions)) = resume {
            auth.insert("resume".into(), Value::String(token));
            auth.insert("positions".into(), Value::Object(positions));
        }
        let started = Instant::now();
        let client = ClientBuilder::new(&options.url)
            .transport(options.transport)
            .auth(Value::Object(auth))
            .connect_timeout(options.connect_timeout)
            .connect()
            .await?;
        let left = options.connect_timeout.saturating_sub(started.elapsed());
        let first = client.recv_timeout(left).await?;
        if first.name != ServerEvent::Connected.wire_name() {
            return Err(ConnectError::Greeting(format!(
                "the first event is `{}`",
                first.name
            )));
        }
        let greeting = first
            .args
            .into_iter()
            .next()
            .ok_or_else(|| "no payload".to_owned())
            .and_then(|payload| serde_json::from_value(payload).map_err(|e| e.to_string()))
            .map_err(ConnectError::Greeting)?;
        Ok((Arc::new(client), greeting))
    }

    pub(crate) fn rooms(&self) -> MutexGuard<'_, Rooms> {
        self.rooms.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn greeting(&self) -> MutexGuard<'_, Greeting> {
        self.greeting.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn link(&self) -> Link {
        self.link.borrow().clone()
    }

    /// Replaces the link, unless the client was closed meanwhile (then
    /// false: closed is for good).
    pub(crate) fn set_link(&self, next: Link) -> bool {
        self.link.send_if_modified(|link| {
            if matches!(link, Link::Closed) {
                return false;
            }
            *link = next;
            true
        })
    }

    pub(crate) fn watch_link(&self) -> watch::Receiver<Link> {
        self.link.subscribe()
    }

    /// Ends the client: no reconnection, every feed ends; the connection in
    /// use, if any, is returned to be closed.
    pub(crate) fn close(&self) -> Option<Arc<Client>> {
        let previous = self.link.send_replace(Link::Closed);
        self.rooms().clear();
        match previous {
            Link::Up(client) => Some(client),
            _ => None,
        }
    }

    /// A fresh trigger id: unique per client, so a trigger sent again after
    /// a lost answer is recognised and never delivered twice.
    pub(crate) fn trigger_id(&self) -> String {
        let n = self.next_trigger.fetch_add(1, Ordering::Relaxed);
        format!("{}-{n}", self.trigger_prefix)
    }

    /// The connection, once there is one (waiting out a reconnection until
    /// `deadline`).
    async fn connected(&self, deadline: Instant) -> Result<Arc<Client>, CallError> {
        let mut link = self.link.subscribe();
        let up = link.wait_for(|link| match link {
            Link::Up(client) => client.is_connected(),
            Link::Closed => true,
            Link::Reconnecting => false,
        });
        match tokio::time::timeout_at(deadline, up).await {
            Err(_) => Err(CallError::Timeout(self.options.call_timeout)),
            Ok(Err(_)) => Err(CallError::Closed),
            Ok(Ok(link)) => match &*link {
                Link::Up(client) => Ok(client.clone()),
                _ => Err(CallError::Closed),
            },
        }
    }

    /// Sends `request` with an acknowledgement and reads the answer. With
    /// `again`, a call whose connection ends first is sent again on the next
    /// one (for calls that are safe to repeat); all within the call timeout.
    pub(crate) async fn call(
        &self,
        request: Request,
        data: Value,
        again: bool,
    ) -> Result<Map<String, Value>, CallError> {
        let timeout = self.options.call_timeout;
        let deadline = deadline_in(timeout);
        loop {
            let client = self.connected(deadline).await?;
            let left = deadline.saturating_duration_since(Instant::now());
            match call_on(&client, request, data.clone(), left).await {
                Err(CallError::Disconnected) if again => {
                    // Wait for the dispatcher to notice and reconnect.
                    let mut link = self.link.subscribe();
                    let gone = link.wait_for(|link| match link {
                        Link::Up(now) => !Arc::ptr_eq(now, &client),
                        _ => true,
                    });
                    if tokio::time::timeout_at(deadline, gone).await.is_err() {
                        return Err(CallError::Timeout(timeout));
                    }
                }
                Err(CallError::Timeout(_)) => return Err(CallError::Timeout(timeout)),
                other => return other,
            }
        }
    }

    /// Joins `id` on the connection in use, with the room's `defaults`
    /// subscriptions the first time; the room's events wait meanwhile.
    pub(crate) async fn join(
        &self,
        id: &str,
        defaults: Subscribed,
    ) -> Result<JoinAnswer, CallError> {
        let subscriptions = self.rooms().begin_join(id, defaults);
        self.send_join(None, id, None, subscriptions).await
    }

    /// Joins again, on the new connection `client`, a room joined before,
    /// from its position, with the subscriptions it had; `NotJoined` when it
    /// was left meanwhile.
    pub(crate) async fn rejoin(
        &self,
        client: &Client,
        id: &str,
        since: Option<Position>,
    ) -> Result<JoinAnswer, CallError> {
        let subscriptions = {
            let mut rooms = self.rooms();
            let Some(subscribed) = rooms.subscribed(id) else {
                return Err(CallError::NotJoined(id.to_owned()));
            };
            rooms.begin_join(id, subscribed)
        };
        self.send_join(Some(client), id, since, subscriptions).await
    }

    async fn send_join(
        &self,
        client: Option<&Client>,
        id: &str,
        since: Option<Position>,
        subscriptions: Option<Vec<String>>,
    ) -> Result<JoinAnswer, CallError> {
        let mut body = json!({ "roomId": id });
        if let Some(since) = &since {
            body["since"] = json!(since);
        }
        if let Some(subscriptions) = subscriptions {
            body["subscriptions"] = json!(subscriptions);
        }
        let answer = match client {
            Some(client) => call_on(client, Request::Join, body, self.options.call_timeout).await,
            None => self.call(Request::Join, body, true).await,
        }
        .and_then(|answer| {
            serde_json::from_value::<JoinAnswer>(Value::Object(answer))
                .map_err(|e| CallError::invalid(Request::Join.wire_name(), e))
        });
        self.rooms()
            .finish_join(id, since.is_some(), answer.as_ref().ok());
        answer
    }
}

/// Sends `request` on `client` with an acknowledgement, within `timeout`.
pub(crate) async fn call_on(
    client: &Client,
    request: Request,
    data: Value,
    timeout: Duration,
) -> Result<Map<String, Value>, CallError> {
    let what = request.wire_name();
    match client.emit_with_ack(what, data, timeout).await {
        Ok(args) => read_ack(what, args),
        Err(Error::AckTimeout(timeout) | Error::Timeout(timeout)) => {
            Err(CallError::Timeout(timeout))
        }
        Err(Error::Disconnected) => Err(CallError::Disconnected),
        Err(other) => Err(CallError::Transport(other)),
    }
}

/// `timeout` from now (at most a year, so that no timeout overflows).
pub(crate) fn deadline_in(timeout: Duration) -> Instant {
    const YEAR: Duration = Duration::from_secs(365 * 24 * 3600);
    Instant::now() + timeout.min(YEAR)
}

/// 64 bits that differ from call to call and run to run (the standard
/// library's randomly keyed hasher: enough for ids and jitter).
pub(crate) fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    hasher.finish()
}
