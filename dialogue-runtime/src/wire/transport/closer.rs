//! The [`Closer`]: which engine.io sessions belong to accepted clients,
//! their WebSocket connections, and closing them (see the module above).

use super::*;

/// The engine.io sessions of accepted clients: the WebSocket connection
/// each one uses, whether it is being closed, and its long-polls to cut
/// short.
///
/// Only WebSocket connections are killed: a connection that carried a poll
/// may be shared (HTTP keep-alive from a browser or a proxy carries other
/// requests too), so a closing polling session is refused at the HTTP level
/// instead: its pending poll is answered at once, and every later request
/// gets what engine.io answers an unknown session (400), which a client
/// takes for a transport error.
#[derive(Debug)]
pub(crate) struct Closer {
    // One lock over all sessions: it is taken once per WebSocket and per
    // long-polling request, never per message or per recipient.
    pub(super) sessions: Mutex<HashMap<Box<str>, Tracked>>,
    /// Closed sessions whose namespace socket is gone but whose engine.io
    /// session may still get requests, and upgrades whose client has not
    /// connected yet: when each may be forgotten, and why it is kept.
    tombstones: Mutex<VecDeque<(Instant, Box<str>, Kept)>>,
    /// How long a closed session is remembered: engine.io ends it at the
    /// latest after a ping interval and a ping timeout.
    linger: Duration,
}

#[derive(Debug, Default)]
pub(super) struct Tracked {
    websockets: Vec<Arc<Kill>>,
    closing: Arc<Closing>,
    /// Its client is connected (`register`); until then the entry only
    /// holds a WebSocket upgrade that came first, and goes after `linger`.
    registered: bool,
}

/// A session's closing, as its pending polls see it.
#[derive(Debug, Default)]
pub(crate) struct Closing {
    closed: AtomicBool,
    notify: Notify,
}

impl Closing {
    /// Resolves once the session is closing.
    pub(super) async fn wait(&self) {
        let notified = self.notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        if !self.closed.load(Ordering::Acquire) {
            notified.await;
        }
    }
}

/// Why an entry outlives its client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kept {
    /// Closed: its later requests are refused until its time is up.
    Closed,
    /// A WebSocket upgrade that came before its client connected: dropped
    /// at its time unless the client connected meanwhile.
    Upgrade,
}

/// The longest session id remembered for an early upgrade (socketioxide's
/// are 16 characters): anything else is not a session of this server.
const MAX_SID: usize = 64;

/// What the middleware does with a request.
pub(super) enum Verdict {
    /// Not a session of an accepted client (yet): socketioxide decides.
    Pass,
    /// The session is closing: answer as engine.io answers an unknown one.
    Refuse,
    /// A poll of an open session: cut it short if the session closes.
    Watch(Arc<Closing>),
}

impl Closer {
    /// Remembers closed sessions for `linger` (see the field).
    pub(crate) fn new(linger: Duration) -> Self {
        Self {
            sessions: Mutex::new(HashMap::new()),
            tombstones: Mutex::new(VecDeque::new()),
            linger,
        }
    }

    /// Registers an accepted client's session; `websocket`: the connection
    /// of its handshake, when it is a WebSocket (dedicated to it).
    pub(crate) fn register(&self, sid: &str, websocket: Option<&Peer>) {
        self.prune();
        let mut sessions = self.sessions.lock();
        let tracked = sessions.entry(sid.into()).or_default();
        tracked.registered = true;
        if let Some(peer) = websocket
            && !tracked
                .websockets
                .iter()
                .any(|k| Arc::ptr_eq(k, &peer.kill))
        {
            tracked.websockets.push(peer.kill.clone());
        }
    }

