//! The ws transport module is responsible for handling websocket connections
//! The only public function is [`new_req`] which is used to upgrade a http request to a websocket connection
//!
//! Other functions are used internally to handle the websocket connection through tasks and channels
//! and to handle upgrade from polling to ws

use std::sync::Arc;

use futures_util::{SinkExt, StreamExt};
use http::{HeaderValue, Request, Response, StatusCode, request::Parts};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::{
    WebSocketStream,
    tungstenite::{
        self, Message,
        handshake::derive_accept_key,
        protocol::{Role, WebSocketConfig},
    },
};
use tokio_util::future::FutureExt as _;

use engineioxide_core::{Packet, ProtocolVersion, Sid, Str, TransportType};

use crate::{
    DisconnectReason, Socket,
    body::ResponseBody,
    config::EngineIoConfig,
    engine::EngineIo,
    errors::Error,
    handler::EngineIoHandler,
    queue::Queued,
    transport::{
        make_open_packet,
        ws_driver::{self, Heartbeat},
    },
};

/// Create a response for websocket upgrade
fn ws_response<B>(ws_key: &HeaderValue) -> Response<ResponseBody<B>> {
    let derived = derive_accept_key(ws_key.as_bytes());
    let sec = derived.parse::<HeaderValue>().unwrap();
    Response::builder()
        .status(StatusCode::SWITCHING_PROTOCOLS)
        .header(http::header::UPGRADE, HeaderValue::from_static("websocket"))
        .header(
            http::header::CONNECTION,
            HeaderValue::from_static("Upgrade"),
        )
        .header(http::header::SEC_WEBSOCKET_ACCEPT, sec)
        .body(ResponseBody::empty_response())
        .unwrap() // we are only using constants
}

/// Upgrade a websocket request to create a websocket connection.
///
/// If a sid is provided in the query it means that is is upgraded from an existing HTTP polling request.
/// In this case the http polling request is closed and the SID is kept for the websocket
pub fn new_req<R: Send + 'static, B, H: EngineIoHandler>(
    engine: Arc<EngineIo<H>>,
    protocol: ProtocolVersion,
    sid: Option<Sid>,
    mut req: Request<R>,
) -> Result<Response<ResponseBody<B>>, Error> {
    let ws_key = req
        .headers()
        .get("Sec-WebSocket-Key")
        .ok_or(Error::InvalidWebSocketKey)?
        .clone();

    // Only what the connection's task needs goes into it (its future is
    // kept for the connection's life): the upgrade, and the request's
    // parts boxed until the session takes them.
    let upgrade = hyper::upgrade::on(&mut req);
    let parts = Box::new(req.into_parts().0);

    tokio::spawn(async move {
        let conn = upgrade.await.map(hyper_util::rt::TokioIo::new);

        let res = match conn {
            Ok(conn) => on_init(engine.clone(), conn, protocol, sid, *parts).await,
            Err(_e) => {
                #[cfg(feature = "tracing")]
                tracing::debug!("ws upgrade error: {}", _e);
                return;
            }
        };

        match res {
            Ok(_) => {
                #[cfg(feature = "tracing")]
                tracing::debug!(?sid, "ws closed")
            }
            Err(Error::MultipleWebsocketRequests) => {}
            Err(_e) => {
                #[cfg(feature = "tracing")]
                tracing::debug!(?sid, "ws closed with error: {_e}");
                if let Some(sid) = sid {
                    engine.close_session(sid, DisconnectReason::TransportError);
                }
            }
        }
    });

    Ok(ws_response(&ws_key))
}

