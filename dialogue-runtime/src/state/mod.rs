//! The state seam: where everything a client relies on lives, behind traits,
//! so that the engine's rules never depend on where it is kept.
//!
//! | concept | trait | memory (default) |
//! |---|---|---|
//! | rooms created at run time | [`RoomRegistry`](registry::RoomRegistry) | [`MemoryRegistry`](registry::MemoryRegistry) |
//! | membership and capacity, per room | [`Seats`](seats::Seats) | [`MemorySeats`](seats::MemorySeats) |
//! | users present, host, bans, per room | [`Roster`](people::Roster) | [`MemoryRoster`](people::MemoryRoster) |
//! | order and history, per room | [`Stream`](stream::Stream) | [`MemoryStream`](stream::MemoryStream) |
//! | delivery on this node in seq order, per room | [`Delivery`](delivery::Delivery) | (one for every backend) |
//! | the clients of this node | [`ClientDirectory`](directory::ClientDirectory) | [`MemoryDirectory`](directory::MemoryDirectory) |
//! | resumable sessions | [`Sessions`](sessions::Sessions) | [`MemorySessions`](sessions::MemorySessions) |
//! | sending to this node's sockets | [`Fanout`](fanout::Fanout) | socketioxide's adapter (`wire::socket`) |
//! | one client's socket | [`Connection`](connection::Connection) | socketioxide's socket (`wire::socket`) |
//!
//! A [`Backend`] makes the per-room parts and the registry; one backend is
//! chosen when the server is built. The rule every backend keeps: changes
//! go to the authority (async, atomic), reads of configuration and counts
//! are this node's view (sync), and a room's events are delivered by each
//! node to its own sockets, in seq order. `docs/architecture.md` says how
//! a durable store and a broker plug in: [`Durable`] keeps streams in
//! SQLite, `redis::Redis` (feature `redis`, docs/scaling.md) keeps streams
//! and seats in Redis, shared by every node.

pub(crate) mod admission;
pub(crate) mod client;
pub(crate) mod connection;
pub(crate) mod counters;
pub(crate) mod delivery;
pub(crate) mod directory;
#[cfg(feature = "sqlite")]
pub(crate) mod durable;
pub(crate) mod fanout;
pub(crate) mod history;
pub(crate) mod people;
pub(crate) mod recovery;
#[cfg(feature = "redis")]
pub(crate) mod redis;
pub(crate) mod registry;
pub(crate) mod room;
pub(crate) mod seats;
pub(crate) mod sessions;
pub(crate) mod stream;
pub(crate) mod taps;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize};

use crate::state::counters::Counters;
use crate::state::delivery::{Deliver, Delivery};
use crate::state::directory::{ClientDirectory, MemoryDirectory};
use crate::state::fanout::{Fanout, RoomFanout};
use crate::state::people::{MemoryRoster, Roster};
use crate::state::recovery::Window;
use crate::state::registry::{MemoryRegistry, RoomRegistry};
use crate::state::room::{RoomKind, RoomOptions, RoomState};
use crate::state::seats::{MemorySeats, Seats};
use crate::state::sessions::{MemorySessions, Sessions};
use crate::state::stream::{MemoryStream, Stream};

/// Makes the state of a server: one registry and directory, and each room's
/// seats and stream.
pub(crate) trait Backend: Send + Sync + 'static {
    /// The registry of rooms created at run time.
    fn registry(&self) -> Box<dyn RoomRegistry>;

    /// Why the shared state cannot serve now, if it cannot (for `/ready`).
    fn failure(&self) -> Option<String> {
        None
    }

    /// The directory of this node's clients.
    fn directory(&self) -> Box<dyn ClientDirectory>;

    /// The resumable sessions.
    fn sessions(&self) -> Box<dyn Sessions>;

    /// The seats of the room `room_id`.
    fn seats(&self, room_id: &str) -> Box<dyn Seats>;

    /// The roster of the room `room_id`, whose host is at first `host`.
    fn roster(&self, _room_id: &str, host: Option<String>) -> Box<dyn Roster> {
        Box::new(MemoryRoster::with_host(host))
    }

    /// The stream of the room `room_id`, which hands its events to a
    /// [`Delivery`] through `deliver`, in seq order, keeping `window` for
    /// recovery.
    fn stream(&self, room_id: &str, deliver: Box<dyn Deliver>, window: Window) -> Box<dyn Stream>;
}

/// Everything in this process's memory: lost with it.
pub(crate) struct Memory;

impl Memory {
    pub(crate) fn new() -> Self {
        Self
    }
}

impl Backend for Memory {
    fn registry(&self) -> Box<dyn RoomRegistry> {
        Box::new(MemoryRegistry::default())
    }

    fn directory(&self) -> Box<dyn ClientDirectory> {
        Box::new(MemoryDirectory::default())
    }

    fn sessions(&self) -> Box<dyn Sessions> {
        Box::new(MemorySessions::default())
    }

    fn seats(&self, _room_id: &str) -> Box<dyn Seats> {
        Box::new(MemorySeats::default())
    }

    fn stream(&self, _room_id: &str, deliver: Box<dyn Deliver>, window: Window) -> Box<dyn Stream> {
        // An epoch of its own: positions from before a restart, or from a
        // room of the same id deleted before, are never taken for current
        // ones.
        let delivery = Delivery::new(deliver, new_epoch().into(), window);
        Box::new(MemoryStream::new(delivery, window))
    }
}

