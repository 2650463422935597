//! Joining and leaving: answers, errors, re-joins, capacity, and capacity
//! under hundreds of concurrent joiners.

use serde_json::json;

use crate::harness::{
    Form, Server, TRANSPORTS, arg, ask, assert_joined, assert_silent, cases, join, message, next,
    refused_with, trigger,
};
use crate::support::conformance::{ConformanceApp, Message};

#[tokio::test]
async fn join_answers_joined_with_the_room_name() {
    let server = Server::start().await;
    for (transport, form) in cases() {
        let client = server.connect("alice", transport).await;
        for (room, name) in [
            ("chat", "Chat Room"),
            ("small", "Small Room"),
            ("orders", "Orders"),
        ] {
            match form {
                Form::Event => {
                    client
                        .emit("dialogue:join", json!({ "roomId": room }))
                        .unwrap();
                    let joined = next(&client, "dialogue:joined").await;
                    assert_joined(&joined, room, name);
                }
                Form::Ack => {
                    let joined = join(&client, room).await;
                    assert_eq!(joined["roomId"], room);
                    assert_eq!(joined["roomName"], name);
                }
            }
        }
        assert_silent(&client, "dialogue:error").await;
        let alice = server.only_client("alice").await;
        assert_eq!(alice.rooms(), ["chat", "orders", "small"]);
        client.disconnect().await;
        crate::harness::eventually("alice is gone", || {
            server.dialogue.get_clients("alice").is_empty()
        })
        .await;
    }
}

#[tokio::test]
async fn joining_an_unknown_room_is_room_not_found() {
    let server = Server::start().await;
    for (transport, form) in cases() {
        let client = server.connect("alice", transport).await;
        refused_with(
            &client,
            form,
            "ROOM_NOT_FOUND",
            "dialogue:join",
            json!({ "roomId": "nowhere" }),
        )
        .await;
        assert_silent(&client, "dialogue:joined").await;
        assert!(server.dialogue.get_client_rooms("alice").ids.is_empty());
        client.disconnect().await;
        crate::harness::eventually("alice is gone", || {
            server.dialogue.get_clients("alice").is_empty()
        })
        .await;
    }
}

#[tokio::test]
async fn joining_again_answers_joined_and_changes_nothing() {
    let server = Server::start().await;
    let chat = server.dialogue.room(ConformanceApp::chat());
    for n in 0..3 {
        chat.trigger(Message {
            text: format!("m{n}"),
            sender_id: "s".into(),
        })
        .await
        .unwrap();
    }
    for (transport, form) in cases() {
        let alice = server.connect("alice", transport).await;
        let bob = server.connect("bob", transport).await;
        join(&bob, "chat").await;
        let first = join(&alice, "chat").await;
        let synced = first["history"].as_array().map_or(0, Vec::len);
        assert!(synced >= 3, "the first join syncs history: {first}");
        ask(
            &alice,
            "dialogue:subscribe",
            json!({ "roomId": "chat", "eventName": "typing" }),
        )
        .await;
        assert_eq!(chat.size(), 2);

        match form {
            Form::Event => {
                alice
                    .emit("dialogue:join", json!({ "roomId": "chat" }))
                    .unwrap();
                let again = next(&alice, "dialogue:joined").await;
                assert_joined(&again, "chat", "Chat Room");
                // No second history: the member has it already.
                assert_silent(&alice, "dialogue:history").await;
            }
            Form::Ack => {
                let again = join(&alice, "chat").await;
                assert_eq!(again["roomId"], "chat");
                assert_eq!(again["roomName"], "Chat Room");
                let history = again
                    .get("history")
                    .and_then(|h| h.as_array())
                    .map_or(0, Vec::len);
                assert_eq!(history, 0, "no history again: {again}");
            }
        }
        assert_eq!(chat.size(), 2, "not counted twice");
        let server_side = server.only_client("alice").await;
        assert_eq!(
            server_side.subscriptions("chat"),
            ["message", "typing"],
            "kept"
        );
        // The subscription made before the re-join still delivers.
        trigger(&bob, "chat", "typing", json!({ "isTyping": true })).await;
        let typing = next(&alice, "dialogue:event").await;
        assert_eq!(typing["event"], "typing");
        // And a message arrives once, not once per join.
        trigger(&bob, "chat", "message", message("once")).await;
        let events = crate::harness::drain_events(&alice).await;
        assert_eq!(events.len(), 1, "{events:?}");
        alice.disconnect().await;
        bob.disconnect().await;
        crate::harness::eventually("chat is empty", || chat.size() == 0).await;
    }
}

