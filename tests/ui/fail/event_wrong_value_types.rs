use dialogue_runtime::prelude::*;

#[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
#[event(name = message, history = "100", description = 3)]
pub struct Message {
    pub text: String,
}

fn main() {}
