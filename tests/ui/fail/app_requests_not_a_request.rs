use dialogue_runtime::prelude::*;

#[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
pub struct Message {
    pub text: String,
}

dialogue! {
    pub App {
        requests: [Message],
        chat: { name: "Chat", events: [Message] },
    }
}

fn main() {}
