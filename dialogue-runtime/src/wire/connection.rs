//! One socket's life: identity at connect, an ordered queue of requests, and
//! cleanup at disconnect.
//!
//! socketioxide runs each event handler in its own task, so two requests of
//! one client could be handled out of order (a trigger before the join sent
//! just before it). Its extractors, however, run in the socket's read loop in
//! arrival order. So the one handler registered per socket is a catch-all
//! whose extractor puts the raw request into this socket's queue, and one task
//! per socket works through the queue: in order, one request at a time, never
//! dropping one (a full queue is answered with an error).

use std::collections::hash_map::RandomState;
use std::convert::Infallible;
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures_util::FutureExt;
use serde_json::{Map, Value};
use socketioxide::adapter::LocalAdapter;
use socketioxide::extract::{AckSender, SocketRef, TryData};
use socketioxide::handler::{FromMessage, FromMessageParts, Value as SioValue};
use socketioxide::socket::{DisconnectReason, Socket};
use tokio::sync::{mpsc, oneshot};
use tracing::Instrument;

use crate::client::ClientState;
use crate::engine::Engine;
use crate::error::{ErrorCode, RequestError, ToWire, WireError};
use crate::fanout;
use crate::hooks::{self, Handshake, HookFailure};
use crate::limits::Rates;
use crate::protocol::{AckError, Connected, names};
use crate::requests;
use crate::rules::MAX_NAME_LEN;

/// Requests waiting per socket. A client that sends more without waiting for
/// answers is told `RATE_LIMITED` for the excess.
pub(crate) const QUEUE_CAPACITY: usize = 256;

/// Packets waiting to be written to one socket (socketioxide's buffer,
/// 128 by default). Well above the request queue, so that every request
/// waiting can be answered even while the client is slow to read; the
/// buffer grows only as it fills. A client that stops reading altogether
/// fills it and is disconnected at the next heartbeat.
pub(crate) const OUTGOING_CAPACITY: usize = 4096;

/// One request as it arrived.
pub(crate) struct Incoming {
    /// `["dialogue:x", ...args]` and any binary attachments.
    pub(crate) value: SioValue,
    /// Present when the client asked for an acknowledgement.
    pub(crate) ack: Option<AckSender>,
}

/// What the extractor finds in the socket's extensions.
///
/// A connection's requests go through a queue to one loop, in order. The
/// queue and its loop exist only while there is work: the first request
/// starts them and the loop ends once the queue is empty, so an idle
/// connection (most of them, in a fan-out) holds neither a task nor the
/// queue's first block, about 5 KB each.
///
/// Only the extensions hold the `gate`: when the socket goes (its extensions
/// removed or cleared) before it was greeted, the gate's sender drops with
/// them, and a first loop waiting for the greeting ends instead of waiting
/// forever with the client and its queued requests.
#[derive(Clone)]
struct Session {
    state: Arc<SessionState>,
    /// Opened once `dialogue:connected` is sent; the first loop waits for it.
    gate: Arc<parking_lot::Mutex<Option<oneshot::Sender<()>>>>,
}

/// What a request loop shares with the extractor.
struct SessionState {
    engine: Arc<Engine>,
    client: Arc<ClientState>,
    /// The running loop's queue, and (until the first loop takes it) the
    /// signal that the client was greeted. One lock decides both "a loop is
    /// running, queue there" and "the loop found nothing and ends", so no
    /// request is ever queued to a loop that has ended.
    work: parking_lot::Mutex<Work>,
}

struct Work {
    queue: Option<mpsc::Sender<Incoming>>,
    greeted: Option<oneshot::Receiver<()>>,
}