/// Handle a websocket connection upgrade
///
/// Sends an open packet if it is not an upgrade from a polling request
///
/// Read packets from the websocket and handle them, it will block until the connection is closed
pub fn on_init<H: EngineIoHandler, S>(
    engine: Arc<EngineIo<H>>,
    conn: S,
    protocol: ProtocolVersion,
    sid: Option<Sid>,
    req_data: Parts,
) -> impl Future<Output = Result<(), Error>> + Send + 'static
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    // The future of a connection's task lives as long as the connection,
    // and an async function keeps its arguments and the state of every
    // await in it for all of its life. The opening (the request's parts,
    // the upgrade or open handshake) runs boxed, so that its state is freed
    // once the session runs; what stays is the session's own (`run`).
    let opening = Box::pin(open(engine.clone(), conn, protocol, sid, req_data));
    async move {
        let (socket, ws, heartbeat) = opening.await?;
        run(engine, socket, ws, heartbeat).await;
        Ok(())
    }
}

/// A session, its WebSocket once open, and where its heartbeat runs.
type Opened<D, S> = (Arc<Socket<D>>, WebSocketStream<S>, Heartbeat);

/// Opens a session on a new WebSocket (the open handshake), or moves a
/// polling session to it (the upgrade handshake).
#[cfg_attr(
    feature = "tracing",
    tracing::instrument(level = "trace", name = "init_websocket", skip(engine, conn, req_data))
)]
async fn open<H: EngineIoHandler, S>(
    engine: Arc<EngineIo<H>>,
    conn: S,
    protocol: ProtocolVersion,
    sid: Option<Sid>,
    req_data: Parts,
) -> Result<Opened<H::Data, S>, Error>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let ws_config = WebSocketConfig::default()
        .read_buffer_size(engine.config.ws_read_buffer_size)
        .max_message_size(Some(engine.config.ws_max_message_size))
        .max_frame_size(Some(engine.config.ws_max_frame_size));

    let ws_init = move || WebSocketStream::from_raw_socket(conn, Role::Server, Some(ws_config));
    let opened = if let Some(sid) = sid {
        match engine.get_socket(sid) {
            None => return Err(Error::UnknownSessionID(sid)),
            Some(socket) if socket.is_ws() => return Err(Error::MultipleWebsocketRequests),
            Some(socket) => {
                let mut ws = ws_init().await;

                let upgrade_fut = upgrade_handshake::<H, S>(&socket, &mut ws);
                match tokio::time::timeout(engine.config.upgrade_timeout, upgrade_fut)
                    .with_cancellation_token(&socket.cancellation_token)
                    .await
                {
                    Some(Ok(res)) => res?,
                    Some(Err(_)) => {
                        #[cfg(feature = "tracing")]
                        tracing::debug!(?sid, "ws upgrade timed out, closing session");
                        engine.close_session(socket.id, DisconnectReason::TransportError);
                        return Err(Error::Upgrade);
                    }
                    None => {
                        #[cfg(feature = "tracing")]
                        tracing::debug!(?sid, "socket is being closed");
                        return Err(Error::Upgrade);
                    }
                }
                // Its heartbeat task started with its polling transport.
                (socket, ws, Heartbeat::Elsewhere)
            }
        }
    } else {
        let socket = engine.create_session(protocol, TransportType::Websocket, req_data, false);

        #[cfg(feature = "tracing")]
        tracing::debug!("new websocket connection");

        let mut ws = ws_init().await;
        if let Err(e) = init_handshake(socket.id, &mut ws, &engine.config).await {
            engine.close_session(socket.id, DisconnectReason::TransportError);
            return Err(e);
        }
        let heartbeat = heartbeat(&socket, &engine.config);
        (socket, ws, heartbeat)
    };
    Ok(opened)
}

