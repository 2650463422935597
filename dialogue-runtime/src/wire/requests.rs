//! Client requests: read each `dialogue:*` request into its protocol type,
//! run it through the engine, and hand the outcome to the reply (which
//! answers in the form the client chose), then run the operation's
//! follow-up.

use std::sync::Arc;

use futures_util::future::BoxFuture;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use socketioxide::adapter::Adapter;
use socketioxide::handler::Value as SioValue;
use tracing::Instrument;

use crate::engine::join::{AnswerJoin, JoinOptions, JoinTicket};
use crate::engine::publish::{ClientTrigger, PublishOutcome, Publishing};
use crate::engine::rooms::{Creator, Deleter};
use crate::engine::{Engine, Followup};
use crate::error::{AskError, HistoryError, RequestError, ToWire, TriggerError};
use crate::protocol::{
    CreateRoomRequest, DEFAULT_HISTORY_END, HistoryRequest, JoinRequest, MAX_TRIGGER_ID_LEN,
    RawJson, Request, RequestCall, RoomRequest, SubscribeRequest, TriggerRequest, WireError,
};
use crate::rules::WILDCARD;
use crate::spec::{RoomEvents, Subscriptions};
use crate::state::client::{Change, ClientState};
use crate::state::room::RoomOptions;
use crate::wire::people;
use crate::wire::queue::Incoming;
use crate::wire::reply::{Answer, Reply};

/// A request handled: its answer and what runs once it is sent, a join
/// that answers from inside its room's delivery order, or a trigger on its
/// way (answered when it is delivered).
pub(crate) enum Handled {
    Answer {
        answer: Answer,
        then: Followup,
    },
    /// An application request's handler refused with its own code.
    Refused {
        code: String,
        message: String,
    },
    Join(JoinTicket),
    Trigger(Box<Publishing>),
}

/// A trigger on its way, and where its answer goes: the request loop
/// answers these in order (`wire::queue`).
pub(crate) type InFlight<A> = BoxFuture<'static, (Reply<A>, Result<PublishOutcome, TriggerError>)>;

/// Whether a request is a trigger (read from its first bytes, before it is
/// parsed): triggers may be in flight together.
pub(crate) fn is_trigger(value: &SioValue) -> bool {
    match value {
        SioValue::Str(text, _) => text.starts_with("[\"dialogue:trigger\""),
        SioValue::Bytes(_) => false,
    }
}

/// Answers a trigger that arrived: its envelope, then its follow-up.
pub(crate) async fn answer_trigger<A: Adapter>(
    reply: Reply<A>,
    outcome: Result<PublishOutcome, TriggerError>,
) {
    match outcome {
        Ok(published) => {
            reply.answer(Request::Trigger, Answer::Triggered(published.stamped));
            published.then.run().await;
        }
        Err(error) => reply.fail(Request::Trigger.wire_name(), error.to_wire()),
    }
}

impl From<Answer> for Handled {
    fn from(answer: Answer) -> Self {
        Self::Answer {
            answer,
            then: Followup::none(),
        }
    }
}