impl SessionState {
    /// Queues a request, starting a loop when none is running; gives the
    /// request back when the queue is full.
    fn enqueue(self: &Arc<Self>, incoming: Incoming) -> Result<(), Incoming> {
        let mut work = self.work.lock();
        let queue = match &work.queue {
            Some(queue) => queue,
            None => {
                let (queue, requests) = mpsc::channel(QUEUE_CAPACITY);
                let greeted = work.greeted.take();
                tokio::spawn(work_through(self.clone(), requests, greeted));
                work.queue.insert(queue)
            }
        };
        match queue.try_send(incoming) {
            Ok(()) => Ok(()),
            Err(mpsc::error::TrySendError::Full(incoming)) => Err(incoming),
            // The loop's end is decided under this lock, with the queue
            // taken away: a queue that is here has a loop reading it, unless
            // the connection went before it was greeted (then nobody is left
            // to answer).
            Err(mpsc::error::TrySendError::Closed(_)) => Ok(()),
        }
    }

    /// The next request, or `None` (the loop ends, the queue goes) when
    /// there is none.
    fn next(&self, requests: &mut mpsc::Receiver<Incoming>) -> Option<Incoming> {
        if let Ok(incoming) = requests.try_recv() {
            return Some(incoming);
        }
        let mut work = self.work.lock();
        match requests.try_recv() {
            Ok(incoming) => Some(incoming),
            Err(_) => {
                work.queue = None;
                None
            }
        }
    }
}

/// The catch-all handler's extractor: queues the request, in arrival order.
pub(crate) struct Enqueued;

impl FromMessage<LocalAdapter> for Enqueued {
    type Error = Infallible;

    fn from_message(
        socket: Arc<Socket>,
        mut value: SioValue,
        ack_id: Option<i64>,
    ) -> Result<Self, Infallible> {
        let ack = match ack_id {
            Some(_) => Some(AckSender::from_message_parts(&socket, &mut value, &ack_id)?),
            None => None,
        };
        let Some(session) = socket.extensions.get::<Session>() else {
            // The socket is disconnecting: nobody is left to answer.
            return Ok(Self);
        };
        if let Err(incoming) = session.state.enqueue(Incoming { value, ack }) {
            let error = RequestError::Overloaded.to_wire();
            match incoming.ack {
                Some(ack) => {
                    let _ = ack.send(&AckError::new(&error));
                }
                None => {
                    let _ = socket.emit(names::ERROR, &error);
                }
            }
        }
        Ok(Self)
    }
}

/// Why a connection is refused; the client gets the message as `connect_error`.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Refusal {
    #[error("auth.userId must be at most {MAX_NAME_LEN} bytes")]
    UserIdTooLong,
    #[error("the server is shutting down")]
    Stopping,
    /// The authenticate step said no, for this reason.
    #[error("{0}")]
    Denied(String),
    /// The authenticate step failed (logged).
    #[error("authentication failed: internal error")]
    Failed,
    /// The authenticate step named an unusable user id.
    #[error("the authenticated user id must be 1 to {MAX_NAME_LEN} bytes")]
    BadIdentity,
}

/// The identity of a connection without an authenticate hook (CONFORMANCE.md):
/// `auth.userId` when it is a non-empty string, else the connection's id. The
/// rest of the auth object is the client's `meta`. `auth.token` never becomes
/// the user id: a token is a secret.
pub(crate) fn default_identity(
    auth: &Value,
    client_id: &str,
) -> Result<(String, Map<String, Value>), Refusal> {
    let mut meta = match auth {
        Value::Object(map) => map.clone(),
        _ => Map::new(),
    };
    let user_id = match meta.remove("userId") {
        Some(Value::String(id)) if id.len() > MAX_NAME_LEN => return Err(Refusal::UserIdTooLong),
        Some(Value::String(id)) if !id.is_empty() => id,
        _ => client_id.to_owned(),
    };
    Ok((user_id, meta))
}

/// A new public connection id: unique, and unrelated to the transport's
/// session id (a credential of the polling transport).
pub(crate) fn new_client_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    format!("{:016x}", hasher.finish())
}

