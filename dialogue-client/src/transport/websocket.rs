//! The WebSocket transport: one Engine.IO packet per frame, text frames for text packets
//! and binary frames for binary messages.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::{net::TcpStream, sync::mpsc, time::Instant};
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream,
    tungstenite::{Message, protocol::CloseFrame, protocol::frame::coding::CloseCode},
};

use super::{Endpoint, EngineConnection, EngineEvent};
use crate::{DisconnectReason, Error, packet::EnginePacket, packet::OpenPacket};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long a client-initiated close waits for the server's closing handshake.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// Connects and waits for the server's OPEN packet.
pub(super) async fn connect(endpoint: &Endpoint) -> Result<EngineConnection, Error> {
    let url = endpoint.websocket_url();
    tracing::debug!(%url, "connecting over websocket");
    let (mut ws, _response) = tokio_tungstenite::connect_async(url.as_str()).await?;

    let open = loop {
        match ws.next().await {
            Some(Ok(Message::Text(text))) => match EnginePacket::decode(text.as_str())? {
                EnginePacket::Open(open) => break open,
                other => {
                    return Err(Error::invalid_packet(
                        "expected the engine.io open packet",
                        &other.encode(),
                    ));
                }
            },
            Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => continue,
            Some(Ok(Message::Binary(_))) => {
                return Err(Error::invalid_packet(
                    "expected the engine.io open packet, got binary",
                    "",
                ));
            }
            Some(Ok(Message::Close(_))) | None => return Err(Error::Disconnected),
            Some(Err(err)) => return Err(err.into()),
        }
    };
    tracing::debug!(sid = %open.sid, "engine.io session open over websocket");

    let (out_tx, out_rx) = mpsc::unbounded_channel();
    let (in_tx, in_rx) = mpsc::unbounded_channel();
    tokio::spawn(run(ws, open.clone(), out_rx, in_tx));
    Ok(EngineConnection {
        open,
        outgoing: out_tx,
        incoming: in_rx,
    })
}

/// What ended the main loop.
enum Exit {
    /// The session is over for `reason`; the socket may still need a close frame.
    Ended(DisconnectReason),
    /// The client asked to close (or went away): send a close frame and drain.
    ClientClose,
}

/// Pumps frames both ways until either side closes or the server goes silent.
async fn run(
    ws: Ws,
    open: OpenPacket,
    mut outgoing: mpsc::UnboundedReceiver<EnginePacket>,
    incoming: mpsc::UnboundedSender<EngineEvent>,
) {
    let heartbeat = open.heartbeat_timeout();
    let (mut sink, mut stream) = ws.split();
    let mut deadline = Instant::now() + heartbeat;

    let exit = loop {
        tokio::select! {
            frame = stream.next() => {
                deadline = Instant::now() + heartbeat;
                let packet = match frame {
                    Some(Ok(Message::Text(text))) => match EnginePacket::decode(text.as_str()) {
                        Ok(packet) => packet,
                        Err(err) => {
                            tracing::warn!(%err, "ignoring undecodable engine.io packet");
                            continue;
                        }
                    },
                    Some(Ok(Message::Binary(data))) => EnginePacket::Binary(data),
                    Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => continue,
                    Some(Ok(Message::Close(_))) | None => {
                        break Exit::Ended(DisconnectReason::TransportClose);
                    }
                    Some(Err(err)) => {
                        break Exit::Ended(DisconnectReason::TransportError(err.to_string()));
                    }
                };
                match packet {
                    EnginePacket::Ping(data) => {
                        let pong = EnginePacket::Pong(data).encode();
                        if let Err(err) = sink.send(Message::text(pong)).await {
                            break Exit::Ended(DisconnectReason::TransportError(err.to_string()));
                        }
                    }
                    EnginePacket::Message(text) => {
                        let _ = incoming.send(EngineEvent::Message(text));
                    }
                    EnginePacket::Binary(data) => {
                        let _ = incoming.send(EngineEvent::Binary(data));
                    }
                    EnginePacket::Close => break Exit::Ended(DisconnectReason::TransportClose),
                    EnginePacket::Open(_)
                    | EnginePacket::Pong(_)
                    | EnginePacket::Upgrade
                    | EnginePacket::Noop => {}
                }
            }
            packet = outgoing.recv() => {
                let message = match packet {
                    None | Some(EnginePacket::Close) => break Exit::ClientClose,
                    Some(EnginePacket::Binary(data)) => Message::Binary(data),
                    Some(other) => Message::text(other.encode()),
                };
                if let Err(err) = sink.send(message).await {
                    break Exit::Ended(DisconnectReason::TransportError(err.to_string()));
                }
            }
            () = tokio::time::sleep_until(deadline) => {
                break Exit::Ended(DisconnectReason::PingTimeout);
            }
        }
    };

    let reason = match exit {
        Exit::Ended(reason) => reason,
        Exit::ClientClose => DisconnectReason::ClientDisconnect,
    };
    tracing::debug!(?reason, "websocket transport closing");
    let _ = incoming.send(EngineEvent::Closed(reason));
    drop(incoming);

    // Best-effort closing handshake, bounded in time.
    let frame = CloseFrame {
        code: CloseCode::Normal,
        reason: "".into(),
    };
    let _ = tokio::time::timeout(CLOSE_GRACE, async {
        let _ = sink.send(Message::Close(Some(frame))).await;
        while let Some(Ok(_)) = stream.next().await {}
    })
    .await;
}
