//! The HTTP long-polling transport: a handshake GET, then a reader task looping on long-poll
//! GETs and a writer task sending batches of packets by POST, one request at a time each.
//! Payloads are packets joined by `\x1e`; binary travels as `b<base64>`. Never upgrades.

use std::{sync::Arc, time::Duration};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Method, Request, header::CONTENT_TYPE};
use hyper_util::{
    client::legacy::{Client, connect::HttpConnector},
    rt::TokioExecutor,
};
use tokio::sync::{mpsc, watch};

use super::{Endpoint, EngineConnection, EngineEvent};
use crate::{
    DisconnectReason, Error,
    packet::{EnginePacket, decode_payload, encode_payload},
};

type HttpClient = Client<HttpConnector, Full<Bytes>>;

/// What the reader and writer tasks share.
struct Session {
    http: HttpClient,
    /// The polling URL with the session id.
    url: String,
    /// `pingInterval + pingTimeout`: a long-poll GET must return within that.
    heartbeat: Duration,
    /// The largest POST body the server accepts.
    max_payload: usize,
    /// Set once either task ends, so that the other one ends too.
    stop: watch::Sender<bool>,
}

impl Session {
    fn stop(&self) {
        self.stop.send_replace(true);
    }
}

/// Performs the handshake GET and starts the reader and writer tasks.
pub(super) async fn connect(endpoint: &Endpoint) -> Result<EngineConnection, Error> {
    let http: HttpClient = Client::builder(TokioExecutor::new()).build_http();
    let url = endpoint.polling_url(None);
    tracing::debug!(%url, "connecting over http long-polling");
    let body = request(&http, Method::GET, &url, None).await?;
    let mut packets = decode_payload(&body)?.into_iter();
    let open = match packets.next() {
        Some(EnginePacket::Open(open)) => open,
        _ => {
            return Err(Error::invalid_packet(
                "expected the engine.io open packet",
                &body,
            ));
        }
    };
    tracing::debug!(sid = %open.sid, "engine.io session open over polling");

    let (out_tx, out_rx) = mpsc::unbounded_channel();
    let (in_tx, in_rx) = mpsc::unbounded_channel();
    let (pong_tx, pong_rx) = mpsc::unbounded_channel();
    let session = Arc::new(Session {
        http,
        url: endpoint.polling_url(Some(&open.sid)),
        heartbeat: open.heartbeat_timeout(),
        max_payload: usize::try_from(open.max_payload).unwrap_or(usize::MAX),
        stop: watch::Sender::new(false),
    });

    // Whatever followed the open packet in the handshake response.
    if let Some(reason) = dispatch(packets, &pong_tx, &in_tx) {
        return Err(match reason {
            DisconnectReason::TransportError(reason) => Error::invalid_packet(reason, &body),
            _ => Error::Disconnected,
        });
    }

    tokio::spawn(read_loop(session.clone(), pong_tx, in_tx.clone()));
    tokio::spawn(write_loop(session, out_rx, pong_rx, in_tx));
    Ok(EngineConnection {
        open,
        outgoing: out_tx,
        incoming: in_rx,
    })
}

/// Handles received packets; returns the reason if one of them ends the session.
fn dispatch(
    packets: impl IntoIterator<Item = EnginePacket>,
    pongs: &mpsc::UnboundedSender<EnginePacket>,
    incoming: &mpsc::UnboundedSender<EngineEvent>,
) -> Option<DisconnectReason> {
    for packet in packets {
        match packet {
            EnginePacket::Ping(data) => {
                let _ = pongs.send(EnginePacket::Pong(data));
            }
            EnginePacket::Message(text) => {
                let _ = incoming.send(EngineEvent::Message(text));
            }
            EnginePacket::Binary(data) => {
                let _ = incoming.send(EngineEvent::Binary(data));
            }
            EnginePacket::Close => return Some(DisconnectReason::TransportClose),
            EnginePacket::Open(_) => {
                return Some(DisconnectReason::TransportError(
                    "unexpected second open packet".to_owned(),
                ));
            }
            EnginePacket::Pong(_) | EnginePacket::Upgrade | EnginePacket::Noop => {}
        }
    }
    None
}

