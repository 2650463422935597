//! The chat's declarations: what people say, and who is here.

use dialogue_runtime::prelude::*;

/// A chat message. Who sent it is the envelope's `from`, stamped by the server.
#[derive(Event, Serialize, Deserialize, JsonSchema, TS, Debug, Clone, PartialEq)]
#[event(name = "message", history = 200)]
pub struct Message {
    /// 1 to 500 characters.
    #[schemars(length(min = 1, max = 500))]
    pub text: String,
}

/// Someone started or stopped typing.
#[derive(Event, Serialize, Deserialize, JsonSchema, TS, Debug, Clone, PartialEq)]
#[event(name = "typing")]
#[serde(rename_all = "camelCase")]
pub struct Typing {
    /// `true` while typing.
    pub is_typing: bool,
}

/// Someone arrived (pushed by the server).
#[derive(Event, Serialize, Deserialize, JsonSchema, TS, Debug, Clone, PartialEq)]
#[event(name = "user:joined")]
#[serde(rename_all = "camelCase")]
pub struct UserJoined {
    /// Their name.
    pub user_id: String,
}

/// Someone left (pushed by the server).
#[derive(Event, Serialize, Deserialize, JsonSchema, TS, Debug, Clone, PartialEq)]
#[event(name = "user:left")]
#[serde(rename_all = "camelCase")]
pub struct UserLeft {
    /// Their name.
    pub user_id: String,
}

/// Who is online now (pushed by the server on every arrival and departure).
#[derive(Event, Serialize, Deserialize, JsonSchema, TS, Debug, Clone, PartialEq)]
#[event(name = "users:online")]
pub struct Online {
    /// Names, sorted.
    pub users: Vec<String>,
}

dialogue! {
    /// A chat with a typing indicator, presence and history.
    pub ChatApp {
        /// Where people talk; arrivals, departures and who is online are
        /// announced by the server alone.
        general: {
            name: "General",
            events: [Message, Typing],
            server_events: [UserJoined, UserLeft, Online],
            sync_history_on_join: 50,
        },
    }
}
