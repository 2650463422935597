//! The wire protocol's vocabulary: event names, request payloads and answers
//! (PROTOCOL.md). Requests are read leniently (unknown fields are ignored, so
//! newer clients work), answers are written exactly.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::error::WireError;

/// Event names on the wire.
pub mod names {
    /// Server → client, first: `{ clientId, userId }`.
    pub const CONNECTED: &str = "dialogue:connected";
    /// Client → server: `{ roomId }`.
    pub const JOIN: &str = "dialogue:join";
    /// Server → client: `{ roomId, roomName }`.
    pub const JOINED: &str = "dialogue:joined";
    /// Client → server: `{ roomId }`.
    pub const LEAVE: &str = "dialogue:leave";
    /// Server → client: `{ roomId }`.
    pub const LEFT: &str = "dialogue:left";
    /// Client → server: `{ roomId, eventName }`.
    pub const SUBSCRIBE: &str = "dialogue:subscribe";
    /// Client → server: `{ roomId }`.
    pub const SUBSCRIBE_ALL: &str = "dialogue:subscribeAll";
    /// Client → server: `{ roomId, eventName }`.
    pub const UNSUBSCRIBE: &str = "dialogue:unsubscribe";
    /// Client → server: `{ roomId, event, data, meta? }`.
    pub const TRIGGER: &str = "dialogue:trigger";
    /// Server → client: an `EventMessage`.
    pub const EVENT: &str = "dialogue:event";
    /// Server → client after a join: `{ roomId, events }`.
    pub const HISTORY: &str = "dialogue:history";
    /// Client → server: `{ roomId, eventName, start?, end? }`.
    pub const GET_HISTORY: &str = "dialogue:getHistory";
    /// Server → client: `{ roomId, eventName, events, start, end }`.
    pub const HISTORY_RESPONSE: &str = "dialogue:historyResponse";
    /// Client → server: no payload.
    pub const LIST_ROOMS: &str = "dialogue:listRooms";
    /// Server → client: `RoomInfo[]`.
    pub const ROOMS: &str = "dialogue:rooms";
    /// Client → server: `{ id, name, description?, maxSize? }`.
    pub const CREATE_ROOM: &str = "dialogue:createRoom";
    /// Server → everyone: `RoomInfo`.
    pub const ROOM_CREATED: &str = "dialogue:roomCreated";
    /// Client → server: `{ roomId }`.
    pub const DELETE_ROOM: &str = "dialogue:deleteRoom";
    /// Server → everyone: `{ roomId }`.
    pub const ROOM_DELETED: &str = "dialogue:roomDeleted";
    /// Server → client: `{ code, message, details? }`.
    pub const ERROR: &str = "dialogue:error";
}

/// `{ roomId }`: join, leave, subscribeAll, deleteRoom.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RoomRequest {
    pub(crate) room_id: String,
}

/// `{ roomId, eventName }`: subscribe, unsubscribe.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SubscribeRequest {
    pub(crate) room_id: String,
    pub(crate) event_name: String,
}

/// `{ roomId, event, data, meta? }`; `data` and `meta` are kept as sent so
/// their size is checked before they are read.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TriggerRequest<'a> {
    pub(crate) room_id: String,
    pub(crate) event: String,
    /// Left out (`undefined` in JavaScript) it is `null`, the payload of an
    /// event without data.
    #[serde(default, borrow)]
    pub(crate) data: Option<&'a RawValue>,
    #[serde(default, borrow)]
    pub(crate) meta: Option<&'a RawValue>,
}

/// `{ roomId, eventName, start?, end? }`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct HistoryRequest {
    pub(crate) room_id: String,
    pub(crate) event_name: String,
    #[serde(default)]
    pub(crate) start: Option<u64>,
    #[serde(default)]
    pub(crate) end: Option<u64>,
}

/// `{ id, name, description?, maxSize? }`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CreateRoomRequest {
    pub(crate) id: String,
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) description: Option<String>,
    #[serde(default)]
    pub(crate) max_size: Option<std::num::NonZeroU32>,
}

/// `dialogue:connected`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Connected<'a> {
    pub(crate) client_id: &'a str,
    pub(crate) user_id: &'a str,
}

