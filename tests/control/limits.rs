//! Every limit with its error code: payload size (`PAYLOAD_TOO_LARGE`, the
//! connection stays; a frame far past it is cut by the transport), triggers
//! per second and history requests per minute (`RATE_LIMITED`), rooms per
//! connection (`JOIN_DENIED`), and rooms created at run time, in all and per
//! user (`PERMISSION_DENIED`).

use std::num::NonZeroU32;
use std::time::Duration;

use dialogue_client::{Client, Transport};
use dialogue_runtime::Limits;
use serde_json::{Value, json};

use crate::harness::{
    FORMS, Form, Server, TRANSPORTS, WAIT, arg, ask, ask_ok, assert_silent, assert_usable, builder,
    join, leave, next, refused, settle, trigger,
};

/// `{"blob":"xxx..."}` of exactly `bytes` bytes of JSON.
fn blob(bytes: usize) -> Value {
    let data = json!({ "blob": "x".repeat(bytes - r#"{"blob":""}"#.len()) });
    assert_eq!(data.to_string().len(), bytes);
    data
}

fn in_sandbox(data: Value) -> Value {
    json!({ "roomId": "sandbox", "event": "note", "data": data })
}

#[tokio::test]
async fn a_payload_over_the_limit_is_refused_and_the_connection_stays() {
    let server = Server::start(builder().max_payload(1024)).await;
    for transport in TRANSPORTS {
        let alice = server.connect("alice", transport).await;
        let bob = server.connect("bob", Transport::WebSocket).await;
        join(&alice, "sandbox").await;
        join(&bob, "sandbox").await;
        for form in FORMS {
            let error = refused(
                &alice,
                form,
                "PAYLOAD_TOO_LARGE",
                "dialogue:trigger",
                in_sandbox(blob(1025)),
            )
            .await;
            assert_eq!(
                error["message"],
                "the data is 1025 bytes; at most 1024 are accepted"
            );
            // `meta` has the same limit.
            let mut request = in_sandbox(json!({ "ok": true }));
            request["meta"] = blob(2000);
            let error = refused(
                &alice,
                form,
                "PAYLOAD_TOO_LARGE",
                "dialogue:trigger",
                request,
            )
            .await;
            assert!(
                error["message"]
                    .as_str()
                    .unwrap()
                    .starts_with("the meta is")
            );
        }
        assert_silent(&bob, "dialogue:event").await;
        // Still connected; exactly at the limit is fine.
        assert_usable(&alice).await;
        let sent = trigger(&alice, "sandbox", "note", blob(1024)).await;
        assert_eq!(sent["data"], blob(1024));
        assert_eq!(next(&bob, "dialogue:event").await["data"], blob(1024));
        alice.disconnect().await;
        bob.disconnect().await;
        server.only_client_gone("alice").await;
    }
}

#[tokio::test]
async fn the_default_limit_is_64_kib() {
    let server = Server::start(builder()).await;
    let alice = server.connect("alice", Transport::WebSocket).await;
    join(&alice, "sandbox").await;
    refused(
        &alice,
        Form::Ack,
        "PAYLOAD_TOO_LARGE",
        "dialogue:trigger",
        in_sandbox(blob(64 * 1024 + 1)),
    )
    .await;
    assert_usable(&alice).await;
    trigger(&alice, "sandbox", "note", blob(64 * 1024)).await;
}

#[tokio::test]
async fn a_frame_far_past_the_limit_is_cut_by_the_transport() {
    // The transport's own limit is 2 × 1024 + 16 KiB here.
    let server = Server::start(builder().max_payload(1024)).await;
    for transport in TRANSPORTS {
        let alice = server.connect("alice", transport).await;
        let bob = server.connect("bob", transport).await;
        join(&alice, "sandbox").await;
        alice
            .emit("dialogue:trigger", in_sandbox(blob(256 * 1024)))
            .expect("sends");
        alice
            .wait_disconnected(WAIT)
            .await
            .unwrap_or_else(|error| panic!("cut over {transport:?}: {error}"));
        server.only_client_gone("alice").await;
        // Others are unaffected.
        assert_usable(&bob).await;
        bob.disconnect().await;
        server.only_client_gone("bob").await;
    }
}

/// Sends `count` triggers without waiting, then counts what came back:
/// (events accepted, in order; `RATE_LIMITED` errors).
async fn burst(client: &Client, count: usize) -> (Vec<String>, usize) {
    for n in 0..count {
        client
            .emit(
                "dialogue:trigger",
                in_sandbox(json!({ "n": n.to_string() })),
            )
            .expect("sends");
    }
    settle(client).await;
    let (mut accepted, mut limited) = (Vec::new(), 0);
    while accepted.len() + limited < count {
        let event = client
            .recv_timeout(WAIT)
            .await
            .expect("an answer per trigger");
        match event.name.as_str() {
            "dialogue:event" => {
                accepted.push(arg(&event)["data"]["n"].as_str().unwrap().to_owned())
            }
            "dialogue:error" => {
                assert_eq!(arg(&event)["code"], "RATE_LIMITED", "{event:?}");
                limited += 1;
            }
            _ => {}
        }
    }
    (accepted, limited)
}

#[tokio::test]
async fn triggers_past_the_rate_are_rate_limited_per_connection() {
    let server = Server::start(builder().trigger_rate(NonZeroU32::new(2).unwrap())).await;
    let alice = server.connect("alice", Transport::WebSocket).await;
    join(&alice, "sandbox").await;
    let (accepted, limited) = burst(&alice, 12).await;
    // A bucket of 2: the first two pass, most of the rest do not.
    assert_eq!(accepted[..2], ["0", "1"], "{accepted:?}");
    assert!(limited >= 6, "{limited} limited, {accepted:?} accepted");
    // In the acknowledgement form too, with the rate in the message.
    let error = loop {
        let answer = ask(&alice, "dialogue:trigger", in_sandbox(json!({ "n": "x" }))).await;
        if answer["ok"] == false {
            break answer["error"].clone();
        }
    };
    assert_eq!(error["code"], "RATE_LIMITED");
    assert_eq!(error["message"], "too many triggers: at most 2 per second");
    assert_usable(&alice).await;
    // Per connection: the same user on another connection has a bucket of its own.
    let again = server.connect("alice", Transport::Polling).await;
    join(&again, "sandbox").await;
    let sent = trigger(&again, "sandbox", "note", json!({ "n": "fresh" })).await;
    assert_eq!(sent["from"], "alice");
}

#[tokio::test]
async fn history_requests_past_the_rate_are_rate_limited() {
    let server = Server::start(builder().history_rate(NonZeroU32::new(2).unwrap())).await;
    let alice = server.connect("alice", Transport::WebSocket).await;
    join(&alice, "lobby").await;
    let request = json!({ "roomId": "lobby", "eventName": "message" });
    ask_ok(&alice, "dialogue:getHistory", request.clone()).await;
    ask_ok(&alice, "dialogue:getHistory", request.clone()).await;
    for form in FORMS {
        let error = refused(
            &alice,
            form,
            "RATE_LIMITED",
            "dialogue:getHistory",
            request.clone(),
        )
        .await;
        assert_eq!(
            error["message"],
            "too many history requests: at most 2 per minute"
        );
    }
    // Triggers are not history requests.
    trigger(&alice, "lobby", "message", json!({ "text": "still" })).await;
    let bob = server.connect("bob", Transport::Polling).await;
    join(&bob, "lobby").await;
    ask_ok(&bob, "dialogue:getHistory", request).await;
}

#[tokio::test]
async fn a_connection_is_in_at_most_so_many_rooms() {
    let server = Server::start(builder().max_rooms_per_connection(2)).await;
    let alice = server.connect("alice", Transport::WebSocket).await;
    join(&alice, "lobby").await;
    join(&alice, "sandbox").await;
    for form in FORMS {
        let error = refused(
            &alice,
            form,
            "JOIN_DENIED",
            "dialogue:join",
            json!({ "roomId": "small" }),
        )
        .await;
        assert_eq!(
            error["message"],
            "a connection may be in at most 2 rooms; leave one first"
        );
    }
    assert_eq!(server.size("small"), 0);
    // A template instance is not made for a join that will be refused:
    // a client at its limit cannot fill the server with rooms.
    refused(
        &alice,
        FORMS[0],
        "JOIN_DENIED",
        "dialogue:join",
        json!({ "roomId": "user:alice" }),
    )
    .await;
    assert!(
        server
            .dialogue
            .rooms()
            .iter()
            .all(|room| room.id() != "user:alice"),
        "no instance was made"
    );
    // Joining a room already joined is no new room.
    join(&alice, "lobby").await;
    leave(&alice, "sandbox").await;
    join(&alice, "small").await;
    // Per connection.
    let again = server.connect("alice", Transport::Polling).await;
    join(&again, "sandbox").await;
    join(&again, "lobby").await;
}

#[tokio::test]
async fn rooms_created_by_clients_are_limited_in_all_and_per_user() {
    let limits = Limits {
        dynamic_rooms: Some(3),
        dynamic_rooms_per_user: Some(2),
        ..Limits::default()
    };
    let server = Server::start(builder().limits(limits)).await;
    let alice = server.connect("alice", Transport::WebSocket).await;
    let bob = server.connect("bob", Transport::Polling).await;
    let carol = server.connect("carol", Transport::WebSocket).await;
    let create = |id: &str| json!({ "id": id, "name": id });
    ask_ok(&alice, "dialogue:createRoom", create("a1")).await;
    ask_ok(&alice, "dialogue:createRoom", create("a2")).await;
    for form in FORMS {
        let error = refused(
            &alice,
            form,
            "PERMISSION_DENIED",
            "dialogue:createRoom",
            create("a3"),
        )
        .await;
        assert_eq!(
            error["message"],
            "you may create at most 2 rooms; delete one first"
        );
    }
    ask_ok(&bob, "dialogue:createRoom", create("b1")).await;
    for form in FORMS {
        let error = refused(
            &carol,
            form,
            "PERMISSION_DENIED",
            "dialogue:createRoom",
            create("c1"),
        )
        .await;
        assert_eq!(
            error["message"],
            "no more rooms can be created: at most 3 exist at once"
        );
    }
    for id in ["a3", "c1"] {
        assert!(server.dialogue.room_by_id(id).is_none(), "{id}");
    }
    // Refused creations are announced to nobody: bob saw a1, a2, b1 only.
    let mut announced = Vec::new();
    while let Ok(event) = bob
        .expect_event("dialogue:roomCreated", Duration::ZERO)
        .await
    {
        announced.push(arg(&event)["id"].as_str().unwrap().to_owned());
    }
    settle(&bob).await;
    while let Ok(event) = bob
        .expect_event("dialogue:roomCreated", crate::harness::QUIET)
        .await
    {
        announced.push(arg(&event)["id"].as_str().unwrap().to_owned());
    }
    assert_eq!(announced, ["a1", "a2", "b1"]);
    // Deleting one frees a place, for its creator and for everyone.
    ask_ok(&alice, "dialogue:deleteRoom", json!({ "roomId": "a1" })).await;
    ask_ok(&carol, "dialogue:createRoom", create("c1")).await;
    let error = refused(
        &alice,
        Form::Ack,
        "PERMISSION_DENIED",
        "dialogue:createRoom",
        create("a3"),
    )
    .await;
    assert!(
        error["message"].as_str().unwrap().contains("at most 3"),
        "{error}"
    );
}

#[tokio::test]
async fn handshakes_past_the_connection_caps_are_refused_and_places_come_back() {
    use crate::harness::{Server, builder};
    let server = Server::start(builder().max_connections(2)).await;
    let a = server.connect("a", Transport::WebSocket).await;
    let _b = server.connect("b", Transport::Polling).await;
    for transport in TRANSPORTS {
        let refusal = server
            .refused_connect(serde_json::json!({ "userId": "c" }), transport)
            .await;
        assert!(
            refusal.contains("the server is full (2 connections)"),
            "{refusal}"
        );
    }
    // A place comes back when a connection goes, and a refused handshake
    // took none.
    a.disconnect().await;
    server.only_client_gone("a").await;
    let c = server.connect("c", Transport::WebSocket).await;
    crate::harness::assert_usable(&c).await;

    // Per address: every client here comes from 127.0.0.1.
    let server = Server::start(builder().max_connections_per_ip(1)).await;
    let first = server.connect("x", Transport::WebSocket).await;
    let refusal = server
        .refused_connect(serde_json::json!({ "userId": "y" }), Transport::Polling)
        .await;
    assert!(
        refusal.contains("too many connections from your address (at most 1)"),
        "{refusal}"
    );
    first.disconnect().await;
    server.only_client_gone("x").await;
    server.connect("y", Transport::Polling).await;
}
