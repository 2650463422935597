//! What clients send: the payload of each `dialogue:*` request.
//!
//! Requests are read leniently (unknown fields are ignored, so newer clients
//! work with older servers) but typed: a missing field or a wrong type is an
//! `INVALID_REQUEST`.

use std::borrow::Cow;
use std::num::NonZeroU32;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::envelope::{Position, RawJson};

/// The longest trigger `id`, in bytes.
pub const MAX_TRIGGER_ID_LEN: usize = 64;

/// `dialogue:join`: `{ roomId, since?, subscriptions?, secret? }`.
///
/// ```
/// use dialogue_core::protocol::JoinRequest;
///
/// let join: JoinRequest = serde_json::from_str(r#"{"roomId":"chat"}"#).unwrap();
/// assert_eq!(join.room_id, "chat");
/// let back: JoinRequest = serde_json::from_str(
///     r#"{"roomId":"chat","since":{"epoch":"e1","seq":41},"subscriptions":["*"]}"#,
/// ).unwrap();
/// assert_eq!(back.since.unwrap().seq, 41);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
pub struct JoinRequest {
    /// The room to join.
    pub room_id: String,
    /// The last position the client had in this room: the events after it
    /// are replayed when the room still holds them all (`recovered`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub since: Option<Position>,
    /// Event names (or `["*"]`) that replace the room's default
    /// subscriptions for this member, before anything is replayed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub subscriptions: Option<Vec<String>>,
    /// The room's secret, for a room created with one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub secret: Option<String>,
}

/// `{ roomId }`: `dialogue:leave`, `dialogue:subscribeAll`,
/// `dialogue:deleteRoom`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
pub struct RoomRequest {
    /// The room.
    pub room_id: String,
}

/// `{ roomId, eventName }`: `dialogue:subscribe`, `dialogue:unsubscribe`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
pub struct SubscribeRequest {
    /// A joined room.
    pub room_id: String,
    /// An event name, or `*` for every event.
    pub event_name: String,
}

/// `dialogue:trigger`: `{ roomId, event, data, meta? }`.
///
/// `data` and `meta` are kept as sent, so that their size is checked before
/// they are read. Left out (`undefined` in JavaScript), `data` is `null`, the
/// payload of an event without data.
///
/// ```
/// use dialogue_core::protocol::TriggerRequest;
///
/// let text = r#"{"roomId":"chat","event":"message","data":{"text":"hi"}}"#;
/// let trigger: TriggerRequest<'_> = serde_json::from_str(text).unwrap();
/// assert_eq!(trigger.data.unwrap().0.get(), r#"{"text":"hi"}"#);
/// ```
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
pub struct TriggerRequest<'a> {
    /// A joined room.
    #[serde(borrow)]
    pub room_id: Cow<'a, str>,
    /// The event's wire name.
    #[serde(borrow)]
    pub event: Cow<'a, str>,
    /// The payload, validated against the event's schema.
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    #[ts(type = "unknown", optional)]
    pub data: Option<RawJson<'a>>,
    /// Passed through unvalidated; an object.
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    #[ts(type = "Record<string, unknown>", optional)]
    #[schemars(with = "Option<serde_json::Map<String, serde_json::Value>>")]
    pub meta: Option<RawJson<'a>>,
    /// The client's own id for this trigger (at most 64 bytes): a trigger
    /// the room already accepted with this id from the same user is not
    /// accepted again, and its answer is the original message.
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    #[schemars(length(max = 64))]
    pub id: Option<Cow<'a, str>>,
}

/// `dialogue:request`: `{ name, data, roomId? }`, an application's request
/// (docs/requests.md). Sent with an acknowledgement only.
///
/// ```
/// use dialogue_core::protocol::RequestCall;
///
/// let text = r#"{ "name": "add", "data": { "a": 1, "b": 2 } }"#;
/// let call: RequestCall<'_> = serde_json::from_str(text).unwrap();
/// assert_eq!(call.name, "add");
/// assert!(call.room_id.is_none());
/// ```
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
pub struct RequestCall<'a> {
    /// The request's wire name, as declared.
    #[serde(borrow)]
    pub name: Cow<'a, str>,
    /// The payload, validated against the request's schema.
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    #[ts(type = "unknown", optional)]
    pub data: Option<RawJson<'a>>,
    /// A room the caller must be a member of, for requests about a room.
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub room_id: Option<Cow<'a, str>>,
}

/// `dialogue:auth`: `{ token }`, a fresh token for the same user, before
/// the connection's token expires.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, TS)]
pub struct AuthRequest {
    /// The new token (a JWT with the configured authentication).
    pub token: String,
}

/// `dialogue:getHistory`: `{ roomId, eventName, start?, end? }`, indices
/// newest first (defaults 0 and 50, end exclusive).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
pub struct HistoryRequest {
    /// A joined room.
    pub room_id: String,
    /// The event whose history to read.
    pub event_name: String,
    /// The first index (0 is the newest event); default 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub start: Option<u64>,
    /// The index past the last; default 50.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub end: Option<u64>,
}

/// `dialogue:createRoom`: `{ id, name, description?, maxSize?, secret?,
/// hostOnly?, presence? }`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
pub struct CreateRoomRequest {
    /// The new room's id.
    pub id: String,
    /// Its human-readable name.
    pub name: String,
    /// Its description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub description: Option<String>,
    /// Its capacity (at least 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(type = "number", optional)]
    pub max_size: Option<NonZeroU32>,
    /// Joins must carry this secret (the server keeps only its hash).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub secret: Option<String>,
    /// Only the host triggers events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub host_only: Option<bool>,
    /// Members see who else is present (`dialogue:getPresence`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub presence: Option<bool>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn requests_are_read_leniently_but_typed() {
        let text = json!({ "roomId": "r", "event": "ping", "extra": 1 }).to_string();
        let trigger: TriggerRequest<'_> = serde_json::from_str(&text).unwrap();
        assert!(trigger.data.is_none(), "missing data is left out");
        assert!(matches!(trigger.room_id, Cow::Borrowed("r")), "borrowed");
        let err = serde_json::from_value::<RoomRequest>(json!({ "room": "r" })).unwrap_err();
        assert!(err.to_string().contains("missing field `roomId`"), "{err}");
        let err = serde_json::from_value::<HistoryRequest>(
            json!({ "roomId": "r", "eventName": "m", "start": -1 }),
        )
        .unwrap_err();
        assert!(err.to_string().contains("invalid value"), "{err}");
        assert!(
            serde_json::from_value::<CreateRoomRequest>(
                json!({ "id": "a", "name": "A", "maxSize": 0 })
            )
            .is_err()
        );
    }
}
