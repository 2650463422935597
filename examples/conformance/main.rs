//! The conformance server: the fixed application of docs/conformance.md
//! that end-to-end tests, clients and benchmarks run against.
//!
//! Run: `cargo run --release --example conformance`
//!
//! It listens on `127.0.0.1:$PORT` (default 3000), prints
//! `listening on http://127.0.0.1:PORT` once it accepts connections, and stops
//! cleanly on Ctrl-C or SIGTERM. Then connect any Socket.IO v4 client, e.g.
//! `io("http://127.0.0.1:3000", { auth: { userId: "alice" } })`, and emit
//! `dialogue:join` with `{ roomId: "chat" }`.
//!
//! Switches (environment variables, all off unless set):
//!
//! | variable | effect |
//! |---|---|
//! | `PORT` | the port (default 3000; 0 picks a free one) |
//! | `DIALOGUE_JWT_SECRET` | require an HS256 JWT in `auth.token`; `sub` is the user id |
//! | `DIALOGUE_TRIGGER_RATE` | at most this many triggers per second per connection |
//! | `DIALOGUE_MAX_PAYLOAD` | the largest `data` in bytes (default 65536) |
//! | `DIALOGUE_HISTORY_DB` | an SQLite file keeping every event, committed before it is answered; positions survive restarts |
//! | `DIALOGUE_STORE_MAX_ROWS` | with `DIALOGUE_HISTORY_DB`: the store keeps at most this many events per room beyond the recovery window (default: every event) |
//! | `DIALOGUE_REDIS_URL` | join the other nodes that use this Redis: shared streams (one seq per room, history, recovery) and capacity (docs/scaling.md) |
//! | `DIALOGUE_NODE_ID` | this node's name, printed at start (default: the host name and port) |
//! | `DIALOGUE_RESUME_SECS` | how long a dropped session is held (default 120) |
//! | `DIALOGUE_RECOVERY_SIZE`, `DIALOGUE_RECOVERY_SECS` | each room's recovery window (defaults 1000 events, 300 s) |
//! | `DIALOGUE_SEND_BUFFER` | packets a connection may have waiting before it is a slow member (default 4096) |
//! | `DIALOGUE_PING_SECS`, `DIALOGUE_PING_TIMEOUT_SECS` | the heartbeat (defaults 25 and 20) |
//! | `DIALOGUE_CORS_ORIGINS` | comma-separated origins allowed for polling and for the WebSocket upgrade (default: any) |
//! | `DIALOGUE_SHUTDOWN_SECS` | the bound on a graceful shutdown (default 10) |
//! | `DIALOGUE_MAX_CONNECTIONS`, `DIALOGUE_MAX_CONNECTIONS_PER_IP` | admission caps; past them a handshake is refused (defaults 19,000 and unlimited) |
//! | `DIALOGUE_MAX_ROOMS_PER_CONNECTION`, `DIALOGUE_MAX_CREATED_ROOMS` | rooms one connection may be in, rooms one user may have created (defaults 100 and 20) |
//! | `DIALOGUE_COUNT_DELIVERIES` | `1`: count every delivery for `/metrics` (`dialogue_deliveries_total`; a walk over each event's recipients) |
//! | `DIALOGUE_API_KEY` | serve the HTTP API under `/api` for this bearer key (docs/http-api.md) |
//! | `DIALOGUE_EMPTY_ROOM_SECS` | how long a client-created room (or a `doc:{docId}` instance in memory) may stay empty (default 300) |
//! | `DIALOGUE_BENCH_CUT` | `1`: for the reconnect benchmark only, a trigger of `bench:cut` closes the connection of every user whose id starts with `cut-` (sessions kept) |
//! | `RUST_LOG` | log filter on stderr, e.g. `dialogue_runtime=debug` |
//!
//! `cargo run --example conformance -- codegen DIR` writes the generated
//! TypeScript client (and AsyncAPI, JSON Schemas) into DIR instead; with
//! `--check` it only compares.

mod app;
#[path = "../common/mod.rs"]
mod common;

use std::num::NonZeroU32;
use std::process::ExitCode;
use std::str::FromStr;
use std::time::Duration;

use app::ConformanceApp;
use common::{init_logging, listen, port, stop_signal};
use dialogue_runtime::sqlite::{Retention, SqliteStore, StoreOptions};
use dialogue_runtime::{
    DEFAULT_EMPTY_ROOM, DEFAULT_PING, DEFAULT_RECOVERY_AGE, DEFAULT_RECOVERY_SIZE, DialogueApp,
    DialogueBuilder, JwtAuth,
};

