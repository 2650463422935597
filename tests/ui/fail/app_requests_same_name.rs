use dialogue_runtime::prelude::*;

#[derive(Request, Serialize, Deserialize, JsonSchema, TS)]
#[request(name = "sum", response = Total)]
pub struct Add {
    pub a: i64,
}

#[derive(Request, Serialize, Deserialize, JsonSchema, TS)]
#[request(name = "sum", response = Total)]
pub struct Plus {
    pub a: i64,
}

#[derive(Serialize, Deserialize, JsonSchema, TS)]
pub struct Total {
    pub sum: i64,
}

#[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
pub struct Message {
    pub text: String,
}

dialogue! {
    pub App {
        requests: [Add, Plus],
        chat: { name: "Chat", events: [Message] },
    }
}

fn main() {}
