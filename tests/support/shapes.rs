//! One event of every payload shape serde can give, with the serde and
//! schemars attributes users reach for. The spec, the TypeScript and the
//! AsyncAPI of this fixture are snapshotted, and real values of each type are
//! checked against its schema.

use std::collections::BTreeMap;

use dialogue_runtime::prelude::*;

/// A ping: an event without payload.
#[derive(Event, Serialize, Deserialize, JsonSchema, TS, Debug, Clone, PartialEq)]
pub struct Ping;

/// A score, sent as a bare number.
#[derive(Event, Serialize, Deserialize, JsonSchema, TS, Debug, Clone, PartialEq)]
#[event(name = "score", history = 10)]
pub struct Score(pub u32);

/// A point, sent as `[x, y]`.
#[derive(Event, Serialize, Deserialize, JsonSchema, TS, Debug, Clone, PartialEq)]
pub struct Point(pub f64, pub f64);

/// A shape: an externally tagged enum (serde's default).
#[derive(Event, Serialize, Deserialize, JsonSchema, TS, Debug, Clone, PartialEq)]
pub enum Shape {
    Circle { radius: f64 },
    Square(f64),
    Empty,
}

/// A command: an internally tagged enum.
#[derive(Event, Serialize, Deserialize, JsonSchema, TS, Debug, Clone, PartialEq)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Command {
    Move { dx: i32, dy: i32 },
    SayHello { to: String },
    Quit,
}

/// An envelope: an adjacently tagged enum.
#[derive(Event, Serialize, Deserialize, JsonSchema, TS, Debug, Clone, PartialEq)]
#[serde(tag = "kind", content = "payload", rename_all = "snake_case")]
pub enum Envelope {
    Text(String),
    Count(u64),
    Nothing,
}

/// A reading: an untagged enum.
#[derive(Event, Serialize, Deserialize, JsonSchema, TS, Debug, Clone, PartialEq)]
#[event(name = "reading")]
#[serde(untagged)]
pub enum Reading {
    Number(f64),
    Text(String),
}

/// A user profile: nested types, options, vectors, maps, flatten, renames,
/// defaults and every schemars constraint.
#[derive(Event, Serialize, Deserialize, JsonSchema, TS, Debug, Clone, PartialEq)]
#[event(
    name = "profile:updated",
    description = "A user changed their profile."
)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    /// 3 to 20 lowercase letters, digits or `_`.
    #[schemars(length(min = 3, max = 20), regex(pattern = r"^[a-z0-9_]+$"))]
    pub user_name: String,
    #[schemars(email)]
    pub email: String,
    #[schemars(url)]
    pub homepage: Option<String>,
    #[schemars(range(min = 13, max = 150))]
    pub age: u8,
    #[schemars(inner(length(min = 1, max = 10)))]
    pub tags: Vec<String>,
    pub scores: BTreeMap<String, i64>,
    #[serde(rename = "addr")]
    pub address: Address,
    #[serde(flatten)]
    pub settings: Settings,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nickname: Option<String>,
    #[schemars(required)]
    pub bio: Option<String>,
    #[serde(default)]
    pub verified: bool,
    pub visits: u64,
}

/// A postal address, nested in [`Profile`].
#[derive(Serialize, Deserialize, JsonSchema, TS, Debug, Clone, PartialEq)]
pub struct Address {
    pub city: String,
    pub country_code: String,
}

/// Settings, flattened into [`Profile`].
#[derive(Serialize, Deserialize, JsonSchema, TS, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    pub dark_mode: bool,
    pub theme: Theme,
}

/// A colour theme.
#[derive(Serialize, Deserialize, JsonSchema, TS, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Theme {
    Light,
    Dark,
    HighContrast,
}

dialogue! {
    /// Every payload shape in one application.
    pub ShapesApp {
        /// Everything, validated.
        all: {
            name: "All shapes",
            events: [Ping, Score, Point, Shape, Command, Envelope, Reading, Profile],
            default_subscriptions: *,
            sync_history_on_join: true,
        },
        lobby: {
            id: "game:lobby",
            name: "Lobby",
            events: [Ping, Command],
            server_events: [Score],
            default_subscriptions: [Command, Score],
            max_size: 8,
        },
                any: { name: "Anything", events: *, default_subscriptions: [Ping] },
        quiet: { name: "Server only", events: [] },
        /// One per user.
        inbox: { id: "inbox:{userId}:main", name: "Inbox", events: [Ping, Shape] },
    }
}
