//! What the server sends: greetings, answers to requests (as events and as
//! acknowledgements) and broadcasts.
//!
//! Answers borrow what they carry (room ids, envelopes already written as
//! JSON), so answering copies nothing it does not send.

use std::borrow::Cow;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::envelope::{RawEnvelope, RoomInfo};
use super::errors::WireError;

/// The version of the protocol this crate speaks, sent in
/// `dialogue:connected`.
pub const PROTOCOL_VERSION: u32 = 2;

/// `dialogue:connected`: the server's greeting, before anything else.
///
/// ```
/// use dialogue_core::protocol::{Connected, PROTOCOL_VERSION};
///
/// let hello = Connected::new("c1", "alice");
/// assert_eq!(
///     serde_json::to_value(&hello).unwrap(),
///     serde_json::json!({ "clientId": "c1", "userId": "alice", "protocol": PROTOCOL_VERSION })
/// );
/// ```
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
pub struct Connected<'a> {
    /// Unique per connection.
    #[serde(borrow)]
    pub client_id: Cow<'a, str>,
    /// The application's user (one user may hold several connections).
    #[serde(borrow)]
    pub user_id: Cow<'a, str>,
    /// The protocol's version ([`PROTOCOL_VERSION`]).
    pub protocol: u32,
}

impl<'a> Connected<'a> {
    /// The greeting of this protocol version.
    pub fn new(client_id: &'a str, user_id: &'a str) -> Self {
        Self {
            client_id: Cow::Borrowed(client_id),
            user_id: Cow::Borrowed(user_id),
            protocol: PROTOCOL_VERSION,
        }
    }
}

/// `dialogue:joined`, and the fields of the join acknowledgement.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
pub struct Joined<'a> {
    /// The room joined.
    #[serde(borrow)]
    pub room_id: Cow<'a, str>,
    /// Its name.
    #[serde(borrow)]
    pub room_name: Cow<'a, str>,
    /// Only in the acknowledgement, when the room syncs history on join:
    /// the events, newest first.
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    #[ts(type = "Array<EventMessage>", optional)]
    pub history: Option<Vec<RawEnvelope<'a>>>,
}

/// `{ roomId }`: `dialogue:left`, `dialogue:roomDeleted`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
pub struct RoomIdPayload<'a> {
    /// The room.
    #[serde(borrow)]
    pub room_id: Cow<'a, str>,
}

impl<'a> RoomIdPayload<'a> {
    /// The payload naming `room_id`.
    pub fn new(room_id: &'a str) -> Self {
        Self {
            room_id: Cow::Borrowed(room_id),
        }
    }
}

/// `dialogue:history`: the events sent on join, newest first.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
pub struct HistoryPush<'a> {
    /// The room joined.
    #[serde(borrow)]
    pub room_id: Cow<'a, str>,
    /// Its latest events, newest first.
    #[serde(borrow)]
    #[ts(type = "Array<EventMessage>")]
    pub events: Vec<RawEnvelope<'a>>,
}

/// `dialogue:historyResponse`, and the fields of the getHistory
/// acknowledgement.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
pub struct HistoryPage<'a> {
    /// The room.
    #[serde(borrow)]
    pub room_id: Cow<'a, str>,
    /// The event.
    #[serde(borrow)]
    pub event_name: Cow<'a, str>,
    /// The page, newest first.
    #[serde(borrow)]
    #[ts(type = "Array<EventMessage>")]
    pub events: Vec<RawEnvelope<'a>>,
    /// The first index of the page.
    pub start: u64,
    /// The index past the page (where the next page starts).
    pub end: u64,
}

/// The listRooms acknowledgement's fields: `{ rooms }`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, TS)]
pub struct RoomsAnswer<'a> {
    /// Every room a client may see.
    #[serde(borrow)]
    pub rooms: Cow<'a, [RoomInfo]>,
}

/// The createRoom acknowledgement's fields: `{ room }`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, TS)]
pub struct RoomAnswer<'a> {
    /// The room created.
    #[serde(borrow)]
    pub room: Cow<'a, RoomInfo>,
}

/// The trigger acknowledgement's fields: `{ message }`, the stamped envelope
/// everyone received.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, TS)]
pub struct TriggerAnswer<'a> {
    /// The event as broadcast.
    #[serde(borrow)]
    #[ts(type = "EventMessage")]
    pub message: RawEnvelope<'a>,
}

/// The acknowledgement of requests that have nothing to say but "done":
/// `{ ok: true }`.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, JsonSchema, TS)]
pub struct Done {}

/// `{ ok: true, ...answer }`: a successful acknowledgement.
///
/// ```
/// use dialogue_core::protocol::{AckOk, Done};
///
/// assert_eq!(serde_json::to_string(&AckOk::new(Done {})).unwrap(), r#"{"ok":true}"#);
/// ```
#[derive(Debug, Clone, Serialize)]
pub struct AckOk<T> {
    ok: bool,
    #[serde(flatten)]
    answer: T,
}

impl<T> AckOk<T> {
    /// The acknowledgement carrying `answer`'s fields.
    pub fn new(answer: T) -> Self {
        Self { ok: true, answer }
    }
}

/// `{ ok: false, error }`: a failed acknowledgement.
///
/// ```
/// use dialogue_core::protocol::{AckError, ErrorCode, WireError};
///
/// let error = WireError::new(ErrorCode::RoomFull, "full");
/// assert_eq!(
///     serde_json::to_value(AckError::new(&error)).unwrap(),
///     serde_json::json!({ "ok": false, "error": { "code": "ROOM_FULL", "message": "full" } })
/// );
/// ```
#[derive(Debug, Clone, Serialize)]
pub struct AckError<'a> {
    ok: bool,
    error: &'a WireError,
}

impl<'a> AckError<'a> {
    /// The acknowledgement of a failure.
    pub fn new(error: &'a WireError) -> Self {
        Self { ok: false, error }
    }
}