/// Runs an open session until it ends, then closes it.
///
/// A function that returns an `async move` block rather than an `async fn`:
/// an `async fn` keeps its arguments twice in its future (as arguments and
/// as locals), and this future lives as long as the connection.
#[allow(clippy::manual_async_fn)]
fn run<H: EngineIoHandler, S>(
    engine: Arc<EngineIo<H>>,
    socket: Arc<Socket<H::Data>>,
    mut ws: WebSocketStream<S>,
    heartbeat: Heartbeat,
) -> impl Future<Output = ()> + Send
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    async move {
        let locked = match socket.internal_rx.try_lock() {
            Ok(internal_rx) => Some(internal_rx),
            // A polling request that was in progress during the upgrade may
            // still hold the lock. Boxed: rare, and inline its state would
            // enlarge the session's future for all of its life.
            Err(_) => {
                Box::pin(
                    socket
                        .internal_rx
                        .lock()
                        .with_cancellation_token(&socket.cancellation_token),
                )
                .await
            }
        };
        let Some(internal_rx) = locked else {
            #[cfg(feature = "tracing")]
            tracing::debug!(sid = %socket.id, "session closed before its ws started");
            return;
        };

        let ending = ws_driver::drive(&engine, &socket, &mut ws, heartbeat).await;
        #[cfg(feature = "tracing")]
        tracing::debug!(sid = %socket.id, ?ending, "ws session ended");
        ending.close_session(&engine, &socket);

        // What was queued before the end (a close packet) goes out, then the
        // WebSocket closes; the queue is released first, so that closing the
        // session does not wait for a client that does not read, and the
        // closing itself waits for it at most a ping timeout.
        let mut rest = Vec::new();
        while let Some(queued) = socket.queue.try_recv() {
            rest.extend(queued);
        }
        drop(internal_rx);
        let protocol = socket.protocol;
        // Boxed: it runs once, and inline it would enlarge the session's
        // future for all of its life.
        let closing = Box::pin(async {
            for packet in rest {
                if let Some(message) = ws_driver::to_message(protocol, packet) {
                    ws.feed(message).await?;
                }
            }
            ws.flush().await?;
            ws.close(None).await
        });
        let _ = tokio::time::timeout(engine.config.ping_timeout, closing).await;
    }
}

/// The heartbeat of a session that starts on a WebSocket: v4's runs in the
/// session's task; v3's, where the client pings, in a task of its own.
fn heartbeat<D: Default + Send + Sync + 'static>(
    socket: &Arc<Socket<D>>,
    config: &EngineIoConfig,
) -> Heartbeat {
    match socket.protocol {
        ProtocolVersion::V4 => Heartbeat::Here,
        #[allow(unreachable_patterns)]
        _ => {
            socket
                .clone()
                .spawn_heartbeat(config.ping_interval, config.ping_timeout);
            Heartbeat::Elsewhere
        }
    }
}

/// Send a Engine.IO [`OpenPacket`] to initiate a websocket connection
async fn init_handshake<S>(
    sid: Sid,
    ws: &mut WebSocketStream<S>,
    config: &EngineIoConfig,
) -> Result<(), Error>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let packet = Packet::Open(make_open_packet(TransportType::Websocket, sid, config));
    let packet: String = packet.into();
    ws.send(Message::Text(packet.into())).await?;
    Ok(())
}