/// Handles one request; a trigger comes back on its way, for the caller to
/// answer once it is delivered.
pub(crate) async fn handle<A: Adapter>(
    engine: &Arc<Engine>,
    client: &Arc<ClientState>,
    incoming: Incoming<A>,
) -> Option<InFlight<A>> {
    let reply = Reply::new(client.clone(), incoming.ack);
    let (text, binary) = match &incoming.value {
        SioValue::Str(text, attachments) => {
            (&**text, attachments.as_ref().is_some_and(|a| !a.is_empty()))
        }
        SioValue::Bytes(_) => ("", true),
    };
    let Some((name, arg)) = split(text) else {
        let error = RequestError::Malformed {
            request: "?".into(),
            reason: "not a JSON array of an event name and arguments".into(),
        };
        reply.fail("?", error.to_wire());
        return None;
    };
    let Some(request) = Request::from_wire(&name) else {
        reply.fail(&name, RequestError::Unknown(name.clone()).to_wire());
        return None;
    };
    if binary {
        reply.fail(&name, RequestError::Binary(name.clone()).to_wire());
        return None;
    }
    // An application's request is answered in its acknowledgement only.
    if request == Request::AppRequest && !reply.has_ack() {
        reply.fail(
            &name,
            malformed(
                &name,
                "send it with an acknowledgement: its answer goes there",
            ),
        );
        return None;
    }
    // Every log line of this request says which it is and, once read, its
    // room and event (the client's span around it adds client and user).
    // At ERROR level so that the context is there whenever an error is
    // logged, whatever the filter; without a subscriber it costs nothing.
    let span = tracing::error_span!(
        "request",
        request = %name,
        room = tracing::field::Empty,
        event = tracing::field::Empty,
    );
    let started = std::time::Instant::now();
    let handled = dispatch(engine, client, request, arg)
        .instrument(span)
        .await;
    let elapsed = || started.elapsed().as_secs_f64();
    match handled {
        Ok(Handled::Answer { answer, then }) => {
            reply.answer(request, answer);
            then.run().await;
        }
        Ok(Handled::Join(ticket)) => {
            let answer: AnswerJoin = Box::new(move |joined| match joined {
                Ok(joined) => reply.answer(request, Answer::Joined(joined.clone())),
                Err(error) => reply.fail(request.wire_name(), error.to_wire()),
            });
            if let Ok(then) = ticket.complete(answer).await {
                then.run().await;
            }
        }
        Ok(Handled::Refused { code, message }) => reply.refuse(&name, &code, &message),
        Ok(Handled::Trigger(publishing)) => {
            return Some(Box::pin(async move {
                let outcome = publishing.finish().await;
                crate::metrics::request_seconds(request.key(), started.elapsed().as_secs_f64());
                (reply, outcome)
            }));
        }
        Err(error) => reply.fail(&name, error),
    }
    crate::metrics::request_seconds(request.key(), elapsed());
    None
}

/// Runs the handler of `request`. Every request of the protocol has one:
/// the match is exhaustive over [`Request`].
async fn dispatch(
    engine: &Arc<Engine>,
    client: &Arc<ClientState>,
    request: Request,
    arg: Option<&RawValue>,
) -> Result<Handled, WireError> {
    let name = request.wire_name();
    match request {
        Request::Join => join(engine, client, payload(name, arg)?).await,
        Request::Leave => leave(engine, client, payload(name, arg)?).await,
        Request::Subscribe => subscribe(engine, client, payload(name, arg)?, Change::Subscribe),
        Request::Unsubscribe => subscribe(engine, client, payload(name, arg)?, Change::Unsubscribe),
        Request::SubscribeAll => subscribe_all(engine, client, payload(name, arg)?),
        Request::Trigger => trigger(engine, client, payload(name, arg)?).await,
        Request::GetHistory => history(engine, client, payload(name, arg)?).await,
        Request::ListRooms => Ok(Answer::Rooms(engine.room_infos().await).into()),
        Request::CreateRoom => create_room(engine, client, payload(name, arg)?).await,
        Request::DeleteRoom => delete_room(engine, client, payload(name, arg)?).await,
        Request::AppRequest => ask(engine, client, payload(name, arg)?).await,
        Request::GetPresence => people::get_presence(engine, client, payload(name, arg)?),
        Request::SetPresence => people::set_presence(engine, client, payload(name, arg)?).await,
        Request::Kick => people::kick(engine, client, payload(name, arg)?).await,
        Request::TransferHost => people::transfer_host(engine, client, payload(name, arg)?).await,
        Request::Auth => people::auth(engine, client, payload(name, arg)?).await,
    }
}

/// `dialogue:request`: the application's request `name`, through its
/// handler.
async fn ask(
    engine: &Arc<Engine>,
    client: &Arc<ClientState>,
    call: RequestCall<'_>,
) -> Result<Handled, WireError> {
    if let Some(room) = &call.room_id {
        about(room, None);
    }
    // The same size limit as a trigger's payload.
    check_size(engine, "data", call.data)?;
    let data = call.data.map(|data| data.0);
    match engine
        .ask(client, &call.name, data, call.room_id.as_deref())
        .await
    {
        Ok(response) => Ok(Answer::Requested(response).into()),
        Err(AskError::Refused { code, message }) => Ok(Handled::Refused { code, message }),
        Err(error) => Err(error.to_wire()),
    }
}

