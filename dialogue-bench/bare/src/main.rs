//! `bare-socketioxide`: the floor Dialogue adds to. Plain socketioxide on
//! axum, speaking just enough of the Dialogue event names for `dialogue-load`
//! to drive it: `dialogue:join` joins a socketioxide room (any name, no
//! checks), `dialogue:trigger` broadcasts the same envelope Dialogue sends
//! (`{event, roomId, data, from, timestamp, meta?}`) with
//! `io.within(room).emit("dialogue:event", …)`, the sender included. No
//! validation, no membership check, no history, no hooks.
//!
//! Run: `PORT=3001 cargo run --release -p dialogue-bench --bin bare-socketioxide`
//! (`NODELAY=1` also sets TCP_NODELAY on accepted connections).
//!
//! It prints `listening on http://127.0.0.1:PORT` once it accepts
//! connections, like the conformance server.

use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::serve::ListenerExt as _;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use socketioxide::SocketIo;
use socketioxide::extract::{AckSender, Data, SocketRef, TryData};

/// The per-socket packet buffer: the same as Dialogue's, so neither drops
/// packets where the other would not.
const OUTGOING_CAPACITY: usize = 4096;

/// The user id given at connect (`auth.userId`, else the socket id).
#[derive(Clone)]
struct UserId(String);

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct JoinRequest {
    room_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TriggerRequest {
    room_id: String,
    event: String,
    data: Value,
    #[serde(default)]
    meta: Option<Map<String, Value>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Envelope<'a> {
    event: &'a str,
    room_id: &'a str,
    data: &'a Value,
    from: &'a str,
    timestamp: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    meta: Option<&'a Map<String, Value>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Joined<'a> {
    room_id: &'a str,
    room_name: &'a str,
}

fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn on_connect(socket: SocketRef, auth: TryData<Value>) {
    let user_id = match auth {
        TryData(Ok(Value::Object(auth))) => match auth.get("userId") {
            Some(Value::String(id)) => id.clone(),
            _ => socket.id.to_string(),
        },
        _ => socket.id.to_string(),
    };
    socket.extensions.insert(UserId(user_id.clone()));

    socket.on(
        "dialogue:join",
        async |socket: SocketRef, Data(request): Data<JoinRequest>, ack: AckSender| {
            socket.join(request.room_id.clone());
            let joined = Joined {
                room_id: &request.room_id,
                room_name: &request.room_id,
            };
            // The event form; an acknowledgement too when one was asked for
            // (sending it without an ack id does nothing).
            let _ = socket.emit("dialogue:joined", &joined);
            let _ = ack.send(&serde_json::json!({
                "ok": true, "roomId": request.room_id, "roomName": request.room_id
            }));
        },
    );

    socket.on(
        "dialogue:trigger",
        async |socket: SocketRef, Data(request): Data<TriggerRequest>| {
            // The reconnect benchmark's cut (BENCH_CUT=1): every `cut-`
            // user is disconnected. socketioxide can only close the
            // namespace; the load generator reconnects either way, and this
            // server recovers nothing.
            if request.event == "bench:cut" && std::env::var("BENCH_CUT").is_ok_and(|v| v == "1") {
                for other in socket.broadcast().sockets() {
                    if other
                        .extensions
                        .get::<UserId>()
                        .is_some_and(|u| u.0.starts_with("cut-"))
                    {
                        let _ = other.disconnect();
                    }
                }
                return;
            }
            let from = socket
                .extensions
                .get::<UserId>()
                .map_or_else(|| socket.id.to_string(), |u| u.0);
            let envelope = Envelope {
                event: &request.event,
                room_id: &request.room_id,
                data: &request.data,
                from: &from,
                timestamp: now_millis(),
                meta: request.meta.as_ref(),
            };
            let _ = socket
                .within(request.room_id.clone())
                .emit("dialogue:event", &envelope)
                .await;
        },
    );

    socket.on(
        "dialogue:leave",
        async |socket: SocketRef, Data(request): Data<JoinRequest>| {
            socket.leave(request.room_id.clone());
            let _ = socket.emit(
                "dialogue:left",
                &serde_json::json!({ "roomId": request.room_id }),
            );
        },
    );

    // Greet last: socketioxide acknowledges the connect before this handler
    // runs, so a client waits for the greeting to know its events will be
    // heard (as Dialogue's clients do).
    let _ = socket.emit(
        "dialogue:connected",
        &serde_json::json!({ "clientId": socket.id.to_string(), "userId": user_id }),
    );
}

#[tokio::main]
async fn main() -> ExitCode {
    let port: u16 = match std::env::var("PORT").map(|p| p.parse()) {
        Err(_) => 3001,
        Ok(Ok(port)) => port,
        Ok(Err(_)) => {
            eprintln!("PORT must be a port number");
            return ExitCode::from(2);
        }
    };
    let (layer, io) = SocketIo::builder()
        .max_buffer_size(OUTGOING_CAPACITY)
        .build_layer();
    io.ns("/", async |socket: SocketRef, auth: TryData<Value>| {
        on_connect(socket, auth);
    });
    let app = axum::Router::new().layer(layer);
    // `NODELAY=1` sets TCP_NODELAY on every accepted connection (axum's
    // `serve` leaves Nagle's algorithm on; Node's http server turns it off).
    let nodelay = std::env::var("NODELAY").is_ok_and(|v| v == "1");
    let listener = match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("cannot listen on 127.0.0.1:{port}: {error}");
            return ExitCode::FAILURE;
        }
    };
    let port = listener.local_addr().map_or(port, |addr| addr.port());
    let listener = listener.tap_io(move |tcp| {
        if nodelay {
            let _ = tcp.set_nodelay(true);
        }
    });
    println!("listening on http://127.0.0.1:{port}");
    let shutdown = async {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = async {
                match term.as_mut() {
                    Some(term) => { term.recv().await; }
                    None => std::future::pending::<()>().await,
                }
            } => {}
        }
    };
    if let Err(error) = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
    {
        eprintln!("serve: {error}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
