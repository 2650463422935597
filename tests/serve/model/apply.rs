//! Each step, applied to the system under test and to the model, with the
//! answers the model expects.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::harness::ask;

use super::reference::{Link, Model};
use super::system::{System, Topology};
use super::{DECLARED, Op, ROOMS, SECRET, SLOTS, user};

/// The code of a refusal, or `"ok"`.
fn outcome(answer: &Value) -> String {
    if answer["ok"] == true {
        "ok".into()
    } else {
        answer["error"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("an answer without a code: {answer}"))
            .to_owned()
    }
}

pub(super) fn expect(step: &Op, answer: &Value, allowed: &[&str]) {
    let got = outcome(answer);
    assert!(
        allowed.contains(&got.as_str()),
        "{step:?}: the server answered {answer}, the model expected one of {allowed:?}"
    );
}

/// The answer to a request only a member of an existing room may make
/// (trigger, history): the refusal the model expects, or `ok`, which it
/// returns as `true`.
pub(super) fn member_request(
    model: &Model,
    step: &Op,
    answer: &Value,
    c: usize,
    room: &str,
) -> bool {
    if !model.exists(room) {
        expect(step, answer, &["ROOM_NOT_FOUND"]);
        false
    } else if !model.is_member(c, room) {
        expect(step, answer, &["NOT_IN_ROOM"]);
        false
    } else {
        expect(step, answer, &["ok"]);
        true
    }
}

/// The seqs of the events listed under `field` of an answer, in order.
fn seqs_of(step: &Op, answer: &Value, field: &str) -> Vec<u64> {
    answer[field]
        .as_array()
        .unwrap_or_else(|| panic!("{step:?}: no {field} in {answer}"))
        .iter()
        .map(|event| event["seq"].as_u64().expect("a seq"))
        .collect()
}

/// The slot that acts in `step`, when it is one that needs a connection.
fn actor(step: &Op) -> Option<usize> {
    match *step {
        Op::Join(c, ..)
        | Op::Leave(c, _)
        | Op::Subscribe(c, _)
        | Op::Unsubscribe(c, _)
        | Op::Trigger(c, _)
        | Op::History(c, _)
        | Op::Create(c, _)
        | Op::Delete(c)
        | Op::Kick(c, ..)
        | Op::Transfer(c, _)
        | Op::Request(c, ..) => Some(c),
        _ => None,
    }
}

/// The step's kind, for the count of what ran.
fn kind(step: &Op) -> &'static str {
    match step {
        Op::Connect(..) => "connect",
        Op::Join(..) => "join",
        Op::Leave(..) => "leave",
        Op::Subscribe(..) => "subscribe",
        Op::Unsubscribe(..) => "unsubscribe",
        Op::Trigger(..) => "trigger",
        Op::History(..) => "history",
        Op::Create(..) => "create",
        Op::Delete(_) => "delete",
        Op::Kick(..) => "kick",
        Op::Transfer(..) => "transfer",
        Op::Disconnect(_) => "disconnect",
        Op::Drop(_) => "drop",
        Op::Resume(..) => "resume",
        Op::Restart(_) => "restart",
        Op::ApiTrigger(..) => "api trigger",
        Op::ApiKick(..) => "api kick",
        Op::ApiDelete(_) => "api delete",
        Op::ApiPresence(..) => "api presence",
        Op::ApiDisconnect(..) => "api disconnect",
        Op::Unwatch => "unwatch",
        Op::Watch(_) => "watch",
        Op::Request(..) => "request",
    }
}

/// Whether `step` does something in this state (otherwise it is skipped).
fn ready(model: &Model, system: &System, step: &Op) -> bool {
    let watching = system.watcher.as_ref().is_some_and(|w| w.is_open());
    match *step {
        Op::Connect(c, _) => model.link[c] == Link::Off,
        Op::Resume(c, _) => model.link[c] == Link::Held,
        Op::Kick(c, t, _) | Op::Transfer(c, t) => model.link[c] == Link::On && c != t,
        Op::Disconnect(c) | Op::Drop(c) => model.link[c] == Link::On,
        Op::Restart(_)
        | Op::ApiTrigger(..)
        | Op::ApiKick(..)
        | Op::ApiDelete(_)
        | Op::ApiPresence(..) => true,
        Op::ApiDisconnect(c, _) => model.link[c] != Link::Off,
        Op::Unwatch => watching,
        Op::Watch(_) => !watching,
        _ => actor(step).is_some_and(|c| model.link[c] == Link::On),
    }
}

