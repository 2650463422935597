//! The application these tests serve: a plain room, a small one, a per-user
//! room, a room that requires a claim, and one that takes anything.

use dialogue_runtime::prelude::*;

/// A chat line; memory keeps the last 3 per room, so a few triggers reach
/// `on_cleanup`.
#[derive(Event, Serialize, Deserialize, JsonSchema, TS, Debug, Clone, PartialEq)]
#[event(name = "message", history = 3)]
pub struct Message {
    /// 1 to 100 characters.
    #[schemars(length(min = 1, max = 100))]
    pub text: String,
}

dialogue! {
    /// Rooms for every control rule.
    pub ControlApp {
        lobby: { name: "Lobby", events: [Message], default_subscriptions: [Message] },
        small: { name: "Small", events: [Message], default_subscriptions: [Message], max_size: 2 },
        inbox: { id: "user:{userId}", name: "Inbox", events: [Message], default_subscriptions: [Message] },
        admin: {
            name: "Admin",
            events: [Message],
            default_subscriptions: [Message],
            required_claims: { role: "admin" },
        },
        sandbox: { name: "Sandbox", events: *, default_subscriptions: * },
    }
}
