//! Client requests: read each `dialogue:*` request, run it through the engine,
//! and answer in the form the client chose: events (as dialogue-ts clients
//! expect) or, when it passed a callback, one acknowledgement.

use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use socketioxide::extract::{AckSender, SocketRef};
use socketioxide::handler::Value as SioValue;
use tracing::Instrument;

use crate::client::ClientState;
use crate::engine::{Engine, NewRoom};
use crate::error::{HistoryError, RequestError, ToWire, TriggerError, WireError};
use crate::protocol::{
    AckError, AckOk, CreateRoomRequest, HistoryPage, HistoryPush, HistoryRequest, Joined,
    MessageAnswer, Nothing, RoomAnswer, RoomIdPayload, RoomRequest, RoomsAnswer, SubscribeRequest,
    TriggerRequest, names,
};
use crate::rules::WILDCARD;
use crate::session::Incoming;
use crate::spec::{HistorySync, RoomEvents, Subscriptions};

/// `getHistory`'s `end` when the request gives none (PROTOCOL.md: defaults 0
/// and 50).
const DEFAULT_END: u64 = 50;

/// Where an answer goes.
struct Reply<'a> {
    socket: &'a SocketRef,
    ack: Option<AckSender>,
}

impl Reply<'_> {
    /// Answers with an error: in the acknowledgement, else as `dialogue:error`.
    fn fail(self, request: &str, error: WireError) {
        tracing::debug!(request, code = %error.code, message = %error.message, "request refused");
        let sent = match self.ack {
            Some(ack) => ack.send(&AckError::new(&error)),
            None => self.socket.emit(names::ERROR, &error),
        };
        if let Err(error) = sent {
            undelivered(request, &error);
        }
    }

    /// Acknowledges with `{ ok: true, ...answer }`; returns `false` (doing
    /// nothing) when the client asked for no acknowledgement.
    fn acknowledge<T: Serialize>(&mut self, answer: T) -> bool {
        match self.ack.take() {
            Some(ack) => {
                if let Err(error) = ack.send(&AckOk::new(answer)) {
                    undelivered("acknowledgement", &error);
                }
                true
            }
            None => false,
        }
    }

    fn emit<T: Serialize + ?Sized>(&self, event: &str, payload: &T) {
        if let Err(error) = self.socket.emit(event, payload) {
            undelivered(event, &error);
        }
    }
}

/// Logs an answer that could not be queued: the client left, or stopped
/// reading (socketioxide then closes the connection at its next heartbeat).
fn undelivered(what: &str, error: &socketioxide::SendError) {
    match error {
        socketioxide::SendError::Socket(socketioxide::SocketError::InternalChannelFull) => {
            tracing::warn!(
                what,
                "a client is not reading its answers; it will be disconnected"
            );
        }
        _ => tracing::debug!(what, %error, "an answer was not delivered"),
    }
}

/// Handles one request.
pub(crate) async fn handle(engine: &Arc<Engine>, client: &Arc<ClientState>, incoming: Incoming) {
    let reply = Reply {
        socket: &client.socket,
        ack: incoming.ack,
    };
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
        return reply.fail("?", error.to_wire());
    };
    if binary {
        return reply.fail(&name, RequestError::Binary(name.clone()).to_wire());
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
    let result = dispatch(engine, client, &name, arg, reply)
        .instrument(span)
        .await;
    if let Err((reply, error)) = result {
        reply.fail(&name, error);
    }
}

/// Runs the handler of request `name`.
async fn dispatch<'a>(
    engine: &Arc<Engine>,
    client: &Arc<ClientState>,
    name: &str,
    arg: Option<&RawValue>,
    reply: Reply<'a>,
) -> Handled<'a> {
    match name {
        names::JOIN => join(engine, client, name, arg, reply).await,
        names::LEAVE => leave(engine, client, name, arg, reply).await,
        names::SUBSCRIBE => subscribe(engine, client, name, arg, reply, true),
        names::UNSUBSCRIBE => subscribe(engine, client, name, arg, reply, false),
        names::SUBSCRIBE_ALL => subscribe_all(engine, client, name, arg, reply),
        names::TRIGGER => trigger(engine, client, name, arg, reply).await,
        names::GET_HISTORY => history(engine, client, name, arg, reply).await,
        names::LIST_ROOMS => {
            list_rooms(engine, reply);
            Ok(())
        }
        names::CREATE_ROOM => create_room(engine, client, name, arg, reply).await,
        names::DELETE_ROOM => delete_room(engine, client, name, arg, reply).await,
        _ => Err((reply, RequestError::Unknown(name.to_owned()).to_wire())),
    }
}

/// Adds the request's room (and event) to its span, for the log lines below.
fn about(room: &str, event: Option<&str>) {
    let span = tracing::Span::current();
    span.record("room", tracing::field::display(room));
    if let Some(event) = event {
        span.record("event", tracing::field::display(event));
    }
}

/// The outcome of a handler: done, or an error still to send.
type Handled<'a> = Result<(), (Reply<'a>, WireError)>;

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

