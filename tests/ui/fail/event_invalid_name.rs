use dialogue_runtime::prelude::*;

#[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
#[event(name = "order updated")]
pub struct OrderUpdated {
    pub id: String,
}

#[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
#[event(name = "")]
pub struct Nameless;

fn main() {}
