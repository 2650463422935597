//! How one node hears the rooms' events from the other nodes: one pub/sub
//! subscription, and a timer that compares every room's position in Redis
//! with this node's, so that a missed event is noticed within a bounded
//! time even when no later event follows.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;

use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use parking_lot::RwLock;

use crate::envelope::now_millis;
use crate::state::redis::intake::Intake;
use crate::state::redis::keys::Keys;
use crate::state::redis::link::Link;
use crate::state::redis::newest::Newest;
use crate::state::redis::registry::RedisRegistry;
use crate::state::redis::roster::RedisRoster;
use crate::state::redis::sessions::RedisSessions;
use crate::state::registry::RegistryWatcher;

/// How often the rooms' positions are compared with Redis.
const CHECK_EVERY: Duration = Duration::from_millis(200);

/// How long (ms) a node may be behind Redis before it reads what it missed:
/// longer than an event takes from the script to the channel.
const PATIENCE_MS: u64 = 300;

/// How long to wait before subscribing again after the subscription broke.
const RESUBSCRIBE_AFTER: Duration = Duration::from_millis(250);

/// The rooms of this node that hear events, by id, and its sessions, told
/// of takeovers by other nodes.
#[derive(Default)]
pub(crate) struct Bus {
    rooms: RwLock<HashMap<String, Newest<Intake>>>,
    /// This node's sessions and its name in Redis.
    sessions: OnceLock<(Weak<RedisSessions>, String)>,
    /// The rooms created at run time.
    registry: OnceLock<Weak<RedisRegistry>>,
    /// Each room's roster, by id (the newest copy of the room still alive,
    /// `newest`).
    rosters: RwLock<HashMap<String, Newest<RedisRoster>>>,
    /// What this node's members are told of other nodes' roster changes,
    /// done one after the other in the order heard, beside the listening
    /// (a hook such as `on_left` never holds the subscription back).
    notices: OnceLock<tokio::sync::mpsc::UnboundedSender<BoxFuture<'static, ()>>>,
    /// Whether the subscription is up (for `/ready`).
    subscribed: AtomicBool,
    /// Whether Redis answered the last check (for `/ready`).
    reachable: AtomicBool,
}

impl Bus {
    /// Routes the room's events to `intake` while it is the newest copy of
    /// the room still alive (`newest`).
    pub(crate) fn add(&self, intake: &Arc<Intake>) {
        self.rooms
            .write()
            .entry(intake.room.clone())
            .or_default()
            .push(intake);
    }

    /// Tells `sessions` (of the node `node`) when another node takes one
    /// of them over.
    pub(crate) fn serve_sessions(&self, sessions: &Arc<RedisSessions>, node: &str) {
        let _ = self
            .sessions
            .set((Arc::downgrade(sessions), node.to_owned()));
    }

    /// Routes other nodes' changes of the room's roster to `roster`.
    pub(crate) fn add_roster(&self, room: &str, roster: &Arc<RedisRoster>) {
        let mut rosters = self.rosters.write();
        rosters.retain(|_, rosters| rosters.newest().is_some());
        rosters.entry(room.to_owned()).or_default().push(roster);
    }

    /// Tells `registry` of other nodes' rooms.
    pub(crate) fn serve_registry(&self, registry: &Arc<RedisRegistry>) {
        let _ = self.registry.set(Arc::downgrade(registry));
    }

    /// The subscription is (again) up: what was published while it was
    /// down went unheard, so the rooms created meanwhile are read anew.
    fn subscribed_again(&self) {
        self.subscribed.store(true, Ordering::Release);
        if let Some(registry) = self.registry.get().and_then(Weak::upgrade) {
            tokio::spawn(async move { registry.resync().await });
        }
        let rosters: Vec<Arc<RedisRoster>> = self
            .rosters
            .read()
            .values()
            .filter_map(Newest::newest)
            .collect();
        tokio::spawn(async move {
            for roster in rosters {
                roster.load().await;
            }
        });
    }

