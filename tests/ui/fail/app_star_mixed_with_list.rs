use dialogue_runtime::prelude::*;

#[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
pub struct Message {
    pub text: String,
}

dialogue! {
    pub App {
        chat: { name: "Chat", events: [Message, *] },
        any: { name: "Any", events: *, default_subscriptions: [*] },
    }
}

fn main() {}