/// Adds the request's room (and event) to its span, for the log lines below.
pub(crate) fn about(room: &str, event: Option<&str>) {
    let span = tracing::Span::current();
    span.record("room", tracing::field::display(room));
    if let Some(event) = event {
        span.record("event", tracing::field::display(event));
    }
}

/// `["name", arg?]` into the name and the first argument, unparsed.
fn split(text: &str) -> Option<(String, Option<&RawValue>)> {
    let parts: Vec<&RawValue> = serde_json::from_str(text).ok()?;
    let name: String = serde_json::from_str(parts.first()?.get()).ok()?;
    Some((name, parts.get(1).copied()))
}

fn malformed(request: &str, reason: &str) -> WireError {
    RequestError::Malformed {
        request: request.to_owned(),
        reason: reason.to_owned(),
    }
    .to_wire()
}

/// Reads the request's payload as `T`. It must be a JSON object: serde
/// would read an array positionally (`["chat"]` as `{ roomId: "chat" }`),
/// which the protocol does not allow.
fn payload<'a, T: Deserialize<'a>>(
    request: &str,
    arg: Option<&'a RawValue>,
) -> Result<T, WireError> {
    let arg = match arg {
        None => return Err(malformed(request, "the payload is missing")),
        Some(arg) if arg.get().trim_start().starts_with('{') => arg,
        Some(_) => return Err(malformed(request, "the payload must be an object")),
    };
    serde_json::from_str(arg.get()).map_err(|error| malformed(request, &error.to_string()))
}

async fn join(
    engine: &Arc<Engine>,
    client: &Arc<ClientState>,
    request: JoinRequest,
) -> Result<Handled, WireError> {
    about(&request.room_id, None);
    let options = JoinOptions {
        since: request.since.clone(),
        subscriptions: request.subscriptions.clone().map(Subscriptions::Only),
        request: Some(request.clone()),
    };
    let ticket = engine
        .join(client, &request.room_id, options)
        .await
        .map_err(|e| e.to_wire())?;
    Ok(Handled::Join(ticket))
}

async fn leave(
    engine: &Arc<Engine>,
    client: &Arc<ClientState>,
    request: RoomRequest,
) -> Result<Handled, WireError> {
    about(&request.room_id, None);
    let outcome = engine
        .leave(client, &request.room_id)
        .await
        .map_err(|e| e.to_wire())?;
    Ok(Handled::Answer {
        answer: Answer::Left(request.room_id),
        then: outcome.then,
    })
}

fn subscribe(
    engine: &Arc<Engine>,
    client: &Arc<ClientState>,
    request: SubscribeRequest,
    change: Change,
) -> Result<Handled, WireError> {
    about(&request.room_id, Some(&request.event_name));
    engine
        .change_subscription(client, &request.room_id, &request.event_name, change)
        .map_err(|e| e.to_wire())?;
    Ok(Answer::Done.into())
}

fn subscribe_all(
    engine: &Arc<Engine>,
    client: &Arc<ClientState>,
    request: RoomRequest,
) -> Result<Handled, WireError> {
    about(&request.room_id, None);
    engine
        .change_subscription(client, &request.room_id, WILDCARD, Change::Subscribe)
        .map_err(|e| e.to_wire())?;
    Ok(Answer::Done.into())
}

async fn trigger(
    engine: &Arc<Engine>,
    client: &Arc<ClientState>,
    request: TriggerRequest<'_>,
) -> Result<Handled, WireError> {
    about(&request.room_id, Some(&request.event));
    let (data, meta) = read_trigger_parts(engine, &request)?;
    if let Some(id) = &request.id
        && id.len() > MAX_TRIGGER_ID_LEN
    {
        let reason = format!(
            "`id` is {} bytes; at most {MAX_TRIGGER_ID_LEN} are accepted",
            id.len()
        );
        return Err(malformed(Request::Trigger.wire_name(), &reason));
    }
    let trigger = ClientTrigger {
        room_id: &request.room_id,
        event: &request.event,
        data: &data,
        meta: meta.as_ref(),
        id: request.id.as_deref(),
    };
    let publishing = engine
        .client_trigger(client, trigger)
        .await
        .map_err(|e| e.to_wire())?;
    Ok(Handled::Trigger(Box::new(publishing)))
}

