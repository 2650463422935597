//! The engine: the protocol's rules, in one place for the wire handlers and
//! the server API alike. One file per family of operations:
//!
//! - `clients`: who connects, and their greeting;
//! - `auth`: credentials that expire on a live connection, and their refresh;
//! - `sessions`: resume tokens, taking a session over, holding a dropped
//!   connection's session;
//! - `join`: joining, leaving, subscriptions;
//! - `publish`: triggers, validation, `before_each`, stamping and delivery;
//! - `history`: history pages, and the store writes behind the broadcast;
//! - `rooms`: the rooms (declared, template instances, created), creating
//!   and deleting;
//! - `keeper`: empty client rooms deleted, unused instances swept;
//! - `people`: presence, hosts, kicks and bans;
//! - `streams`: server-sent event streams, a join without a seat;
//! - `handlers`: the application's requests and their handlers.
//!
//! The engine keeps its state behind the seam of `crate::state` and never
//! names socketioxide's adapter. An operation whose hooks run after the
//! answer returns a [`Followup`] with its outcome.

pub(crate) mod auth;
pub(crate) mod catch_up;
pub(crate) mod clients;
pub(crate) mod followup;
pub(crate) mod handlers;
pub(crate) mod history;
pub(crate) mod hooks;
pub(crate) mod join;
pub(crate) mod keeper;
pub(crate) mod people;
pub(crate) mod publish;
pub(crate) mod rooms;
pub(crate) mod sessions;
pub(crate) mod shared_rooms;
pub(crate) mod streams;
pub(crate) mod subscriptions;
pub(crate) mod validation;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::watch;

pub(crate) use self::followup::Followup;
use self::history::HistoryWriter;
use self::hooks::Hooks;
use self::rooms::Rooms;
use self::validation::EventTable;
use crate::control::limits::Limits;
use crate::spec::AppSpec;
use crate::state::State;
use crate::store::HistoryStore;

/// How long a notice sent just before a client's transport closes
/// (`TOKEN_EXPIRED`, `dialogue:shutdown`) has to reach it: a polling client
/// takes it with its next poll.
pub(crate) const NOTICE_FLUSH: Duration = Duration::from_millis(250);

/// Everything the engine is made from.
pub(crate) struct Parts {
    pub(crate) spec: &'static AppSpec,
    pub(crate) events: EventTable,
    pub(crate) state: State,
    pub(crate) limits: Limits,
    pub(crate) hooks: Hooks,
    pub(crate) store: Option<Arc<dyn HistoryStore>>,
    /// Whether `store` is written behind the broadcast (an application's
    /// `HistoryStore`), or is the durable store rooms commit to themselves.
    pub(crate) write_behind: bool,
    /// The HTTP side (the Socket.IO endpoint, CORS), for `Dialogue::router`.
    pub(crate) router: axum::Router,
    /// How long a dropped connection's session is held (zero: not held).
    pub(crate) grace: Duration,
    /// How long an unused per-user instance stays in memory.
    pub(crate) instance_idle: Duration,
    /// The application's requests and their handlers.
    pub(crate) requests: handlers::RequestTable,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub(crate) trusted_proxies: Vec<std::net::IpAddr>,
    /// The application's presence info: its schema and hook.
    pub(crate) presence: people::Presence,
    /// How long a client-created room may stay empty before it is deleted.
    pub(crate) empty_room: Duration,
    /// The HTTP API's key and path, when it is served.
    pub(crate) http_api: Option<crate::control::api_key::HttpApi>,
    /// Where `/health` and `/ready` are served (`None`: not served).
    pub(crate) probes: crate::control::api_key::Probes,
    /// The longest a shutdown waits for transports to close.
    pub(crate) shutdown_bound: Duration,
    /// How long a connection has to send each request's head (`wire::accept`).
    pub(crate) head_timeout: Duration,
}

