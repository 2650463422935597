use dialogue_runtime::prelude::*;

#[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
pub struct Message {
    pub text: String,
}

dialogue! {
    pub App {
        chat: { name: "Chat", events: [Message], sync_history_on_join: 0 },
        other: { name: "Other", events: [Message], sync_history_on_join: "all" },
    }
}

fn main() {}