    /// A roster change another node made: `body` is the room and the
    /// change, on two lines.
    fn roster(&self, node: &str, body: &str) {
        let Some((room, json)) = body.split_once('\n') else {
            tracing::error!("a roster change on the control channel has no room");
            return;
        };
        let roster = self.rosters.read().get(room).and_then(Newest::newest);
        let Some(change) = roster.and_then(|roster| roster.heard(node, json)) else {
            return;
        };
        self.tell_engine(|watcher| watcher.roster_changed(room.to_owned(), change));
    }

    /// Queues what this node does about another node's change, done one
    /// after the other in the order heard (see `notices`).
    fn tell_engine(&self, notice: impl FnOnce(&dyn RegistryWatcher) -> BoxFuture<'static, ()>) {
        if let Some(watcher) = self
            .registry
            .get()
            .and_then(Weak::upgrade)
            .and_then(|r| r.watcher())
            && let Some(notices) = self.notices.get()
        {
            let _ = notices.send(notice(watcher.as_ref()));
        }
    }

    fn get(&self, room: &str) -> Option<Arc<Intake>> {
        self.rooms.read().get(room).and_then(Newest::newest)
    }

    /// The live rooms, dropping the entries of rooms that are gone.
    fn live(&self) -> Vec<Arc<Intake>> {
        let mut gone = false;
        let live: Vec<_> = self
            .rooms
            .read()
            .values()
            .filter_map(|rooms| {
                let room = rooms.newest();
                gone |= room.is_none();
                room
            })
            .collect();
        if gone {
            self.rooms
                .write()
                .retain(|_, rooms| rooms.newest().is_some());
        }
        live
    }

    /// Why this node is not part of the service now, if it is not: it
    /// does not hear the other nodes, or Redis did not answer the last
    /// check.
    pub(crate) fn failure(&self) -> Option<String> {
        if !self.subscribed.load(Ordering::Acquire) {
            return Some("not subscribed to Redis".into());
        }
        if !self.reachable.load(Ordering::Acquire) {
            return Some("Redis did not answer the last check".into());
        }
        None
    }

    /// Starts listening and checking, for as long as the bus lives.
    pub(crate) fn start(self: &Arc<Self>, link: Arc<Link>, keys: Arc<Keys>) {
        let (notices, mut queue) = tokio::sync::mpsc::unbounded_channel();
        let _ = self.notices.set(notices);
        tokio::spawn(async move {
            while let Some(notice) = queue.recv().await {
                notice.await;
            }
        });
        tokio::spawn(listen(Arc::downgrade(self), link.clone(), keys));
        tokio::spawn(check(Arc::downgrade(self), link));
    }

    /// Acts on one message of the control channel: what, node, body.
    fn control(&self, payload: &str) {
        let mut parts = payload.splitn(3, '\n');
        let (Some(what), Some(node), Some(body)) = (parts.next(), parts.next(), parts.next())
        else {
            tracing::error!("a message on the control channel has not the expected shape");
            return;
        };
        match what {
            "taken" => self.taken(node, body),
            "closeUser" => self.close_user(node, body),
            "roster" => self.roster(node, body),
            "created" | "deleted" => {
                if let Some(registry) = self.registry.get().and_then(Weak::upgrade) {
                    registry.heard(what, node, body);
                }
            }
            _ => tracing::error!(what, "an unknown message on the control channel"),
        }
    }

    /// Another node took the session `id` over from `node`.
    fn taken(&self, node: &str, id: &str) {
        let Some((sessions, me)) = self.sessions.get() else {
            return;
        };
        if node != me {
            return;
        }
        if let (Some(sessions), Ok(id)) = (sessions.upgrade(), id.parse()) {
            sessions.taken_elsewhere(id);
        }
    }

    /// Another node closed the connections of `user` (the HTTP API): this
    /// node closes its own and ends the sessions it holds for that user,
    /// in the order of the other notices.
    fn close_user(&self, node: &str, user: &str) {
        if self.sessions.get().is_some_and(|(_, me)| me == node) {
            return;
        }
        self.tell_engine(|watcher| watcher.user_closed(user.to_owned()));
    }

