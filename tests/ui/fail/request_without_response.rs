use dialogue_runtime::prelude::*;

#[derive(Request, Serialize, Deserialize, JsonSchema, TS)]
pub struct Add {
    pub a: i64,
}

fn main() {}
