//! Triggering: stamping, membership, the room's event list, validation with
//! details, and who receives what.

use std::time::{SystemTime, UNIX_EPOCH};

use dialogue_client::Client;
use serde_json::{Value, json};

use crate::harness::{
    FORMS, Form, Server, TRANSPORTS, ask_ok, assert_silent, cases, drain_events, join, message,
    next, refused_with, trigger,
};

fn now_millis() -> u64 {
    let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    u64::try_from(since.as_millis()).unwrap()
}

/// Triggers in `form`; returns the envelope `receiver` gets, after checking
/// the sender's answer (the acknowledgement's `message` is that envelope).
async fn trigger_in(sender: &Client, receiver: &Client, form: Form, request: Value) -> Value {
    match form {
        Form::Event => {
            sender.emit("dialogue:trigger", request).unwrap();
            let received = next(receiver, "dialogue:event").await;
            // Success in the event form has no answer of its own.
            assert_silent(sender, "dialogue:error").await;
            received
        }
        Form::Ack => {
            let answer = ask_ok(sender, "dialogue:trigger", request).await;
            let received = next(receiver, "dialogue:event").await;
            assert_eq!(
                answer["message"], received,
                "the acknowledgement holds the envelope"
            );
            received
        }
    }
}

#[tokio::test]
async fn the_server_stamps_from_and_timestamp() {
    let server = Server::start().await;
    for (transport, form) in cases() {
        let alice = server.connect("alice", transport).await;
        let bob = server.connect("bob", transport).await;
        join(&alice, "sandbox").await;
        join(&bob, "sandbox").await;
        let before = now_millis();
        let data = json!({ "from": "mallory", "timestamp": 1, "n": 1 });
        let request = json!({
            "roomId": "sandbox", "event": "note", "data": data,
            "from": "mallory", "timestamp": 1,
        });
        let received = trigger_in(&alice, &bob, form, request).await;
        let after = now_millis();
        assert_eq!(received["event"], "note");
        assert_eq!(received["roomId"], "sandbox");
        assert_eq!(received["data"], data, "data is the sender's, untouched");
        assert_eq!(received["from"], "alice", "from is the sender's userId");
        let stamped = received["timestamp"]
            .as_u64()
            .expect("a number of milliseconds");
        assert!(
            (before..=after).contains(&stamped),
            "{before} <= {stamped} <= {after}"
        );
        assert!(
            received.get("meta").is_none(),
            "no meta given, none sent: {received}"
        );
        // The sender is subscribed to `*` in the sandbox: it gets the same.
        assert_eq!(next(&alice, "dialogue:event").await, received);
        alice.disconnect().await;
        bob.disconnect().await;
    }
}

#[tokio::test]
async fn meta_is_passed_through() {
    let server = Server::start().await;
    for (transport, form) in cases() {
        let alice = server.connect("alice", transport).await;
        let bob = server.connect("bob", transport).await;
        join(&alice, "chat").await;
        join(&bob, "chat").await;
        let meta = json!({ "trace": "t-1", "nested": { "list": [1, "two", null] } });
        let request =
            json!({ "roomId": "chat", "event": "message", "data": message("hi"), "meta": meta });
        let received = trigger_in(&alice, &bob, form, request).await;
        assert_eq!(received["meta"], meta);
        assert_eq!(received["from"], "alice");
        alice.disconnect().await;
        bob.disconnect().await;
    }
}

#[tokio::test]
async fn triggering_outside_a_joined_room_is_refused() {
    let server = Server::start().await;
    for (transport, form) in cases() {
        let alice = server.connect("alice", transport).await;
        let bob = server.connect("bob", transport).await;
        join(&bob, "chat").await;
        join(&bob, "sandbox").await;
        for room in ["chat", "sandbox", "readonly"] {
            refused_with(
                &alice,
                form,
                "NOT_IN_ROOM",
                "dialogue:trigger",
                json!({ "roomId": room, "event": "message", "data": message("x") }),
            )
            .await;
        }
        refused_with(
            &alice,
            form,
            "ROOM_NOT_FOUND",
            "dialogue:trigger",
            json!({ "roomId": "nowhere", "event": "message", "data": message("x") }),
        )
        .await;
        assert_silent(&bob, "dialogue:event").await;
        alice.disconnect().await;
        bob.disconnect().await;
    }
}

#[tokio::test]
async fn events_the_room_does_not_list_are_not_allowed() {
    let server = Server::start().await;
    for (transport, form) in cases() {
        let alice = server.connect("alice", transport).await;
        join(&alice, "chat").await;
        join(&alice, "orders").await;
        join(&alice, "small").await;
        let refusals = [
            (
                "chat",
                "order:updated",
                json!({ "orderId": "o1", "status": "pending" }),
            ),
            ("chat", "reaction", json!({ "emoji": "+1" })),
            ("orders", "message", message("hi")),
            ("small", "typing", json!({ "isTyping": true })),
        ];
        for (room, event, data) in refusals {
            let error = refused_with(
                &alice,
                form,
                "EVENT_NOT_ALLOWED",
                "dialogue:trigger",
                json!({ "roomId": room, "event": event, "data": data }),
            )
            .await;
            assert!(error.get("details").is_none(), "{error}");
        }
        alice.disconnect().await;
    }
}

