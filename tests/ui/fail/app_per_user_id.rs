use dialogue_runtime::prelude::*;

#[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
pub struct Alert {
    pub title: String,
}

dialogue! {
    pub App {
        inbox: { id: "user:{userId}:{userId}", name: "Inbox", events: [Alert] },
    }
}

fn main() {}
