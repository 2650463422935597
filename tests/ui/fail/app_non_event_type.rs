use dialogue_runtime::prelude::*;

#[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
pub struct Message {
    pub text: String,
}

/// Serializable, but not an event.
#[derive(Serialize, Deserialize)]
pub struct Note {
    pub text: String,
}

dialogue! {
    pub App {
        chat: { name: "Chat", events: [Message, Note] },
    }
}

fn main() {}
