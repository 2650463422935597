//! The steps a backend takes over the HTTP API (docs/http-api.md), applied
//! to the system and to the model: the same rules as a client's requests,
//! with the server as the actor (no membership or host needed).

use std::collections::BTreeSet;

use serde_json::json;

use crate::support::http::Reply;

use super::reference::{Link, Model};
use super::system::System;
use super::{Op, PRESENCE, ROOMS, SLOTS, user};

/// The answer's status, and its error code when it is one.
fn status(reply: &Reply) -> (u16, Option<&str>) {
    (reply.status, reply.json["error"]["code"].as_str())
}

fn expect(step: &Op, reply: &Reply, allowed: &[(u16, Option<&str>)]) {
    assert!(
        allowed.contains(&status(reply)),
        "{step:?}: the server answered {} {}, the model expected one of {allowed:?}",
        reply.status,
        reply.text
    );
}

const NOT_FOUND: (u16, Option<&str>) = (404, Some("ROOM_NOT_FOUND"));

pub async fn apply(model: &mut Model, system: &mut System, step: &Op) {
    match *step {
        Op::ApiTrigger(r, node) => {
            let room = ROOMS[r];
            let reply = system
                .api(
                    node,
                    "POST",
                    &format!("/rooms/{room}/events"),
                    Some(json!({
                        "event": "message",
                        "data": { "text": "from a backend", "senderId": "backend" },
                    })),
                )
                .await;
            if !model.exists(room) {
                return expect(step, &reply, &[NOT_FOUND]);
            }
            expect(step, &reply, &[(201, None)]);
            let seq = model.seq[room] + 1;
            let message = &reply.json["message"];
            assert_eq!(
                message["seq"].as_u64(),
                Some(seq),
                "{step:?}: seqs are gap-free per room: {}",
                reply.text
            );
            assert_eq!(message["from"], "system", "{step:?}: {}", reply.text);
            model.seq.insert(room, seq);
            for slot in 0..SLOTS {
                if model.receives(slot, room) {
                    model.owe(slot, room, [seq]);
                }
            }
        }
        Op::ApiKick(r, t, ban, node) => {
            let room = ROOMS[r];
            // Bans are modelled in r1 only.
            let ban = ban && room == "r1";
            let reply = system
                .api(
                    node,
                    "POST",
                    &format!("/rooms/{room}/kick"),
                    Some(json!({ "userId": user(t), "ban": ban })),
                )
                .await;
            if !model.exists(room) {
                return expect(step, &reply, &[NOT_FOUND]);
            }
            if !model.is_member(t, room) && !ban {
                return expect(step, &reply, &[(404, Some("NOT_IN_ROOM"))]);
            }
            expect(step, &reply, &[(204, None)]);
            if ban {
                model.banned.insert(t);
            }
            if model.is_member(t, room) {
                model.leave(t, room);
                model.expected[t].remove(room);
                system.positions[t].remove(room);
            }
        }
        Op::ApiDelete(node) => {
            let reply = system.api(node, "DELETE", "/rooms/r1", None).await;
            if model.r1.is_none() {
                return expect(step, &reply, &[NOT_FOUND]);
            }
            expect(step, &reply, &[(204, None)]);
            for slot in model.members["r1"].clone() {
                model.expected[slot].remove("r1");
                system.positions[slot].remove("r1");
            }
            model.members.insert("r1", Vec::new());
            model.r1 = None;
            model.r1_stored = None;
            model.banned.clear();
        }
        Op::ApiPresence(r, node) => {
            let room = ROOMS[r];
            let reply = system
                .api(node, "GET", &format!("/rooms/{room}/presence"), None)
                .await;
            if !model.exists(room) {
                return expect(step, &reply, &[NOT_FOUND]);
            }
            if !PRESENCE.contains(&room) {
                return expect(step, &reply, &[(400, Some("INVALID_REQUEST"))]);
            }
            expect(step, &reply, &[(200, None)]);
            let present: BTreeSet<&str> = reply.json["members"]
                .as_array()
                .unwrap_or_else(|| panic!("{step:?}: no members in {}", reply.text))
                .iter()
                .map(|member| member["userId"].as_str().expect("a userId"))
                .collect();
            let members: Vec<String> = model.members[room].iter().map(|m| user(*m)).collect();
            let expected: BTreeSet<&str> = members.iter().map(String::as_str).collect();
            assert_eq!(present, expected, "{step:?}: {}", reply.text);
            assert_eq!(
                reply.json["count"].as_u64(),
                Some(expected.len() as u64),
                "{step:?}: {}",
                reply.text
            );
        }
        Op::ApiDisconnect(c, node) => {
            let reply = system
                .api(
                    node,
                    "DELETE",
                    &format!("/users/{}/connections", user(c)),
                    None,
                )
                .await;
            expect(step, &reply, &[(204, None)]);
            if model.link[c] == Link::On {
                system
                    .lose(c, "the backend's disconnection reaches the client")
                    .await;
            }
            model.link[c] = Link::Off;
            model.end_session(c);
            system.positions[c].clear();
        }
        _ => unreachable!("not a backend's step: {step:?}"),
    }
}
