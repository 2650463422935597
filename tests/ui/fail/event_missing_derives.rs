use dialogue_runtime::prelude::*;

#[derive(Event, Serialize, Deserialize)]
pub struct Message {
    pub text: String,
}

fn main() {}