/// `dialogue:joined`, and the join acknowledgement's fields.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Joined<'a> {
    pub(crate) room_id: &'a str,
    pub(crate) room_name: &'a str,
    /// Only in the acknowledgement form, when the room syncs history.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) history: Option<Vec<&'a RawValue>>,
}

/// `dialogue:left`, `dialogue:roomDeleted`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RoomIdPayload<'a> {
    pub(crate) room_id: &'a str,
}

/// `dialogue:history`: the events sent on join, newest first.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct HistoryPush<'a> {
    pub(crate) room_id: &'a str,
    pub(crate) events: Vec<&'a RawValue>,
}

/// `dialogue:historyResponse`, and the getHistory acknowledgement's fields.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct HistoryPage<'a> {
    pub(crate) room_id: &'a str,
    pub(crate) event_name: &'a str,
    pub(crate) events: Vec<&'a RawValue>,
    pub(crate) start: u64,
    pub(crate) end: u64,
}

/// What clients learn about a room (`dialogue:rooms`, `dialogue:roomCreated`).
///
/// ```
/// use dialogue_runtime::RoomInfo;
///
/// let info = RoomInfo {
///     id: "chat".into(),
///     name: "Chat Room".into(),
///     description: None,
///     size: 3,
///     max_size: Some(50),
///     created_by_id: None,
/// };
/// assert_eq!(
///     serde_json::to_value(&info).unwrap(),
///     serde_json::json!({ "id": "chat", "name": "Chat Room", "size": 3, "maxSize": 50 })
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoomInfo {
    /// The room id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Members now.
    pub size: usize,
    /// Its capacity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_size: Option<u32>,
    /// The user who created it (rooms created at runtime).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by_id: Option<String>,
}

/// `{ ok: true, ...answer }`: a successful acknowledgement.
#[derive(Debug, Serialize)]
pub(crate) struct AckOk<T> {
    ok: bool,
    #[serde(flatten)]
    answer: T,
}

impl<T> AckOk<T> {
    pub(crate) fn new(answer: T) -> Self {
        Self { ok: true, answer }
    }
}

/// The answer of requests that have nothing to say but "done".
#[derive(Debug, Serialize)]
pub(crate) struct Nothing {}

/// `{ ok: true, rooms }`.
#[derive(Debug, Serialize)]
pub(crate) struct RoomsAnswer<'a> {
    pub(crate) rooms: &'a [RoomInfo],
}

/// `{ ok: true, room }`.
#[derive(Debug, Serialize)]
pub(crate) struct RoomAnswer<'a> {
    pub(crate) room: &'a RoomInfo,
}

/// `{ ok: true, message }`: the stamped envelope of a trigger.
#[derive(Debug, Serialize)]
pub(crate) struct MessageAnswer<'a> {
    pub(crate) message: &'a RawValue,
}

/// `{ ok: false, error }`: a failed acknowledgement.
#[derive(Debug, Serialize)]
pub(crate) struct AckError<'a> {
    ok: bool,
    error: &'a WireError,
}

impl<'a> AckError<'a> {
    pub(crate) fn new(error: &'a WireError) -> Self {
        Self { ok: false, error }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::error::ErrorCode;

    #[test]
    fn acknowledgements_have_the_documented_shape() {
        let joined = Joined {
            room_id: "chat",
            room_name: "Chat Room",
            history: None,
        };
        assert_eq!(
            serde_json::to_value(AckOk::new(joined)).unwrap(),
            json!({ "ok": true, "roomId": "chat", "roomName": "Chat Room" })
        );
        assert_eq!(
            serde_json::to_value(AckOk::new(Nothing {})).unwrap(),
            json!({ "ok": true })
        );
        let error = WireError::new(ErrorCode::RoomFull, "full");
        assert_eq!(
            serde_json::to_value(AckError::new(&error)).unwrap(),
            json!({ "ok": false, "error": { "code": "ROOM_FULL", "message": "full" } })
        );
    }

    #[test]
    fn requests_are_read_leniently_but_typed() {
        let text = json!({ "roomId": "r", "event": "ping", "extra": 1 }).to_string();
        let trigger: TriggerRequest<'_> = serde_json::from_str(&text).unwrap();
        assert!(trigger.data.is_none(), "missing data is left out");
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
