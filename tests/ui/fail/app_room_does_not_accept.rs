use dialogue_runtime::prelude::*;

#[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
pub struct Message {
    pub text: String,
}

#[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
pub struct Typing {
    pub is_typing: bool,
}

dialogue! {
    pub App {
        chat: { name: "Chat", events: [Message] },
        typing: { name: "Typing", events: [Typing] },
    }
}

/// A typed server-side trigger, as the runtime declares it.
fn trigger<R: Accepts<E>, E: Event>(_room: R, _event: E) {}

fn main() {
    trigger(App::chat(), Typing { is_typing: true });
}
