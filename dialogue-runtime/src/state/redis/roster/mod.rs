//! A room's roster in Redis, shared by every node: who is present (with
//! each user's connections on any node, and its info), the host, the bans.
//! Each change is one script ([`scripts`]) that returns the change and
//! publishes it; the node that made it applies it to its view and tells its
//! own members, and every other node does the same when it hears it
//! ([`RedisRoster::heard`]). Reads are this node's view, loaded from Redis
//! when the room is made and again after the subscription broke.

mod scripts;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use futures_util::future::BoxFuture;
use parking_lot::Mutex;
use serde_json::Value;

use crate::protocol::Member;
use crate::state::people::{Departure, Removal, Roster, RosterChange, by_arrival};
use crate::state::redis::keys::{Keys, RosterKeys};
use crate::state::redis::link::Link;

/// How long a read of the roster may keep [`Roster::loaded`] waiting.
const LOAD_BOUND: std::time::Duration = std::time::Duration::from_secs(2);

/// How many reads [`RedisRoster::load`] makes at most.
const LOAD_ATTEMPTS: usize = 5;

/// This node's view of a shared roster.
#[derive(Default)]
struct View {
    /// User to (info, arrival number).
    people: HashMap<String, (Option<Value>, u64)>,
    host: Option<String>,
    banned: HashSet<String>,
    /// The number of the latest change the view holds.
    version: u64,
}

/// A change as the scripts tell it: numbered.
#[derive(serde::Deserialize)]
struct Numbered {
    v: u64,
    #[serde(flatten)]
    change: RosterChange,
}

impl View {
    /// Applies `change` unless the view holds a later one already (a change
    /// can reach a node after a newer one: its own script's answer and the
    /// channel are two connections); whether it did.
    fn apply(&mut self, version: u64, change: &RosterChange) -> bool {
        if version <= self.version {
            return false;
        }
        self.version = version;
        match change {
            RosterChange::Arrived { u, i, a } => {
                self.people.insert(u.clone(), (i.clone(), *a));
            }
            RosterChange::Left { u, h, .. } | RosterChange::Kicked { u, h, .. } => {
                self.people.remove(u);
                if let Some(host) = h {
                    self.host = Some(host.clone());
                }
            }
            RosterChange::Updated { u, i } => {
                if let Some(person) = self.people.get_mut(u) {
                    person.0 = Some(i.clone());
                }
            }
            RosterChange::Host { u } => self.host = u.clone(),
            RosterChange::Banned { u } => {
                self.banned.insert(u.clone());
            }
        }
        true
    }
}

/// A told change, read; `None` (logged) when it does not read.
fn read_change(room: &str, json: &str) -> Option<(u64, RosterChange)> {
    serde_json::from_str::<Numbered>(json)
        .map(|numbered| (numbered.v, numbered.change))
        .map_err(|error| tracing::error!(room, %error, "a roster change does not read"))
        .ok()
}

/// A room's roster in Redis (see the module).
pub(crate) struct RedisRoster {
    room: String,
    link: Arc<Link>,
    keys: RosterKeys,
    channel: String,
    node: String,
    view: Mutex<View>,
    /// Whether the first read of the roster ended (well or not).
    loaded: tokio::sync::watch::Sender<bool>,
}

impl RedisRoster {
    /// The roster of `room`, whose host is at first `host` (unless Redis
    /// names one already); its view loads in the background.
    pub(crate) fn new(
        room: &str,
        link: Arc<Link>,
        keys: &Keys,
        node: &str,
        host: Option<String>,
    ) -> Arc<Self> {
        let roster = Arc::new(Self {
            room: room.to_owned(),
            link,
            keys: keys.of_roster(room),
            channel: keys.control_channel().to_owned(),
            node: node.to_owned(),
            view: Mutex::new(View {
                host: host.clone(),
                ..View::default()
            }),
            loaded: tokio::sync::watch::channel(false).0,
        });
        let loading = roster.clone();
        tokio::spawn(async move {
            let first: Result<bool, _> = loading
                .link
                .run(
                    redis::cmd("SET")
                        .arg(&loading.keys.host)
                        .arg(host.as_deref().unwrap_or(""))
                        .arg("NX"),
                )
                .await;
            if let Err(error) = first {
                tracing::debug!(room = %loading.room, %error, "cannot name a room's first host in Redis");
            }
            loading.load().await;
            loading.loaded.send_replace(true);
        });
        roster
    }

