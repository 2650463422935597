use dialogue_runtime::prelude::*;

#[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
pub struct Page<T> {
    pub items: Vec<T>,
}

fn main() {}
