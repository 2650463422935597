//! The reference model: docs/protocol.md's rules for the rooms of the
//! model-based test, in plain data.

use std::collections::{BTreeMap, BTreeSet};

use super::{ROOMS, SLOTS};

/// Where a slot's connection is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    Off,
    On,
    /// Its transport dropped: the session is held (the grace period is
    /// never reached here).
    Held,
}

/// What the protocol says the server holds.
#[derive(Debug, Clone)]
pub struct Model {
    pub link: [Link; SLOTS],
    /// Members of each room, in the order they joined (for the host rule).
    pub members: BTreeMap<&'static str, Vec<usize>>,
    /// (slot, room) pairs unsubscribed from `message`.
    pub unsubscribed: BTreeSet<(usize, &'static str)>,
    pub seq: BTreeMap<&'static str, u64>,
    /// r1 exists, and its host.
    pub r1: Option<Option<usize>>,
    /// r1 was made with a secret.
    pub r1_secret: bool,
    /// Slots banned from r1 (while it exists).
    pub banned: BTreeSet<usize>,
    /// The seq r1 had when a restart took it from memory (created rooms
    /// live in memory; their positions stay in the store until deleted).
    pub r1_stored: Option<u64>,
    /// What each slot must receive before the next check, per room: seqs.
    pub expected: [BTreeMap<&'static str, Vec<u64>>; SLOTS],
}

impl Model {
    pub fn new() -> Self {
        Self {
            link: [Link::Off; SLOTS],
            members: ROOMS.iter().map(|r| (*r, Vec::new())).collect(),
            unsubscribed: BTreeSet::new(),
            seq: ROOMS.iter().map(|r| (*r, 0)).collect(),
            r1: None,
            r1_secret: false,
            banned: BTreeSet::new(),
            r1_stored: None,
            expected: Default::default(),
        }
    }

    pub fn exists(&self, room: &str) -> bool {
        room != "r1" || self.r1.is_some()
    }

    pub fn is_member(&self, slot: usize, room: &str) -> bool {
        self.members[room].contains(&slot)
    }

    /// `slot` leaves `room` for good: the host rule of docs/protocol.md.
    pub fn leave(&mut self, slot: usize, room: &'static str) {
        self.members.get_mut(room).unwrap().retain(|m| *m != slot);
        self.unsubscribed.remove(&(slot, room));
        if room == "r1"
            && let Some(host) = self.r1
            && host == Some(slot)
            && let Some(first) = self.members["r1"].first()
        {
            self.r1 = Some(Some(*first));
        }
    }

    /// Every membership of `slot` ends (its session ended).
    pub fn end_session(&mut self, slot: usize) {
        for room in ROOMS {
            if self.is_member(slot, room) {
                self.leave(slot, room);
            }
        }
        self.expected[slot].clear();
    }

    /// Whether `slot` is sent the `message` events of `room`.
    pub fn receives(&self, slot: usize, room: &'static str) -> bool {
        self.is_member(slot, room) && (room == "r1" || !self.unsubscribed.contains(&(slot, room)))
    }

    /// `slot` is owed these events of `room`, after what it is owed already.
    pub fn owe(&mut self, slot: usize, room: &'static str, seqs: impl IntoIterator<Item = u64>) {
        self.expected[slot].entry(room).or_default().extend(seqs);
    }
}
