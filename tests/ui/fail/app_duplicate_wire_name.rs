use dialogue_runtime::prelude::*;

#[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
pub struct Message {
    pub text: String,
}

/// Another type that claims the same wire name.
#[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
#[event(name = "message")]
pub struct ChatLine {
    pub line: String,
}

dialogue! {
    pub App {
        chat: { name: "Chat", events: [Message] },
        lines: { name: "Lines", events: [ChatLine] },
    }
}

fn main() {}