/// The shared state of one running server.
pub(crate) struct Engine {
    pub(crate) spec: &'static AppSpec,
    pub(crate) events: EventTable,
    pub(crate) requests: handlers::RequestTable,
    /// Proxies whose `X-Forwarded-For` is believed (`control::proxies`).
    pub(crate) trusted_proxies: Vec<std::net::IpAddr>,
    pub(crate) presence: people::Presence,
    /// How long a client-created room may stay empty before it is deleted.
    pub(crate) empty_room: Duration,
    /// The HTTP API's key and path, when it is served (`api::http`).
    pub(crate) http_api: Option<crate::control::api_key::HttpApi>,
    /// Where `/health` and `/ready` are served (`api::http::probes`).
    pub(crate) probes: crate::control::api_key::Probes,
    /// The longest a shutdown waits for transports to close.
    pub(crate) shutdown_bound: Duration,
    /// How long a connection has to send each request's head (`wire::accept`).
    pub(crate) head_timeout: Duration,
    /// Connections held, against the caps of `limits`.
    pub(crate) admission: Arc<crate::state::admission::Admission>,
    pub(crate) rooms: Rooms,
    pub(crate) state: State,
    pub(crate) limits: Limits,
    pub(crate) hooks: Hooks,
    pub(crate) router: axum::Router,
    /// How long a dropped connection's session is held (zero: not held).
    pub(crate) grace: Duration,
    /// `true` once shutdown has begun; `serve` returns when it sees it.
    pub(crate) stop_signal: watch::Sender<bool>,
    history: HistoryWriter,
    next_listener: AtomicU64,
    /// Set by shutdown: nothing is sent after it.
    stopped: AtomicBool,
}

impl Engine {
    pub(crate) fn new(parts: Parts) -> Arc<Self> {
        let engine = Self::assemble(parts);
        // Rooms other nodes create and delete (a shared registry).
        engine
            .state
            .registry
            .watch(Arc::new(Arc::downgrade(&engine)));
        engine
    }

    fn assemble(parts: Parts) -> Arc<Self> {
        Arc::new_cyclic(|me| {
            let history = HistoryWriter::new(
                parts.store,
                parts.write_behind,
                !parts.hooks.on_cleanup.is_empty(),
                me.clone(),
            );
            Self {
                spec: parts.spec,
                events: parts.events,
                requests: parts.requests,
                trusted_proxies: parts.trusted_proxies,
                presence: parts.presence,
                empty_room: parts.empty_room,
                http_api: parts.http_api,
                probes: parts.probes,
                shutdown_bound: parts.shutdown_bound,
                head_timeout: parts.head_timeout,
                admission: crate::state::admission::Admission::new(
                    parts.limits.max_connections,
                    parts.limits.max_connections_per_ip,
                ),
                rooms: Rooms::new(parts.spec, &parts.state, parts.instance_idle),
                state: parts.state,
                limits: parts.limits,
                hooks: parts.hooks,
                router: parts.router,
                grace: parts.grace,
                stop_signal: watch::channel(false).0,
                history,
                next_listener: AtomicU64::new(0),
                stopped: AtomicBool::new(false),
            }
        })
    }

    pub(crate) fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::Acquire)
    }

    pub(crate) fn stop(&self) {
        self.stopped.store(true, Ordering::Release);
    }

    /// What keeps this node from serving now, for `/ready`: each a short
    /// name and why (empty: ready).
    pub(crate) fn not_ready(&self) -> Vec<(&'static str, String)> {
        let mut failing = Vec::new();
        if self.is_stopped() {
            failing.push(("shutdown", "the server is shutting down".to_owned()));
        }
        if let Some(why) = self.history.store_failure() {
            failing.push(("store", why));
        }
        if let Some(why) = self.state.backend.failure() {
            failing.push(("redis", why));
        }
        failing
    }

    pub(crate) fn next_listener_id(&self) -> u64 {
        self.next_listener.fetch_add(1, Ordering::Relaxed)
    }
}
