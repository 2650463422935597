//! The spec model: what an application declares, as plain data.
//!
//! `dialogue!` builds one [`AppSpec`] per application. The runtime compiles its
//! validators and routing from it, the code generator writes TypeScript and
//! AsyncAPI from it, and tests snapshot it. It serializes to JSON in camelCase
//! (the wire's convention) and reads back unchanged.

use std::collections::BTreeMap;
use std::num::NonZeroU32;

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};

use crate::rules::WILDCARD;

/// One application: its events and its rooms.
///
/// ```
/// use dialogue_core::spec::AppSpec;
///
/// let json = r#"{ "name": "Empty", "events": [], "rooms": [] }"#;
/// let spec: AppSpec = serde_json::from_str(json).unwrap();
/// assert!(spec.room("chat").is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppSpec {
    /// The application's Rust type name, e.g. `ChatApp`.
    pub name: String,
    /// Every event a room of the application lists, once, in the order of first
    /// appearance.
    pub events: Vec<EventSpec>,
    /// The declared rooms, in declaration order.
    pub rooms: Vec<RoomSpec>,
    /// The requests clients may ask (`requests: [...]` in `dialogue!`), in
    /// declaration order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requests: Vec<RequestSpec>,
    /// The type of what a member shows of itself in rooms with presence
    /// (`presence: Info` in `dialogue!`); `None`: members show nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub presence: Option<PresenceSpec>,
}

/// The application's presence info type: what each member of a room with
/// presence shows of itself (e.g. a display name, a status).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PresenceSpec {
    /// The Rust type name, e.g. `LobbyInfo`.
    pub type_name: String,
    /// Its JSON Schema: `setPresence` is validated against it.
    pub schema: serde_json::Value,
    /// Its TypeScript declaration.
    pub typescript: TsSpec,
}

impl AppSpec {
    /// The event with this wire name.
    pub fn event(&self, name: &str) -> Option<&EventSpec> {
        self.events.iter().find(|event| event.name == name)
    }

    /// The room with this id.
    pub fn room(&self, id: &str) -> Option<&RoomSpec> {
        self.rooms.iter().find(|room| room.id == id)
    }

    /// The request with this wire name.
    pub fn request(&self, name: &str) -> Option<&RequestSpec> {
        self.requests.iter().find(|request| request.name == name)
    }
}

/// One request type: its wire name, and the JSON Schema and TypeScript of
/// its payload and of its response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestSpec {
    /// The wire name, e.g. `add`.
    pub name: String,
    /// The Rust type name of the payload, e.g. `Add`.
    pub type_name: String,
    /// What the request asks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The payload's JSON Schema (draft 2020-12).
    pub schema: serde_json::Value,
    /// The payload's TypeScript declaration.
    pub typescript: TsSpec,
    /// The Rust type name of the response, e.g. `AddResult`.
    pub response_type_name: String,
    /// The response's JSON Schema.
    pub response_schema: serde_json::Value,
    /// The response's TypeScript declaration.
    pub response_typescript: TsSpec,
}

/// One event type: its wire name, its payload's JSON Schema and TypeScript.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventSpec {
    /// The wire name, e.g. `order:updated`.
    pub name: String,
    /// The Rust type's name, e.g. `OrderUpdated` (also its TypeScript name
    /// unless serde renames it).
    pub type_name: String,
    /// From `#[event(description = "...")]`, else the type's doc comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// How many of these events each room keeps for history; `None` keeps none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<NonZeroU32>,
    /// The payload's JSON Schema (draft 2020-12), the one the server validates
    /// against.
    pub schema: serde_json::Value,
    /// The payload's TypeScript declaration.
    pub typescript: TsSpec,
}

/// A payload type in TypeScript, with every type it refers to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TsSpec {
    /// The type's own declaration.
    #[serde(flatten)]
    pub decl: TsDecl,
    /// The declarations of the types it refers to, directly or not, sorted by
    /// name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<TsDecl>,
}

/// One TypeScript declaration.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TsDecl {
    /// The type name, e.g. `Message`.
    pub name: String,
    /// The declaration without `export`, e.g. `type Message = { text: string, };`.
    pub declaration: String,
    /// Its documentation, from the Rust doc comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docs: Option<String>,
}

