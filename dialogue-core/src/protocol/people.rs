//! Presence and hosts: who is in a room, what they show of themselves, and
//! who runs the room (docs/protocol.md, "Presence" and "Room secrets, hosts,
//! lifecycle").

use std::borrow::Cow;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// One user present in a room: `{ userId, info? }`, however many
/// connections the user holds there.
///
/// ```
/// use dialogue_core::protocol::Member;
///
/// let member = Member { user_id: "alice".into(), info: None };
/// assert_eq!(serde_json::to_string(&member).unwrap(), r#"{"userId":"alice"}"#);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
pub struct Member {
    /// The user.
    pub user_id: String,
    /// What the application attaches (valid against its presence info
    /// schema); absent when it attaches nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(type = "unknown", optional)]
    pub info: Option<serde_json::Value>,
}

/// `dialogue:presenceResponse`, and the fields of the getPresence
/// acknowledgement: `{ roomId, members, count }`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
pub struct PresencePage<'a> {
    /// The room.
    #[serde(borrow)]
    pub room_id: Cow<'a, str>,
    /// One entry per user present, earliest arrival first.
    pub members: Vec<Member>,
    /// How many distinct users are present.
    pub count: usize,
}

/// `dialogue:presenceDiff`: who arrived, departed or changed their `info`.
///
/// ```
/// use dialogue_core::protocol::{Member, PresenceDiff};
///
/// let diff = PresenceDiff::joined("lobby", Member { user_id: "bob".into(), info: None });
/// assert_eq!(
///     serde_json::to_value(&diff).unwrap(),
///     serde_json::json!({ "roomId": "lobby", "joined": [{ "userId": "bob" }], "left": [], "updated": [] })
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
pub struct PresenceDiff<'a> {
    /// The room.
    #[serde(borrow)]
    pub room_id: Cow<'a, str>,
    /// Users who arrived (their first connection joined).
    pub joined: Vec<Member>,
    /// Users who departed (their last connection left, was kicked, or its
    /// session's grace period ended).
    pub left: Vec<Member>,
    /// Users whose `info` changed, with the new one.
    pub updated: Vec<Member>,
}

impl<'a> PresenceDiff<'a> {
    fn of(room_id: &'a str) -> Self {
        Self {
            room_id: Cow::Borrowed(room_id),
            joined: Vec::new(),
            left: Vec::new(),
            updated: Vec::new(),
        }
    }

    /// A diff saying `member` arrived.
    pub fn joined(room_id: &'a str, member: Member) -> Self {
        Self {
            joined: vec![member],
            ..Self::of(room_id)
        }
    }

    /// A diff saying `member` departed.
    pub fn left(room_id: &'a str, member: Member) -> Self {
        Self {
            left: vec![member],
            ..Self::of(room_id)
        }
    }

    /// A diff saying `member` changed its `info`.
    pub fn updated(room_id: &'a str, member: Member) -> Self {
        Self {
            updated: vec![member],
            ..Self::of(room_id)
        }
    }
}

/// `dialogue:setPresence`: `{ roomId, info }`, replacing the caller's
/// `info` in a room with presence.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
pub struct SetPresenceRequest {
    /// A joined room with presence.
    pub room_id: String,
    /// The new info: an object, valid against the application's presence
    /// info schema.
    #[serde(default)]
    #[ts(type = "Record<string, unknown>")]
    #[schemars(with = "serde_json::Map<String, serde_json::Value>")]
    pub info: Option<serde_json::Value>,
}

/// `dialogue:kick`: `{ roomId, userId, reason?, ban? }` (the host only).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
pub struct KickRequest {
    /// The room.
    pub room_id: String,
    /// The user whose every connection leaves the room.
    pub user_id: String,
    /// Told to the kicked user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub reason: Option<String>,
    /// The user may not join again while the room exists (a user not in
    /// the room is banned in advance).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub ban: Option<bool>,
}

/// `dialogue:transferHost`: `{ roomId, userId }` (the host only; the user
/// must be a member).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
pub struct TransferHostRequest {
    /// The room.
    pub room_id: String,
    /// The new host.
    pub user_id: String,
}

/// `dialogue:hostChanged`: `{ roomId, hostId }`, to everyone in the room.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
pub struct HostChanged<'a> {
    /// The room.
    #[serde(borrow)]
    pub room_id: Cow<'a, str>,
    /// The new host.
    #[serde(borrow)]
    pub host_id: Cow<'a, str>,
}

/// `dialogue:kicked`: `{ roomId, reason? }`, to each connection of a kicked
/// user (it gets no `dialogue:left`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
pub struct Kicked<'a> {
    /// The room.
    #[serde(borrow)]
    pub room_id: Cow<'a, str>,
    /// What the host said.
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub reason: Option<Cow<'a, str>>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn set_presence_reads_a_missing_info_as_none() {
        let request: SetPresenceRequest =
            serde_json::from_value(json!({ "roomId": "lobby" })).unwrap();
        assert!(request.info.is_none());
        let kick: KickRequest =
            serde_json::from_value(json!({ "roomId": "r", "userId": "u", "ban": true })).unwrap();
        assert_eq!(kick.ban, Some(true));
    }
}