/// The connect middleware: runs before socketioxide acknowledges the
/// connection, so the handlers exist before the first request can arrive.
pub(crate) async fn connect(
    engine: Arc<Engine>,
    socket: SocketRef,
    auth: Value,
) -> Result<(), Refusal> {
    if engine.is_stopped() {
        return Err(Refusal::Stopping);
    }
    let authenticated = match &engine.hooks.authenticate {
        None => None,
        Some(hook) => {
            let handshake = Handshake {
                auth: auth.clone(),
                headers: socket.req_parts().headers.clone(),
            };
            match hooks::decide(&engine, "authenticate", hook, handshake).await {
                Ok(identity)
                    if identity.user_id.is_empty() || identity.user_id.len() > MAX_NAME_LEN =>
                {
                    return Err(Refusal::BadIdentity);
                }
                Ok(identity) => Some(identity),
                Err(HookFailure::Refused(reason)) => {
                    tracing::debug!(%reason, "connection refused by authenticate");
                    return Err(Refusal::Denied(reason));
                }
                Err(HookFailure::Failed) => return Err(Refusal::Failed),
            }
        }
    };
    let (client, ready) = loop {
        let id = new_client_id();
        let (user_id, claims, meta) = match &authenticated {
            Some(identity) => {
                let mut meta = match &auth {
                    Value::Object(map) => map.clone(),
                    _ => Map::new(),
                };
                meta.remove("userId");
                (identity.user_id.clone(), identity.claims.clone(), meta)
            }
            None => {
                let (user_id, meta) = default_identity(&auth, &id)?;
                (user_id, None, meta)
            }
        };
        // Registered once greeted (see `connected`); ids are random, so a
        // clash is next to impossible, but checked.
        if engine.clients.get(&id).is_some() {
            continue;
        }
        let rates = Rates::new(&engine.limits);
        let client = Arc::new(ClientState::new(
            id,
            user_id,
            claims,
            meta,
            socket.clone(),
            rates,
        ));
        break (client, oneshot::channel::<()>());
    };
    socket.extensions.insert(Session {
        state: Arc::new(SessionState {
            engine: engine.clone(),
            client: client.clone(),
            work: parking_lot::Mutex::new(Work {
                queue: None,
                greeted: Some(ready.1),
            }),
        }),
        gate: Arc::new(parking_lot::Mutex::new(Some(ready.0))),
    });
    socket.extensions.insert(client.clone());
    socket.on_fallback(async |_: Enqueued| {});
    let on_disconnect = engine.clone();
    let transport = transport_name(&socket);
    socket.on_disconnect(async move |socket: SocketRef, reason: DisconnectReason| {
        disconnected(&on_disconnect, &socket, reason, transport).await;
    });
    tracing::info!(client = %client.id, user = %client.user_id, transport, "client connected");
    Ok(())
}

/// The connect handler, after socketioxide acknowledged the connection: the
/// first thing a client receives is `dialogue:connected`; only then are its
/// requests worked through.
pub(crate) async fn connected(engine: Arc<Engine>, socket: SocketRef) {
    let Some(client) = socket.extensions.get::<Arc<ClientState>>() else {
        return;
    };
    let _ = socket.emit(
        names::CONNECTED,
        &Connected {
            client_id: &client.id,
            user_id: &client.user_id,
        },
    );
    // Only now may anything else reach the client: broadcasts to everyone,
    // and the server API (which finds clients in the registry).
    socket.join(fanout::GREETED);
    if !engine.clients.insert(client.clone()) {
        tracing::error!(client = %client.id, "two connections drew the same id; refusing the second");
        let _ = socket.disconnect();
        return;
    }
    let transport = transport_name(&socket);
    hooks::observe(&engine, "on_connect", &engine.hooks.on_connect, || {
        crate::engine::socket_info(&client, transport)
    })
    .await;
    hooks::observe(&engine, "on_connected", &engine.hooks.on_connected, || {
        engine.connected_client(&client)
    })
    .await;
    // The client's requests are worked through only now, so `on_connected`
    // may put it in rooms before it asks for anything.
    if let Some(session) = socket.extensions.get::<Session>()
        && let Some(open) = session.gate.lock().take()
    {
        let _ = open.send(());
    }
}