/// One room declared in the application.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoomSpec {
    /// The room id clients use, e.g. `chat`.
    pub id: String,
    /// The human-readable name.
    pub name: String,
    /// An optional description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The events clients may trigger in it.
    pub events: RoomEvents,
    /// Events only the server triggers in it: clients receive them but may
    /// not send them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub server_events: Vec<String>,
    /// What a client is subscribed to when it joins.
    pub default_subscriptions: Subscriptions,
    /// The most members it holds at once; `None` is unbounded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_size: Option<NonZeroU32>,
    /// What history a joining client receives.
    #[serde(default, skip_serializing_if = "HistorySync::is_off")]
    pub sync_history_on_join: HistorySync,
    /// Claims a client's authentication must carry to join: each value equal
    /// to the claim, or contained in it when the claim is an array.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub required_claims: BTreeMap<String, serde_json::Value>,
    /// Members see who is present (`dialogue:getPresence`, diffs).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub presence: bool,
}

impl RoomSpec {
    /// Whether a client of the room may receive `event`: the events it takes
    /// from clients and those the server pushes; in a room that takes no
    /// events and names no server events, anything the server pushes.
    pub fn receives(&self, event: &str) -> bool {
        match &self.events {
            RoomEvents::Only(names) if names.is_empty() && self.server_events.is_empty() => true,
            events => events.allows(event) || self.server_events.iter().any(|name| name == event),
        }
    }
    /// For a per-user room (an id with `{userId}`), the id's parts around the
    /// placeholder.
    pub fn user_pattern(&self) -> Option<(&str, &str)> {
        self.pattern()
            .filter(|pattern| pattern.is_per_user())
            .map(|pattern| (pattern.prefix, pattern.suffix))
    }

    /// For a template (an id with one `{parameter}`, `{userId}` included),
    /// its pattern.
    pub fn pattern(&self) -> Option<crate::rules::RoomPattern<'_>> {
        crate::rules::RoomPattern::parse(&self.id)
    }

    /// The first required claim `claims` lacks, as `(name, wanted value)`.
    ///
    /// ```
    /// # use dialogue_core::spec::*;
    /// # let mut room = RoomSpec { id: "admin".into(), name: "Admin".into(), description: None,
    /// #     events: RoomEvents::Any, server_events: vec![], default_subscriptions: Subscriptions::All, max_size: None,
    /// #     sync_history_on_join: HistorySync::Off, required_claims: Default::default(), presence: false };
    /// use serde_json::json;
    /// room.required_claims.insert("role".into(), json!("admin"));
    /// assert!(room.missing_claim(Some(&json!({ "role": "admin" }))).is_none());
    /// assert!(room.missing_claim(Some(&json!({ "role": ["user", "admin"] }))).is_none());
    /// assert_eq!(room.missing_claim(Some(&json!({ "role": "user" }))).unwrap().0, "role");
    /// assert!(room.missing_claim(None).is_some());
    /// ```
    pub fn missing_claim(
        &self,
        claims: Option<&serde_json::Value>,
    ) -> Option<(&str, &serde_json::Value)> {
        missing_claim(&self.required_claims, claims)
    }
}

/// The first of `required` that `claims` lacks, as `(name, wanted value)`: a
/// claim matches when it equals the value, or is an array containing it.
pub fn missing_claim<'a>(
    required: &'a BTreeMap<String, serde_json::Value>,
    claims: Option<&serde_json::Value>,
) -> Option<(&'a str, &'a serde_json::Value)> {
    required
        .iter()
        .find(|(name, wanted)| {
            let held = claims.and_then(|c| c.get(name.as_str()));
            let satisfied = match held {
                Some(serde_json::Value::Array(items)) => items.contains(wanted),
                Some(value) => value == *wanted,
                None => false,
            };
            !satisfied
        })
        .map(|(name, wanted)| (name.as_str(), wanted))
}

/// The events a room accepts from clients. JSON: `"*"` or a list of names.
///
/// ```
/// use dialogue_core::spec::RoomEvents;
///
/// let only = RoomEvents::Only(vec!["message".into()]);
/// assert!(only.allows("message") && !only.allows("typing"));
/// assert!(RoomEvents::Any.allows("anything"));
/// assert!(!RoomEvents::Only(vec![]).allows("message"));
/// assert_eq!(serde_json::to_string(&RoomEvents::Any).unwrap(), r#""*""#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoomEvents {
    /// `*`: any event name, unvalidated.
    Any,
    /// These wire names only; an empty list refuses every client trigger.
    Only(Vec<String>),
}

impl RoomEvents {
    /// Whether a client may trigger `event` in the room.
    pub fn allows(&self, event: &str) -> bool {
        match self {
            Self::Any => true,
            Self::Only(names) => names.iter().any(|name| name == event),
        }
    }
}

/// The events a client is subscribed to on joining. JSON: `"*"` or a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subscriptions {
    /// `*`: every event of the room.
    All,
    /// These wire names; possibly none.
    Only(Vec<String>),
}