    /// What to do with a request of session `sid`; a WebSocket upgrade's
    /// connection (`websocket`) is remembered, to be killed on close.
    pub(super) fn record(&self, sid: &str, websocket: Option<&Peer>, polling: bool) -> Verdict {
        let mut sessions = self.sessions.lock();
        let Some(tracked) = sessions.get_mut(sid) else {
            // A WebSocket upgrade may come before its client is connected
            // (the client probes right after the handshake, while the
            // namespace connects): remember its connection for a while, or
            // closing that client later could not kill it.
            if let Some(peer) = websocket
                && sid.len() <= MAX_SID
                && sid
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            {
                sessions.insert(
                    sid.into(),
                    Tracked {
                        websockets: vec![peer.kill.clone()],
                        ..Tracked::default()
                    },
                );
                drop(sessions);
                self.tombstones.lock().push_back((
                    Instant::now() + self.linger,
                    sid.into(),
                    Kept::Upgrade,
                ));
                // Made here, forgotten here too: a stream of made-up ids
                // holds at most what arrives within `linger`.
                self.prune();
            }
            return Verdict::Pass;
        };
        if tracked.closing.closed.load(Ordering::Acquire) {
            return Verdict::Refuse;
        }
        if let Some(peer) = websocket
            && !tracked
                .websockets
                .iter()
                .any(|k| Arc::ptr_eq(k, &peer.kill))
        {
            tracked.websockets.push(peer.kill.clone());
        }
        if polling {
            Verdict::Watch(tracked.closing.clone())
        } else {
            Verdict::Pass
        }
    }

    /// Closes session `sid`'s transport: kills its WebSocket, cuts its
    /// pending poll short, refuses its later requests. False when it has no
    /// WebSocket this server could kill (a polling session, or one served
    /// without a [`DialogueListener`]).
    pub(crate) fn close(&self, sid: &str) -> bool {
        let mut sessions = self.sessions.lock();
        let tracked = sessions.entry(sid.into()).or_default();
        tracked.closing.closed.store(true, Ordering::Release);
        tracked.closing.notify.notify_waiters();
        for kill in &tracked.websockets {
            kill.kill();
        }
        !tracked.websockets.is_empty()
    }

    /// Forgets session `sid` (its client is gone). A closed one is kept a
    /// while longer: its engine.io session may outlive the client.
    pub(crate) fn forget(&self, sid: &str) {
        let closing = {
            let mut sessions = self.sessions.lock();
            match sessions.get(sid) {
                Some(tracked) if tracked.closing.closed.load(Ordering::Acquire) => true,
                Some(_) => {
                    sessions.remove(sid);
                    false
                }
                None => false,
            }
        };
        if closing {
            self.tombstones.lock().push_back((
                Instant::now() + self.linger,
                sid.into(),
                Kept::Closed,
            ));
        }
        self.prune();
    }

    /// Forgets the closed sessions whose time is up.
    pub(super) fn prune(&self) {
        let now = Instant::now();
        let mut expired = Vec::new();
        {
            let mut tombstones = self.tombstones.lock();
            while tombstones.front().is_some_and(|(at, ..)| *at <= now) {
                if let Some((_, sid, kept)) = tombstones.pop_front() {
                    expired.push((sid, kept));
                }
            }
        }
        if !expired.is_empty() {
            let mut sessions = self.sessions.lock();
            for (sid, kept) in expired {
                // A closed session whose time is up; an upgrade whose client
                // never came (not one that connected since, whose own
                // closing, if any, has a tombstone of its own).
                let gone = sessions.get(&sid).is_some_and(|t| match kept {
                    Kept::Closed => t.closing.closed.load(Ordering::Acquire),
                    Kept::Upgrade => !t.registered,
                });
                if gone {
                    sessions.remove(&sid);
                }
            }
        }
    }
}

/// The middleware in front of socketioxide (see [`Closer`]).
pub(crate) async fn track(
    State(closer): State<Arc<Closer>>,
    request: Request,
    next: Next,
) -> Response {
    let query = request.uri().query().unwrap_or_default();
    let Some(sid) = session_of(query) else {
        return next.run(request).await;
    };
    let websocket = query.split('&').any(|pair| pair == "transport=websocket");
    let peer = request
        .extensions()
        .get::<ConnectInfo<Peer>>()
        .map(|info| &info.0)
        .filter(|_| websocket);
    let polling = !websocket && request.method() == axum::http::Method::GET;
    match closer.record(sid, peer, polling) {
        Verdict::Pass => next.run(request).await,
        Verdict::Refuse => unknown_session(),
        Verdict::Watch(closing) => {
            tokio::select! {
                response = next.run(request) => response,
                () = closing.wait() => unknown_session(),
            }
        }
    }
}

/// engine.io's answer to a request of a session it does not know.
pub(super) fn unknown_session() -> Response {
    (
        axum::http::StatusCode::BAD_REQUEST,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        r#"{"code":1,"message":"Session ID unknown"}"#,
    )
        .into_response()
}

/// The `sid` parameter of an engine.io request's query.
pub(super) fn session_of(query: &str) -> Option<&str> {
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix("sid="))
        .filter(|sid| !sid.is_empty())
}