#[tokio::test]
async fn leave_answers_left_and_stops_delivery() {
    let server = Server::start().await;
    let chat = server.dialogue.room(ConformanceApp::chat());
    for (transport, form) in cases() {
        let alice = server.connect("alice", transport).await;
        let bob = server.connect("bob", transport).await;
        join(&alice, "chat").await;
        join(&bob, "chat").await;
        assert_eq!(chat.size(), 2);
        match form {
            Form::Event => {
                alice
                    .emit("dialogue:leave", json!({ "roomId": "chat" }))
                    .unwrap();
                assert_eq!(
                    next(&alice, "dialogue:left").await,
                    json!({ "roomId": "chat" })
                );
            }
            Form::Ack => {
                let left = ask(&alice, "dialogue:leave", json!({ "roomId": "chat" })).await;
                assert_eq!(left, json!({ "ok": true }));
                assert_silent(&alice, "dialogue:left").await;
            }
        }
        assert_eq!(chat.size(), 1);
        assert!(!server.dialogue.is_in_room("alice", "chat"));
        trigger(&bob, "chat", "message", message("after")).await;
        assert_silent(&alice, "dialogue:event").await;
        refused_with(
            &alice,
            form,
            "NOT_IN_ROOM",
            "dialogue:trigger",
            json!({ "roomId": "chat", "event": "message", "data": message("no") }),
        )
        .await;
        alice.disconnect().await;
        bob.disconnect().await;
        crate::harness::eventually("chat is empty", || chat.size() == 0).await;
    }
}

#[tokio::test]
async fn leaving_an_unknown_room_is_room_not_found() {
    let server = Server::start().await;
    for (transport, form) in cases() {
        let client = server.connect("alice", transport).await;
        refused_with(
            &client,
            form,
            "ROOM_NOT_FOUND",
            "dialogue:leave",
            json!({ "roomId": "nowhere" }),
        )
        .await;
        client.disconnect().await;
    }
}

#[tokio::test]
async fn a_full_room_refuses_with_room_full_and_no_side_effect() {
    let server = Server::start().await;
    let small = server.dialogue.room(ConformanceApp::small());
    for (transport, form) in cases() {
        let a = server.connect("a", transport).await;
        let b = server.connect("b", transport).await;
        let c = server.connect("c", transport).await;
        join(&a, "small").await;
        join(&b, "small").await;
        assert!(small.is_full());
        refused_with(
            &c,
            form,
            "ROOM_FULL",
            "dialogue:join",
            json!({ "roomId": "small" }),
        )
        .await;
        // Nothing else came of it: no joined, no history, not counted, not a
        // member, no events.
        assert_eq!(small.size(), 2);
        assert!(!server.dialogue.is_in_room("c", "small"));
        trigger(&a, "small", "message", message("members only")).await;
        for name in ["dialogue:joined", "dialogue:history", "dialogue:event"] {
            assert_silent(&c, name).await;
        }
        refused_with(
            &c,
            form,
            "NOT_IN_ROOM",
            "dialogue:trigger",
            json!({ "roomId": "small", "event": "message", "data": message("no") }),
        )
        .await;
        // A place frees up: the refused client can now join.
        ask(&a, "dialogue:leave", json!({ "roomId": "small" })).await;
        join(&c, "small").await;
        assert_eq!(small.size(), 2);
        for client in [a, b, c] {
            client.disconnect().await;
        }
        crate::harness::eventually("small is empty", || small.size() == 0).await;
    }
}

#[tokio::test]
async fn a_refused_join_of_chat_sends_no_history() {
    // chat is the room that syncs history; a refused join (unknown room id
    // close to it, then a malformed one) must not send it.
    let server = Server::start().await;
    server
        .dialogue
        .room(ConformanceApp::chat())
        .trigger(Message {
            text: "kept".into(),
            sender_id: "s".into(),
        })
        .await
        .unwrap();
    for transport in TRANSPORTS {
        let client = server.connect("alice", transport).await;
        refused_with(
            &client,
            Form::Event,
            "ROOM_NOT_FOUND",
            "dialogue:join",
            json!({ "roomId": "Chat" }),
        )
        .await;
        refused_with(
            &client,
            Form::Event,
            "INVALID_REQUEST",
            "dialogue:join",
            json!({ "room": "chat" }),
        )
        .await;
        assert_silent(&client, "dialogue:history").await;
        // The first event after a real join is its answer, then the history.
        client
            .emit("dialogue:join", json!({ "roomId": "chat" }))
            .unwrap();
        let joined = client.recv_timeout(crate::harness::WAIT).await.unwrap();
        assert_eq!(joined.name, "dialogue:joined");
        let history = client.recv_timeout(crate::harness::WAIT).await.unwrap();
        assert_eq!(history.name, "dialogue:history");
        assert_eq!(arg(&history)["events"].as_array().map(Vec::len), Some(1));
        client.disconnect().await;
    }
}