    /// Reads the whole roster from Redis into the view. A read older than
    /// a change the view applied meanwhile (this node's own join, answered
    /// beside the read, or one heard from another node) is read again: the
    /// view holds only the changes since it was made, so keeping it would
    /// lose everyone who was there before (defect 12 of
    /// docs/reliability.md). Any change the view applied is in Redis
    /// already, so a new read is at least as recent; bounded all the same
    /// (a Redis restarted empty numbers from 0 again).
    pub(crate) async fn load(&self) {
        for _ in 0..LOAD_ATTEMPTS {
            if self.load_once().await {
                return;
            }
        }
        tracing::warn!(room = %self.room, "a room's roster in Redis stayed older than this node's view");
    }

    /// One read of [`load`](Self::load): whether it is settled (applied,
    /// or failed and logged), `false` when it was older than the view.
    async fn load_once(&self) -> bool {
        let mut pipeline = redis::pipe();
        pipeline
            .cmd("HGETALL")
            .arg(&self.keys.people)
            .cmd("HGETALL")
            .arg(&self.keys.info)
            .cmd("GET")
            .arg(&self.keys.host)
            .cmd("SMEMBERS")
            .arg(&self.keys.banned)
            .cmd("GET")
            .arg(&self.keys.version);
        type Loaded = (
            HashMap<String, u64>,
            HashMap<String, String>,
            Option<String>,
            HashSet<String>,
            Option<u64>,
        );
        match self.link.pipe::<Loaded>(&pipeline).await {
            Ok((people, mut info, host, banned, version)) => {
                let version = version.unwrap_or(0);
                let mut view = self.view.lock();
                if version < view.version {
                    return false; // older than what the view applied since
                }
                view.version = version;
                view.people = people
                    .into_iter()
                    .map(|(user, arrived)| {
                        let info = info
                            .remove(&user)
                            .and_then(|json| serde_json::from_str(&json).ok());
                        (user, (info, arrived))
                    })
                    .collect();
                if let Some(host) = host {
                    view.host = Some(host).filter(|host| !host.is_empty());
                }
                view.banned = banned;
                true
            }
            Err(error) => {
                tracing::warn!(room = %self.room, %error, "cannot read a room's roster from Redis");
                true
            }
        }
    }

    /// A change another node made: applied to the view, and handed back
    /// for this node's members to be told (`None`: this node's own).
    pub(crate) fn heard(&self, node: &str, json: &str) -> Option<RosterChange> {
        if node == self.node {
            return None;
        }
        let (version, change) = read_change(&self.room, json)?;
        // Told to this node's members either way: a change the view
        // already holds (read by a reload) was never told here.
        self.view.lock().apply(version, &change);
        Some(change)
    }

    /// Runs a change script: the change it made, applied to the view.
    async fn change(
        &self,
        script: &redis::Script,
        keys: &[&str],
        args: &[&str],
    ) -> Option<RosterChange> {
        let mut invocation = script.prepare_invoke();
        for key in keys {
            invocation.key(*key);
        }
        for arg in args {
            invocation.arg(*arg);
        }
        invocation
            .arg(&self.channel)
            .arg(&self.node)
            .arg(&self.room);
        match self.link.script::<Option<String>>(&invocation).await {
            Ok(Some(json)) => {
                let (version, change) = read_change(&self.room, &json)?;
                self.view.lock().apply(version, &change);
                Some(change)
            }
            Ok(None) => None,
            Err(error) => {
                tracing::warn!(room = %self.room, %error, "cannot change a room's roster in Redis");
                None
            }
        }
    }
}

fn member(user: &str, info: Option<Value>) -> Member {
    Member {
        user_id: user.to_owned(),
        info,
    }
}