pub async fn apply(
    model: &mut Model,
    system: &mut System,
    step: &Op,
    applied: &mut BTreeMap<&'static str, usize>,
) {
    // A slot with no connection connects first (a held one only resumes).
    if let Some(c) = actor(step)
        && model.link[c] == Link::Off
    {
        system.connect(c, c, json!({ "userId": user(c) })).await;
        model.link[c] = Link::On;
    }
    if !ready(model, system, step) {
        return;
    }
    *applied.entry(kind(step)).or_default() += 1;
    if let Op::Resume(c, node) = *step
        && system.topology == Topology::Two
        && node % 2 != system.node_of[c]
    {
        *applied.entry("resume on the other node").or_default() += 1;
    }
    match *step {
        Op::Connect(c, node) => {
            system.connect(c, node, json!({ "userId": user(c) })).await;
            model.link[c] = Link::On;
        }
        Op::Join(c, r, with_secret) => join(model, system, step, c, ROOMS[r], with_secret).await,
        Op::Leave(c, r) => {
            let room = ROOMS[r];
            let answer = ask(
                system.client(c),
                "dialogue:leave",
                json!({ "roomId": room }),
            )
            .await;
            let allowed: &[&str] = if !model.exists(room) {
                &["ROOM_NOT_FOUND", "NOT_IN_ROOM"]
            } else if model.is_member(c, room) {
                &["ok"]
            } else {
                &["NOT_IN_ROOM", "ok"]
            };
            expect(step, &answer, allowed);
            if model.is_member(c, room) {
                model.leave(c, room);
                model.expected[c].remove(room);
                system.positions[c].remove(room);
            }
        }
        Op::Subscribe(c, r) | Op::Unsubscribe(c, r) => {
            let room = DECLARED[r];
            let subscribe = matches!(step, Op::Subscribe(..));
            let request = if subscribe {
                "dialogue:subscribe"
            } else {
                "dialogue:unsubscribe"
            };
            let answer = ask(
                system.client(c),
                request,
                json!({ "roomId": room, "eventName": "message" }),
            )
            .await;
            if model.is_member(c, room) {
                expect(step, &answer, &["ok"]);
                if subscribe {
                    model.unsubscribed.remove(&(c, room));
                } else {
                    model.unsubscribed.insert((c, room));
                }
            } else {
                expect(step, &answer, &["NOT_IN_ROOM"]);
            }
        }
        Op::Trigger(c, r) => {
            let room = ROOMS[r];
            let answer = ask(
                system.client(c),
                "dialogue:trigger",
                json!({
                    "roomId": room, "event": "message",
                    "data": { "text": format!("from {c}"), "senderId": user(c) },
                }),
            )
            .await;
            if member_request(model, step, &answer, c, room) {
                let seq = model.seq[room] + 1;
                assert_eq!(
                    answer["message"]["seq"].as_u64(),
                    Some(seq),
                    "{step:?}: seqs are gap-free per room: {answer}"
                );
                assert_eq!(answer["message"]["from"], user(c));
                model.seq.insert(room, seq);
                for slot in 0..SLOTS {
                    if model.receives(slot, room) {
                        model.owe(slot, room, [seq]);
                    }
                }
            }
        }
        Op::History(c, r) => {
            let room = ROOMS[r];
            let answer = ask(
                system.client(c),
                "dialogue:getHistory",
                json!({ "roomId": room, "eventName": "message", "start": 0, "end": 100 }),
            )
            .await;
            if member_request(model, step, &answer, c, room) {
                // Every event of the room's current life (restarts
                // included: the store keeps them), newest first.
                let seqs = seqs_of(step, &answer, "events");
                let expected: Vec<u64> = (1..=model.seq[room]).rev().take(100).collect();
                assert_eq!(seqs, expected, "{step:?}: {answer}");
            }
        }
        Op::Create(c, with_secret) => {
            let mut request = json!({ "id": "r1", "name": "R1" });
            if with_secret {
                request["secret"] = json!(SECRET);
            }
            let answer = ask(system.client(c), "dialogue:createRoom", request).await;
            if model.r1.is_some() {
                expect(step, &answer, &["ROOM_EXISTS"]);
            } else {
                expect(step, &answer, &["ok"]);
                model.r1 = Some(Some(c));
                model.r1_secret = with_secret;
                model.banned.clear();
                model.seq.insert("r1", model.r1_stored.take().unwrap_or(0));
            }
        }
        Op::Delete(c) => {
            let answer = ask(
                system.client(c),
                "dialogue:deleteRoom",
                json!({ "roomId": "r1" }),
            )
            .await;
            match model.r1 {
                None => expect(step, &answer, &["ROOM_NOT_FOUND"]),
                Some(host) if host != Some(c) => expect(step, &answer, &["PERMISSION_DENIED"]),
                Some(_) => {
                    expect(step, &answer, &["ok"]);
                    for slot in model.members["r1"].clone() {
                        model.expected[slot].remove("r1");
                        system.positions[slot].remove("r1");
                    }
                    model.members.insert("r1", Vec::new());
                    model.unsubscribed.retain(|(_, room)| *room != "r1");
                    model.r1 = None;
                    model.r1_stored = None;
                    model.banned.clear();
                }
            }
        }
        Op::Kick(c, t, _) | Op::Transfer(c, t) => host_step(model, system, step, c, t).await,
        Op::Disconnect(c) => {
            let client = system.clients[c].take().unwrap();
            client.disconnect().await;
            system.gone(c).await;
            model.link[c] = Link::Off;
            model.end_session(c);
            system.positions[c].clear();
        }
        Op::Drop(c) => {
            system.cut(c);
            system.lose(c, "the cut is seen").await;
            model.link[c] = Link::Held;
        }
        Op::Resume(c, node) => resume(model, system, step, c, node).await,
        Op::Restart(node) => match system.topology {
            Topology::One => restart(model, system, step).await,
            Topology::Two => restart_node(model, system, node % 2).await,
        },
        Op::ApiTrigger(..)
        | Op::ApiKick(..)
        | Op::ApiDelete(_)
        | Op::ApiPresence(..)
        | Op::ApiDisconnect(..) => super::backend::apply(model, system, step).await,
        Op::Request(..) => super::requests::apply(model, system, step).await,
        Op::Unwatch => system.watcher.as_mut().expect("a watcher").close(),
        Op::Watch(node) => {
            let mut watcher = system.watcher.take().expect("a watcher");
            watcher.reopen(system, node).await;
            system.watcher = Some(watcher);
        }
    }
}

