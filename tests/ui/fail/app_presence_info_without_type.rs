use dialogue_runtime::prelude::*;

#[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
pub struct Message {
    pub text: String,
}

dialogue! {
    pub App {
        lobby: { name: "Lobby", events: [Message], presence: true },
    }
}

fn main() {
    // Presence info needs a declared info type (`presence: Info` in dialogue!).
    let _ = Dialogue::<App>::builder().presence_info(|_, _| Some(42));
}
