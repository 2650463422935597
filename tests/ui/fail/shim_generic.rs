use dialogue_runtime::prelude::*;

#[derive(Serialize, Deserialize, JsonSchema, TS)]
pub struct Page<T> {
    pub items: Vec<T>,
}

fn main() {}
