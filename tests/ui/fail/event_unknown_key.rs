use dialogue_runtime::prelude::*;

#[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
#[event(nmae = "message", history = 10)]
pub struct Message {
    pub text: String,
}

fn main() {}
