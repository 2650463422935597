use dialogue_runtime::prelude::*;

#[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
pub struct Message {
    pub text: String,
}

dialogue! {
    pub struct App {
        chat { name: "Chat", events: [Message] },
        ok: { name: "Ok", events: Message },
    }
}

fn main() {}
