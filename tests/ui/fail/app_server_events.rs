use dialogue_runtime::prelude::*;

#[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
pub struct Message {
    pub text: String,
}

#[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
pub struct Online {
    pub users: Vec<String>,
}

dialogue! {
    pub App {
        both: { name: "Both", events: [Message, Online], server_events: [Online] },
        star: { name: "Star", events: [Message], server_events: * },
        open: { name: "Open", events: *, server_events: [Online] },
    }
}

fn main() {}
