//! Fan-out through socketioxide's rooms, on this node.
//!
//! Each Dialogue room is a set of socketioxide rooms ("keys"), one per event
//! name a member subscribes to, plus one for `*`. An event is sent once to
//! the union of its name's key and the `*` key: socketioxide encodes the
//! packet once and delivers it, each socket once, with no loop over
//! participants here. Subscribing and unsubscribing are joins and leaves of
//! those keys, so delivery needs no per-recipient check.
//!
//! Delivery is local: every node sends a room's events to its own sockets
//! (how events reach the other nodes is the room stream's business,
//! `state::stream`). That is what makes the `*` shortcut of
//! [`deliver`] sound: whether anyone is subscribed to `*` is asked of this
//! node's sockets, which are exactly the ones this call delivers to.

use futures_util::future::BoxFuture;
use serde_json::value::RawValue;

use crate::envelope::StampedEvent;
use crate::protocol::ServerEvent;
use crate::rules::WILDCARD;
use crate::state::room::RoomState;

/// Separates room id and event name in a key; neither can contain it (the
/// naming rules refuse control characters).
const SEPARATOR: char = '\u{1f}';

/// The key of every greeted socket: broadcasts to everyone (`roomCreated`,
/// `roomDeleted`) go here, so that a socket between its Socket.IO connection
/// and its `dialogue:connected` receives nothing.
pub(crate) const GREETED: &str = "\u{1f}greeted";

/// The key of subscribers to `event` (or `*`) in `room`.
pub(crate) fn key(room: &str, event: &str) -> String {
    let mut key = String::with_capacity(room.len() + 1 + event.len());
    key.push_str(room);
    key.push(SEPARATOR);
    key.push_str(event);
    key
}

/// Sockets whose outgoing buffer was full when an event was delivered: they
/// did not get it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Missed(pub(crate) usize);

/// Sending to the sockets of this node.
pub(crate) trait Fanout: Send + Sync + 'static {
    /// Sends `payload` as `event` to every socket of this node in any of
    /// `keys`, each once. Returns once every socket's queue holds it.
    fn send(&self, keys: Vec<String>, event: &str, payload: &RawValue) -> Missed;

    /// How many sockets of this node are in any of `keys`.
    fn count(&self, keys: Vec<String>) -> usize;

    /// Closes every transport of this node.
    fn close(&self) -> BoxFuture<'static, ()>;
}

/// What delivering one event did on this node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Delivered {
    /// Sockets it was sent to, when counted (`count` asked for it).
    pub(crate) recipients: usize,
    /// Sockets that could not take it.
    pub(crate) missed: Missed,
}

/// Delivers a room's event to the sockets of this node subscribed to its
/// name or to `*`; counts them first when `count` (a walk over the
/// recipients, only for hooks that want it).
pub(crate) fn deliver(
    fanout: &dyn Fanout,
    room: &RoomState,
    stamped: &StampedEvent,
    count: bool,
) -> Delivered {
    let event = stamped.event();
    // Without local `*` subscribers the event goes to one key: socketioxide
    // then skips the de-duplication set it builds for a send to several of
    // its rooms, which costs about a tenth of the server's CPU at saturation.
    let keys = if room.has_wildcard_subscribers() {
        vec![key(&room.id, event), key(&room.id, WILDCARD)]
    } else {
        vec![key(&room.id, event)]
    };
    let recipients = if count { fanout.count(keys.clone()) } else { 0 };
    let missed = fanout.send(keys, ServerEvent::Event.wire_name(), stamped.json());
    Delivered { recipients, missed }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_cannot_collide_across_rooms_and_events() {
        assert_eq!(key("chat", "message"), "chat\u{1f}message");
        assert_ne!(key("a:b", "c"), key("a", "b:c"));
    }
}
