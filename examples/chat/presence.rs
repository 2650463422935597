//! Who is here: the server announces arrivals, departures and the online
//! list in the general room. Clients cannot send these events
//! (`server_events` in `app.rs`), so nobody can fake them.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock};

use dialogue_runtime::{Dialogue, DialogueBuilder};
use tokio::sync::mpsc;

use crate::app::{ChatApp, Online, UserJoined, UserLeft};

/// Adds the presence hooks to a builder.
///
/// A person with two tabs open is one person: they are announced when their
/// first connection joins and gone when their last one leaves. Every join
/// also sends the online list, so a new tab gets it.
pub fn announce(builder: DialogueBuilder<ChatApp>) -> DialogueBuilder<ChatApp> {
    let joined = Arc::new(Presence::default());
    let left = joined.clone();
    builder
        .on_joined(move |dialogue, client, room_id| {
            let presence = joined.clone();
            async move {
                if room_id == ChatApp::GENERAL {
                    presence.arrive(&dialogue, client.user_id());
                }
            }
        })
        .on_left(move |dialogue, client, room_id| {
            let presence = left.clone();
            async move {
                if room_id == ChatApp::GENERAL {
                    presence.depart(&dialogue, client.user_id());
                }
            }
        })
}

/// Connections per user in the general room, and the queue of what to say.
///
/// Hooks of different connections run concurrently: counting under one lock
/// decides each arrival and departure exactly once, and queueing the
/// announcements under that same lock sends them in the order they happened
/// (two `await`ed triggers from two hooks could otherwise overtake each
/// other, leaving a stale online list on screen).
#[derive(Default)]
struct Presence {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    connections: BTreeMap<String, usize>,
    /// The task that triggers announcements one at a time, started by the
    /// first hook (it needs the server handle the hooks receive).
    outbox: OnceLock<mpsc::UnboundedSender<Announcement>>,
}

enum Announcement {
    Joined(UserJoined),
    Left(UserLeft),
    Online(Online),
}

impl Presence {
    fn arrive(&self, dialogue: &Dialogue<ChatApp>, user_id: &str) {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let count = state.connections.entry(user_id.to_owned()).or_default();
        *count += 1;
        if *count == 1 {
            tracing::info!(user = %user_id, "joined the chat");
            state.send(
                dialogue,
                Announcement::Joined(UserJoined {
                    user_id: user_id.to_owned(),
                }),
            );
        }
        let online = state.online();
        state.send(dialogue, Announcement::Online(online));
    }

    fn depart(&self, dialogue: &Dialogue<ChatApp>, user_id: &str) {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let Some(count) = state.connections.get_mut(user_id) else {
            return;
        };
        *count -= 1;
        if *count > 0 {
            return;
        }
        state.connections.remove(user_id);
        tracing::info!(user = %user_id, "left the chat");
        state.send(
            dialogue,
            Announcement::Left(UserLeft {
                user_id: user_id.to_owned(),
            }),
        );
        let online = state.online();
        state.send(dialogue, Announcement::Online(online));
    }
}

impl State {
    /// Everyone in the room, sorted, each once.
    fn online(&self) -> Online {
        Online {
            users: self.connections.keys().cloned().collect(),
        }
    }

    fn send(&self, dialogue: &Dialogue<ChatApp>, announcement: Announcement) {
        let outbox = self.outbox.get_or_init(|| {
            let (sender, receiver) = mpsc::unbounded_channel();
            tokio::spawn(announce_in_order(dialogue.clone(), receiver));
            sender
        });
        // The task lives as long as the server; a send fails only once the
        // runtime is shutting down, when nobody is left to tell.
        let _ = outbox.send(announcement);
    }
}

async fn announce_in_order(
    dialogue: Dialogue<ChatApp>,
    mut announcements: mpsc::UnboundedReceiver<Announcement>,
) {
    let general = dialogue.room(ChatApp::general());
    while let Some(announcement) = announcements.recv().await {
        let sent = match announcement {
            Announcement::Joined(event) => general.trigger(event).await.map(drop),
            Announcement::Left(event) => general.trigger(event).await.map(drop),
            Announcement::Online(event) => general.trigger(event).await.map(drop),
        };
        if let Err(error) = sent {
            tracing::warn!(%error, "could not announce presence");
        }
    }
}