/// Upgrade a session from a polling request to a websocket request.
///
/// Before upgrading the session the server should send a NOOP packet to any pending polling request.
///
/// ## Handshake :
/// ```text
/// CLIENT                                                 SERVER
///│                                                      │
///│   GET /engine.io/?EIO=4&transport=websocket&sid=...  │
///│ ───────────────────────────────────────────────────► │
///│  ◄─────────────────────────────────────────────────┘ │
///│            HTTP 101 (WebSocket handshake)            │
///│                                                      │
///│            -----  WebSocket frames -----             │
///│  ─────────────────────────────────────────────────►  │
///│                         2probe                       │ (ping packet)
///│  ◄─────────────────────────────────────────────────  │
///│                         3probe                       │ (pong packet)
///│  ─────────────────────────────────────────────────►  │
///│                         5                            │ (upgrade packet)
///│                                                      │
///│            -----  WebSocket frames -----             │
/// ```
#[cfg_attr(
    feature = "tracing",
    tracing::instrument(level = "trace", skip(socket, ws))
)]
async fn upgrade_handshake<H: EngineIoHandler, S>(
    socket: &Arc<Socket<H::Data>>,
    ws: &mut WebSocketStream<S>,
) -> Result<(), Error>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    #[cfg(feature = "tracing")]
    tracing::debug!("starting websocket connection upgrade");

    // The socket is upgrading, from now on all polling
    // request will return a `Packet::Noop`
    socket.start_upgrade();

    // We send a last Noop request to close a potential waiting polling request.
    // Past the queue's bound if need be: one noop.
    socket
        .queue
        .push(Queued::Noop)
        .map_err(|_| Error::Upgrade)?;

    // wait for any current polling connection to finish by waiting for the socket to be unlocked
    // All other polling connection will be immediately closed with a NOOP packet.
    let _lock = socket.internal_rx.lock().await;

    // Fetch the next packet from the ws stream, it should be a PingUpgrade packet
    let msg = match ws.next().await {
        Some(Ok(Message::Text(d))) => d,
        _ => Err(Error::Upgrade)?,
    };
    match Packet::parse(socket.protocol, ws_bytes_to_str(msg))? {
        Packet::PingUpgrade => {
            #[cfg(feature = "tracing")]
            tracing::debug!("received first ping upgrade");
            // Respond with a PongUpgrade packet
            ws.send(Message::Text(String::from(Packet::PongUpgrade).into()))
                .await?;
        }
        p => Err(Error::BadPacket(p))?,
    };

    // Fetch the next packet from the ws stream, it should be an Upgrade packet
    let msg = match ws.next().await {
        Some(Ok(Message::Text(d))) => d,
        Some(Ok(Message::Close(_))) => {
            #[cfg(feature = "tracing")]
            tracing::debug!("ws stream closed before upgrade");
            Err(Error::Upgrade)?
        }
        _ => {
            #[cfg(feature = "tracing")]
            tracing::debug!("unexpected ws message before upgrade");
            Err(Error::Upgrade)?
        }
    };
    match Packet::parse(socket.protocol, ws_bytes_to_str(msg))? {
        Packet::Upgrade => {
            #[cfg(feature = "tracing")]
            tracing::debug!("ws upgraded successfully")
        }
        p => Err(Error::BadPacket(p))?,
    };

    socket.upgrade_to_websocket();
    Ok(())
}

