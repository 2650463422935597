//! `GET /api/rooms/{id}/stream`: a room's events as server-sent events
//! (docs/http-api.md, "Server-sent events"), for dashboards and pages that
//! only listen. Authenticated like a socket (`?token=`, `?userId=`), checked
//! like a join, without a seat; each message's `id` is `epoch:seq`, so a
//! browser that reconnects with `Last-Event-ID` gets what it missed, or
//! `event: reset` when that is impossible.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, StreamExt};
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

use super::{Api, ApiError};
use crate::engine::clients::Refusal;
use crate::envelope::StampedEvent;
use crate::protocol::{ErrorCode, JoinRequest, Position};
use crate::state::connection::{Connection, SendFailure, Transport};

/// How often a comment keeps an idle stream (and the proxies on its way)
/// open.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// How soon a browser reconnects after the stream drops (`retry:`).
const RETRY: Duration = Duration::from_secs(1);

pub(super) async fn stream(
    State(api): State<Api>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let engine = &api.engine;
    // The handshake's `auth`, from the query.
    let mut auth = Map::new();
    for name in ["token", "userId"] {
        if let Some(value) = query.get(name) {
            auth.insert(name.to_owned(), Value::String(value.clone()));
        }
    }
    let identified = engine
        .identify(&Value::Object(auth), &headers, None)
        .await
        .map_err(|refusal| {
            let code = match refusal {
                Refusal::Failed => ErrorCode::Internal,
                Refusal::Stopping => ErrorCode::Unavailable,
                _ => ErrorCode::Unauthorized,
            };
            ApiError::new(code, refusal.to_string())
        })?;
    let client = engine
        .new_client(
            identified,
            Box::new(StreamConnection {
                headers: headers.clone(),
            }),
        )
        .map_err(|refusal| ApiError::new(ErrorCode::Internal, refusal.to_string()))?;
    let events = query.get("events").map(|names| {
        names
            .split(',')
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .map(str::to_owned)
            .collect::<Vec<_>>()
    });
    let last = headers
        .get("last-event-id")
        .and_then(|value| value.to_str().ok())
        .map(last_event_id);
    let request = JoinRequest {
        room_id: id.clone(),
        since: None,
        subscriptions: None,
        secret: query.get("secret").cloned(),
    };
    let opened = engine.open_stream(&client, request, events, last).await?;
    let epoch: Arc<str> = opened.position.epoch.as_str().into();
    let cut = opened.position.seq;
    let first = match opened.replay {
        Some(events) => {
            let mut first = vec![Event::default().comment("open").retry(RETRY)];
            first.extend(events.iter().map(|event| message(&epoch, event)));
            first
        }
        None => vec![
            Event::default()
                .event("reset")
                .id(format!("{epoch}:{cut}"))
                .retry(RETRY)
                .data(json!({ "roomId": id, "position": opened.position }).to_string()),
        ],
    };
    let filter = opened.filter;
    let live = stream::unfold(opened.live, |mut live| async move {
        live.recv().await.map(|event| (event, live))
    })
    .filter(move |event| {
        let wanted = event.seq() > cut && filter.receives(event.event());
        async move { wanted }
    })
    .map(move |event| message(&epoch, &event));
    // The stream ends when the server stops: an endless body would keep
    // its connection, and `serve` with it, past the shutdown.
    let mut stop = engine.stop_signal.subscribe();
    let stopped = async move {
        let _ = stop.wait_for(|stopping| *stopping).await;
    };
    let events = stream::iter(first)
        .chain(live)
        .take_until(stopped)
        .map(Ok::<_, Infallible>);
    tracing::debug!(room = %id, user = %client.user_id, "an event stream opened");
    Ok(Sse::new(events)
        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
        .into_response())
}

/// One event as an SSE message: `id: epoch:seq`, `data:` the envelope.
fn message(epoch: &str, event: &StampedEvent) -> Event {
    Event::default()
        .id(format!("{epoch}:{}", event.seq()))
        .data(event.json().get())
}

/// `epoch:seq`; what does not read is a position no room holds (so the
/// stream starts with a reset).
fn last_event_id(text: &str) -> Position {
    match text
        .rsplit_once(':')
        .and_then(|(epoch, seq)| Some((epoch, seq.parse().ok()?)))
    {
        Some((epoch, seq)) => Position {
            epoch: epoch.to_owned(),
            seq,
        },
        None => Position {
            epoch: String::new(),
            seq: u64::MAX,
        },
    }
}

/// The connection of a stream's client as the engine sees it: it receives
/// only through the stream, so every socket operation does nothing.
struct StreamConnection {
    headers: HeaderMap,
}

impl Connection for StreamConnection {
    fn emit_raw(&self, _event: &str, _payload: &RawValue) -> Result<(), SendFailure> {
        Err(SendFailure::Gone)
    }
    fn offer_raw(&self, _event: &str, _payload: &RawValue) -> Result<(), SendFailure> {
        Err(SendFailure::Gone)
    }
    fn join(&self, _keys: Vec<String>) {}
    fn leave(&self, _keys: Vec<String>) {}
    fn disconnect(&self) {}
    fn drop_slow(&self) {}
    fn drop_transport(&self) {}
    fn probe_full(&self) -> bool {
        false
    }
    fn detach(&self) {}
    fn release(&self) {}
    fn transport(&self) -> Transport {
        Transport::EventStream
    }
    fn peer(&self) -> Option<std::net::IpAddr> {
        None
    }
    fn headers(&self) -> HeaderMap {
        self.headers.clone()
    }
}