/// The request's payload, which must be a JSON object: serde would read an
/// array positionally (`["chat"]` as `{ roomId: "chat" }`), which the protocol
/// does not allow.
fn object<'a>(request: &str, arg: Option<&'a RawValue>) -> Result<&'a RawValue, WireError> {
    match arg {
        None => Err(malformed(request, "the payload is missing")),
        Some(arg) if arg.get().trim_start().starts_with('{') => Ok(arg),
        Some(_) => Err(malformed(request, "the payload must be an object")),
    }
}

/// A trigger's `data` and `meta`, size-checked as sent before they are read.
fn read_trigger_parts(
    engine: &Arc<Engine>,
    name: &str,
    request: &TriggerRequest<'_>,
) -> Result<(Value, Option<Map<String, Value>>), WireError> {
    let max = engine.limits.max_payload;
    for (part, raw) in [("data", request.data), ("meta", request.meta)] {
        if let Some(raw) = raw
            && raw.get().len() > max
        {
            return Err(TriggerError::PayloadTooLarge {
                part,
                size: raw.get().len(),
                max,
            }
            .to_wire());
        }
    }
    let data = match request.data {
        Some(raw) => {
            serde_json::from_str(raw.get()).map_err(|e| malformed(name, &e.to_string()))?
        }
        None => Value::Null,
    };
    let meta = match request
        .meta
        .map(|raw| serde_json::from_str::<Value>(raw.get()))
    {
        None | Some(Ok(Value::Null)) => None,
        Some(Ok(Value::Object(map))) => Some(map),
        Some(Ok(_)) => return Err(malformed(name, "`meta` must be an object")),
        Some(Err(e)) => return Err(malformed(name, &e.to_string())),
    };
    Ok((data, meta))
}

/// Reads the request's payload as `T`.
fn payload<T: DeserializeOwned>(request: &str, arg: Option<&RawValue>) -> Result<T, WireError> {
    let arg = object(request, arg)?;
    serde_json::from_str(arg.get()).map_err(|error| {
        RequestError::Malformed {
            request: request.to_owned(),
            reason: error.to_string(),
        }
        .to_wire()
    })
}

macro_rules! read {
    ($reply:ident, $request:expr, $arg:expr) => {
        match payload($request, $arg) {
            Ok(value) => value,
            Err(error) => return Err(($reply, error)),
        }
    };
}

async fn join<'a>(
    engine: &Arc<Engine>,
    client: &Arc<ClientState>,
    name: &str,
    arg: Option<&RawValue>,
    mut reply: Reply<'a>,
) -> Handled<'a> {
    let request: RoomRequest = read!(reply, name, arg);
    about(&request.room_id, None);
    let outcome = match engine.join(client, &request.room_id).await {
        Ok(outcome) => outcome,
        Err(error) => return Err((reply, error.to_wire())),
    };
    let syncs = !outcome.already && !matches!(outcome.room.sync_history, HistorySync::Off);
    let history = || outcome.history.iter().map(|e| e.json()).collect::<Vec<_>>();
    let joined = |history| Joined {
        room_id: &outcome.room.id,
        room_name: &outcome.room.name,
        history,
    };
    if !reply.acknowledge(joined(syncs.then(history))) {
        reply.emit(names::JOINED, &joined(None));
        if syncs {
            reply.emit(
                names::HISTORY,
                &HistoryPush {
                    room_id: &outcome.room.id,
                    events: history(),
                },
            );
        }
    }
    engine.joined(client, &outcome).await;
    Ok(())
}

async fn leave<'a>(
    engine: &Arc<Engine>,
    client: &Arc<ClientState>,
    name: &str,
    arg: Option<&RawValue>,
    mut reply: Reply<'a>,
) -> Handled<'a> {
    let request: RoomRequest = read!(reply, name, arg);
    about(&request.room_id, None);
    let was_member = match engine.leave(client, &request.room_id) {
        Ok(was_member) => was_member,
        Err(error) => return Err((reply, error.to_wire())),
    };
    if !reply.acknowledge(Nothing {}) {
        reply.emit(
            names::LEFT,
            &RoomIdPayload {
                room_id: &request.room_id,
            },
        );
    }
    if was_member {
        engine.left(client, &request.room_id).await;
    }
    Ok(())
}

fn subscribe<'a>(
    engine: &Arc<Engine>,
    client: &Arc<ClientState>,
    name: &str,
    arg: Option<&RawValue>,
    mut reply: Reply<'a>,
    on: bool,
) -> Handled<'a> {
    let request: SubscribeRequest = read!(reply, name, arg);
    about(&request.room_id, Some(&request.event_name));
    let result = if on {
        engine.subscribe(client, &request.room_id, &request.event_name)
    } else {
        engine.unsubscribe(client, &request.room_id, &request.event_name)
    };
    match result {
        Ok(()) => {
            reply.acknowledge(Nothing {});
            Ok(())
        }
        Err(error) => Err((reply, error.to_wire())),
    }
}

