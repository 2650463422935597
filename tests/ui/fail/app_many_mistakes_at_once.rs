use dialogue_runtime::prelude::*;

#[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
pub struct Message {
    pub text: String,
}

dialogue! {
    pub App {
        chat: {
            name: "Chat",
            events: [Message, Message],
            max_size: 0,
            colour: "blue",
        },
        chat2: { id: "chat", name: "Chat 2", events: [Message], sync_history_on_join: 0 },
    }
}

fn main() {}
