use dialogue_runtime::prelude::*;

#[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
pub struct Message {
    pub text: String,
}

#[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
pub struct Typing {
    pub is_typing: bool,
}

dialogue! {
    pub App {
        chat: { name: "Chat", events: [Message], default_subscriptions: [Message, Typing] },
        quiet: { name: "Quiet", events: [], default_subscriptions: [Message] },
    }
}

fn main() {}