/// `PAYLOAD_TOO_LARGE` when `part` (as sent, before it is read) is over
/// the payload limit.
fn check_size(
    engine: &Engine,
    part: &'static str,
    raw: Option<RawJson<'_>>,
) -> Result<(), WireError> {
    let max = engine.limits.max_payload;
    match raw {
        Some(raw) if raw.0.get().len() > max => Err(TriggerError::PayloadTooLarge {
            part,
            size: raw.0.get().len(),
            max,
        }
        .to_wire()),
        _ => Ok(()),
    }
}

/// A trigger's `data` and `meta`, size-checked as sent before they are read.
fn read_trigger_parts(
    engine: &Engine,
    request: &TriggerRequest<'_>,
) -> Result<(Value, Option<Map<String, Value>>), WireError> {
    let name = Request::Trigger.wire_name();
    check_size(engine, "data", request.data)?;
    check_size(engine, "meta", request.meta)?;
    let data = match request.data {
        Some(raw) => {
            serde_json::from_str(raw.0.get()).map_err(|e| malformed(name, &e.to_string()))?
        }
        None => Value::Null,
    };
    let meta = match request
        .meta
        .map(|raw| serde_json::from_str::<Value>(raw.0.get()))
    {
        None | Some(Ok(Value::Null)) => None,
        Some(Ok(Value::Object(map))) => Some(map),
        Some(Ok(_)) => return Err(malformed(name, "`meta` must be an object")),
        Some(Err(e)) => return Err(malformed(name, &e.to_string())),
    };
    Ok((data, meta))
}

async fn history(
    engine: &Arc<Engine>,
    client: &Arc<ClientState>,
    request: HistoryRequest,
) -> Result<Handled, WireError> {
    about(&request.room_id, Some(&request.event_name));
    if !client.rates.history() {
        let rate = engine
            .limits
            .history_requests_per_minute
            .map_or(0, |n| n.get());
        return Err(HistoryError::RateLimited(rate).to_wire());
    }
    let room = engine
        .joined_room(client, &request.room_id)
        .map_err(|e| HistoryError::from(e).to_wire())?;
    let start = request.start.unwrap_or(0);
    let end = request.end.unwrap_or(DEFAULT_HISTORY_END);
    let page = engine
        .history(&room, &request.event_name, start, end)
        .await
        .map_err(|e| e.to_wire())?;
    Ok(Answer::History {
        room_id: request.room_id,
        event_name: request.event_name,
        events: page.events,
        start: page.start,
        end: page.end,
    }
    .into())
}

async fn create_room(
    engine: &Arc<Engine>,
    client: &Arc<ClientState>,
    request: CreateRoomRequest,
) -> Result<Handled, WireError> {
    // Rooms created by clients take any event and subscribe joiners to all
    // of them (docs/conformance.md).
    // Its creator is its host from the start, joined or not.
    let mut options = RoomOptions::new(request.id, request.name)
        .events(RoomEvents::Any)
        .default_subscriptions(Subscriptions::All)
        .created_by(client.user_id.clone())
        .host(client.user_id.clone())
        .host_only(request.host_only.unwrap_or(false))
        .presence(request.presence.unwrap_or(false));
    options.description = request.description;
    options.max_size = request.max_size.map(|n| n.get());
    if let Some(secret) = &request.secret {
        options = options.secret(secret);
    }
    let (room, then) = engine
        .create_room(options, Creator::Client(&client.user_id))
        .await
        .map_err(|e| e.to_wire())?;
    Ok(Handled::Answer {
        answer: Answer::RoomCreated(room.info()),
        then,
    })
}

async fn delete_room(
    engine: &Arc<Engine>,
    client: &Arc<ClientState>,
    request: RoomRequest,
) -> Result<Handled, WireError> {
    about(&request.room_id, None);
    let then = engine
        .delete_room(&request.room_id, Deleter::Client(&client.user_id))
        .await
        .map_err(|e| e.to_wire())?;
    Ok(Handled::Answer {
        answer: Answer::Done,
        then,
    })
}
