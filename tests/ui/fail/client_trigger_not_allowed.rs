use dialogue_client::typed::JoinedRoom;
use dialogue_runtime::prelude::*;

#[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
pub struct Message {
    pub text: String,
}

#[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
pub struct Typing {
    pub is_typing: bool,
}

#[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
pub struct Online {
    pub users: Vec<String>,
}

dialogue! {
    pub App {
        chat: { name: "Chat", events: [Message] },
        announcements: { name: "Announcements", events: [] },
        lobby: { name: "Lobby", events: [Message], server_events: [Online] },
    }
}

/// The typed client triggers only what clients may trigger in the room.
async fn trigger_elsewhere(
    chat: JoinedRoom<app::Chat>,
    announcements: JoinedRoom<app::Announcements>,
    lobby: JoinedRoom<app::Lobby>,
) {
    // Not in the room's `events`.
    let _ = chat.trigger(Typing { is_typing: true }).await;
    // `events: []`: clients trigger nothing (the server may push anything).
    let _ = announcements.trigger(Message { text: "hi".into() }).await;
    // `server_events`: received by clients, triggered by the server only.
    let _ = lobby.trigger(Online { users: Vec::new() }).await;
}

fn main() {
    drop(trigger_elsewhere);
}
