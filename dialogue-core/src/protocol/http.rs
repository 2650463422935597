//! The HTTP API's own bodies (docs/http-api.md): what a backend sends to
//! create a room, publish an event or kick a user, and the error body. The
//! answers are the protocol's (`RoomsAnswer`, `RoomAnswer`, `TriggerAnswer`,
//! `HistoryPage`, `PresencePage`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::errors::WireError;
use super::requests::CreateRoomRequest;

/// `POST /api/rooms`: createRoom's fields, plus `events`.
///
/// ```
/// use dialogue_core::protocol::HttpCreateRoom;
///
/// let body: HttpCreateRoom = serde_json::from_str(
///     r#"{ "id": "orders-42", "name": "Order 42", "events": ["order:updated"] }"#,
/// ).unwrap();
/// assert_eq!(body.room.id, "orders-42");
/// assert_eq!(body.events.unwrap(), ["order:updated"]);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
pub struct HttpCreateRoom {
    /// The room, as `dialogue:createRoom` describes it.
    #[serde(flatten)]
    #[ts(flatten)]
    pub room: CreateRoomRequest,
    /// Declared event names the room takes, each validated, joiners
    /// subscribed to them; without it the room takes any event, unvalidated,
    /// and joiners are subscribed to `*`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub events: Option<Vec<String>>,
}

/// `POST /api/rooms/{id}/events`: `{ event, data, meta? }`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, TS)]
pub struct HttpPublish {
    /// The event's wire name: a declared one into any room, any name into a
    /// room that takes any event.
    pub event: String,
    /// The payload, validated against the event's schema.
    #[serde(default)]
    #[ts(type = "unknown")]
    pub data: serde_json::Value,
    /// Passed through unvalidated; an object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(type = "Record<string, unknown>", optional)]
    pub meta: Option<serde_json::Map<String, serde_json::Value>>,
}

/// `POST /api/rooms/{id}/kick`: `{ userId, reason?, ban? }`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
pub struct HttpKick {
    /// The user whose every connection leaves the room.
    pub user_id: String,
    /// Told to the kicked user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub reason: Option<String>,
    /// The user may not join again while the room exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub ban: Option<bool>,
}

/// An HTTP API error: `{ error: { code, message, details? } }`, with the
/// code's status ([`ErrorCode::http_status`](super::ErrorCode::http_status)).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, TS)]
pub struct HttpError {
    /// What went wrong.
    pub error: WireError,
}
