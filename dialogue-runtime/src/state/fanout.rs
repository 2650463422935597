//! Fan-out through socketioxide's rooms.
//!
//! Each Dialogue room is a set of socketioxide rooms, one per event name a
//! member subscribes to, plus one for `*`. An event is broadcast once to the
//! union of its name's key and the `*` key: socketioxide encodes the packet
//! once and its adapter delivers it, each socket once, with no loop over
//! participants here. Subscribing and unsubscribing are joins and leaves of
//! those keys, so delivery needs no per-recipient check.

use crate::rules::WILDCARD;

/// Separates room id and event name in a key; neither can contain it (the
/// naming rules refuse control characters).
const SEPARATOR: char = '\u{1f}';

/// The socketioxide room of every greeted socket: broadcasts to everyone
/// (`roomCreated`, `roomDeleted`) go here, so that a socket between its
/// Socket.IO connection and its `dialogue:connected` receives nothing.
pub(crate) const GREETED: &str = "\u{1f}greeted";

/// The socketioxide room of subscribers to `event` (or `*`) in `room`.
pub(crate) fn key(room: &str, event: &str) -> String {
    let mut key = String::with_capacity(room.len() + 1 + event.len());
    key.push_str(room);
    key.push(SEPARATOR);
    key.push_str(event);
    key
}

/// The keys an event named `event` in `room` is broadcast to: its own, and
/// the `*` key when anyone is subscribed to it (see
/// `RoomState::has_wildcard_members`).
pub(crate) fn targets(room: &str, event: &str, wildcard: bool) -> Vec<String> {
    if wildcard {
        vec![key(room, event), key(room, WILDCARD)]
    } else {
        vec![key(room, event)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_cannot_collide_across_rooms_and_events() {
        assert_eq!(key("chat", "message"), "chat\u{1f}message");
        assert_ne!(key("a:b", "c"), key("a", "b:c"));
        assert_eq!(targets("r", "e", true), ["r\u{1f}e", "r\u{1f}*"]);
        assert_eq!(targets("r", "e", false), ["r\u{1f}e"]);
    }
}