/// How this server is run, for the generated files' header.
const PROGRAM: &str = "cargo run --example conformance --";

#[tokio::main]
async fn main() -> ExitCode {
    // `codegen DIR [--check]` writes (or checks) the TypeScript client and
    // exits; anything else starts the server.
    dialogue_codegen::run_if_requested(ConformanceApp::spec(), PROGRAM);
    init_logging("warn");
    let (port, builder) = match configure() {
        Ok(config) => config,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let dialogue = match builder.build() {
        Ok(dialogue) => dialogue,
        Err(error) => {
            eprintln!("cannot start: {error}");
            return ExitCode::FAILURE;
        }
    };
    let Ok((listener, _)) = listen(port).await else {
        return ExitCode::FAILURE;
    };
    // `/metrics`: Prometheus text, the gauges set from the state at each
    // scrape (docs/operating.md).
    let app = match metrics_exporter_prometheus::PrometheusBuilder::new().install_recorder() {
        Ok(handle) => {
            let scraped = dialogue.clone();
            axum::Router::new().route(
                "/metrics",
                axum::routing::get(move || {
                    scraped.record_metrics();
                    let text = handle.render();
                    async move {
                        (
                            [(
                                axum::http::header::CONTENT_TYPE,
                                "text/plain; version=0.0.4",
                            )],
                            text,
                        )
                    }
                }),
            )
        }
        Err(error) => {
            eprintln!("metrics are off: {error}");
            axum::Router::new()
        }
    }
    .merge(dialogue.router());

    let stopper = dialogue.clone();
    tokio::spawn(async move {
        stop_signal().await;
        stopper.shutdown().await;
    });
    match dialogue.serve_router(listener, app).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{error}");
            ExitCode::FAILURE
        }
    }
}

