use dialogue_runtime::prelude::*;

#[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
pub struct Message {
    pub text: String,
}

dialogue! {
    pub App {
        chat: { description: "No name, no events" },
        named: { name: "", events: [Message] },
    }
}

fn main() {}