/// History sent to a client when it joins. JSON: `false`, `true` or a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HistorySync {
    /// Nothing is sent.
    #[default]
    Off,
    /// Everything the room keeps.
    All,
    /// At most this many events of each event type.
    Latest(NonZeroU32),
}

impl HistorySync {
    /// Whether nothing is sent.
    pub fn is_off(&self) -> bool {
        matches!(self, Self::Off)
    }
}

/// `"*"` or a list of strings: the JSON shape shared by [`RoomEvents`] and
/// [`Subscriptions`].
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum WildcardOrList {
    Wildcard(String),
    List(Vec<String>),
}

impl WildcardOrList {
    fn into_option<E: de::Error>(self) -> Result<Option<Vec<String>>, E> {
        match self {
            Self::Wildcard(s) if s == WILDCARD => Ok(None),
            Self::Wildcard(s) => Err(E::custom(format_args!(
                "expected \"*\" or a list of event names, found {s:?}"
            ))),
            Self::List(names) => Ok(Some(names)),
        }
    }
}

fn serialize_names<S: Serializer>(names: Option<&[String]>, s: S) -> Result<S::Ok, S::Error> {
    match names {
        None => s.serialize_str(WILDCARD),
        Some(names) => names.serialize(s),
    }
}

impl Serialize for RoomEvents {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Any => serialize_names(None, s),
            Self::Only(names) => serialize_names(Some(names), s),
        }
    }
}

impl<'de> Deserialize<'de> for RoomEvents {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match WildcardOrList::deserialize(d)?.into_option()? {
            None => Self::Any,
            Some(names) => Self::Only(names),
        })
    }
}

impl Serialize for Subscriptions {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::All => serialize_names(None, s),
            Self::Only(names) => serialize_names(Some(names), s),
        }
    }
}

impl<'de> Deserialize<'de> for Subscriptions {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match WildcardOrList::deserialize(d)?.into_option()? {
            None => Self::All,
            Some(names) => Self::Only(names),
        })
    }
}

impl Serialize for HistorySync {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Off => s.serialize_bool(false),
            Self::All => s.serialize_bool(true),
            Self::Latest(n) => s.serialize_u32(n.get()),
        }
    }
}

impl<'de> Deserialize<'de> for HistorySync {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Flag(bool),
            Count(u32),
        }
        match Raw::deserialize(d)? {
            Raw::Flag(false) => Ok(Self::Off),
            Raw::Flag(true) => Ok(Self::All),
            Raw::Count(n) => NonZeroU32::new(n).map(Self::Latest).ok_or_else(|| {
                de::Error::custom("syncHistoryOnJoin must be true, false or at least 1")
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn room() -> RoomSpec {
        RoomSpec {
            id: "chat".into(),
            name: "Chat Room".into(),
            description: None,
            events: RoomEvents::Only(vec!["message".into(), "typing".into()]),
            server_events: vec![],
            default_subscriptions: Subscriptions::All,
            max_size: NonZeroU32::new(2),
            sync_history_on_join: HistorySync::Latest(NonZeroU32::MIN),
            required_claims: BTreeMap::new(),
            presence: false,
        }
    }

    #[test]
    fn rooms_serialize_in_camel_case_with_wildcards() {
        let value = serde_json::to_value(room()).unwrap();
        assert_eq!(
            value,
            json!({
                "id": "chat",
                "name": "Chat Room",
                "events": ["message", "typing"],
                "defaultSubscriptions": "*",
                "maxSize": 2,
                "syncHistoryOnJoin": 1,
            })
        );
        let back: RoomSpec = serde_json::from_value(value).unwrap();
        assert_eq!(back, room());
    }

    #[test]
    fn history_sync_reads_every_form() {
        let read = |v| serde_json::from_value::<HistorySync>(v);
        assert_eq!(read(json!(false)).unwrap(), HistorySync::Off);
        assert_eq!(read(json!(true)).unwrap(), HistorySync::All);
        assert_eq!(
            read(json!(50)).unwrap(),
            HistorySync::Latest(NonZeroU32::new(50).unwrap())
        );
        assert!(
            read(json!(0))
                .unwrap_err()
                .to_string()
                .contains("at least 1")
        );
        assert!(read(json!("yes")).is_err());
    }

    #[test]
    fn a_wrong_wildcard_is_named_in_the_error() {
        let err = serde_json::from_value::<RoomEvents>(json!("any")).unwrap_err();
        assert!(err.to_string().contains("\"any\""), "{err}");
        assert_eq!(
            serde_json::from_value::<Subscriptions>(json!([])).unwrap(),
            Subscriptions::Only(vec![])
        );
    }
}