async fn join(
    model: &mut Model,
    system: &mut System,
    step: &Op,
    c: usize,
    room: &'static str,
    with_secret: bool,
) {
    let mut request = json!({ "roomId": room });
    if with_secret && room == "r1" {
        request["secret"] = json!(SECRET);
    }
    let answer = ask(system.client(c), "dialogue:join", request).await;
    let allowed: &[&str] = if !model.exists(room) {
        &["ROOM_NOT_FOUND"]
    } else if model.is_member(c, room) {
        &["ok"]
    } else if room == "r1" && (model.banned.contains(&c) || (model.r1_secret && !with_secret)) {
        // A ban, or a missing secret: one code for both.
        &["JOIN_DENIED"]
    } else if room == "small" && model.members["small"].len() >= 2 {
        &["ROOM_FULL"]
    } else {
        &["ok"]
    };
    expect(step, &answer, allowed);
    if answer["ok"] != true {
        return;
    }
    let position = &answer["position"];
    let seq = position["seq"].as_u64().expect("a position");
    let epoch = position["epoch"].as_str().unwrap().to_owned();
    let newly = !model.is_member(c, room);
    match system.topology {
        Topology::One => assert_eq!(seq, model.seq[room], "{step:?} {answer}"),
        // A node tells the position it has heard of; the events after it,
        // accepted on another node before the join, reach the new member
        // when they reach its node (so it misses none of them).
        Topology::Two => assert!(seq <= model.seq[room], "{step:?} {answer}"),
    }
    if newly {
        model.members.get_mut(room).unwrap().push(c);
        model.owe(c, room, seq + 1..=model.seq[room]);
        system.positions[c].insert(room, (epoch, seq));
    }
}

/// [`Op::Kick`] and [`Op::Transfer`]: what only r1's host may do.
async fn host_step(model: &mut Model, system: &mut System, step: &Op, c: usize, t: usize) {
    let (kick, ban) = match *step {
        Op::Kick(_, _, ban) => (true, ban),
        _ => (false, false),
    };
    let (request, body) = if kick {
        (
            "dialogue:kick",
            json!({ "roomId": "r1", "userId": user(t), "ban": ban }),
        )
    } else {
        (
            "dialogue:transferHost",
            json!({ "roomId": "r1", "userId": user(t) }),
        )
    };
    let answer = ask(system.client(c), request, body).await;
    match model.r1 {
        None => expect(step, &answer, &["ROOM_NOT_FOUND"]),
        Some(host) if host != Some(c) => expect(step, &answer, &["PERMISSION_DENIED"]),
        // A ban needs no presence: it bans in advance.
        Some(_) if !model.is_member(t, "r1") && !ban => expect(step, &answer, &["NOT_IN_ROOM"]),
        Some(_) => {
            expect(step, &answer, &["ok"]);
            if ban {
                model.banned.insert(t);
            }
            if kick && model.is_member(t, "r1") {
                model.leave(t, "r1");
                model.expected[t].remove("r1");
                system.positions[t].remove("r1");
            } else if !kick {
                model.r1 = Some(Some(t));
            }
        }
    }
}