    /// Hands one message of the events channel to its room.
    async fn route(&self, payload: &str) {
        let mut parts = payload.splitn(4, '\n');
        let (Some(epoch), Some(seq), Some(json), Some(room)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            tracing::error!("a message on the events channel has not the expected shape");
            return;
        };
        let Ok(seq) = seq.parse::<u64>() else {
            tracing::error!(room, "a message on the events channel has no seq");
            return;
        };
        if let Some(intake) = self.get(room) {
            intake.heard(epoch, seq, json).await;
        }
    }
}

/// Subscribes to the events channel and routes what it hears; subscribes
/// again whenever the subscription breaks (Redis restarted, network), and
/// then checks every room, since what was published meanwhile is missed.
async fn listen(bus: Weak<Bus>, link: Arc<Link>, keys: Arc<Keys>) {
    let channel = keys.events_channel().to_owned();
    let control = keys.control_channel().to_owned();
    let mut warned = false;
    loop {
        if bus.strong_count() == 0 {
            return;
        }
        match link.client().get_async_pubsub().await {
            Ok(mut pubsub) => match pubsub.subscribe(&[&channel, &control]).await {
                Ok(()) => {
                    if warned {
                        tracing::info!("subscribed to Redis again");
                    }
                    warned = false;
                    if let Some(bus) = bus.upgrade() {
                        bus.subscribed_again();
                    }
                    let mut messages = pubsub.on_message();
                    while let Some(message) = messages.next().await {
                        let Some(bus) = bus.upgrade() else { return };
                        match std::str::from_utf8(message.get_payload_bytes()) {
                            Ok(payload) if message.get_channel_name() == control => {
                                bus.control(payload)
                            }
                            Ok(payload) => bus.route(payload).await,
                            Err(_) => {
                                tracing::error!("a message on the events channel is not UTF-8")
                            }
                        }
                    }
                    if let Some(bus) = bus.upgrade() {
                        bus.subscribed.store(false, Ordering::Release);
                    }
                    tracing::warn!("the Redis subscription ended; subscribing again");
                }
                Err(error) => {
                    if !warned {
                        tracing::warn!(%error, "cannot subscribe to Redis; trying again");
                        warned = true;
                    }
                }
            },
            Err(error) => {
                if !warned {
                    tracing::warn!(%error, "cannot reach Redis to subscribe; trying again");
                    warned = true;
                }
            }
        }
        tokio::time::sleep(RESUBSCRIBE_AFTER).await;
    }
}

/// Compares every room's epoch and latest seq in Redis with this node's.
async fn check(bus: Weak<Bus>, link: Arc<Link>) {
    let mut timer = tokio::time::interval(CHECK_EVERY);
    timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        timer.tick().await;
        let Some(rooms) = bus.upgrade().map(|bus| bus.live()) else {
            return;
        };
        let reachable = |yes: bool| {
            if let Some(bus) = bus.upgrade() {
                bus.reachable.store(yes, Ordering::Release);
            }
        };
        if rooms.is_empty() {
            reachable(link.run::<String>(&redis::cmd("PING")).await.is_ok());
            continue;
        }
        let mut pipeline = redis::pipe();
        for room in &rooms {
            pipeline
                .cmd("GET")
                .arg(&room.own.epoch)
                .cmd("GET")
                .arg(&room.own.seq);
        }
        let answers: Vec<(Option<String>, Option<u64>)> =
            match link.pipe::<Vec<Option<String>>>(&pipeline).await {
                Ok(values) => values
                    .chunks(2)
                    .map(|pair| {
                        (
                            pair.first().cloned().flatten(),
                            pair.get(1)
                                .cloned()
                                .flatten()
                                .and_then(|seq| seq.parse().ok()),
                        )
                    })
                    .collect(),
                // Redis is away: requests that need it are refused meanwhile.
                Err(_) => {
                    reachable(false);
                    continue;
                }
            };
        reachable(true);
        let now = now_millis();
        for (room, (epoch, seq)) in rooms.iter().zip(answers) {
            room.check(epoch.as_deref(), seq.unwrap_or(0), now, PATIENCE_MS)
                .await;
        }
    }
}
