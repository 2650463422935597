//! The joined rooms of a typed client: each room's position in its stream,
//! what it subscribes to, and who reads its events. Every event passes here
//! once, in seq order: a seq already seen is dropped, so an event replayed
//! after a reconnect and also received live reaches its readers once.

use std::collections::{BTreeSet, HashMap};

use dialogue_core::protocol::{EventMessage, Member, Position};
use dialogue_core::spec::Subscriptions;
use serde::Deserialize;
use serde_json::{Map, Value};
use tokio::sync::mpsc::UnboundedSender;

/// How a joined room came back after the connection was lost and made
/// again: read from [`JoinedRoom::recoveries`](super::JoinedRoom::recoveries).
///
/// ```
/// use dialogue_client::typed::Recovery;
///
/// let back = Recovery { resumed: true, recovered: true };
/// assert!(back.recovered, "nothing was lost");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recovery {
    /// The server still held the session (its memberships and seats); when
    /// false, the room was joined again from its position.
    pub resumed: bool,
    /// Every event missed meanwhile was delivered, in order, before any
    /// later one. When false, some are gone (the room's recovery window
    /// passed, or its stream restarted): reload what the room shows through
    /// [`JoinedRoom::get_history`](super::JoinedRoom::get_history).
    pub recovered: bool,
}

/// Offers a room event to one reader; false once the reader is gone.
pub(crate) type EventSink = Box<dyn Fn(&EventMessage) -> bool + Send>;

/// Offers a presence change to one reader; false once the reader is gone.
pub(crate) type DiffSink = Box<dyn Fn(&PresenceDiff) -> bool + Send>;

/// `dialogue:presenceDiff`, owned.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PresenceDiff {
    pub(crate) room_id: String,
    #[serde(default)]
    pub(crate) joined: Vec<Member>,
    #[serde(default)]
    pub(crate) left: Vec<Member>,
    #[serde(default)]
    pub(crate) updated: Vec<Member>,
}

/// The fields of a join acknowledgement, owned.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct JoinAnswer {
    pub(crate) room_name: String,
    pub(crate) position: Position,
    #[serde(default)]
    pub(crate) recovered: Option<bool>,
    #[serde(default)]
    pub(crate) missed: Vec<EventMessage>,
    #[serde(default)]
    pub(crate) history: Vec<EventMessage>,
}

/// The event names a member receives in a room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Subscribed {
    All,
    Names(BTreeSet<String>),
}

impl Subscribed {
    pub(crate) fn from_spec(subscriptions: &Subscriptions) -> Self {
        match subscriptions {
            Subscriptions::All => Subscribed::All,
            Subscriptions::Only(names) => Subscribed::Names(names.iter().cloned().collect()),
        }
    }

    /// As a join's `subscriptions`.
    pub(crate) fn to_wire(&self) -> Vec<String> {
        match self {
            Subscribed::All => vec!["*".to_owned()],
            Subscribed::Names(names) => names.iter().cloned().collect(),
        }
    }
}

/// One joined room.
struct Entry {
    /// The seq of the last event handed out, in the room's epoch.
    position: Option<Position>,
    /// While joins are in flight, live events wait here for their answer
    /// (which may carry earlier, missed events).
    held: Vec<EventMessage>,
    joins_in_flight: u32,
    subscribed: Subscribed,
    /// The room's defaults, so that a join names its subscriptions only
    /// when they differ.
    defaults: Subscribed,
    events: Vec<(&'static str, EventSink)>,
    presence: Vec<DiffSink>,
    recoveries: Vec<UnboundedSender<Recovery>>,
}

impl Entry {
    /// Hands `message` to its readers unless its seq was seen already.
    fn deliver(&mut self, message: &EventMessage) {
        if let Some(position) = &mut self.position
            && message.seq != 0
        {
            if message.seq <= position.seq {
                return;
            }
            position.seq = message.seq;
        }
        self.events
            .retain(|(name, sink)| *name != message.event || sink(message));
    }
}

/// Every joined room, by room id.
#[derive(Default)]
pub(crate) struct Rooms {
    rooms: HashMap<String, Entry>,
}

impl Rooms {
    /// Notes a join of `id` about to be sent; returns the subscriptions to
    /// send with it (`None`: the room's defaults).
    pub(crate) fn begin_join(&mut self, id: &str, defaults: Subscribed) -> Option<Vec<String>> {
        let entry = self.rooms.entry(id.to_owned()).or_insert_with(|| Entry {
            position: None,
            held: Vec::new(),
            joins_in_flight: 0,
            subscribed: defaults.clone(),
            defaults,
            events: Vec::new(),
            presence: Vec::new(),
            recoveries: Vec::new(),
        });
        entry.joins_in_flight += 1;
        (entry.subscribed != entry.defaults).then(|| entry.subscribed.to_wire())
    }

