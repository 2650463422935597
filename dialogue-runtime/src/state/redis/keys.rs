//! The names of everything Dialogue keeps in Redis, in one place.
//!
//! Every key of a room carries its id in braces (`{room}`): a Redis Cluster
//! hash tag, so that one room's keys sit on one shard and its scripts may
//! touch them all.

/// Keys under one prefix (default `dialogue`), so that several services
/// can share a Redis.
#[derive(Debug, Clone)]
pub(crate) struct Keys {
    prefix: String,
    events_channel: String,
    control_channel: String,
    nodes: String,
}

/// The keys of one room that every append and every check names, written
/// once when the room is made rather than per event.
#[derive(Debug, Clone)]
pub(crate) struct RoomKeys {
    pub(crate) epoch: String,
    pub(crate) seq: String,
    pub(crate) log: String,
}

/// The keys of one room's roster (`state::redis::roster`).
#[derive(Debug, Clone)]
pub(crate) struct RosterKeys {
    /// User to arrival number: who is present (a hash).
    pub(crate) people: String,
    /// User to its connections in the room, space-separated (a hash).
    pub(crate) connections: String,
    /// User to the info it shows, as JSON (a hash).
    pub(crate) info: String,
    /// The arrival counter.
    pub(crate) arrivals: String,
    /// The host (`""`: none).
    pub(crate) host: String,
    /// The banned users (a set).
    pub(crate) banned: String,
    /// Counts the changes told, each change carrying its number.
    pub(crate) version: String,
}

impl Keys {
    /// The keys of `room`'s roster.
    pub(crate) fn of_roster(&self, room: &str) -> RosterKeys {
        RosterKeys {
            people: self.room(room, "people"),
            connections: self.room(room, "connections"),
            info: self.room(room, "info"),
            arrivals: self.room(room, "arrivals"),
            host: self.room(room, "host"),
            banned: self.room(room, "banned"),
            version: self.room(room, "roster-version"),
        }
    }

    pub(crate) fn new(prefix: &str) -> Self {
        Self {
            prefix: prefix.to_owned(),
            events_channel: format!("{prefix}:events"),
            control_channel: format!("{prefix}:control"),
            nodes: format!("{prefix}:nodes"),
        }
    }

    /// The keys of `room` that every append names.
    pub(crate) fn of_room(&self, room: &str) -> RoomKeys {
        RoomKeys {
            epoch: self.epoch(room),
            seq: self.seq(room),
            log: self.log(room),
        }
    }

    fn room(&self, room: &str, what: &str) -> String {
        format!("{}:{{{room}}}:{what}", self.prefix)
    }

    /// The room's epoch: drawn by whoever finds it missing.
    pub(crate) fn epoch(&self, room: &str) -> String {
        self.room(room, "epoch")
    }

    /// The room's latest seq.
    pub(crate) fn seq(&self, room: &str) -> String {
        self.room(room, "seq")
    }

    /// The room's recent events (a Redis Stream, entry id `seq-1`), for
    /// recovery and for a node that missed a published event.
    pub(crate) fn log(&self, room: &str) -> String {
        self.room(room, "log")
    }

    /// The room's kept events of one name, newest first (a list).
    pub(crate) fn history(&self, room: &str, event: &str) -> String {
        self.room(room, &format!("history:{event}"))
    }

    /// The seq of the event accepted with a trigger id.
    pub(crate) fn trigger(&self, room: &str, user: &str, id: &str) -> String {
        // Lengths first: no pair of (user, id) shares a key with another.
        self.room(room, &format!("trigger:{}:{user}:{id}", user.len()))
    }

    /// The room's seats: the connections that hold one (a set).
    pub(crate) fn seats(&self, room: &str) -> String {
        self.room(room, "seats")
    }

    /// Set when the room was deleted: no seat can be taken.
    pub(crate) fn closed(&self, room: &str) -> String {
        self.room(room, "closed")
    }

    /// The channel every node hears each room event on.
    pub(crate) fn events_channel(&self) -> &str {
        &self.events_channel
    }

    /// The channel nodes tell each other of sessions on (`taken`).
    pub(crate) fn control_channel(&self) -> &str {
        &self.control_channel
    }

    /// The prefix, for scripts that name keys they find in records.
    pub(crate) fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Every live node's last heartbeat, in Redis's milliseconds (a hash).
    pub(crate) fn nodes(&self) -> &str {
        &self.nodes
    }

    /// The rooms created at run time: id to options (a hash).
    pub(crate) fn rooms(&self) -> String {
        format!("{}:rooms", self.prefix)
    }

    /// Set once the rooms hash exists: missing, Redis lost its data.
    pub(crate) fn rooms_kept(&self) -> String {
        format!("{}:rooms:kept", self.prefix)
    }

    /// The sessions of one node (a set of session ids).
    pub(crate) fn node_sessions(&self, node: &str) -> String {
        format!("{}:node:{node}:sessions", self.prefix)
    }

    /// One session's record (a hash: user, conn, node, latest, previous,
    /// rooms, version).
    pub(crate) fn session(&self, id: u64) -> String {
        format!("{}:session:{id}", self.prefix)
    }

    /// The session a resume token names.
    pub(crate) fn token(&self, token: &str) -> String {
        format!("{}:token:{token}", self.prefix)
    }
}
