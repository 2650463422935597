use dialogue_runtime::prelude::*;

#[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
#[event(name = "message")]
#[event(history = 10, name = "chat")]
pub struct Message {
    pub text: String,
}

fn main() {}
