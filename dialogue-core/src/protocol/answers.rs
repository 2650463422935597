//! What the server sends: greetings, answers to requests (as events and as
//! acknowledgements) and broadcasts.
//!
//! Answers borrow what they carry (room ids, envelopes already written as
//! JSON), so answering copies nothing it does not send.

use std::borrow::Cow;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::envelope::{Position, RawEnvelope, RawJson, RoomInfo};
use super::errors::WireError;

/// The version of the protocol this crate speaks, sent in
/// `dialogue:connected`.
pub const PROTOCOL_VERSION: u32 = 2;

/// `dialogue:connected`: the server's greeting, before anything else.
///
/// ```
/// use dialogue_core::protocol::{Connected, PROTOCOL_VERSION};
///
/// let hello = Connected::new("c1", "alice", "t0k3n");
/// assert_eq!(
///     serde_json::to_value(&hello).unwrap(),
///     serde_json::json!({
///         "clientId": "c1", "userId": "alice", "protocol": PROTOCOL_VERSION,
///         "resumeToken": "t0k3n",
///     })
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
    /// The protocol's version, 2 for this one.
    pub protocol: u32,
    /// The secret that resumes this session on a new connection
    /// (`auth.resume`); never broadcast.
    #[serde(borrow)]
    pub resume_token: Cow<'a, str>,
    /// Only when the handshake carried `auth.resume`: whether the session
    /// was taken over.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub resumed: Option<bool>,
    /// Only after a resume: the rooms the session is a member of.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub rooms: Option<Vec<String>>,
    /// Only after a resume: the rooms whose missed events follow (their
    /// position was given and they still hold everything after it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub recovered: Option<Vec<String>>,
    /// Only after a resume, when the host removed the user from rooms while
    /// the connection was away: those rooms (not in `rooms`), with the
    /// host's reason; the client does not join them again.
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub kicked: Option<Vec<super::people::Kicked<'a>>>,
}

impl<'a> Connected<'a> {
    /// The greeting of a new session.
    pub fn new(client_id: &'a str, user_id: &'a str, resume_token: &'a str) -> Self {
        Self {
            client_id: Cow::Borrowed(client_id),
            user_id: Cow::Borrowed(user_id),
            protocol: PROTOCOL_VERSION,
            resume_token: Cow::Borrowed(resume_token),
            resumed: None,
            rooms: None,
            recovered: None,
            kicked: None,
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
    /// The room's latest position when the member was added: every later
    /// event reaches the member live.
    pub position: Position,
    /// Only when the join carried `since`: whether every event after it was
    /// still held (then they are replayed), or the client must reload
    /// through history.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub recovered: Option<bool>,
    /// Only in the acknowledgement, when `recovered` is true: the events
    /// missed, oldest first (possibly none).
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    #[ts(type = "Array<EventMessage>", optional)]
    pub missed: Option<Vec<RawEnvelope<'a>>>,
    /// Only in the acknowledgement, when the room syncs history on join
    /// (and the join carried no `since`): the events, newest first.
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

/// The answer of an application's request: `{ data }`, what its handler
/// returned.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, TS)]
pub struct RequestAnswer<'a> {
    /// The handler's response, valid against the request's response schema.
    #[serde(borrow)]
    #[ts(type = "unknown")]
    pub data: RawJson<'a>,
}

/// The `dialogue:auth` acknowledgement's fields: `{ expiresAt? }`, when the
/// new token expires (Unix milliseconds; absent for a token that never
/// does).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
pub struct AuthAnswer {
    /// When the connection's new token expires, in Unix milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub expires_at: Option<u64>,
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

/// `{ ok: false, error: { code, message } }`: an application request's
/// refusal by its handler, with the application's own code (which no
/// [`ErrorCode`](super::ErrorCode) is).
///
/// ```
/// use dialogue_core::protocol::AckRefusal;
///
/// let text = serde_json::to_string(&AckRefusal::new("TOO_BIG", "too big")).unwrap();
/// assert_eq!(text, r#"{"ok":false,"error":{"code":"TOO_BIG","message":"too big"}}"#);
/// ```
#[derive(Debug, Clone, Serialize)]
pub struct AckRefusal<'a> {
    ok: bool,
    error: Refused<'a>,
}

/// The error of an [`AckRefusal`].
#[derive(Debug, Clone, Serialize)]
struct Refused<'a> {
    code: &'a str,
    message: &'a str,
}

impl<'a> AckRefusal<'a> {
    /// The refusal with the application's `code` and `message`.
    pub fn new(code: &'a str, message: &'a str) -> Self {
        Self {
            ok: false,
            error: Refused { code, message },
        }
    }
}
