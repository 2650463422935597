use dialogue_runtime::prelude::*;

#[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
#[event(history = 0)]
pub struct Message {
    pub text: String,
}

fn main() {}
