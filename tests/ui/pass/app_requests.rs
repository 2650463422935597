//! `requests: [...]` in its accepted forms: with doc comments, a trailing
//! comma, empty, and beside a room whose key is `requests`.
use dialogue_runtime::prelude::*;

#[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
pub struct Message {
    pub text: String,
}

/// Adds.
#[derive(Request, Serialize, Deserialize, JsonSchema, TS)]
#[request(response = Sum)]
pub struct Add {
    pub a: i64,
    pub b: i64,
}

#[derive(Serialize, Deserialize, JsonSchema, TS)]
pub struct Sum {
    pub sum: i64,
}

dialogue! {
    pub WithDocs {
        /// What clients may ask.
        requests: [Add,],
        chat: { name: "Chat", events: [Message] },
    }
}

dialogue! {
    pub Empty {
        requests: [],
        requests_room: { id: "requests", name: "Requests", events: [Message] },
    }
}

dialogue! {
    pub RoomNamedRequests {
        requests: { name: "Requests", events: [Message] },
    }
}

fn main() {
    assert_eq!(WithDocs::spec().requests.len(), 1);
    assert!(Empty::spec().requests.is_empty());
    assert_eq!(RoomNamedRequests::spec().rooms[0].id, "requests");
}