    /// Applies a join's outcome: its position, the events it says were
    /// missed, then the live events held meanwhile. A failed first join
    /// forgets the room.
    pub(crate) fn finish_join(&mut self, id: &str, since: bool, answer: Option<&JoinAnswer>) {
        let Some(entry) = self.rooms.get_mut(id) else {
            return;
        };
        entry.joins_in_flight = entry.joins_in_flight.saturating_sub(1);
        match answer {
            Some(answer) if since && answer.recovered == Some(true) => {
                for message in &answer.missed {
                    entry.deliver(message);
                }
                match &mut entry.position {
                    Some(position) if position.epoch == answer.position.epoch => {
                        position.seq = position.seq.max(answer.position.seq);
                    }
                    _ => entry.position = Some(answer.position.clone()),
                }
            }
            // Not recovered: start again from where the room is now.
            Some(answer) if since => entry.position = Some(answer.position.clone()),
            // A first join starts from the room's position; a join again of a
            // room joined keeps its own.
            Some(answer) if entry.position.is_none() => {
                entry.position = Some(answer.position.clone());
            }
            Some(_) | None => {}
        }
        if entry.joins_in_flight == 0 {
            if entry.position.is_none() {
                self.rooms.remove(id);
                return;
            }
            for message in std::mem::take(&mut entry.held) {
                entry.deliver(&message);
            }
        }
    }

    /// A `dialogue:event`.
    pub(crate) fn event(&mut self, message: EventMessage) {
        let Some(entry) = self.rooms.get_mut(&message.room_id) else {
            return;
        };
        if entry.joins_in_flight > 0 {
            entry.held.push(message);
        } else {
            entry.deliver(&message);
        }
    }

    /// A `dialogue:presenceDiff`.
    pub(crate) fn presence(&mut self, diff: &PresenceDiff) {
        if let Some(entry) = self.rooms.get_mut(&diff.room_id) {
            entry.presence.retain(|sink| sink(diff));
        }
    }

    /// Tells the room's readers how it came back.
    pub(crate) fn recovered(&mut self, id: &str, recovery: Recovery) {
        if let Some(entry) = self.rooms.get_mut(id) {
            entry.recoveries.retain(|tx| tx.send(recovery).is_ok());
        }
    }

    /// Forgets a room: its feeds end.
    pub(crate) fn remove(&mut self, id: &str) -> bool {
        self.rooms.remove(id).is_some()
    }

    /// Forgets every room.
    pub(crate) fn clear(&mut self) {
        self.rooms.clear();
    }

    /// The room's subscriptions, when it is joined.
    pub(crate) fn subscribed(&self, id: &str) -> Option<Subscribed> {
        Some(self.rooms.get(id)?.subscribed.clone())
    }

    pub(crate) fn contains(&self, id: &str) -> bool {
        self.rooms.contains_key(id)
    }

    pub(crate) fn position(&self, id: &str) -> Option<Position> {
        self.rooms.get(id)?.position.clone()
    }

    /// The room ids, each with its position, for a resume or a join again.
    pub(crate) fn positions(&self) -> Vec<(String, Option<Position>)> {
        let mut all: Vec<_> = self
            .rooms
            .iter()
            .map(|(id, entry)| (id.clone(), entry.position.clone()))
            .collect();
        all.sort_by(|a, b| a.0.cmp(&b.0));
        all
    }

    /// `auth.positions` for a resume.
    pub(crate) fn positions_json(&self) -> Map<String, Value> {
        self.rooms
            .iter()
            .filter_map(|(id, entry)| {
                let position = serde_json::to_value(entry.position.as_ref()?).ok()?;
                Some((id.clone(), position))
            })
            .collect()
    }