fn subscribe_all<'a>(
    engine: &Arc<Engine>,
    client: &Arc<ClientState>,
    name: &str,
    arg: Option<&RawValue>,
    mut reply: Reply<'a>,
) -> Handled<'a> {
    let request: RoomRequest = read!(reply, name, arg);
    about(&request.room_id, None);
    match engine.subscribe(client, &request.room_id, WILDCARD) {
        Ok(()) => {
            reply.acknowledge(Nothing {});
            Ok(())
        }
        Err(error) => Err((reply, error.to_wire())),
    }
}

async fn trigger<'a>(
    engine: &Arc<Engine>,
    client: &Arc<ClientState>,
    name: &str,
    arg: Option<&RawValue>,
    mut reply: Reply<'a>,
) -> Handled<'a> {
    let arg = match object(name, arg) {
        Ok(arg) => arg,
        Err(error) => return Err((reply, error)),
    };
    let request: TriggerRequest<'_> = match serde_json::from_str(arg.get()) {
        Ok(request) => request,
        Err(error) => return Err((reply, malformed(name, &error.to_string()))),
    };
    about(&request.room_id, Some(&request.event));
    let (data, meta) = match read_trigger_parts(engine, name, &request) {
        Ok(parts) => parts,
        Err(error) => return Err((reply, error)),
    };
    let published = engine
        .client_trigger(
            client,
            &request.room_id,
            &request.event,
            &data,
            meta.as_ref(),
        )
        .await;
    match published {
        Ok(publication) => {
            reply.acknowledge(MessageAnswer {
                message: publication.published.json(),
            });
            engine.after_publish(publication).await;
            Ok(())
        }
        Err(error) => Err((reply, error.to_wire())),
    }
}

async fn history<'a>(
    engine: &Arc<Engine>,
    client: &Arc<ClientState>,
    name: &str,
    arg: Option<&RawValue>,
    mut reply: Reply<'a>,
) -> Handled<'a> {
    let request: HistoryRequest = read!(reply, name, arg);
    about(&request.room_id, Some(&request.event_name));
    if !client.rates.history() {
        let rate = engine
            .limits
            .history_requests_per_minute
            .map_or(0, |n| n.get());
        return Err((reply, HistoryError::RateLimited(rate).to_wire()));
    }
    let Some(room) = client.room(&request.room_id) else {
        let error = match engine.rooms.get(&request.room_id) {
            Some(_) => HistoryError::NotInRoom(request.room_id),
            None => HistoryError::RoomNotFound(request.room_id),
        };
        return Err((reply, error.to_wire()));
    };
    let start = request.start.unwrap_or(0);
    let end = request.end.unwrap_or(DEFAULT_END);
    let page = match engine.history(&room, &request.event_name, start, end).await {
        Ok(page) => page,
        Err(error) => return Err((reply, error.to_wire())),
    };
    let answer = HistoryPage {
        room_id: &room.id,
        event_name: &request.event_name,
        events: page.events.iter().map(|e| e.json()).collect(),
        start: page.start,
        end: page.end,
    };
    if !reply.acknowledge(&answer) {
        reply.emit(names::HISTORY_RESPONSE, &answer);
    }
    Ok(())
}

fn list_rooms(engine: &Arc<Engine>, mut reply: Reply<'_>) {
    let rooms = engine.room_infos();
    if !reply.acknowledge(RoomsAnswer { rooms: &rooms }) {
        reply.emit(names::ROOMS, &rooms);
    }
}

async fn create_room<'a>(
    engine: &Arc<Engine>,
    client: &Arc<ClientState>,
    name: &str,
    arg: Option<&RawValue>,
    mut reply: Reply<'a>,
) -> Handled<'a> {
    let request: CreateRoomRequest = read!(reply, name, arg);
    let created = engine
        .create_room(
            NewRoom {
                id: request.id,
                name: request.name,
                description: request.description,
                max_size: request.max_size.map(|n| n.get()),
                // Rooms created by clients take any event and subscribe joiners
                // to all of them (CONFORMANCE.md).
                events: RoomEvents::Any,
                default_subscriptions: Subscriptions::All,
                created_by: Some(client.user_id.clone()),
            },
            true,
        )
        .await;
    match created {
        // The event form's answer is the `dialogue:roomCreated` broadcast,
        // which reaches the creator too.
        Ok(room) => {
            reply.acknowledge(RoomAnswer { room: &room.info() });
            engine.room_created(&room).await;
            Ok(())
        }
        Err(error) => Err((reply, error.to_wire())),
    }
}

async fn delete_room<'a>(
    engine: &Arc<Engine>,
    client: &Arc<ClientState>,
    name: &str,
    arg: Option<&RawValue>,
    mut reply: Reply<'a>,
) -> Handled<'a> {
    let request: RoomRequest = read!(reply, name, arg);
    about(&request.room_id, None);
    match engine
        .delete_room(&request.room_id, Some(&client.user_id))
        .await
    {
        Ok(removed) => {
            reply.acknowledge(Nothing {});
            engine.room_deleted(&request.room_id, removed).await;
            Ok(())
        }
        Err(error) => Err((reply, error.to_wire())),
    }
}