/// [`Op::Resume`]: the held session comes back on `node` (with two nodes,
/// maybe not the one that held it) with the client's positions, and gets
/// back exactly the rooms the model holds; what it missed arrives as
/// events (checked after the step).
async fn resume(model: &mut Model, system: &mut System, step: &Op, c: usize, node: usize) {
    let positions: serde_json::Map<String, Value> = system.positions[c]
        .iter()
        .map(|(room, (epoch, seq))| ((*room).to_owned(), json!({ "epoch": epoch, "seq": seq })))
        .collect();
    let token = system.tokens[c].clone().expect("a token");
    let greeting = system
        .connect(
            c,
            node,
            json!({ "userId": user(c), "resume": token, "positions": positions }),
        )
        .await;
    assert_eq!(greeting["resumed"], true, "{step:?}: {greeting}");
    let mut rooms: Vec<String> = greeting["rooms"]
        .as_array()
        .map(|rooms| {
            rooms
                .iter()
                .map(|r| r.as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default();
    rooms.sort();
    let mut mine: Vec<String> = ROOMS
        .iter()
        .filter(|room| model.is_member(c, room))
        .map(|room| (*room).to_owned())
        .collect();
    mine.sort();
    assert_eq!(
        rooms, mine,
        "{step:?}: the rooms that come back: {greeting}"
    );
    model.link[c] = Link::On;
}

/// [`Op::Restart`] of a node on Redis: the sessions of the clients
/// connected to it end as their disconnection would (docs/operating.md,
/// stopping gracefully); the sessions it held for dropped clients stay in
/// Redis, good on any node. Rooms, positions, rosters and bans are in
/// Redis: nothing else changes.
async fn restart_node(model: &mut Model, system: &mut System, node: usize) {
    system.restart_node(node).await;
    for slot in 0..SLOTS {
        if model.link[slot] == Link::On && system.node_of[slot] == node {
            model.end_session(slot);
            model.link[slot] = Link::Off;
            system.positions[slot].clear();
        }
    }
}

/// [`Op::Restart`] of the one server: sessions live in memory and end; rooms and their
/// positions are in the file. Each slot that had a session connects again
/// with its old token (refused: `resumed: false`) and joins its declared
/// rooms `since` its positions: the same epoch, and exactly the `message`
/// events after its position (the default subscriptions), in `missed`. r1,
/// made by a client, is gone from memory; made again, it continues its
/// seq from the file.
async fn restart(model: &mut Model, system: &mut System, step: &Op) {
    let before: Vec<(usize, Vec<&'static str>)> = (0..SLOTS)
        .filter(|slot| model.link[*slot] != Link::Off)
        .map(|slot| {
            let rooms = DECLARED
                .iter()
                .copied()
                .filter(|room| model.is_member(slot, room))
                .collect();
            (slot, rooms)
        })
        .collect();
    system.restart().await;
    for slot in 0..SLOTS {
        model.end_session(slot);
        model.link[slot] = Link::Off;
        system.positions[slot].remove("r1");
    }
    if model.r1.take().is_some() {
        model.r1_stored = Some(model.seq["r1"]);
    }
    // Bans live with the room in memory.
    model.banned.clear();
    for (slot, rooms) in before {
        let token = system.tokens[slot].clone().expect("a token");
        let greeting = system
            .connect(slot, 0, json!({ "userId": user(slot), "resume": token }))
            .await;
        assert_eq!(
            greeting["resumed"], false,
            "{step:?}: a session from before the restart: {greeting}"
        );
        model.link[slot] = Link::On;
        for room in rooms {
            let (epoch, since) = system.positions[slot][room].clone();
            let answer = ask(
                system.client(slot),
                "dialogue:join",
                json!({ "roomId": room, "since": { "epoch": epoch, "seq": since } }),
            )
            .await;
            expect(step, &answer, &["ok"]);
            assert_eq!(
                answer["recovered"], true,
                "{step:?}: m{slot} in {room}: {answer}"
            );
            assert_eq!(answer["position"]["epoch"], epoch, "{step:?}: {answer}");
            assert_eq!(
                answer["position"]["seq"].as_u64(),
                Some(model.seq[room]),
                "{step:?}: {answer}"
            );
            let missed = seqs_of(step, &answer, "missed");
            assert_eq!(
                missed,
                (since + 1..=model.seq[room]).collect::<Vec<_>>(),
                "{step:?}: what m{slot} missed in {room}"
            );
            system.positions[slot].insert(room, (epoch, model.seq[room]));
            model.members.get_mut(room).unwrap().push(slot);
        }
    }
}
