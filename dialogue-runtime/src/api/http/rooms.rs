//! The routes of the HTTP API, one handler each; the rules are the engine's.

use std::borrow::Cow;
use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::{Api, ApiError, Body};
use crate::engine::people::{Actor, presence_page};
use crate::engine::rooms::{Creator, Deleter};
use crate::error::{InvalidEventName, RoomNotFound, TriggerError};
use crate::protocol::{
    DEFAULT_HISTORY_END, ErrorCode, HistoryPage, HttpCreateRoom, HttpKick, HttpPublish, RoomAnswer,
    RoomsAnswer, SYSTEM, TriggerAnswer,
};
use crate::spec::{RoomEvents, Subscriptions};
use crate::state::room::{RoomOptions, RoomState};

type Answer = Result<Response, ApiError>;

/// `GET /rooms`: every room `listRooms` shows.
pub(super) async fn list(State(api): State<Api>) -> Answer {
    let rooms = api.engine.room_infos().await;
    Ok(Json(RoomsAnswer {
        rooms: Cow::Owned(rooms),
    })
    .into_response())
}

/// `POST /rooms`: a room without a host; with `events`, one that validates
/// those declared events and subscribes joiners to them.
pub(super) async fn create(State(api): State<Api>, Body(body): Body<HttpCreateRoom>) -> Answer {
    let HttpCreateRoom { room, events } = body;
    let mut options = RoomOptions::new(room.id, room.name)
        .host_only(room.host_only.unwrap_or(false))
        .presence(room.presence.unwrap_or(false));
    options.description = room.description;
    options.max_size = room.max_size.map(|n| n.get());
    if let Some(secret) = &room.secret {
        options = options.secret(secret);
    }
    if let Some(names) = events {
        if let Some(unknown) = names.iter().find(|n| api.engine.events.get(n).is_none()) {
            return Err(ApiError::new(
                ErrorCode::InvalidRequest,
                format!("`events` names {unknown:?}, which the application does not declare"),
            ));
        }
        options = options
            .events(RoomEvents::Only(names.clone()))
            .default_subscriptions(Subscriptions::Only(names));
    }
    let (state, then) = api.engine.create_room(options, Creator::Server).await?;
    then.run().await;
    let answer = RoomAnswer {
        room: Cow::Owned(state.info()),
    };
    Ok((StatusCode::CREATED, Json(answer)).into_response())
}

/// A room in memory (an instance not in memory is not found).
fn room(api: &Api, id: &str) -> Result<std::sync::Arc<RoomState>, ApiError> {
    api.engine
        .room(id)
        .ok_or_else(|| RoomNotFound(id.to_owned()).into())
}

/// `GET /rooms/{id}`.
pub(super) async fn get(State(api): State<Api>, Path(id): Path<String>) -> Answer {
    let room = room(&api, &id)?;
    Ok(Json(RoomAnswer {
        room: Cow::Owned(room.info()),
    })
    .into_response())
}