#[tokio::test]
async fn readonly_refuses_every_client_event_but_the_server_may_push() {
    let server = Server::start().await;
    for (transport, form) in cases() {
        let alice = server.connect("alice", transport).await;
        join(&alice, "readonly").await;
        let attempts = [
            ("message", message("hi")),
            ("typing", json!({ "isTyping": true })),
            (
                "order:updated",
                json!({ "orderId": "o1", "status": "pending" }),
            ),
            ("anything", json!(null)),
        ];
        for (event, data) in attempts {
            refused_with(
                &alice,
                form,
                "EVENT_NOT_ALLOWED",
                "dialogue:trigger",
                json!({ "roomId": "readonly", "event": event, "data": data }),
            )
            .await;
        }
        // Nobody is subscribed to anything there by default...
        let member = server.only_client("alice").await;
        assert!(member.subscriptions("readonly").is_empty());
        // ...but a member who subscribes gets what the server pushes.
        ask_ok(
            &alice,
            "dialogue:subscribe",
            json!({ "roomId": "readonly", "eventName": "message" }),
        )
        .await;
        let readonly = server.dialogue.room_by_id("readonly").unwrap();
        readonly
            .trigger_json("message", message("announcement"), None)
            .await
            .unwrap();
        let pushed = next(&alice, "dialogue:event").await;
        assert_eq!(pushed["roomId"], "readonly");
        assert_eq!(pushed["from"], "system");
        assert_eq!(pushed["data"]["text"], "announcement");
        alice.disconnect().await;
    }
}

/// The paths of a `VALIDATION_FAILED` error's details, after checking each
/// detail's shape.
fn detail_paths(error: &Value) -> Vec<String> {
    assert_eq!(error["code"], "VALIDATION_FAILED", "{error}");
    let details = error["details"]
        .as_array()
        .unwrap_or_else(|| panic!("details: {error}"));
    assert!(!details.is_empty(), "{error}");
    details
        .iter()
        .map(|detail| {
            assert!(
                detail["message"].as_str().is_some_and(|m| !m.is_empty()),
                "{detail}"
            );
            detail["path"].as_str().expect("a JSON pointer").to_owned()
        })
        .collect()
}

#[tokio::test]
async fn invalid_payloads_fail_validation_with_details() {
    let server = Server::start().await;
    for (transport, form) in cases() {
        let alice = server.connect("alice", transport).await;
        let bob = server.connect("bob", transport).await;
        join(&alice, "chat").await;
        join(&alice, "orders").await;
        join(&bob, "chat").await;
        join(&bob, "orders").await;
        let cases = [
            (
                "chat",
                "message",
                json!({ "text": "", "senderId": "s" }),
                Some("/text"),
            ),
            (
                "chat",
                "message",
                json!({ "text": "x".repeat(1001), "senderId": "s" }),
                Some("/text"),
            ),
            (
                "chat",
                "message",
                json!({ "text": "é".repeat(1001), "senderId": "s" }),
                Some("/text"),
            ),
            (
                "chat",
                "message",
                json!({ "text": 5, "senderId": "s" }),
                Some("/text"),
            ),
            (
                "chat",
                "message",
                json!({ "text": "hi", "senderId": false }),
                Some("/senderId"),
            ),
            ("chat", "message", json!({ "text": "hi" }), None),
            ("chat", "message", json!({}), None),
            ("chat", "message", json!("hi"), None),
            (
                "chat",
                "typing",
                json!({ "isTyping": "yes" }),
                Some("/isTyping"),
            ),
            (
                "orders",
                "order:updated",
                json!({ "orderId": "o1", "status": "lost" }),
                Some("/status"),
            ),
            (
                "orders",
                "order:updated",
                json!({ "orderId": 1, "status": "pending" }),
                Some("/orderId"),
            ),
        ];
        for (room, event, data, path) in cases {
            let request = json!({ "roomId": room, "event": event, "data": data });
            let error = refused_with(
                &alice,
                form,
                "VALIDATION_FAILED",
                "dialogue:trigger",
                request,
            )
            .await;
            let paths = detail_paths(&error);
            if let Some(path) = path {
                assert!(
                    paths.iter().any(|p| p == path),
                    "{data}: {paths:?} names {path}"
                );
            }
        }
        // A missing field is named in its detail's message.
        let error = refused_with(
            &alice,
            form,
            "VALIDATION_FAILED",
            "dialogue:trigger",
            json!({ "roomId": "chat", "event": "message", "data": { "text": "hi" } }),
        )
        .await;
        assert!(error["details"].to_string().contains("senderId"), "{error}");
        // Refused payloads reach nobody.
        assert_silent(&bob, "dialogue:event").await;
        alice.disconnect().await;
        bob.disconnect().await;
    }
}