pub(super) fn ws_bytes_to_str(bytes: tungstenite::Utf8Bytes) -> Str {
    // SAFETY: the bytes are guaranteed to be valid UTF-8 by the tungstenite parser
    unsafe { Str::from_bytes_unchecked(bytes.into()) }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use bytes::Bytes;
    use futures_util::StreamExt;
    use http::Request;
    use tokio::{io::DuplexStream, sync::mpsc};

    use super::*;

    const TIMEOUT: Duration = Duration::from_secs(5);

    /// Echoes text messages; reports each message and the disconnection.
    #[derive(Debug)]
    struct Echo {
        events: mpsc::UnboundedSender<String>,
    }
    impl EngineIoHandler for Echo {
        type Data = ();
        fn on_connect(self: Arc<Self>, _: Arc<Socket<()>>) {}
        fn on_disconnect(&self, _: Arc<Socket<()>>, reason: DisconnectReason) {
            self.events.send(format!("disconnect {reason:?}")).ok();
        }
        fn on_message(self: &Arc<Self>, msg: Str, socket: Arc<Socket<()>>) {
            self.events.send(format!("message {msg}")).ok();
            if msg.starts_with("echo") {
                socket.emit(msg).ok();
            }
        }
        fn on_binary(self: &Arc<Self>, _: Bytes, _: Arc<Socket<()>>) {}
    }

    /// A WebSocket session over an in-memory pipe of `capacity` bytes: the
    /// client's end, the handler's reports, and the session's task.
    async fn session(
        capacity: usize,
        config: EngineIoConfig,
    ) -> (
        WebSocketStream<DuplexStream>,
        mpsc::UnboundedReceiver<String>,
        Arc<EngineIo<Echo>>,
    ) {
        let (events, reports) = mpsc::unbounded_channel();
        let engine = Arc::new(EngineIo::new(Arc::new(Echo { events }), config));
        let (server, client) = tokio::io::duplex(capacity);
        let parts = Request::<()>::default().into_parts().0;
        tokio::spawn({
            let engine = engine.clone();
            async move { on_init(engine, server, ProtocolVersion::V4, None, parts).await }
        });
        let client = WebSocketStream::from_raw_socket(client, Role::Client, None).await;
        (client, reports, engine)
    }

    async fn next_text(client: &mut WebSocketStream<DuplexStream>) -> String {
        loop {
            let msg = tokio::time::timeout(TIMEOUT, client.next())
                .await
                .expect("the server should send a frame")
                .expect("the WebSocket should be open")
                .unwrap();
            if let Message::Text(text) = msg {
                return text.to_string();
            }
        }
    }

    async fn report(reports: &mut mpsc::UnboundedReceiver<String>) -> String {
        tokio::time::timeout(TIMEOUT, reports.recv())
            .await
            .expect("the handler should be called")
            .unwrap()
    }

    #[tokio::test]
    async fn one_task_opens_pings_reads_and_writes() {
        let (mut client, mut reports, _engine) =
            session(64 * 1024, EngineIoConfig::default()).await;
        assert!(
            next_text(&mut client).await.starts_with("0{"),
            "the open packet"
        );
        assert_eq!(next_text(&mut client).await, "2", "the first ping, at once");
        client.send(Message::text("3")).await.unwrap();
        client.send(Message::text("4echo hello")).await.unwrap();
        assert_eq!(report(&mut reports).await, "message echo hello");
        assert_eq!(next_text(&mut client).await, "4echo hello");

        client.send(Message::text("1")).await.unwrap();
        assert_eq!(report(&mut reports).await, "disconnect TransportClose");
    }

    #[tokio::test(start_paused = true)]
    async fn a_missing_pong_closes_the_session_with_a_close_packet() {
        let config = EngineIoConfig::builder()
            .ping_interval(Duration::from_millis(300))
            .ping_timeout(Duration::from_millis(200))
            .build();
        let (mut client, mut reports, engine) = session(64 * 1024, config).await;
        let open = next_text(&mut client).await;
        let open: serde_json::Value = serde_json::from_str(&open[1..]).unwrap();
        let sid: Sid = open["sid"]
            .as_str()
            .unwrap()
            .parse()
            .expect("the open packet's sid");
        assert_eq!(next_text(&mut client).await, "2");
        // A pong: the next ping comes an interval after the first.
        client.send(Message::text("3")).await.unwrap();
        assert_eq!(next_text(&mut client).await, "2");
        // No pong this time.
        assert_eq!(next_text(&mut client).await, "1", "a close packet");
        assert_eq!(report(&mut reports).await, "disconnect HeartbeatTimeout");
        assert!(engine.get_socket(sid).is_none(), "the session is closed");
    }

    /// Writing to a client that does not read must not stop the session
    /// from reading what that client sends (its pongs among them).
    #[tokio::test]
    async fn a_client_that_does_not_read_is_still_heard() {
        let (mut client, mut reports, _engine) = session(1024, EngineIoConfig::default()).await;
        assert!(next_text(&mut client).await.starts_with("0{"));
        assert_eq!(next_text(&mut client).await, "2");
        // Each echo is more than the pipe holds: the server's writes stall
        // while the client keeps sending and never reads.
        let big = format!("echo {}", "x".repeat(4096));
        for i in 0..20 {
            client
                .send(Message::text(format!("4{big}{i}")))
                .await
                .unwrap();
            assert_eq!(report(&mut reports).await, format!("message {big}{i}"));
        }
    }
}
