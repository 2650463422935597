//! Client requests: read each `dialogue:*` request, run it through the engine,
//! and answer in the form the client chose: events (as dialogue-ts clients
//! expect) or, when it passed a callback, one acknowledgement.

use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use socketioxide::extract::{AckSender, SocketRef};
use socketioxide::handler::Value as SioValue;

use crate::client::ClientState;
use crate::engine::{Engine, NewRoom};
use crate::error::{HistoryError, RequestError, ToWire, WireError};
use crate::protocol::{
    AckError, AckOk, CreateRoomRequest, HistoryPage, HistoryPush, HistoryRequest, Joined,
    MessageAnswer, Nothing, RoomAnswer, RoomIdPayload, RoomRequest, RoomsAnswer, SubscribeRequest,
    TriggerRequest, names,
};
use crate::rules::WILDCARD;
use crate::session::Incoming;
use crate::spec::{HistorySync, RoomEvents, Subscriptions};

/// A page size when `getHistory` gives no `end`.
const DEFAULT_PAGE: u64 = 50;

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
            Some(ack) => ack.send(&AckError::new(&error)).is_ok(),
            None => self.socket.emit(names::ERROR, &error).is_ok(),
        };
        if !sent {
            tracing::debug!(request, "the client left before its answer");
        }
    }

    /// Acknowledges with `{ ok: true, ...answer }`; returns `false` (doing
    /// nothing) when the client asked for no acknowledgement.
    fn acknowledge<T: Serialize>(&mut self, answer: T) -> bool {
        match self.ack.take() {
            Some(ack) => {
                let _ = ack.send(&AckOk::new(answer));
                true
            }
            None => false,
        }
    }

    fn emit<T: Serialize + ?Sized>(&self, event: &str, payload: &T) {
        let _ = self.socket.emit(event, payload);
    }
}

/// Handles one request.
pub(crate) async fn handle(engine: &Engine, client: &Arc<ClientState>, incoming: Incoming) {
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
    let result = match name.as_str() {
        names::JOIN => join(engine, client, &name, arg, reply),
        names::LEAVE => leave(engine, client, &name, arg, reply),
        names::SUBSCRIBE => subscribe(engine, client, &name, arg, reply, true),
        names::UNSUBSCRIBE => subscribe(engine, client, &name, arg, reply, false),
        names::SUBSCRIBE_ALL => subscribe_all(engine, client, &name, arg, reply),
        names::TRIGGER => trigger(engine, client, &name, arg, reply).await,
        names::GET_HISTORY => history(engine, client, &name, arg, reply).await,
        names::LIST_ROOMS => {
            list_rooms(engine, reply);
            Ok(())
        }
        names::CREATE_ROOM => create_room(engine, client, &name, arg, reply).await,
        names::DELETE_ROOM => delete_room(engine, client, &name, arg, reply).await,
        _ => Err((reply, RequestError::Unknown(name.clone()).to_wire())),
    };
    if let Err((reply, error)) = result {
        reply.fail(&name, error);
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

/// Reads the request's payload as `T`.
fn payload<T: DeserializeOwned>(request: &str, arg: Option<&RawValue>) -> Result<T, WireError> {
    let Some(arg) = arg else {
        return Err(RequestError::Malformed {
            request: request.to_owned(),
            reason: "the payload is missing".to_owned(),
        }
        .to_wire());
    };
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

fn join<'a>(
    engine: &Engine,
    client: &Arc<ClientState>,
    name: &str,
    arg: Option<&RawValue>,
    mut reply: Reply<'a>,
) -> Handled<'a> {
    let request: RoomRequest = read!(reply, name, arg);
    let outcome = match engine.join(client, &request.room_id) {
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
    Ok(())
}

fn leave<'a>(
    engine: &Engine,
    client: &Arc<ClientState>,
    name: &str,
    arg: Option<&RawValue>,
    mut reply: Reply<'a>,
) -> Handled<'a> {
    let request: RoomRequest = read!(reply, name, arg);
    if let Err(error) = engine.leave(client, &request.room_id) {
        return Err((reply, error.to_wire()));
    }
    if !reply.acknowledge(Nothing {}) {
        reply.emit(
            names::LEFT,
            &RoomIdPayload {
                room_id: &request.room_id,
            },
        );
    }
    Ok(())
}

