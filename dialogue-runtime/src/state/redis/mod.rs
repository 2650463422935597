//! State in Redis, shared by every node that uses the same Redis
//! (docs/scaling.md): each room's stream (one seq across nodes, its log
//! and history), its seats (capacity atomic across nodes), and the bus
//! that brings every room's events to every node in seq order.
//!
//! What is not shared yet stays in this node's memory: the registry of
//! rooms created at run time, rosters (presence, hosts, bans) and sessions.

mod bus;
mod intake;
mod keys;
mod link;
mod scripts;
mod seats;
mod stream;

use std::num::NonZeroU32;
use std::sync::Arc;

use crate::state::delivery::{Deliver, Delivery};
use crate::state::directory::{ClientDirectory, MemoryDirectory};
use crate::state::recovery::Window;
use crate::state::registry::{MemoryRegistry, RoomRegistry};
use crate::state::seats::Seats;
use crate::state::sessions::{MemorySessions, Sessions};
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
}

impl Redis {
    /// A node on the Redis at `url` (`redis://host:port/db`); nothing is
    /// connected yet (the first use connects, and again after an outage).
    /// Starts the bus: call it inside a Tokio runtime.
    pub(crate) fn new(
        url: &str,
        window: Window,
        keeps: Vec<(String, NonZeroU32)>,
    ) -> Result<Self, redis::RedisError> {
        let client = redis::Client::open(url)?;
        let link = Arc::new(link::Link::new(client));
        let keys = Arc::new(keys::Keys::new("dialogue"));
        let bus = Arc::new(bus::Bus::default());
        bus.start(link.clone(), keys.clone());
        Ok(Self {
            link,
            keys,
            bus,
            window,
            keeps: Arc::new(keeps),
        })
    }
}

impl Backend for Redis {
    fn failure(&self) -> Option<String> {
        self.bus.failure()
    }

    fn registry(&self) -> Box<dyn RoomRegistry> {
        Box::new(MemoryRegistry::default())
    }

    fn directory(&self) -> Box<dyn ClientDirectory> {
        Box::new(MemoryDirectory::default())
    }

    fn sessions(&self) -> Box<dyn Sessions> {
        Box::new(MemorySessions::default())
    }

    fn seats(&self, room_id: &str) -> Box<dyn Seats> {
        Box::new(seats::RedisSeats::new(
            room_id,
            self.link.clone(),
            self.keys.clone(),
        ))
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
