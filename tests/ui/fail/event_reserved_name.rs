use dialogue_runtime::prelude::*;

#[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
#[event(name = "*")]
pub struct Everything;

fn main() {}