/// `DELETE /rooms/{id}`: any room but declared ones (and their instances).
pub(super) async fn delete(State(api): State<Api>, Path(id): Path<String>) -> Answer {
    let then = api.engine.delete_room(&id, Deleter::Server).await?;
    then.run().await;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST /rooms/{id}/events`: as the server, `from: "system"`. A declared
/// event goes into any room; another name only into a room that takes any.
/// An instance of a template that is not in memory is made.
pub(super) async fn publish(
    State(api): State<Api>,
    Path(id): Path<String>,
    Body(body): Body<HttpPublish>,
) -> Answer {
    let engine = &api.engine;
    let room = engine
        .room_or_instance(&id)
        .ok_or_else(|| ApiError::from(RoomNotFound(id.clone())))?;
    InvalidEventName::check(&body.event).map_err(TriggerError::from)?;
    if engine.events.get(&body.event).is_none() && !matches!(room.config.events, RoomEvents::Any) {
        return Err(TriggerError::EventNotAllowed {
            room: id,
            event: body.event,
        }
        .into());
    }
    let max = engine.limits.max_payload;
    for (part, size) in [
        ("data", json_len(&body.data)),
        ("meta", body.meta.as_ref().map_or(0, json_len)),
    ] {
        if size > max {
            return Err(TriggerError::PayloadTooLarge { part, size, max }.into());
        }
    }
    let published = engine
        .publish(
            &room,
            &body.event,
            &body.data,
            SYSTEM,
            body.meta.as_ref(),
            None,
        )
        .await?;
    let answer = TriggerAnswer {
        message: published.stamped.envelope(),
    };
    let response = (StatusCode::CREATED, Json(answer)).into_response();
    published.then.run().await;
    Ok(response)
}

fn json_len<T: serde::Serialize>(value: &T) -> usize {
    serde_json::to_vec(value).map_or(usize::MAX, |bytes| bytes.len())
}

/// `GET /rooms/{id}/history?event=&start=&end=`.
pub(super) async fn history(
    State(api): State<Api>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Answer {
    let Some(event) = query.get("event") else {
        return Err(ApiError::new(
            ErrorCode::InvalidRequest,
            "`event` is required: ?event=<name>",
        ));
    };
    let number = |name: &str, default: u64| -> Result<u64, ApiError> {
        match query.get(name) {
            None => Ok(default),
            Some(text) => text.parse().map_err(|_| {
                ApiError::new(
                    ErrorCode::InvalidRequest,
                    format!("`{name}` must be a whole number, not {text:?}"),
                )
            }),
        }
    };
    let (start, end) = (number("start", 0)?, number("end", DEFAULT_HISTORY_END)?);
    // An instance not in memory is made: its history lives in the store.
    let room = api
        .engine
        .room_or_instance(&id)
        .ok_or_else(|| ApiError::from(RoomNotFound(id.clone())))?;
    let page = api.engine.history(&room, event, start, end).await?;
    let answer = HistoryPage {
        room_id: Cow::Borrowed(&id),
        event_name: Cow::Borrowed(event),
        events: page.events.iter().map(|e| e.envelope()).collect(),
        start: page.start,
        end: page.end,
    };
    Ok(Json(answer).into_response())
}

/// `GET /rooms/{id}/presence`: rooms with presence only. An instance not
/// in memory is made (on this node: its members may be on another), as
/// for history.
pub(super) async fn presence(State(api): State<Api>, Path(id): Path<String>) -> Answer {
    let room = api
        .engine
        .room_or_instance(&id)
        .ok_or_else(|| ApiError::from(RoomNotFound(id.clone())))?;
    room.roster.loaded().await;
    if !room.config.presence {
        return Err(ApiError::new(
            ErrorCode::InvalidRequest,
            format!("room `{id}` has no presence"),
        ));
    }
    Ok(Json(presence_page(&room)).into_response())
}

/// `POST /rooms/{id}/kick`: as a host's kick, in any room.
pub(super) async fn kick(
    State(api): State<Api>,
    Path(id): Path<String>,
    Body(body): Body<HttpKick>,
) -> Answer {
    api.engine
        .kick(
            Actor::Server,
            &id,
            &body.user_id,
            body.reason.as_deref(),
            body.ban.unwrap_or(false),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `DELETE /users/{userId}/connections`: every connection of the user, on
/// every node, is closed at the namespace level, ending its session, and
/// the sessions held for it end too (their seats go, `on_left` runs); 204
/// whether or not it had any. 503 when the other nodes cannot be told
/// (this node's part is done).
pub(super) async fn disconnect_user(State(api): State<Api>, Path(user_id): Path<String>) -> Answer {
    api.engine.close_user(&user_id).await.map_err(|cause| {
        ApiError::new(
            ErrorCode::Unavailable,
            format!(
                "the connections of `{user_id}` on this node are closed, but the other nodes \
                 could not be told: {cause}"
            ),
        )
    })?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