/// The socket's request loop: one request at a time, in arrival order. A
/// request whose handling panics is answered `INTERNAL`; the loop goes on.
async fn work_through(
    session: Arc<SessionState>,
    mut requests: mpsc::Receiver<Incoming>,
    greeted: Option<oneshot::Receiver<()>>,
) {
    // The first loop of a connection waits for its greeting and on_connected.
    if let Some(greeted) = greeted
        && greeted.await.is_err()
    {
        // Gone before it was greeted: nothing of its will be answered. The
        // queue stays, closed, so that no later request starts a loop.
        return;
    }
    let (engine, client) = (&session.engine, &session.client);
    // Every log line about this client's requests carries who it is (at
    // ERROR level, like the request span, so errors always have it).
    let span = tracing::error_span!("client", client = %client.id, user = %client.user_id);
    while let Some(incoming) = session.next(&mut requests) {
        // `next` never waits, so give other tasks their turn as a channel's
        // `recv` would (tokio's cooperative budget).
        tokio::task::consume_budget().await;
        let handled = std::panic::AssertUnwindSafe(requests::handle(engine, client, incoming))
            .catch_unwind()
            .instrument(span.clone())
            .await;
        if let Err(panic) = handled {
            let reason = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            tracing::error!(client = %client.id, user = %client.user_id, %reason, "a request handler panicked");
            // The acknowledgement, if any, went down with the handler; the
            // client still learns that its request failed.
            let _ = client.socket.emit(
                names::ERROR,
                &WireError::new(
                    ErrorCode::Internal,
                    "the server failed to handle the request",
                ),
            );
        }
    }
}

/// Cleanup when a socket goes, whatever the reason.
async fn disconnected(
    engine: &Arc<Engine>,
    socket: &SocketRef,
    reason: DisconnectReason,
    transport: &'static str,
) {
    // Removing the session takes the extractor's way to the request loop (a
    // running loop drains what is queued, then ends; one still waiting for
    // the greeting ends now, its gate gone) and breaks the cycle
    // socket → extensions → client → socket.
    socket.extensions.remove::<Session>();
    if let Some(client) = socket.extensions.remove::<Arc<ClientState>>() {
        tracing::info!(client = %client.id, user = %client.user_id, ?reason, "client disconnected");
        // At shutdown the server forgot its clients already.
        if !engine.is_stopped() {
            engine.disconnect(&client, transport).await;
        }
    }
    socket.extensions.clear();
}

/// `websocket` or `polling`: how the socket connected.
pub(crate) fn transport_name(socket: &SocketRef) -> &'static str {
    match socket.transport_type() {
        socketioxide::TransportType::Websocket => "websocket",
        socketioxide::TransportType::Polling => "polling",
    }
}

/// Reads the handshake's auth object; anything but an object counts as none.
pub(crate) fn auth_object(auth: TryData<Value>) -> Value {
    match auth.0 {
        Ok(value @ Value::Object(_)) => value,
        _ => Value::Object(Map::new()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn identity_comes_from_user_id_and_never_from_the_token() {
        let (user, meta) = default_identity(
            &json!({ "userId": "ada", "token": "s3cret", "role": "admin" }),
            "c1",
        )
        .unwrap();
        assert_eq!(user, "ada");
        assert_eq!(meta["token"], "s3cret");
        assert_eq!(meta["role"], "admin");
        assert!(meta.get("userId").is_none());

        for auth in [
            json!({ "token": "s3cret" }),
            json!({ "userId": 7 }),
            json!({ "userId": "" }),
            json!(null),
        ] {
            assert_eq!(default_identity(&auth, "c1").unwrap().0, "c1", "{auth}");
        }
        let long = json!({ "userId": "x".repeat(MAX_NAME_LEN + 1) });
        assert!(matches!(
            default_identity(&long, "c1"),
            Err(Refusal::UserIdTooLong)
        ));
    }

    #[test]
    fn client_ids_are_unique() {
        let ids: std::collections::HashSet<String> = (0..10_000).map(|_| new_client_id()).collect();
        assert_eq!(ids.len(), 10_000);
    }
}
