use dialogue_runtime::prelude::*;

#[derive(Request, Serialize, Deserialize, JsonSchema, TS)]
#[request(response = AddResult, reply = AddResult)]
pub struct Add {
    pub a: i64,
}

#[derive(Serialize, Deserialize, JsonSchema, TS)]
pub struct AddResult {
    pub sum: i64,
}

fn main() {}
