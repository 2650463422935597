//! Who is in a room, by user: presence (one entry per user however many
//! connections it holds, with the `info` it shows), the host, and bans.
//!
//! Seats (`state::seats`) count connections against `maxSize`; the roster
//! counts users, because presence, host succession and kicks are about
//! users. Both change together: a seat taken is a connection arriving here,
//! a seat given back one departing, a seat moved to a resumed connection
//! one moving here.

use std::collections::{HashMap, HashSet};

use futures_util::future::{self, BoxFuture};
use parking_lot::Mutex;
use serde_json::Value;

use crate::protocol::Member;

/// What a connection's departure changed.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Departure {
    /// The user departed (its last connection went): who, with its info.
    pub(crate) left: Option<Member>,
    /// The host departed and this user is the new host.
    pub(crate) new_host: Option<String>,
}

/// What removing a user (a kick) changed.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Removal {
    /// The connections it held in the room.
    pub(crate) connections: Vec<String>,
    /// The user as it was present (when it was).
    pub(crate) left: Option<Member>,
    /// The user was host and this one is the new host.
    pub(crate) new_host: Option<String>,
}

/// A change another node made to a shared roster, as every node hears it:
/// each node updates its view and tells its own members.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "k", rename_all = "camelCase")]
#[cfg_attr(not(feature = "redis"), allow(dead_code))]
pub(crate) enum RosterChange {
    /// `u` arrived, showing `i`, as the `a`th arrival.
    Arrived { u: String, i: Option<Value>, a: u64 },
    /// `u` departed (its last connection went); `h` the new host, if the
    /// host passed on.
    Left {
        u: String,
        i: Option<Value>,
        h: Option<String>,
    },
    /// `u` now shows `i`.
    Updated { u: String, i: Value },
    /// The host is now `u` (none: no host).
    Host { u: Option<String> },
    /// `u` is banned.
    Banned { u: String },
    /// `u` was removed by the host, with its connections `c` (on any node),
    /// for reason `r`; `h` the new host, if the host passed on.
    Kicked {
        u: String,
        i: Option<Value>,
        c: Vec<String>,
        r: Option<String>,
        h: Option<String>,
    },
}

/// A room's roster.
///
/// Changes go to the backend's authority (async, like seats); reads are
/// this node's view.
pub(crate) trait Roster: Send + Sync + 'static {
    /// `connection` of `user` arrived; `Some(member)` when it is the user's
    /// first (the user arrived, showing `info`).
    fn arrive<'a>(
        &'a self,
        user: &'a str,
        connection: &'a str,
        info: Option<Value>,
    ) -> BoxFuture<'a, Option<Member>>;

    /// `connection` of `user` departed.
    fn depart<'a>(&'a self, user: &'a str, connection: &'a str) -> BoxFuture<'a, Departure>;

    /// `user`'s connection `from` is now `to` (a resumed session): no
    /// arrival, no departure.
    fn transfer<'a>(&'a self, user: &'a str, from: &'a str, to: &'a str) -> BoxFuture<'a, ()>;

    /// Removes `user` and every connection it holds (a kick, for `reason`,
    /// which other nodes pass on to their connections of the user).
    fn remove<'a>(&'a self, user: &'a str, reason: Option<&'a str>) -> BoxFuture<'a, Removal>;

    /// Replaces a present user's info; `Some(member)` when it changed.
    fn set_info<'a>(&'a self, user: &'a str, info: Value) -> BoxFuture<'a, Option<Member>>;

    /// Makes `user` the host (`None`: no host).
    fn set_host<'a>(&'a self, user: Option<&'a str>) -> BoxFuture<'a, ()>;

    /// Bans `user` until the room is deleted.
    fn ban<'a>(&'a self, user: &'a str) -> BoxFuture<'a, ()>;

    /// The users present, earliest arrival first.
    fn members(&self) -> Vec<Member>;

    /// Whether `user` is present.
    fn is_present(&self, user: &str) -> bool;

    /// The host now.
    fn host(&self) -> Option<String>;

    /// Whether `user` is banned.
    fn is_banned(&self, user: &str) -> bool;

    /// Forgets everything of the room (deleted): a room made again with its
    /// id starts with no one present, no host but its own, no bans.
    fn forget(&self) -> BoxFuture<'_, ()> {
        Box::pin(future::ready(()))
    }

    /// Resolves once the view holds what the authority had when the roster
    /// was made: a shared roster reads it in the background, and a room
    /// made on demand (a template instance the server acts on) must not
    /// answer from an empty view. Memory is its own authority: at once.
    fn loaded(&self) -> BoxFuture<'_, ()> {
        Box::pin(future::ready(()))
    }
}

