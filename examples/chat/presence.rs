//! Who is here: the server announces arrivals, departures and the online
//! list in the general room. Clients cannot send these events
//! (`server_events` in `app.rs`), so nobody can fake them.

use dialogue_runtime::{DialogueBuilder, Room};

use crate::app::{ChatApp, Online, UserJoined, UserLeft};

/// Adds the presence hooks to a builder.
///
/// A person with two tabs open is one person: they are announced when their
/// first connection joins and gone when their last one leaves.
pub fn announce(builder: DialogueBuilder<ChatApp>) -> DialogueBuilder<ChatApp> {
    builder
        .on_joined(|dialogue, client, room_id| async move {
            if room_id != ChatApp::GENERAL {
                return;
            }
            let general = dialogue.room(ChatApp::general());
            let user_id = client.user_id().to_owned();
            let tabs = connections_of(&general, &user_id, None);
            if tabs == 1 {
                tracing::info!(user = %user_id, "joined the chat");
                let _ = general.trigger(UserJoined { user_id }).await;
            }
            let _ = general.trigger(online(&general, None)).await;
        })
        .on_left(|dialogue, client, room_id| async move {
            if room_id != ChatApp::GENERAL {
                return;
            }
            let general = dialogue.room(ChatApp::general());
            let user_id = client.user_id().to_owned();
            // The leaving connection may still be listed while it goes.
            let gone = Some(client.id());
            if connections_of(&general, &user_id, gone) == 0 {
                tracing::info!(user = %user_id, "left the chat");
                let _ = general.trigger(UserLeft { user_id }).await;
            }
            let _ = general.trigger(online(&general, gone)).await;
        })
}

/// How many of `user_id`'s connections are in the room, not counting `except`.
fn connections_of(room: &Room, user_id: &str, except: Option<&str>) -> usize {
    room.participants()
        .iter()
        .filter(|client| client.user_id() == user_id && Some(client.id()) != except)
        .count()
}

/// The names of everyone in the room, sorted, each once.
fn online(room: &Room, except: Option<&str>) -> Online {
    let mut users: Vec<String> = room
        .participants()
        .iter()
        .filter(|client| Some(client.id()) != except)
        .map(|client| client.user_id().to_owned())
        .collect();
    users.sort();
    users.dedup();
    Online { users }
}
