//! A client's application requests (`dialogue:request`, docs/requests.md):
//! the conformance server's `add` and `fail`, with a room or not, checked
//! in the order docs/protocol.md gives (room, membership, then the
//! handler).

use serde_json::json;

use crate::harness::ask;

use super::apply::{expect, member_request};
use super::reference::Model;
use super::system::System;
use super::{Op, ROOMS};

/// What the request asks: a sum, a sum past `add`'s limit, or `fail`.
pub fn request(kind: u8) -> (serde_json::Value, &'static str) {
    match kind % 3 {
        0 => (json!({ "name": "add", "data": { "a": 20, "b": 22 } }), "ok"),
        1 => (
            json!({ "name": "add", "data": { "a": 1_000_000_001, "b": 1 } }),
            "TOO_BIG",
        ),
        _ => (json!({ "name": "fail", "data": {} }), "INTERNAL"),
    }
}

pub async fn apply(model: &Model, system: &System, step: &Op) {
    let Op::Request(c, room, kind) = *step else {
        unreachable!("not a request: {step:?}");
    };
    let (mut body, outcome) = request(kind);
    if let Some(r) = room {
        body["roomId"] = json!(ROOMS[r]);
    }
    let answer = ask(system.client(c), "dialogue:request", body).await;
    // With a room, only a member of an existing room reaches the handler;
    // `member_request` checks the refusal the others get.
    if let Some(r) = room
        && !(model.exists(ROOMS[r]) && model.is_member(c, ROOMS[r]))
    {
        member_request(model, step, &answer, c, ROOMS[r]);
        return;
    }
    expect(step, &answer, &[outcome]);
    if outcome == "ok" {
        assert_eq!(answer["data"], json!({ "sum": 42 }), "{step:?}: {answer}");
    }
}