/// The users present, earliest arrival first: what every roster's
/// [`Roster::members`] answers, from `(arrival number, member)` pairs.
pub(crate) fn by_arrival(people: impl IntoIterator<Item = (u64, Member)>) -> Vec<Member> {
    let mut people: Vec<(u64, Member)> = people.into_iter().collect();
    people.sort_by_key(|(arrived, _)| *arrived);
    people.into_iter().map(|(_, member)| member).collect()
}

/// A roster shared with another part of the node (the Redis bus tells it
/// of other nodes' changes).
impl<R: Roster> Roster for std::sync::Arc<R> {
    fn arrive<'a>(
        &'a self,
        user: &'a str,
        connection: &'a str,
        info: Option<Value>,
    ) -> BoxFuture<'a, Option<Member>> {
        (**self).arrive(user, connection, info)
    }

    fn depart<'a>(&'a self, user: &'a str, connection: &'a str) -> BoxFuture<'a, Departure> {
        (**self).depart(user, connection)
    }

    fn transfer<'a>(&'a self, user: &'a str, from: &'a str, to: &'a str) -> BoxFuture<'a, ()> {
        (**self).transfer(user, from, to)
    }

    fn remove<'a>(&'a self, user: &'a str, reason: Option<&'a str>) -> BoxFuture<'a, Removal> {
        (**self).remove(user, reason)
    }

    fn set_info<'a>(&'a self, user: &'a str, info: Value) -> BoxFuture<'a, Option<Member>> {
        (**self).set_info(user, info)
    }

    fn set_host<'a>(&'a self, user: Option<&'a str>) -> BoxFuture<'a, ()> {
        (**self).set_host(user)
    }

    fn ban<'a>(&'a self, user: &'a str) -> BoxFuture<'a, ()> {
        (**self).ban(user)
    }

    fn members(&self) -> Vec<Member> {
        (**self).members()
    }

    fn is_present(&self, user: &str) -> bool {
        (**self).is_present(user)
    }

    fn host(&self) -> Option<String> {
        (**self).host()
    }

    fn is_banned(&self, user: &str) -> bool {
        (**self).is_banned(user)
    }

    fn forget(&self) -> BoxFuture<'_, ()> {
        (**self).forget()
    }

    fn loaded(&self) -> BoxFuture<'_, ()> {
        (**self).loaded()
    }
}

/// The roster in this process's memory: one lock per room, held to change
/// or read it, never across an await.
#[derive(Debug, Default)]
pub(crate) struct MemoryRoster {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    people: HashMap<String, Person>,
    /// Arrival counter: who has been present longest.
    arrivals: u64,
    host: Option<String>,
    banned: HashSet<String>,
}

#[derive(Debug)]
struct Person {
    /// Its connections in the room: usually one.
    connections: Vec<String>,
    info: Option<Value>,
    arrived: u64,
}

impl Inner {
    fn member(user: &str, person: &Person) -> Member {
        Member {
            user_id: user.to_owned(),
            info: person.info.clone(),
        }
    }

    /// After `user` left: when it was the host, the user present longest
    /// takes over (nobody left: the host stays as it was).
    fn succeed(&mut self, user: &str) -> Option<String> {
        if self.host.as_deref() != Some(user) {
            return None;
        }
        let next = self
            .people
            .iter()
            .min_by_key(|(_, person)| person.arrived)
            .map(|(user, _)| user.clone())?;
        self.host = Some(next.clone());
        Some(next)
    }
}

impl MemoryRoster {
    /// A roster whose host is `host`.
    pub(crate) fn with_host(host: Option<String>) -> Self {
        Self {
            inner: Mutex::new(Inner {
                host,
                ..Inner::default()
            }),
        }
    }
}

