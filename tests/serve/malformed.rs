//! Malformed requests: every one is answered (INVALID_REQUEST, or the code
//! docs/protocol.md documents for it) in the form the client chose, and the
//! connection stays usable.

use dialogue_client::{Client, Transport};
use dialogue_runtime::DEFAULT_MAX_PAYLOAD;
use serde_json::{Value, json};

use crate::harness::{
    Form, Server, TRANSPORTS, WAIT, arg, ask_ok, assert_none_queued, assert_usable, cases, join,
    next, refused_args, refused_with,
};

/// Each request with a valid payload, and the fields it requires.
fn requests() -> Vec<(&'static str, Value, &'static [&'static str])> {
    vec![
        ("dialogue:join", json!({ "roomId": "chat" }), &["roomId"]),
        ("dialogue:leave", json!({ "roomId": "chat" }), &["roomId"]),
        (
            "dialogue:subscribe",
            json!({ "roomId": "chat", "eventName": "typing" }),
            &["roomId", "eventName"],
        ),
        (
            "dialogue:unsubscribe",
            json!({ "roomId": "chat", "eventName": "typing" }),
            &["roomId", "eventName"],
        ),
        (
            "dialogue:subscribeAll",
            json!({ "roomId": "chat" }),
            &["roomId"],
        ),
        (
            "dialogue:trigger",
            json!({ "roomId": "chat", "event": "message", "data": { "text": "hi", "senderId": "s" } }),
            &["roomId", "event"],
        ),
        (
            "dialogue:getHistory",
            json!({ "roomId": "chat", "eventName": "message" }),
            &["roomId", "eventName"],
        ),
        (
            "dialogue:createRoom",
            json!({ "id": "new-room", "name": "New" }),
            &["id", "name"],
        ),
        (
            "dialogue:deleteRoom",
            json!({ "roomId": "new-room" }),
            &["roomId"],
        ),
    ]
}

/// The malformed variants of one request: no payload, payloads that are not
/// objects (arrays apart, see below), and each required field missing, null
/// or of the wrong type.
fn malformed(valid: &Value, fields: &[&str]) -> Vec<Vec<Value>> {
    let mut variants = vec![
        vec![],
        vec![json!({})],
        vec![Value::Null],
        vec![json!("chat")],
        vec![json!(5)],
        vec![json!(true)],
        vec![json!([])],
    ];
    for field in fields {
        let mut missing = valid.clone();
        missing.as_object_mut().unwrap().remove(*field);
        variants.push(vec![missing]);
        for wrong in [
            json!(5),
            Value::Null,
            json!(["x"]),
            json!({ "x": 1 }),
            json!(false),
        ] {
            let mut mistyped = valid.clone();
            mistyped[*field] = wrong;
            variants.push(vec![mistyped]);
        }
    }
    variants
}

#[tokio::test]
async fn malformed_payloads_of_every_request_are_invalid_requests() {
    let server = Server::start().await;
    for (transport, form) in cases() {
        let alice = server.connect("alice", transport).await;
        join(&alice, "chat").await;
        for (request, valid, fields) in requests() {
            for args in malformed(&valid, fields) {
                let error = refused_args(&alice, form, request, args.clone()).await;
                assert_eq!(
                    error["code"], "INVALID_REQUEST",
                    "{request} {args:?}: {error}"
                );
            }
        }
        assert_usable(&alice).await;
        // Nothing happened on the way: still in chat only, no room created.
        assert_eq!(server.only_client("alice").await.rooms(), ["chat"]);
        assert!(server.dialogue.room_by_id("new-room").is_none());
        alice.disconnect().await;
    }
}

/// An array is not an object: `["chat"]` is not `{ roomId: "chat" }`.
#[tokio::test]
async fn array_payloads_are_invalid_requests() {
    let server = Server::start().await;
    for (transport, form) in cases() {
        let alice = server.connect("alice", transport).await;
        for (request, valid, fields) in requests() {
            // The valid payload's values, in order, as an array.
            let positional: Vec<Value> = fields.iter().map(|field| valid[*field].clone()).collect();
            refused_with(&alice, form, "INVALID_REQUEST", request, json!(positional)).await;
        }
        assert!(
            server.only_client("alice").await.rooms().is_empty(),
            "joined nothing"
        );
        assert_usable(&alice).await;
        alice.disconnect().await;
    }
}

#[tokio::test]
async fn mistyped_optional_fields_are_invalid_requests() {
    let server = Server::start().await;
    for (transport, form) in cases() {
        let alice = server.connect("alice", transport).await;
        join(&alice, "chat").await;
        join(&alice, "sandbox").await;
        let history = |extra: Value| {
            let mut request = json!({ "roomId": "chat", "eventName": "message" });
            request
                .as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            request
        };
        let cases = [
            ("dialogue:getHistory", history(json!({ "start": -1 }))),
            ("dialogue:getHistory", history(json!({ "end": -1 }))),
            ("dialogue:getHistory", history(json!({ "start": "0" }))),
            ("dialogue:getHistory", history(json!({ "start": 1.5 }))),
            ("dialogue:getHistory", history(json!({ "end": [10] }))),
            (
                "dialogue:trigger",
                json!({ "roomId": "sandbox", "event": "e", "data": 1, "meta": 5 }),
            ),
            (
                "dialogue:trigger",
                json!({ "roomId": "sandbox", "event": "e", "data": 1, "meta": "m" }),
            ),
            (
                "dialogue:trigger",
                json!({ "roomId": "sandbox", "event": "e", "data": 1, "meta": [1] }),
            ),
            (
                "dialogue:createRoom",
                json!({ "id": "r", "name": "R", "description": ["d"] }),
            ),
            (
                "dialogue:createRoom",
                json!({ "id": "r", "name": "R", "maxSize": -3 }),
            ),
        ];
        for (request, data) in cases {
            refused_with(&alice, form, "INVALID_REQUEST", request, data).await;
        }
        assert_usable(&alice).await;
        alice.disconnect().await;
    }
}

#[tokio::test]
async fn event_names_that_break_the_naming_rule_are_invalid_requests() {
    let server = Server::start().await;
    for (transport, form) in cases() {
        let alice = server.connect("alice", transport).await;
        join(&alice, "sandbox").await;
        for name in ["", "two words", "*", "tab\tname", "é", &"e".repeat(129)] {
            refused_with(
                &alice,
                form,
                "INVALID_REQUEST",
                "dialogue:trigger",
                json!({ "roomId": "sandbox", "event": name, "data": null }),
            )
            .await;
            refused_with(
                &alice,
                form,
                "INVALID_REQUEST",
                "dialogue:getHistory",
                json!({ "roomId": "sandbox", "eventName": name }),
            )
            .await;
            if name != "*" {
                refused_with(
                    &alice,
                    form,
                    "INVALID_REQUEST",
                    "dialogue:subscribe",
                    json!({ "roomId": "sandbox", "eventName": name }),
                )
                .await;
            }
        }
        assert_usable(&alice).await;
        alice.disconnect().await;
    }
}

#[tokio::test]
async fn unknown_requests_are_answered() {
    let server = Server::start().await;
    for (transport, form) in cases() {
        let alice = server.connect("alice", transport).await;
        for name in [
            "dialogue:nope",
            "dialogue:JOIN",
            "dialogue:",
            "hello",
            "message",
        ] {
            refused_with(
                &alice,
                form,
                "INVALID_REQUEST",
                name,
                json!({ "roomId": "chat" }),
            )
            .await;
        }
        assert_usable(&alice).await;
        alice.disconnect().await;
    }
}

#[tokio::test]
async fn binary_where_json_is_expected_is_an_invalid_request() {
    let server = Server::start().await;
    for transport in TRANSPORTS {
        let alice = server.connect("alice", transport).await;
        for (request, _, _) in requests() {
            alice.emit_binary(request, vec![1u8, 2, 3]).unwrap();
            let error = next(&alice, "dialogue:error").await;
            assert_eq!(error["code"], "INVALID_REQUEST", "{request}: {error}");
        }
        alice.emit_binary("dialogue:listRooms", vec![0u8]).unwrap();
        assert_eq!(
            next(&alice, "dialogue:error").await["code"],
            "INVALID_REQUEST"
        );
        assert!(
            server.only_client("alice").await.rooms().is_empty(),
            "binary joined nothing"
        );
        assert_usable(&alice).await;
        alice.disconnect().await;
    }
}

/// Sends `packets` (raw Socket.IO packets whose acknowledgement id is
/// `ack_id`) and returns the acknowledgement the server sends for that id.
///
/// The client cannot wait for an id it did not allocate, so this allocates it
/// by making its next acknowledged emit (a listRooms), whose id is `ack_id`:
/// the number of acknowledged emits `client` made before. The server answers
/// a connection's requests in order, so the first answer for that id is the
/// raw request's; the client drops the second. The emit registers its id
/// before it first awaits, and the test runtime is single-threaded, so no
/// answer can arrive before it is registered.
async fn ask_raw(client: &Client, ack_id: u64, packets: impl FnOnce(&Client, u64)) -> Value {
    packets(client, ack_id);
    let mut answer = client
        .emit_with_ack("dialogue:listRooms", Value::Null, WAIT)
        .await
        .expect("acknowledged");
    assert_eq!(client.pending_acks(), 0);
    answer.remove(0)
}

#[tokio::test]
async fn binary_with_an_acknowledgement_is_answered_in_it() {
    let server = Server::start().await;
    for transport in TRANSPORTS {
        let alice = server.connect("alice", transport).await;
        let answer = ask_raw(&alice, 0, |client, id| {
            client
                .send_raw(format!(
                    r#"51-{id}["dialogue:join",{{"_placeholder":true,"num":0}}]"#
                ))
                .unwrap();
            client.send_raw_binary(vec![1u8, 2, 3]).unwrap();
        })
        .await;
        assert_eq!(answer["ok"], false, "{answer}");
        assert_eq!(answer["error"]["code"], "INVALID_REQUEST", "{answer}");
        assert_none_queued(&alice, "dialogue:error").await;
        assert_usable(&alice).await;
        alice.disconnect().await;
    }
}

/// `[[[ ... ]]]`, `depth` arrays deep.
fn nested(depth: usize) -> String {
    format!("{}{}", "[".repeat(depth), "]".repeat(depth))
}

#[tokio::test]
async fn moderately_nested_data_passes_through_the_sandbox() {
    let server = Server::start().await;
    for transport in TRANSPORTS {
        let alice = server.connect("alice", transport).await;
        join(&alice, "sandbox").await;
        let data: Value = serde_json::from_str(&nested(100)).unwrap();
        let sent = crate::harness::trigger(&alice, "sandbox", "deep", data.clone()).await;
        assert_eq!(sent["data"], data);
        alice.disconnect().await;
    }
}

#[tokio::test]
async fn deeply_nested_json_is_answered_and_the_connection_survives() {
    let server = Server::start().await;
    for transport in TRANSPORTS {
        let alice = server.connect("alice", transport).await;
        join(&alice, "sandbox").await;
        let deep = nested(10_000);
        // The event form.
        alice
            .send_raw(format!(
                r#"2["dialogue:trigger",{{"roomId":"sandbox","event":"deep","data":{deep}}}]"#
            ))
            .unwrap();
        let error = next(&alice, "dialogue:error").await;
        assert_eq!(error["code"], "INVALID_REQUEST", "{error}");
        assert_usable(&alice).await;
        // The acknowledgement form (two acknowledged emits so far: the join
        // and the usability check).
        let answer = ask_raw(&alice, 2, |client, id| {
            client
                .send_raw(format!(r#"2{id}["dialogue:join",{{"roomId":{deep}}}]"#))
                .unwrap();
        })
        .await;
        assert_eq!(answer["ok"], false, "{answer}");
        assert_eq!(answer["error"]["code"], "INVALID_REQUEST", "{answer}");
        assert_none_queued(&alice, "dialogue:error").await;
        assert_usable(&alice).await;
        alice.disconnect().await;
    }
}

#[tokio::test]
async fn a_huge_request_within_the_transport_limit_is_answered() {
    let server = Server::start().await;
    for (transport, form) in cases() {
        let alice = server.connect("alice", transport).await;
        // The transport limit, as the server states it in its handshake.
        let limit = usize::try_from(alice.handshake().max_payload).unwrap();
        let huge = "r".repeat(limit / 2);
        let error =
            crate::harness::refused(&alice, form, "dialogue:join", json!({ "roomId": huge })).await;
        assert!(
            ["ROOM_NOT_FOUND", "INVALID_REQUEST"].contains(&error["code"].as_str().unwrap()),
            "{}",
            error["code"]
        );
        let error = crate::harness::refused(
            &alice,
            form,
            "dialogue:createRoom",
            json!({ "id": "big", "name": "n".repeat(limit / 2) }),
        )
        .await;
        assert_eq!(error["code"], "INVALID_REQUEST");
        assert_usable(&alice).await;
        alice.disconnect().await;
    }
}

/// docs/conformance.md: the largest accepted `data` is 64 KiB by default; past it
/// `PAYLOAD_TOO_LARGE`, and the connection stays.
#[tokio::test]
async fn data_past_the_payload_limit_is_payload_too_large() {
    let server = Server::start().await;
    for (transport, form) in cases() {
        let alice = server.connect("alice", transport).await;
        let bob = server.connect("bob", transport).await;
        join(&alice, "sandbox").await;
        join(&bob, "sandbox").await;
        assert_eq!(DEFAULT_MAX_PAYLOAD, 64 * 1024);
        let big = "x".repeat(64 * 1024 + 1);
        refused_with(
            &alice,
            form,
            "PAYLOAD_TOO_LARGE",
            "dialogue:trigger",
            json!({ "roomId": "sandbox", "event": "big", "data": big }),
        )
        .await;
        crate::harness::assert_silent(&bob, "dialogue:event").await;
        // Just under the limit passes (the string's JSON adds two quotes).
        let fits = "x".repeat(64 * 1024 - 2);
        crate::harness::trigger(&alice, "sandbox", "fits", json!(fits)).await;
        assert_usable(&alice).await;
        alice.disconnect().await;
        bob.disconnect().await;
    }
}

/// docs/server.md: a message longer than the transport limit closes the
/// connection (the transport cannot read past it); the server forgets the
/// connection and holds its session.
#[tokio::test]
async fn a_message_past_the_transport_limit_closes_the_connection() {
    let server = Server::start().await;
    let mut held = 0;
    for transport in TRANSPORTS {
        let alice = server.connect("alice", transport).await;
        join(&alice, "chat").await;
        let limit = usize::try_from(alice.handshake().max_payload).unwrap();
        let too_big = "x".repeat(limit + 1);
        alice
            .emit("dialogue:join", json!({ "roomId": too_big }))
            .unwrap();
        alice.wait_disconnected(WAIT).await.expect("closed");
        crate::harness::eventually("alice's connection is forgotten", || {
            server.dialogue.get_clients("alice").is_empty()
        })
        .await;
        // A closed transport holds the session (resumable), seat included:
        // one more held seat for each transport.
        held += 1;
        assert_eq!(server.dialogue.room_by_id("chat").unwrap().size(), held);
        // Others are unaffected.
        let bob = server.connect("bob", transport).await;
        assert_usable(&bob).await;
        bob.disconnect().await;
    }
}

#[tokio::test]
async fn a_flood_of_requests_is_answered_not_dropped() {
    // docs/server.md: past 256 requests in flight the excess is refused with
    // RATE_LIMITED; nothing is dropped silently.
    let server = Server::start().await;
    let alice = server.connect("alice", Transport::WebSocket).await;
    let sent = 1000;
    for _ in 0..sent {
        alice.emit("dialogue:listRooms", Value::Null).unwrap();
    }
    let mut rooms = 0;
    let mut limited = 0;
    while rooms + limited < sent {
        let event = alice.recv_timeout(WAIT).await.unwrap_or_else(|e| {
            panic!("every request answered: {rooms} + {limited} of {sent}: {e}")
        });
        match event.name.as_str() {
            "dialogue:rooms" => rooms += 1,
            "dialogue:error" => {
                assert_eq!(arg(&event)["code"], "RATE_LIMITED", "{event:?}");
                limited += 1;
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert!(rooms >= 1, "the queue was worked through");
    assert_usable(&alice).await;
    assert_eq!(
        ask_ok(&alice, "dialogue:join", json!({ "roomId": "chat" })).await["roomId"],
        "chat"
    );
}

#[tokio::test]
async fn list_rooms_ignores_a_payload() {
    let server = Server::start().await;
    for form in [Form::Event, Form::Ack] {
        let alice = server.connect("alice", TRANSPORTS[0]).await;
        for payload in [vec![], vec![json!({ "junk": 1 })], vec![json!(5)]] {
            match form {
                Form::Event => {
                    alice.emit_args("dialogue:listRooms", payload).unwrap();
                    let rooms = next(&alice, "dialogue:rooms").await;
                    assert_eq!(rooms.as_array().map(Vec::len), Some(6));
                }
                Form::Ack => {
                    let answer =
                        crate::harness::ask_args(&alice, "dialogue:listRooms", payload).await;
                    assert_eq!(answer["ok"], true);
                    assert_eq!(answer["rooms"].as_array().map(Vec::len), Some(6));
                }
            }
        }
        alice.disconnect().await;
    }
}
