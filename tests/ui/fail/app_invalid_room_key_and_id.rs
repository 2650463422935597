use dialogue_runtime::prelude::*;

#[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
pub struct Message {
    pub text: String,
}

dialogue! {
    pub App {
        gameLobby: { name: "Lobby", events: [Message] },
        spaced: { id: "two words", name: "Spaced", events: [Message] },
        wild: { id: "*", name: "Wild", events: [Message] },
    }
}

fn main() {}