impl Roster for MemoryRoster {
    fn arrive<'a>(
        &'a self,
        user: &'a str,
        connection: &'a str,
        info: Option<Value>,
    ) -> BoxFuture<'a, Option<Member>> {
        let mut inner = self.inner.lock();
        let arrived = match inner.people.get_mut(user) {
            Some(person) => {
                if !person.connections.iter().any(|c| c == connection) {
                    person.connections.push(connection.to_owned());
                }
                None
            }
            None => {
                inner.arrivals += 1;
                let person = Person {
                    connections: vec![connection.to_owned()],
                    info,
                    arrived: inner.arrivals,
                };
                let member = Inner::member(user, &person);
                inner.people.insert(user.to_owned(), person);
                Some(member)
            }
        };
        Box::pin(future::ready(arrived))
    }

    fn depart<'a>(&'a self, user: &'a str, connection: &'a str) -> BoxFuture<'a, Departure> {
        let mut inner = self.inner.lock();
        let mut departure = Departure::default();
        if let Some(person) = inner.people.get_mut(user) {
            person.connections.retain(|c| c != connection);
            if person.connections.is_empty()
                && let Some(person) = inner.people.remove(user)
            {
                departure.left = Some(Inner::member(user, &person));
                departure.new_host = inner.succeed(user);
            }
        }
        Box::pin(future::ready(departure))
    }

    fn transfer<'a>(&'a self, user: &'a str, from: &'a str, to: &'a str) -> BoxFuture<'a, ()> {
        let mut inner = self.inner.lock();
        if let Some(person) = inner.people.get_mut(user) {
            for connection in person.connections.iter_mut().filter(|c| *c == from) {
                *connection = to.to_owned();
            }
        }
        Box::pin(future::ready(()))
    }

    fn remove<'a>(&'a self, user: &'a str, _reason: Option<&'a str>) -> BoxFuture<'a, Removal> {
        let mut inner = self.inner.lock();
        let removal = match inner.people.remove(user) {
            Some(person) => Removal {
                left: Some(Inner::member(user, &person)),
                connections: person.connections,
                new_host: inner.succeed(user),
            },
            None => Removal::default(),
        };
        Box::pin(future::ready(removal))
    }

    fn set_info<'a>(&'a self, user: &'a str, info: Value) -> BoxFuture<'a, Option<Member>> {
        let mut inner = self.inner.lock();
        let changed = match inner.people.get_mut(user) {
            Some(person) if person.info.as_ref() != Some(&info) => {
                person.info = Some(info);
                Some(Inner::member(user, person))
            }
            _ => None,
        };
        Box::pin(future::ready(changed))
    }

    fn set_host<'a>(&'a self, user: Option<&'a str>) -> BoxFuture<'a, ()> {
        self.inner.lock().host = user.map(str::to_owned);
        Box::pin(future::ready(()))
    }

    fn ban<'a>(&'a self, user: &'a str) -> BoxFuture<'a, ()> {
        self.inner.lock().banned.insert(user.to_owned());
        Box::pin(future::ready(()))
    }

    fn members(&self) -> Vec<Member> {
        let inner = self.inner.lock();
        by_arrival(
            inner
                .people
                .iter()
                .map(|(user, person)| (person.arrived, Inner::member(user, person))),
        )
    }

    fn is_present(&self, user: &str) -> bool {
        self.inner.lock().people.contains_key(user)
    }

    fn host(&self) -> Option<String> {
        self.inner.lock().host.clone()
    }

    fn is_banned(&self, user: &str) -> bool {
        self.inner.lock().banned.contains(user)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[tokio::test]
    async fn users_arrive_once_and_depart_with_their_last_connection() {
        let roster = MemoryRoster::default();
        let first = roster
            .arrive("alice", "c1", Some(json!({ "name": "A" })))
            .await;
        assert_eq!(first.unwrap().info, Some(json!({ "name": "A" })));
        assert_eq!(
            roster
                .arrive("alice", "c2", Some(json!({ "name": "other" })))
                .await,
            None,
            "a second connection is no arrival, and the first one's info holds"
        );
        roster.transfer("alice", "c1", "c3").await;
        assert_eq!(roster.depart("alice", "c1").await, Departure::default());
        assert_eq!(roster.depart("alice", "c2").await, Departure::default());
        assert!(roster.is_present("alice"));
        let gone = roster.depart("alice", "c3").await;
        assert_eq!(gone.left.unwrap().user_id, "alice");
        assert!(!roster.is_present("alice"));
    }

    #[tokio::test]
    async fn the_host_passes_to_whoever_is_present_longest() {
        let roster = MemoryRoster::with_host(Some("alice".into()));
        roster.arrive("bob", "b", None).await;
        roster.arrive("carol", "c", None).await;
        roster.arrive("alice", "a", None).await;
        assert_eq!(roster.depart("carol", "c").await.new_host, None, "not host");
        let departure = roster.depart("alice", "a").await;
        assert_eq!(departure.new_host.as_deref(), Some("bob"));
        assert_eq!(roster.host().as_deref(), Some("bob"));
        assert_eq!(
            roster.depart("bob", "b").await.new_host,
            None,
            "nobody left: the host stays"
        );
        assert_eq!(roster.host().as_deref(), Some("bob"));
    }

    #[tokio::test]
    async fn a_removed_user_takes_every_connection_and_info_changes_once() {
        let roster = MemoryRoster::with_host(Some("alice".into()));
        roster.arrive("alice", "a1", None).await;
        roster.arrive("alice", "a2", None).await;
        roster.arrive("bob", "b", None).await;
        assert!(roster.set_info("bob", json!({ "s": 1 })).await.is_some());
        assert!(
            roster.set_info("bob", json!({ "s": 1 })).await.is_none(),
            "unchanged"
        );
        assert!(roster.set_info("nobody", json!({})).await.is_none());
        let removal = roster.remove("alice", None).await;
        assert_eq!(removal.connections, ["a1", "a2"]);
        assert_eq!(removal.new_host.as_deref(), Some("bob"));
        assert_eq!(roster.members().len(), 1);
        roster.ban("alice").await;
        assert!(roster.is_banned("alice") && !roster.is_banned("bob"));
    }
}