fn subscribe<'a>(
    engine: &Engine,
    client: &Arc<ClientState>,
    name: &str,
    arg: Option<&RawValue>,
    mut reply: Reply<'a>,
    on: bool,
) -> Handled<'a> {
    let request: SubscribeRequest = read!(reply, name, arg);
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
    engine: &Engine,
    client: &Arc<ClientState>,
    name: &str,
    arg: Option<&RawValue>,
    mut reply: Reply<'a>,
) -> Handled<'a> {
    let request: RoomRequest = read!(reply, name, arg);
    match engine.subscribe(client, &request.room_id, WILDCARD) {
        Ok(()) => {
            reply.acknowledge(Nothing {});
            Ok(())
        }
        Err(error) => Err((reply, error.to_wire())),
    }
}

async fn trigger<'a>(
    engine: &Engine,
    client: &Arc<ClientState>,
    name: &str,
    arg: Option<&RawValue>,
    mut reply: Reply<'a>,
) -> Handled<'a> {
    let request: TriggerRequest = read!(reply, name, arg);
    let published = engine
        .client_trigger(
            client,
            &request.room_id,
            &request.event,
            &request.data,
            request.meta.as_ref(),
        )
        .await;
    match published {
        Ok(published) => {
            reply.acknowledge(MessageAnswer {
                message: published.json(),
            });
            Ok(())
        }
        Err(error) => Err((reply, error.to_wire())),
    }
}

async fn history<'a>(
    engine: &Engine,
    client: &Arc<ClientState>,
    name: &str,
    arg: Option<&RawValue>,
    mut reply: Reply<'a>,
) -> Handled<'a> {
    let request: HistoryRequest = read!(reply, name, arg);
    let Some(room) = client.room(&request.room_id) else {
        let error = match engine.rooms.get(&request.room_id) {
            Some(_) => HistoryError::NotInRoom(request.room_id),
            None => HistoryError::RoomNotFound(request.room_id),
        };
        return Err((reply, error.to_wire()));
    };
    let start = request.start.unwrap_or(0);
    let end = request.end.unwrap_or(start.saturating_add(DEFAULT_PAGE));
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

fn list_rooms(engine: &Engine, mut reply: Reply<'_>) {
    let rooms = engine.room_infos();
    if !reply.acknowledge(RoomsAnswer { rooms: &rooms }) {
        reply.emit(names::ROOMS, &rooms);
    }
}

async fn create_room<'a>(
    engine: &Engine,
    client: &Arc<ClientState>,
    name: &str,
    arg: Option<&RawValue>,
    mut reply: Reply<'a>,
) -> Handled<'a> {
    let request: CreateRoomRequest = read!(reply, name, arg);
    let created = engine
        .create_room(NewRoom {
            id: request.id,
            name: request.name,
            description: request.description,
            max_size: request.max_size.map(|n| n.get()),
            // Rooms created by clients take any event and subscribe joiners
            // to all of them (CONFORMANCE.md).
            events: RoomEvents::Any,
            default_subscriptions: Subscriptions::All,
            created_by: Some(client.user_id.clone()),
        })
        .await;
    match created {
        // The event form's answer is the `dialogue:roomCreated` broadcast,
        // which reaches the creator too.
        Ok(room) => {
            reply.acknowledge(RoomAnswer { room: &room.info() });
            Ok(())
        }
        Err(error) => Err((reply, error.to_wire())),
    }
}

async fn delete_room<'a>(
    engine: &Engine,
    client: &Arc<ClientState>,
    name: &str,
    arg: Option<&RawValue>,
    mut reply: Reply<'a>,
) -> Handled<'a> {
    let request: RoomRequest = read!(reply, name, arg);
    match engine
        .delete_room(&request.room_id, Some(&client.user_id))
        .await
    {
        Ok(()) => {
            reply.acknowledge(Nothing {});
            Ok(())
        }
        Err(error) => Err((reply, error.to_wire())),
    }
}