/// Long-polls until the session ends, forwarding what arrives and queueing pongs.
async fn read_loop(
    session: Arc<Session>,
    pongs: mpsc::UnboundedSender<EnginePacket>,
    incoming: mpsc::UnboundedSender<EngineEvent>,
) {
    let mut stop = session.stop.subscribe();
    let reason = loop {
        let poll = tokio::time::timeout(
            session.heartbeat,
            request(&session.http, Method::GET, &session.url, None),
        );
        let result = tokio::select! {
            _ = stop.wait_for(|stopped| *stopped) => return,
            result = poll => result,
        };
        let body = match result {
            Err(_elapsed) => break DisconnectReason::PingTimeout,
            // An unknown or closed session: the server has ended it.
            Ok(Err(Error::HttpStatus { status: 400, .. })) => {
                break DisconnectReason::TransportClose;
            }
            Ok(Err(err)) => break DisconnectReason::TransportError(err.to_string()),
            Ok(Ok(body)) => body,
        };
        // engineioxide answers a pending poll with an empty body when it closes the session.
        if body.is_empty() {
            break DisconnectReason::TransportClose;
        }
        match decode_payload(&body) {
            Ok(packets) => {
                if let Some(reason) = dispatch(packets, &pongs, &incoming) {
                    break reason;
                }
            }
            Err(err) => break DisconnectReason::TransportError(err.to_string()),
        }
    };
    tracing::debug!(?reason, "polling transport closing");
    session.stop();
    let _ = incoming.send(EngineEvent::Closed(reason));
}

/// Sends queued packets (pongs first) by POST, batching what is ready, until a close.
async fn write_loop(
    session: Arc<Session>,
    mut outgoing: mpsc::UnboundedReceiver<EnginePacket>,
    mut pongs: mpsc::UnboundedReceiver<EnginePacket>,
    incoming: mpsc::UnboundedSender<EngineEvent>,
) {
    let mut stop = session.stop.subscribe();
    let mut carry: Option<EnginePacket> = None;
    loop {
        let first = match carry.take() {
            Some(packet) => packet,
            None => tokio::select! {
                biased;
                _ = stop.wait_for(|stopped| *stopped) => return,
                pong = pongs.recv() => match pong {
                    Some(pong) => pong,
                    None => return,
                },
                // The client dropping its sender means: close the session.
                packet = outgoing.recv() => packet.unwrap_or(EnginePacket::Close),
            },
        };

        let mut batch = vec![first];
        let mut size = batch.iter().map(|p| p.encode().len()).sum::<usize>();
        while batch.last() != Some(&EnginePacket::Close) {
            let next = match pongs.try_recv() {
                Ok(pong) => pong,
                Err(_) => match outgoing.try_recv() {
                    Ok(packet) => packet,
                    Err(mpsc::error::TryRecvError::Empty) => break,
                    Err(mpsc::error::TryRecvError::Disconnected) => EnginePacket::Close,
                },
            };
            let len = next.encode().len() + 1;
            if size + len > session.max_payload {
                carry = Some(next);
                break;
            }
            size += len;
            batch.push(next);
        }

        let closing = batch.last() == Some(&EnginePacket::Close);
        let body = encode_payload(&batch);
        let sent = tokio::time::timeout(
            session.heartbeat,
            request(&session.http, Method::POST, &session.url, Some(body)),
        )
        .await;
        let failure = match sent {
            Ok(Ok(_)) if closing => Some(DisconnectReason::ClientDisconnect),
            Ok(Ok(_)) => None,
            Ok(Err(err)) => Some(DisconnectReason::TransportError(err.to_string())),
            Err(_elapsed) => Some(DisconnectReason::TransportError(
                "POST request timed out".to_owned(),
            )),
        };
        if let Some(reason) = failure {
            session.stop();
            let _ = incoming.send(EngineEvent::Closed(reason));
            return;
        }
    }
}

/// One HTTP request; the body of a successful response, as text.
async fn request(
    http: &HttpClient,
    method: Method,
    url: &str,
    body: Option<String>,
) -> Result<String, Error> {
    let mut builder = Request::builder().method(method).uri(url);
    if body.is_some() {
        builder = builder.header(CONTENT_TYPE, "text/plain;charset=UTF-8");
    }
    let request = builder
        .body(Full::new(Bytes::from(body.unwrap_or_default())))
        .map_err(|err| Error::Http(error_chain(&err)))?;
    let response = http
        .request(request)
        .await
        .map_err(|err| Error::Http(error_chain(&err)))?;
    let status = response.status();
    let bytes = response
        .into_body()
        .collect()
        .await
        .map_err(|err| Error::Http(error_chain(&err)))?
        .to_bytes();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    if !status.is_success() {
        return Err(Error::HttpStatus {
            status: status.as_u16(),
            body: text,
        });
    }
    Ok(text)
}

/// An error and its sources, joined: hyper's top-level messages alone are terse.
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
