//! After every step: what each connected client received, and the
//! servers' own view, against the model.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use dialogue_client::Client;
use tokio::time::Instant;

use crate::harness::{WAIT, arg, settle};

use super::reference::{Link, Model};
use super::system::{System, Topology};
use super::watcher::WATCHED;
use super::{Op, PRESENCE, ROOMS, SLOTS, user};

type Seqs = BTreeMap<&'static str, Vec<u64>>;

pub async fn check(model: &mut Model, system: &mut System, after: &Op) {
    for slot in 0..SLOTS {
        if system.clients[slot].is_none() {
            continue;
        }
        let expected: Seqs = std::mem::take(&mut model.expected[slot])
            .into_iter()
            .filter(|(_, seqs)| !seqs.is_empty())
            .collect();
        let got = received(system, slot, &expected, after).await;
        assert_eq!(
            got, expected,
            "after {after:?}: the events m{slot} received (room → seqs), each once, in order"
        );
        // Drop the other notices it holds.
        let client = system.client(slot);
        while client.recv_timeout(Duration::ZERO).await.is_ok() {}
    }
    if let Some(watcher) = system.watcher.as_mut() {
        watcher.check(model.seq[WATCHED], after).await;
    }
    match system.topology {
        // One server answers every request from the state the model
        // describes: its view agrees at once.
        Topology::One => {
            if let Err(mismatch) = views(model, system) {
                panic!("after {after:?}: {mismatch}");
            }
        }
        // Two nodes: what one node did reaches the other a moment later
        // (pub/sub), so each view must agree within the test's wait.
        Topology::Two => {
            let deadline = Instant::now() + WAIT;
            while let Err(mismatch) = views(model, system) {
                assert!(
                    Instant::now() < deadline,
                    "after {after:?}, within {WAIT:?}: {mismatch}"
                );
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
}

/// The events `slot`'s client received since the last check, per room,
/// moving its positions on. With one server everything sent before a
/// round trip is in the inbox after it; with two, an event accepted on the
/// other node is waited for (until what the model expects is there, at
/// most [`WAIT`]), then a round trip lets any extra one show.
async fn received(system: &mut System, slot: usize, expected: &Seqs, after: &Op) -> Seqs {
    let mut got = Seqs::new();
    let client = system.clients[slot].as_ref().unwrap();
    settle(client).await;
    drain(client, &mut got, Duration::ZERO, after).await;
    if system.topology == Topology::Two && got != *expected {
        let deadline = Instant::now() + WAIT;
        while got != *expected && Instant::now() < deadline {
            drain(client, &mut got, Duration::from_millis(20), after).await;
        }
        settle(client).await;
        drain(client, &mut got, Duration::ZERO, after).await;
    }
    for (room, seqs) in &got {
        let position = system.positions[slot].get_mut(room).unwrap_or_else(|| {
            panic!("after {after:?}: m{slot} got {room} events {seqs:?} in a room it is not in")
        });
        position.1 = position.1.max(*seqs.iter().max().unwrap());
    }
    got
}

/// Takes the `dialogue:event`s in `client`'s inbox, waiting at most `wait`
/// for the first.
async fn drain(client: &Client, got: &mut Seqs, wait: Duration, after: &Op) {
    let mut wait = wait;
    while let Ok(event) = client.expect_event("dialogue:event", wait).await {
        wait = Duration::ZERO;
        let envelope = arg(&event);
        let room = ROOMS
            .iter()
            .find(|r| **r == envelope["roomId"])
            .unwrap_or_else(|| panic!("after {after:?}: an event of another room: {envelope}"));
        let seq = envelope["seq"].as_u64().unwrap();
        got.entry(room).or_default().push(seq);
    }
}

/// The servers' own view against the model: the first difference.
fn views(model: &Model, system: &System) -> Result<(), String> {
    let differ = |what: String, server: &dyn std::fmt::Debug, model: &dyn std::fmt::Debug| {
        Err(format!(
            "{what}: the server has {server:?}, the model {model:?}"
        ))
    };
    for room in ROOMS {
        let members = &model.members[room];
        let mut size = 0;
        for (n, node) in system.nodes.iter().enumerate() {
            let dialogue = &node.dialogue;
            // An instance is looked up among the rooms in memory:
            // `room_by_id` would make it.
            let handle = if room == "doc:a" {
                dialogue
                    .rooms()
                    .into_iter()
                    .find(|handle| handle.id() == room)
            } else {
                dialogue.room_by_id(room)
            };
            let Some(handle) = handle else {
                // An instance nobody is in may be gone from memory; with
                // two nodes, it is made on a node by its first use there.
                if model.exists(room) && room != "doc:a" {
                    return Err(format!("{room} is gone on node {n}"));
                }
                continue;
            };
            if !model.exists(room) {
                return Err(format!("{room} exists on node {n}"));
            }
            // With two nodes a room's size is each node's view of Redis's
            // count, refreshed when rooms are listed: Redis's own count
            // is checked below instead.
            size += handle.size();
            if handle.position().seq != model.seq[room] {
                return differ(
                    format!("{room}'s seq on node {n}"),
                    &handle.position().seq,
                    &model.seq[room],
                );
            }
            if PRESENCE.contains(&room) {
                let present: BTreeSet<String> =
                    handle.presence().into_iter().map(|m| m.user_id).collect();
                let expected: BTreeSet<String> = members.iter().map(|m| user(*m)).collect();
                if present != expected {
                    return differ(
                        format!("presence in {room} on node {n}"),
                        &present,
                        &expected,
                    );
                }
            }
            if room == "r1" {
                let host = model.r1.flatten().map(user);
                if handle.host() != host {
                    return differ(format!("r1's host on node {n}"), &handle.host(), &host);
                }
            }
        }
        let size = system.seats_in_redis(room).unwrap_or(size);
        if room == "small" && size > 2 {
            return Err(format!("small holds {size}"));
        }
        if size != members.len() {
            return differ(
                format!("members of {room} (held seats included, over every node)"),
                &size,
                &members.len(),
            );
        }
        for slot in 0..SLOTS {
            if model.link[slot] == Link::On {
                let node = &system.nodes[system.node_of[slot]].dialogue;
                let member = node.is_in_room(&user(slot), room);
                if member != model.is_member(slot, room) {
                    return differ(
                        format!("whether m{slot} is in {room}"),
                        &member,
                        &model.is_member(slot, room),
                    );
                }
            }
        }
    }
    Ok(())
}
