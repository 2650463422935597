use dialogue_runtime::prelude::*;

#[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
pub struct Message {
    pub text: String,
}

#[derive(Serialize, Deserialize, JsonSchema, TS)]
pub struct Info {
    pub name: String,
}

dialogue! {
    pub App {
        presence: Info,
        presence: Info,
        lobby: { name: "Lobby", events: [Message], presence: "yes" },
    }
}

fn main() {}