/// The port and the server's configuration, from the environment.
fn configure() -> Result<(u16, DialogueBuilder<ConformanceApp>), String> {
    let port = port()?;
    let mut builder = ConformanceApp::server();
    if let Some(secret) = var("DIALOGUE_JWT_SECRET")? {
        builder = builder.jwt(JwtAuth::hs256(secret));
    }
    if let Some(text) = var("DIALOGUE_TRIGGER_RATE")? {
        let rate = text.parse::<NonZeroU32>().map_err(|_| {
            format!("DIALOGUE_TRIGGER_RATE must be a whole number of triggers per second (at least 1), not {text:?}")
        })?;
        builder = builder.trigger_rate(rate);
    }
    if let Some(text) = var("DIALOGUE_MAX_PAYLOAD")? {
        let bytes = text
            .parse::<usize>()
            .ok()
            .filter(|&bytes| bytes > 0)
            .ok_or_else(|| {
                format!("DIALOGUE_MAX_PAYLOAD must be a size in bytes (at least 1), not {text:?}")
            })?;
        builder = builder.max_payload(bytes);
    }
    if let Some(path) = var("DIALOGUE_HISTORY_DB")? {
        let rows = number::<u64>("DIALOGUE_STORE_MAX_ROWS", "a number of events")?;
        builder = match rows {
            None => builder.store(path),
            Some(rows) => {
                let retention = Retention::default().max_rows_per_room(rows);
                let store =
                    SqliteStore::open_with(&path, StoreOptions::default().retention(retention))
                        .map_err(|e| format!("DIALOGUE_HISTORY_DB: {e}"))?;
                builder.sqlite_store(store)
            }
        };
    }
    if let Some(url) = var("DIALOGUE_REDIS_URL")? {
        let node = var("DIALOGUE_NODE_ID")?.unwrap_or_else(|| format!("{}:{port}", host_name()));
        eprintln!("node {node} on Redis at {url}");
        builder = builder.redis(url).node_id(node);
    }
    if let Some(secs) = number::<u64>("DIALOGUE_RESUME_SECS", "a number of seconds")? {
        builder = builder.resume_grace(Duration::from_secs(secs));
    }
    let size = number::<usize>("DIALOGUE_RECOVERY_SIZE", "a number of events")?;
    let age = number::<u64>("DIALOGUE_RECOVERY_SECS", "a number of seconds")?;
    if size.is_some() || age.is_some() {
        builder = builder.recovery_window(
            size.unwrap_or(DEFAULT_RECOVERY_SIZE),
            age.map_or(DEFAULT_RECOVERY_AGE, Duration::from_secs),
        );
    }
    if let Some(packets) = number::<usize>("DIALOGUE_SEND_BUFFER", "a number of packets")? {
        if packets == 0 {
            return Err("DIALOGUE_SEND_BUFFER must be at least 1".into());
        }
        builder = builder.send_buffer(packets);
    }
    let ping = number::<u64>("DIALOGUE_PING_SECS", "a number of seconds")?;
    let timeout = number::<u64>("DIALOGUE_PING_TIMEOUT_SECS", "a number of seconds")?;
    if ping.is_some() || timeout.is_some() {
        let interval = ping.map_or(DEFAULT_PING.0, Duration::from_secs);
        let timeout = timeout.map_or(DEFAULT_PING.1, Duration::from_secs);
        if interval.is_zero() || timeout.is_zero() {
            return Err(
                "DIALOGUE_PING_SECS and DIALOGUE_PING_TIMEOUT_SECS must be at least 1".into(),
            );
        }
        builder = builder.heartbeat(interval, timeout);
    }
    if let Some(origins) = var("DIALOGUE_CORS_ORIGINS")? {
        let origins: Vec<&str> = origins
            .split(',')
            .map(str::trim)
            .filter(|o| !o.is_empty())
            .collect();
        builder = builder.cors(dialogue_runtime::Cors::origins(origins));
    }
    if let Some(secs) = number::<u64>("DIALOGUE_SHUTDOWN_SECS", "a number of seconds")? {
        builder = builder.shutdown_timeout(Duration::from_secs(secs));
    }
    let rooms =
        number::<usize>("DIALOGUE_MAX_ROOMS_PER_CONNECTION", "a number of rooms")?.unwrap_or(100);
    let created = number::<usize>("DIALOGUE_MAX_CREATED_ROOMS", "a number of rooms")?.unwrap_or(20);
    builder = builder
        .max_rooms_per_connection(rooms)
        .max_created_rooms_per_user(created);
    // The descriptor limit of this machine is 20,000: leave some for files.
    let max =
        number::<usize>("DIALOGUE_MAX_CONNECTIONS", "a number of connections")?.unwrap_or(19_000);
    builder = builder.max_connections(max);
    if let Some(max) =
        number::<usize>("DIALOGUE_MAX_CONNECTIONS_PER_IP", "a number of connections")?
    {
        builder = builder.max_connections_per_ip(max);
    }
    if var("DIALOGUE_COUNT_DELIVERIES")?.as_deref() == Some("1") {
        builder = builder.count_deliveries(true);
    }
    if let Some(key) = var("DIALOGUE_API_KEY")? {
        builder = builder.api_key(&key);
    }
    // Template instances leave memory after the same period (PROTOCOL.md).
    let empty = number::<u64>("DIALOGUE_EMPTY_ROOM_SECS", "a number of seconds")?
        .map_or(DEFAULT_EMPTY_ROOM, Duration::from_secs);
    builder = builder
        .delete_empty_rooms_after(empty)
        .drop_unused_user_rooms_after(empty);
    if var("DIALOGUE_BENCH_CUT")?.as_deref() == Some("1") {
        builder = builder.on_triggered(|dialogue, message| async move {
            if message.event == "bench:cut" {
                for client in dialogue.get_all_clients() {
                    if client.user_id().starts_with("cut-") {
                        client.force_reconnect();
                    }
                }
            }
        });
    }
    Ok((port, builder))
}

/// A whole number from an environment variable, described as `what` when
/// it does not read.
fn number<T: FromStr>(name: &str, what: &str) -> Result<Option<T>, String> {
    match var(name)? {
        None => Ok(None),
        Some(text) => text
            .parse::<T>()
            .map(Some)
            .map_err(|_| format!("{name} must be {what}, not {text:?}")),
    }
}

/// An environment variable; unset and empty are the same.
fn var(name: &str) -> Result<Option<String>, String> {
    match std::env::var(name) {
        Ok(value) if value.is_empty() => Ok(None),
        Ok(value) => Ok(Some(value)),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => Err(format!("{name} is not valid UTF-8")),
    }
}

/// The machine's host name, for a node's default name.
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|name| name.trim().to_owned())
        .unwrap_or_else(|_| "localhost".to_owned())
}
