//! The chat's declarations: what people say. Who is here is the room's
//! built-in presence (`presence: true`): the server tells members who
//! arrives and departs, one entry per person however many tabs they have
//! open, and no client can fake it.

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

dialogue! {
    /// A chat with a typing indicator, presence and history.
    pub ChatApp {
        /// Where people talk; who is here comes with the room's presence.
        general: {
            name: "General",
            events: [Message, Typing],
            sync_history_on_join: 50,
            presence: true,
        },
    }
}