#[tokio::test]
async fn text_length_is_counted_in_characters_from_one_to_a_thousand() {
    let server = Server::start().await;
    let alice = server.connect("alice", TRANSPORTS[0]).await;
    join(&alice, "chat").await;
    for text in [
        "x".to_owned(),
        "x".repeat(1000),
        "é".repeat(1000),
        "😀".repeat(1000),
    ] {
        let sent = trigger(&alice, "chat", "message", message(&text)).await;
        assert_eq!(sent["data"]["text"], text);
    }
}

#[tokio::test]
async fn the_sandbox_takes_any_event_name_and_any_data_unvalidated() {
    let server = Server::start().await;
    for transport in TRANSPORTS {
        let alice = server.connect("alice", transport).await;
        let bob = server.connect("bob", transport).await;
        join(&alice, "sandbox").await;
        join(&bob, "sandbox").await;
        let anything = [
            ("anything", json!({ "free": ["form"] })),
            // Declared events, with data their schemas refuse.
            ("message", json!({ "text": "" })),
            ("order:updated", json!({ "status": "lost" })),
            ("typing", json!(42)),
            ("game.move-v2", json!(null)),
            ("x", json!([1, "two"])),
            ("y", json!("just a string")),
        ];
        for (event, data) in anything {
            let sent = trigger(&alice, "sandbox", event, data.clone()).await;
            assert_eq!(sent["data"], data);
            let received = next(&bob, "dialogue:event").await;
            assert_eq!(received["event"], event);
            assert_eq!(received["data"], data);
        }
        alice.disconnect().await;
        bob.disconnect().await;
    }
}

#[tokio::test]
async fn events_reach_their_subscribers_only() {
    let server = Server::start().await;
    for transport in TRANSPORTS {
        let alice = server.connect("alice", transport).await;
        let bob = server.connect("bob", transport).await;
        let carol = server.connect("carol", transport).await;
        let dave = server.connect("dave", transport).await;
        for client in [&alice, &bob, &carol] {
            join(client, "chat").await;
        }
        // dave is not a member; he is in another room that takes messages.
        join(&dave, "small").await;

        // Everyone in chat is subscribed to `message`, the sender included.
        let sent = trigger(&alice, "chat", "message", message("hello")).await;
        for client in [&alice, &bob, &carol] {
            assert_eq!(next(client, "dialogue:event").await, sent);
        }
        assert_silent(&dave, "dialogue:event").await;

        // Nobody is subscribed to `typing` yet.
        trigger(&alice, "chat", "typing", json!({ "isTyping": true })).await;
        for client in [&alice, &bob, &carol] {
            assert_silent(client, "dialogue:event").await;
        }

        // Once bob subscribes he gets it; the sender, not subscribed, does not.
        ask_ok(
            &bob,
            "dialogue:subscribe",
            json!({ "roomId": "chat", "eventName": "typing" }),
        )
        .await;
        let typing = trigger(&alice, "chat", "typing", json!({ "isTyping": false })).await;
        assert_eq!(next(&bob, "dialogue:event").await, typing);
        for client in [&alice, &carol, &dave] {
            assert_silent(client, "dialogue:event").await;
        }
        // And the sender gets its own once subscribed.
        ask_ok(
            &alice,
            "dialogue:subscribe",
            json!({ "roomId": "chat", "eventName": "typing" }),
        )
        .await;
        let typing = trigger(&alice, "chat", "typing", json!({ "isTyping": true })).await;
        assert_eq!(next(&alice, "dialogue:event").await, typing);
        assert_eq!(next(&bob, "dialogue:event").await, typing);
        assert_silent(&carol, "dialogue:event").await;
        for client in [alice, bob, carol, dave] {
            client.disconnect().await;
        }
    }
}

#[tokio::test]
async fn refused_triggers_are_not_kept() {
    let server = Server::start().await;
    for form in FORMS {
        let alice = server.connect("alice", TRANSPORTS[0]).await;
        join(&alice, "chat").await;
        refused_with(
            &alice,
            form,
            "VALIDATION_FAILED",
            "dialogue:trigger",
            json!({ "roomId": "chat", "event": "message", "data": message("") }),
        )
        .await;
        let page = ask_ok(
            &alice,
            "dialogue:getHistory",
            json!({ "roomId": "chat", "eventName": "message" }),
        )
        .await;
        assert_eq!(page["events"], json!([]));
        assert!(drain_events(&alice).await.is_empty());
        alice.disconnect().await;
    }
}