impl Roster for RedisRoster {
    fn arrive<'a>(
        &'a self,
        user: &'a str,
        connection: &'a str,
        info: Option<Value>,
    ) -> BoxFuture<'a, Option<Member>> {
        Box::pin(async move {
            let info = info.map(|info| info.to_string()).unwrap_or_default();
            let k = &self.keys;
            let change = self
                .change(
                    &scripts::ARRIVE,
                    &[&k.people, &k.connections, &k.info, &k.arrivals, &k.version],
                    &[user, connection, &info],
                )
                .await;
            match change {
                Some(RosterChange::Arrived { u, i, .. }) => Some(member(&u, i)),
                _ => None,
            }
        })
    }

    fn depart<'a>(&'a self, user: &'a str, connection: &'a str) -> BoxFuture<'a, Departure> {
        Box::pin(async move {
            let k = &self.keys;
            let change = self
                .change(
                    &scripts::DEPART,
                    &[&k.people, &k.connections, &k.info, &k.host, &k.version],
                    &[user, connection],
                )
                .await;
            match change {
                Some(RosterChange::Left { u, i, h }) => Departure {
                    left: Some(member(&u, i)),
                    new_host: h,
                },
                _ => Departure::default(),
            }
        })
    }

    fn transfer<'a>(&'a self, user: &'a str, from: &'a str, to: &'a str) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let k = &self.keys;
            self.change(&scripts::TRANSFER, &[&k.connections], &[user, from, to])
                .await;
        })
    }

    fn remove<'a>(&'a self, user: &'a str, reason: Option<&'a str>) -> BoxFuture<'a, Removal> {
        Box::pin(async move {
            let k = &self.keys;
            let change = self
                .change(
                    &scripts::REMOVE,
                    &[&k.people, &k.connections, &k.info, &k.host, &k.version],
                    &[user, reason.unwrap_or("")],
                )
                .await;
            match change {
                Some(RosterChange::Kicked { u, i, c, h, .. }) => Removal {
                    connections: c,
                    left: Some(member(&u, i)),
                    new_host: h,
                },
                _ => Removal::default(),
            }
        })
    }

    fn set_info<'a>(&'a self, user: &'a str, info: Value) -> BoxFuture<'a, Option<Member>> {
        Box::pin(async move {
            let k = &self.keys;
            let json = info.to_string();
            let change = self
                .change(
                    &scripts::SET_INFO,
                    &[&k.people, &k.info, &k.version],
                    &[user, &json],
                )
                .await;
            match change {
                Some(RosterChange::Updated { u, i }) => Some(member(&u, Some(i))),
                _ => None,
            }
        })
    }

    fn set_host<'a>(&'a self, user: Option<&'a str>) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            self.change(
                &scripts::SET_HOST,
                &[&self.keys.host, &self.keys.version],
                &[user.unwrap_or("")],
            )
            .await;
        })
    }

    fn ban<'a>(&'a self, user: &'a str) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            self.change(
                &scripts::BAN,
                &[&self.keys.banned, &self.keys.version],
                &[user],
            )
            .await;
        })
    }

    fn members(&self) -> Vec<Member> {
        let view = self.view.lock();
        by_arrival(
            view.people
                .iter()
                .map(|(user, (info, arrived))| (*arrived, member(user, info.clone()))),
        )
    }

    fn is_present(&self, user: &str) -> bool {
        self.view.lock().people.contains_key(user)
    }

    fn loaded(&self) -> BoxFuture<'_, ()> {
        let mut loaded = self.loaded.subscribe();
        Box::pin(async move {
            // Bounded: Redis unreachable answers the read with an error,
            // which ends it too; the bound covers a read that hangs.
            let _ = tokio::time::timeout(LOAD_BOUND, loaded.wait_for(|done| *done)).await;
        })
    }

    fn host(&self) -> Option<String> {
        self.view.lock().host.clone()
    }

    fn is_banned(&self, user: &str) -> bool {
        self.view.lock().banned.contains(user)
    }

    fn forget(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let k = &self.keys;
            let mut command = redis::cmd("DEL");
            command
                .arg(&k.people)
                .arg(&k.connections)
                .arg(&k.info)
                .arg(&k.arrivals)
                .arg(&k.host)
                .arg(&k.banned)
                .arg(&k.version);
            if let Err(error) = self.link.run::<()>(&command).await {
                tracing::warn!(room = %self.room, %error, "cannot delete a room's roster in Redis");
            }
            *self.view.lock() = View::default();
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arrived(user: &str) -> RosterChange {
        RosterChange::Arrived {
            u: user.into(),
            i: None,
            a: 1,
        }
    }

    #[test]
    fn a_change_older_than_the_view_is_not_applied() {
        let mut view = View::default();
        let left = RosterChange::Left {
            u: "alice".into(),
            i: None,
            h: None,
        };
        assert!(view.apply(1, &arrived("alice")));
        assert!(view.apply(3, &left));
        // Its own script's answer, late: alice arrived before she left.
        assert!(!view.apply(2, &arrived("alice")));
        assert!(!view.people.contains_key("alice"));
        assert!(view.apply(4, &arrived("bob")));
        assert!(view.people.contains_key("bob"));
    }

    #[test]
    fn told_changes_read_with_their_number() {
        let json = r#"{"v":7,"k":"arrived","u":"alice","i":{"name":"A"},"a":2}"#;
        let (version, change) = read_change("lobby", json).expect("reads");
        assert_eq!(version, 7);
        assert_eq!(
            change,
            RosterChange::Arrived {
                u: "alice".into(),
                i: Some(serde_json::json!({ "name": "A" })),
                a: 2
            }
        );
        assert!(read_change("lobby", r#"{"k":"arrived"}"#).is_none());
    }
}
