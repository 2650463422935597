//! State in Redis, shared by every node that uses the same Redis
//! (docs/scaling.md): each room's stream (one seq across nodes, its log
//! and history), its seats (capacity atomic across nodes), and the bus
//! that brings every room's events to every node in seq order.
//!
//! Sessions are shared too: a resume token is good on any node, and the
//! sessions of a node that died are taken over elsewhere or, after the
//! grace period, ended by the others (`nodes`).
//!
//! So are the rooms created at run time (`registry`): made or deleted on
//! one node, they exist or vanish on all.
//!
//! And so are rosters (`roster`): presence, hosts and bans, each change
//! told to every node's members.

mod appender;
mod bus;
mod intake;
mod keys;
mod link;
mod newest;
mod nodes;
mod registry;
mod roster;
mod scripts;
mod seats;
mod sessions;
mod stream;

pub(crate) use appender::Numbered;

use std::num::NonZeroU32;
use std::sync::Arc;

use crate::state::delivery::{Deliver, Delivery};
use crate::state::directory::{ClientDirectory, MemoryDirectory};
use crate::state::people::Roster;
use crate::state::recovery::Window;
use crate::state::registry::RoomRegistry;
use crate::state::seats::Seats;
use crate::state::sessions::Sessions;
use crate::state::stream::Stream;
use crate::state::{Backend, new_epoch};

/// An envelope as Redis holds it, read back; `None` (logged) when it does
/// not read, which only another program writing to our keys can cause.
/// `seq` is used when the envelope has none.
fn read_event(room: &str, seq: u64, json: String) -> Option<Arc<crate::envelope::StampedEvent>> {
    serde_json::value::RawValue::from_string(json)
        .and_then(|json| crate::envelope::StampedEvent::from_json(seq, json))
        .map(Arc::new)
        .map_err(|error| {
            tracing::error!(room, seq, %error, "an event in Redis does not read back");
        })
        .ok()
}

/// The Redis backend of one node.
pub(crate) struct Redis {
    link: Arc<link::Link>,
    keys: Arc<keys::Keys>,
    bus: Arc<bus::Bus>,
    window: Window,
    /// The events kept for history and how many of each.
    keeps: Arc<Vec<(String, NonZeroU32)>>,
    sessions: Arc<sessions::RedisSessions>,
    registry: Arc<registry::RedisRegistry>,
    /// Kept for as long as the node runs: it beats while it lives.
    _nodes: Arc<nodes::Nodes>,
    /// This node's name in Redis.
    node: String,
}

impl Redis {
    /// A node named `name` on the Redis at `url` (`redis://host:port/db`);
    /// nothing is connected yet (the first use connects, and again after an
    /// outage). Its sessions outlive it by `grace`, for their clients to
    /// resume elsewhere. Starts the bus and the heartbeat: call it inside a
    /// Tokio runtime.
    pub(crate) fn new(
        url: &str,
        name: &str,
        window: Window,
        grace: std::time::Duration,
        keeps: Vec<(String, NonZeroU32)>,
    ) -> Result<Self, redis::RedisError> {
        let client = redis::Client::open(url)?;
        let link = Arc::new(link::Link::new(client));
        let keys = Arc::new(keys::Keys::new("dialogue"));
        // Unique per process: a node started again under the same name is
        // another node, and its predecessor's sessions end in their time.
        let node = format!("{name}-{}", new_epoch());
        let sessions = Arc::new(sessions::RedisSessions::new(
            link.clone(),
            keys.clone(),
            node.clone(),
        ));
        let registry = registry::RedisRegistry::new(link.clone(), keys.clone(), node.clone());
        let bus = Arc::new(bus::Bus::default());
        bus.serve_sessions(&sessions, &node);
        bus.serve_registry(&registry);
        bus.start(link.clone(), keys.clone());
        let nodes = Arc::new(nodes::Nodes::new(
            link.clone(),
            keys.clone(),
            node.clone(),
            grace,
            Arc::downgrade(&registry),
        ));
        nodes.start();
        Ok(Self {
            link,
            keys,
            bus,
            window,
            keeps: Arc::new(keeps),
            sessions,
            registry,
            _nodes: nodes,
            node,
        })
    }
}

impl Backend for Redis {
    fn failure(&self) -> Option<String> {
        self.bus.failure()
    }

    fn registry(&self) -> Box<dyn RoomRegistry> {
        Box::new(self.registry.clone())
    }

    fn directory(&self) -> Box<dyn ClientDirectory> {
        Box::new(MemoryDirectory::default())
    }

    fn sessions(&self) -> Box<dyn Sessions> {
        Box::new(self.sessions.clone())
    }

    fn seats(&self, room_id: &str) -> Box<dyn Seats> {
        Box::new(seats::RedisSeats::new(
            room_id,
            self.link.clone(),
            self.keys.clone(),
        ))
    }

    fn roster(&self, room_id: &str, host: Option<String>) -> Box<dyn Roster> {
        let roster =
            roster::RedisRoster::new(room_id, self.link.clone(), &self.keys, &self.node, host);
        self.bus.add_roster(room_id, &roster);
        Box::new(roster)
    }

    fn stream(&self, room_id: &str, deliver: Box<dyn Deliver>, window: Window) -> Box<dyn Stream> {
        // A placeholder epoch until the stream has read the room's from
        // Redis, which it does before any join (in the delivery's order).
        let delivery = Delivery::new(deliver, format!("starting-{}", new_epoch()).into(), window);
        let stream = stream::RedisStream::new(
            room_id,
            self.link.clone(),
            self.keys.clone(),
            delivery,
            self.window,
            self.keeps.clone(),
        );
        self.bus.add(stream.intake());
        Box::new(stream)
    }
}