    /// Adds `name` to the room's subscriptions; false when it was there.
    pub(crate) fn subscribe(&mut self, id: &str, name: &str) -> bool {
        match self.rooms.get_mut(id).map(|entry| &mut entry.subscribed) {
            Some(Subscribed::Names(names)) => names.insert(name.to_owned()),
            _ => false,
        }
    }

    /// Takes back a subscription the server refused.
    pub(crate) fn unsubscribe(&mut self, id: &str, name: &str) {
        if let Some(Subscribed::Names(names)) =
            self.rooms.get_mut(id).map(|entry| &mut entry.subscribed)
        {
            names.remove(name);
        }
    }

    /// Adds a reader of the events called `name`; false when the room is
    /// not joined.
    pub(crate) fn add_events(&mut self, id: &str, name: &'static str, sink: EventSink) -> bool {
        self.rooms
            .get_mut(id)
            .map(|entry| entry.events.push((name, sink)))
            .is_some()
    }

    pub(crate) fn add_presence(&mut self, id: &str, sink: DiffSink) -> bool {
        self.rooms
            .get_mut(id)
            .map(|entry| entry.presence.push(sink))
            .is_some()
    }

    pub(crate) fn add_recoveries(&mut self, id: &str, tx: UnboundedSender<Recovery>) -> bool {
        self.rooms
            .get_mut(id)
            .map(|entry| entry.recoveries.push(tx))
            .is_some()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use serde_json::json;

    use super::*;

    fn message(seq: u64) -> EventMessage {
        EventMessage {
            event: "message".into(),
            room_id: "chat".into(),
            data: json!({ "n": seq }),
            from: "u".into(),
            timestamp: 0,
            seq,
            meta: None,
        }
    }

    fn answer(seq: u64, recovered: Option<bool>, missed: Vec<u64>) -> JoinAnswer {
        JoinAnswer {
            room_name: "Chat".into(),
            position: Position {
                epoch: "e".into(),
                seq,
            },
            recovered,
            missed: missed.into_iter().map(message).collect(),
            history: Vec::new(),
        }
    }

    fn reader(rooms: &mut Rooms) -> Arc<Mutex<Vec<u64>>> {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let out = seen.clone();
        let sink: EventSink = Box::new(move |m: &EventMessage| {
            out.lock().unwrap().push(m.seq);
            true
        });
        assert!(rooms.add_events("chat", "message", sink));
        seen
    }

    #[test]
    fn events_held_during_a_join_follow_the_missed_ones_once_each() {
        let mut rooms = Rooms::default();
        rooms.begin_join("chat", Subscribed::All);
        rooms.finish_join("chat", false, Some(&answer(3, None, vec![])));
        let seen = reader(&mut rooms);
        rooms.event(message(4));

        // A join again from seq 4: live events arrive before its answer.
        rooms.begin_join("chat", Subscribed::All);
        rooms.event(message(7));
        rooms.event(message(6));
        rooms.finish_join("chat", true, Some(&answer(6, Some(true), vec![5, 6])));
        rooms.event(message(7));
        rooms.event(message(8));
        assert_eq!(*seen.lock().unwrap(), [4, 5, 6, 7, 8]);
    }

    #[test]
    fn not_recovered_starts_again_from_the_new_position() {
        let mut rooms = Rooms::default();
        rooms.begin_join("chat", Subscribed::All);
        rooms.finish_join("chat", false, Some(&answer(10, None, vec![])));
        let seen = reader(&mut rooms);
        rooms.begin_join("chat", Subscribed::All);
        rooms.finish_join("chat", true, Some(&answer(2, Some(false), vec![])));
        rooms.event(message(3));
        assert_eq!(*seen.lock().unwrap(), [3]);
        assert_eq!(rooms.position("chat").unwrap().seq, 3);
    }

    #[test]
    fn a_refused_first_join_forgets_the_room() {
        let mut rooms = Rooms::default();
        let subs = rooms.begin_join("small", Subscribed::Names(BTreeSet::new()));
        assert_eq!(subs, None, "the defaults are not sent");
        rooms.finish_join("small", false, None);
        assert!(!rooms.contains("small"));
    }
}