/// Rooms' streams in the durable store (`state::durable`); registry,
/// directory, sessions and seats in memory.
#[cfg(feature = "sqlite")]
pub(crate) struct Durable {
    store: crate::store::sqlite::SqliteStore,
    /// The events kept for history and how many of each: what a room's
    /// memory holds, and reloads from the store when it starts again.
    keeps: Vec<(String, std::num::NonZeroU32)>,
}

#[cfg(feature = "sqlite")]
impl Durable {
    pub(crate) fn new(
        store: crate::store::sqlite::SqliteStore,
        keeps: Vec<(String, std::num::NonZeroU32)>,
    ) -> Self {
        Self { store, keeps }
    }
}

#[cfg(feature = "sqlite")]
impl Backend for Durable {
    fn registry(&self) -> Box<dyn RoomRegistry> {
        Box::new(MemoryRegistry::default())
    }

    fn directory(&self) -> Box<dyn ClientDirectory> {
        Box::new(MemoryDirectory::default())
    }

    fn sessions(&self) -> Box<dyn Sessions> {
        Box::new(MemorySessions::default())
    }

    fn seats(&self, _room_id: &str) -> Box<dyn Seats> {
        Box::new(MemorySeats::default())
    }

    /// Continues the room where the store left it. The reads are short and
    /// indexed; they run when a room is made (at start for declared rooms).
    fn stream(&self, room_id: &str, deliver: Box<dyn Deliver>, window: Window) -> Box<dyn Stream> {
        use crate::state::durable::{DurableStream, Resume};
        let store = &self.store;
        let (epoch_name, epoch, seq) = store.position(room_id).unwrap_or_else(|error| {
            tracing::error!(room = room_id, %error, "cannot read the room's position from the store");
            (format!("unreadable-{}", new_epoch()), 0, 0)
        });
        let since = crate::envelope::now_millis().saturating_sub(window.age.as_millis() as u64);
        let recent = store
            .recent(room_id, window.size as u64, since)
            .unwrap_or_else(|error| {
                tracing::error!(room = room_id, %error, "cannot read the room's recent events");
                Vec::new()
            });
        let mut history = Vec::new();
        for (name, keep) in &self.keeps {
            match store.page_blocking(room_id, name, 0, u64::from(keep.get())) {
                Ok(events) => history.extend(events.into_iter().map(|e| (e, *keep))),
                Err(error) => {
                    tracing::error!(room = room_id, event = %name, %error, "cannot read the room's history");
                }
            }
        }
        history.sort_by_key(|(event, _)| event.seq());
        let delivery = Delivery::new(deliver, epoch_name.into(), window);
        delivery.resume_at(seq, recent.iter().map(|(event, _)| event.clone()));
        Box::new(DurableStream::new(
            room_id,
            store.clone(),
            Resume { epoch, seq },
            delivery,
            window,
            recent,
            history,
        ))
    }
}

/// An epoch no other process draws: 64 random bits, in hex.
pub(crate) fn new_epoch() -> String {
    format!("{:016x}", random_u64())
}

/// 64 bits from the standard library's randomly keyed hasher (no RNG crate
/// in the build for this), mixed with a counter so that two calls differ.
pub(crate) fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    hasher.finish()
}

/// The state of one running server: its backend's parts and this node's
/// fan-out.
pub(crate) struct State {
    pub(crate) backend: Box<dyn Backend>,
    pub(crate) registry: Box<dyn RoomRegistry>,
    pub(crate) directory: Box<dyn ClientDirectory>,
    pub(crate) sessions: Box<dyn Sessions>,
    pub(crate) fanout: Arc<dyn Fanout>,
    /// Each room's recovery window.
    pub(crate) window: Window,
    pub(crate) counters: Arc<Counters>,
}

impl State {
    pub(crate) fn new(
        backend: Box<dyn Backend>,
        fanout: Arc<dyn Fanout>,
        window: Window,
        counters: Arc<Counters>,
    ) -> Self {
        Self {
            registry: backend.registry(),
            directory: backend.directory(),
            sessions: backend.sessions(),
            backend,
            fanout,
            window,
            counters,
        }
    }

    /// A room of this node, its seats and stream made by the backend, its
    /// events delivered to this node's sockets.
    pub(crate) fn room(&self, config: RoomOptions, kind: RoomKind, order: u64) -> RoomState {
        let fanout = Arc::new(RoomFanout {
            room_id: config.id.clone(),
            wildcard: Arc::new(AtomicUsize::new(0)),
            fanout: self.fanout.clone(),
            counters: self.counters.clone(),
            probed_at: AtomicU64::new(0),
            logged_at: AtomicU64::new(0),
        });
        let seats = self.backend.seats(&config.id);
        let roster = self.backend.roster(&config.id, config.host.clone());
        let stream =
            self.backend
                .stream(&config.id, Box::new(ArcFanout(fanout.clone())), self.window);
        RoomState::new(config, kind, order, seats, roster, stream, fanout)
    }
}

/// A room's fan-out shared by its state (which counts `*` subscribers and
/// asks for recipients) and its delivery.
struct ArcFanout(Arc<RoomFanout>);

impl Deliver for ArcFanout {
    fn deliver(&self, event: &crate::envelope::StampedEvent) {
        self.0.deliver(event);
    }
}
