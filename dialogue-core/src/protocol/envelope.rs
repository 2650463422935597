//! The envelope every event travels in, positions in a room's stream, and
//! what clients learn about a room.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use ts_rs::TS;

/// An event as clients receive it: the payload with the room, the sender and
/// the time, which the server sets.
///
/// `T` is the payload type; `EventMessage<Value>` holds any payload.
///
/// ```
/// use dialogue_core::protocol::EventMessage;
///
/// let json = r#"{"event":"typing","roomId":"chat","data":{"isTyping":true},
///                "from":"u1","timestamp":1700000000000,"seq":7}"#;
/// let message: EventMessage = serde_json::from_str(json).unwrap();
/// assert_eq!(message.data["isTyping"], true);
/// assert_eq!(message.seq, 7);
/// assert!(message.meta.is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "EventMessage")]
pub struct EventMessage<T = Value> {
    /// The event's wire name, e.g. `message`.
    pub event: String,
    /// The room it was triggered in.
    pub room_id: String,
    /// The validated payload.
    pub data: T,
    /// The sender's user id, or `system` for the server; set by the server.
    pub from: String,
    /// Unix milliseconds, when the server accepted it; set by the server.
    pub timestamp: u64,
    /// Its place in the room's stream: every event the room accepts, of
    /// any name, takes the next one (the first is 1); set by the server. 0
    /// in a message not yet accepted (the one `before_each` proposes).
    /// Always on the wire; read as 0 when absent, for messages stored before
    /// positions existed.
    #[serde(default)]
    #[schemars(required)]
    pub seq: u64,
    /// Passed through as the sender gave it, unvalidated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Map<String, Value>>,
}

/// The sender the server writes when it triggers an event itself.
pub const SYSTEM: &str = "system";

/// An [`EventMessage`] already written as JSON, sent byte for byte as the
/// server stamped it: a broadcast, a history page and a join sync all carry
/// the same bytes. Its schema is [`EventMessage`]'s.
///
/// ```
/// use dialogue_core::protocol::RawEnvelope;
/// use serde_json::value::RawValue;
///
/// let raw = RawValue::from_string(r#"{"event":"m"}"#.to_owned()).unwrap();
/// assert_eq!(serde_json::to_string(&RawEnvelope(&raw)).unwrap(), r#"{"event":"m"}"#);
/// ```
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RawEnvelope<'a>(#[serde(borrow)] pub &'a RawValue);

impl JsonSchema for RawEnvelope<'_> {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "RawEnvelope".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        generator.subschema_for::<EventMessage>()
    }
}

/// Any JSON value, kept as the client sent it (read only when needed).
///
/// ```
/// use dialogue_core::protocol::RawJson;
///
/// let data: RawJson<'_> = serde_json::from_str(r#" {"a": 1} "#).unwrap();
/// assert_eq!(data.0.get(), r#"{"a": 1}"#);
/// ```
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RawJson<'a>(#[serde(borrow)] pub &'a RawValue);

impl JsonSchema for RawJson<'_> {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "RawJson".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        Schema::default()
    }
}

/// A place in a room's stream: its `epoch` and the `seq` of an event (0
/// before the first).
///
/// ```
/// use dialogue_core::protocol::Position;
///
/// let position = Position { epoch: "e1".into(), seq: 42 };
/// assert_eq!(serde_json::to_string(&position).unwrap(), r#"{"epoch":"e1","seq":42}"#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema, TS)]
pub struct Position {
    /// Changes whenever the room's sequence may have restarted or lost events.
    pub epoch: String,
    /// The seq of the latest event at this position; the first event is 1.
    pub seq: u64,
}

/// What clients learn about a room (`dialogue:rooms`, `dialogue:roomCreated`).
///
/// ```
/// use dialogue_core::protocol::RoomInfo;
///
/// let info = RoomInfo {
///     id: "chat".into(),
///     name: "Chat Room".into(),
///     description: None,
///     size: 3,
///     max_size: Some(50),
///     created_by_id: None,
///     host_id: None,
///     has_secret: false,
///     host_only: false,
///     presence: false,
/// };
/// assert_eq!(
///     serde_json::to_value(&info).unwrap(),
///     serde_json::json!({ "id": "chat", "name": "Chat Room", "size": 3, "maxSize": 50 })
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
pub struct RoomInfo {
    /// The room id.
    pub id: String,
    /// Its human-readable name.
    pub name: String,
    /// Its description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub description: Option<String>,
    /// Members now.
    pub size: usize,
    /// Its capacity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub max_size: Option<u32>,
    /// The user who created it (rooms created at run time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub created_by_id: Option<String>,
    /// The user who runs the room (kicks, transfers, deletes a client-made
    /// room), when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub host_id: Option<String>,
    /// Joins must carry the room's secret (only when set).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    #[ts(as = "Option<bool>", optional)]
    pub has_secret: bool,
    /// Only the host triggers (only when set).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    #[ts(as = "Option<bool>", optional)]
    pub host_only: bool,
    /// Members see who is present (only when set).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    #[ts(as = "Option<bool>", optional)]
    pub presence: bool,
}
