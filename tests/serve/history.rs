//! History: what each event type keeps, getHistory pages, and the sync on
//! joining `chat`, in acceptance order.

use dialogue_client::Client;
use dialogue_runtime::MAX_PAGE;
use serde_json::{Value, json};

use crate::harness::{
    Form, Server, TRANSPORTS, arg, ask_ok, assert_silent, cases, join, next, numbered,
    refused_with, texts,
};
use crate::support::conformance::{ConformanceApp, Message, OrderStatus, OrderUpdated};

/// Triggers `count` messages in chat from the server, texts "0", "1", ...
async fn fill_chat(server: &Server, count: usize) {
    let chat = server.dialogue.room(ConformanceApp::chat());
    for n in 0..count {
        chat.trigger(Message {
            text: n.to_string(),
            sender_id: "s".into(),
        })
        .await
        .unwrap();
    }
}

/// getHistory in `form`; returns the answer without `ok`.
async fn get_history(client: &Client, form: Form, request: Value) -> Value {
    match form {
        Form::Event => {
            client.emit("dialogue:getHistory", request).unwrap();
            next(client, "dialogue:historyResponse").await
        }
        Form::Ack => {
            let mut answer = ask_ok(client, "dialogue:getHistory", request).await;
            answer.as_object_mut().unwrap().remove("ok");
            answer
        }
    }
}

#[tokio::test]
async fn message_history_keeps_the_latest_hundred_per_room() {
    let server = Server::start().await;
    fill_chat(&server, 105).await;
    // Another room's messages are its own.
    let small = server.dialogue.room(ConformanceApp::small());
    small
        .trigger(Message {
            text: "small".into(),
            sender_id: "s".into(),
        })
        .await
        .unwrap();
    let alice = server.connect("alice", TRANSPORTS[0]).await;
    join(&alice, "chat").await;
    join(&alice, "small").await;
    let page = get_history(
        &alice,
        Form::Ack,
        json!({ "roomId": "chat", "eventName": "message", "start": 0, "end": 100 }),
    )
    .await;
    assert_eq!(texts(&page["events"]), numbered((5..105).rev()));
    let beyond = get_history(
        &alice,
        Form::Ack,
        json!({ "roomId": "chat", "eventName": "message", "start": 100, "end": 200 }),
    )
    .await;
    assert_eq!(beyond["events"], json!([]));
    let other = get_history(
        &alice,
        Form::Ack,
        json!({ "roomId": "small", "eventName": "message" }),
    )
    .await;
    assert_eq!(texts(&other["events"]), ["small"]);
}

#[tokio::test]
async fn order_history_keeps_the_latest_twenty() {
    let server = Server::start().await;
    let orders = server.dialogue.room(ConformanceApp::orders());
    for n in 0..25 {
        orders
            .trigger(OrderUpdated {
                order_id: format!("o{n}"),
                status: OrderStatus::Processing,
            })
            .await
            .unwrap();
    }
    for (transport, form) in cases() {
        let alice = server.connect("alice", transport).await;
        join(&alice, "orders").await;
        let page = get_history(
            &alice,
            form,
            json!({ "roomId": "orders", "eventName": "order:updated" }),
        )
        .await;
        let ids: Vec<&str> = page["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["data"]["orderId"].as_str().unwrap())
            .collect();
        let expected: Vec<String> = (5..25).rev().map(|n| format!("o{n}")).collect();
        assert_eq!(ids, expected);
        assert_eq!(page["roomId"], "orders");
        assert_eq!(page["eventName"], "order:updated");
        alice.disconnect().await;
    }
}

#[tokio::test]
async fn pages_are_newest_first_with_an_exclusive_end() {
    let server = Server::start().await;
    fill_chat(&server, 10).await;
    for (transport, form) in cases() {
        let alice = server.connect("alice", transport).await;
        join(&alice, "chat").await;
        let page = get_history(
            &alice,
            form,
            json!({ "roomId": "chat", "eventName": "message", "start": 2, "end": 5 }),
        )
        .await;
        assert_eq!(texts(&page["events"]), ["7", "6", "5"]);
        assert_eq!(page["roomId"], "chat");
        assert_eq!(page["eventName"], "message");
        assert_eq!(page["start"], 2);
        assert_eq!(page["end"], 5);
        let keys: Vec<&String> = page.as_object().unwrap().keys().collect();
        assert_eq!(
            keys.len(),
            5,
            "roomId, eventName, events, start, end: {keys:?}"
        );
        // Each envelope is whole.
        for event in page["events"].as_array().unwrap() {
            assert_eq!(event["event"], "message");
            assert_eq!(event["roomId"], "chat");
            assert_eq!(event["from"], "system");
            assert!(event["timestamp"].is_u64());
        }
        // The last page runs out.
        let tail = get_history(
            &alice,
            form,
            json!({ "roomId": "chat", "eventName": "message", "start": 8, "end": 20 }),
        )
        .await;
        assert_eq!(texts(&tail["events"]), ["1", "0"]);
        alice.disconnect().await;
    }
}

#[tokio::test]
async fn the_default_page_is_zero_to_fifty() {
    let server = Server::start().await;
    fill_chat(&server, 60).await;
    for (transport, form) in cases() {
        let alice = server.connect("alice", transport).await;
        join(&alice, "chat").await;
        let page = get_history(
            &alice,
            form,
            json!({ "roomId": "chat", "eventName": "message" }),
        )
        .await;
        assert_eq!(texts(&page["events"]), numbered((10..60).rev()));
        assert_eq!(page["start"], 0);
        assert_eq!(page["end"], 50);
        // With only an end, the start is 0.
        let page = get_history(
            &alice,
            form,
            json!({ "roomId": "chat", "eventName": "message", "end": 3 }),
        )
        .await;
        assert_eq!(texts(&page["events"]), ["59", "58", "57"]);
        assert_eq!(page["start"], 0);
        alice.disconnect().await;
    }
}

#[tokio::test]
async fn pages_are_bounded_at_one_hundred() {
    let server = Server::start().await;
    fill_chat(&server, 100).await;
    assert_eq!(MAX_PAGE, 100);
    for (transport, form) in cases() {
        let alice = server.connect("alice", transport).await;
        join(&alice, "chat").await;
        let page = get_history(
            &alice,
            form,
            json!({ "roomId": "chat", "eventName": "message", "start": 0, "end": 500 }),
        )
        .await;
        assert_eq!(page["events"].as_array().unwrap().len(), 100);
        assert_eq!(page["start"], 0);
        assert_eq!(page["end"], 100, "end says where the page stopped");
        alice.disconnect().await;
    }
}

#[tokio::test]
async fn an_event_without_history_has_an_empty_page() {
    let server = Server::start().await;
    let alice = server.connect("alice", TRANSPORTS[0]).await;
    let bob = server.connect("bob", TRANSPORTS[0]).await;
    join(&alice, "chat").await;
    join(&bob, "chat").await;
    crate::harness::trigger(&bob, "chat", "typing", json!({ "isTyping": true })).await;
    let page = get_history(
        &alice,
        Form::Ack,
        json!({ "roomId": "chat", "eventName": "typing" }),
    )
    .await;
    assert_eq!(page["events"], json!([]));
    let page = get_history(
        &alice,
        Form::Ack,
        json!({ "roomId": "chat", "eventName": "never-sent" }),
    )
    .await;
    assert_eq!(page["events"], json!([]));
}

#[tokio::test]
async fn reading_history_needs_membership() {
    let server = Server::start().await;
    fill_chat(&server, 3).await;
    for (transport, form) in cases() {
        let alice = server.connect("alice", transport).await;
        join(&alice, "sandbox").await;
        refused_with(
            &alice,
            form,
            "NOT_IN_ROOM",
            "dialogue:getHistory",
            json!({ "roomId": "chat", "eventName": "message" }),
        )
        .await;
        refused_with(
            &alice,
            form,
            "ROOM_NOT_FOUND",
            "dialogue:getHistory",
            json!({ "roomId": "nowhere", "eventName": "message" }),
        )
        .await;
        // After leaving, the history is closed again.
        join(&alice, "chat").await;
        ask_ok(&alice, "dialogue:leave", json!({ "roomId": "chat" })).await;
        refused_with(
            &alice,
            form,
            "NOT_IN_ROOM",
            "dialogue:getHistory",
            json!({ "roomId": "chat", "eventName": "message" }),
        )
        .await;
        alice.disconnect().await;
    }
}

#[tokio::test]
async fn joining_chat_syncs_its_history() {
    let server = Server::start().await;
    fill_chat(&server, 3).await;
    for (transport, form) in cases() {
        let alice = server.connect("alice", transport).await;
        match form {
            Form::Event => {
                alice
                    .emit("dialogue:join", json!({ "roomId": "chat" }))
                    .unwrap();
                // The answer first, then the history.
                let joined = alice.recv_timeout(crate::harness::WAIT).await.unwrap();
                assert_eq!(joined.name, "dialogue:joined");
                let history = alice.recv_timeout(crate::harness::WAIT).await.unwrap();
                assert_eq!(history.name, "dialogue:history");
                let history = arg(&history);
                assert_eq!(history["roomId"], "chat");
                assert_eq!(texts(&history["events"]), ["2", "1", "0"]);
                let keys: Vec<&String> = history.as_object().unwrap().keys().collect();
                assert_eq!(keys.len(), 2, "roomId and events: {keys:?}");
            }
            Form::Ack => {
                let joined = join(&alice, "chat").await;
                assert_eq!(texts(&joined["history"]), ["2", "1", "0"]);
                // Inline only: no separate history event.
                assert_silent(&alice, "dialogue:history").await;
            }
        }
        alice.disconnect().await;
    }
}

#[tokio::test]
async fn rooms_that_do_not_sync_send_no_history_on_join() {
    let server = Server::start().await;
    let orders = server.dialogue.room(ConformanceApp::orders());
    orders
        .trigger(OrderUpdated {
            order_id: "o1".into(),
            status: OrderStatus::Pending,
        })
        .await
        .unwrap();
    for (transport, form) in cases() {
        let alice = server.connect("alice", transport).await;
        match form {
            Form::Event => {
                alice
                    .emit("dialogue:join", json!({ "roomId": "orders" }))
                    .unwrap();
                next(&alice, "dialogue:joined").await;
                assert_silent(&alice, "dialogue:history").await;
            }
            Form::Ack => {
                let joined = join(&alice, "orders").await;
                assert!(joined.get("history").is_none(), "{joined}");
            }
        }
        alice.disconnect().await;
    }
}

/// What identifies an envelope in these tests: its event and its text or
/// order id.
fn label(event: &Value) -> String {
    match event["event"].as_str().unwrap() {
        "message" => format!("m{}", event["data"]["text"].as_str().unwrap()),
        "order:updated" => event["data"]["orderId"].as_str().unwrap().to_owned(),
        other => panic!("unexpected {other}"),
    }
}

#[tokio::test]
async fn join_history_is_fifty_per_event_type_merged_in_acceptance_order() {
    let server = Server::start().await;
    let chat = server.dialogue.room(ConformanceApp::chat());
    let untyped = server.dialogue.room_by_id("chat").unwrap();
    // The server may push any declared event into any room: order updates
    // are kept in chat's history too (20 of them), messages 100.
    let mut accepted = Vec::new();
    for n in 0..70 {
        chat.trigger(Message {
            text: n.to_string(),
            sender_id: "s".into(),
        })
        .await
        .unwrap();
        accepted.push(format!("m{n}"));
        if n % 2 == 0 {
            let data = json!({ "orderId": format!("o{n}"), "status": "pending" });
            untyped
                .trigger_json("order:updated", data, None)
                .await
                .unwrap();
            accepted.push(format!("o{n}"));
        }
    }
    let latest_messages: Vec<&String> = accepted
        .iter()
        .filter(|l| l.starts_with('m'))
        .rev()
        .take(50)
        .collect();
    let latest_orders: Vec<&String> = accepted
        .iter()
        .filter(|l| l.starts_with('o'))
        .rev()
        .take(20)
        .collect();
    let expected: Vec<String> = accepted
        .iter()
        .rev()
        .filter(|l| latest_messages.contains(l) || latest_orders.contains(l))
        .cloned()
        .collect();
    assert_eq!(expected.len(), 70);
    for transport in TRANSPORTS {
        let alice = server.connect("alice", transport).await;
        let joined = join(&alice, "chat").await;
        let synced: Vec<String> = joined["history"]
            .as_array()
            .unwrap()
            .iter()
            .map(label)
            .collect();
        assert_eq!(synced, expected);
        alice.disconnect().await;
    }
}

#[tokio::test]
async fn a_burst_keeps_its_order_in_pages_and_on_join() {
    let server = Server::start().await;
    // A tight loop of server triggers: many share a millisecond.
    fill_chat(&server, 100).await;
    let alice = server.connect("alice", TRANSPORTS[0]).await;
    let joined = join(&alice, "chat").await;
    assert_eq!(texts(&joined["history"]), numbered((50..100).rev()));
    let page = get_history(
        &alice,
        Form::Ack,
        json!({ "roomId": "chat", "eventName": "message", "start": 0, "end": 100 }),
    )
    .await;
    assert_eq!(texts(&page["events"]), numbered((0..100).rev()));
    let stamps: Vec<u64> = page["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["timestamp"].as_u64().unwrap())
        .collect();
    assert!(
        stamps.windows(2).all(|w| w[0] >= w[1]),
        "newest first: {stamps:?}"
    );
}

#[tokio::test]
async fn client_triggers_are_kept_with_their_sender() {
    let server = Server::start().await;
    for transport in TRANSPORTS {
        let alice = server.connect("alice", transport).await;
        join(&alice, "chat").await;
        let sent =
            crate::harness::trigger(&alice, "chat", "message", crate::harness::message("kept"))
                .await;
        let page = get_history(
            &alice,
            Form::Ack,
            json!({ "roomId": "chat", "eventName": "message", "end": 1 }),
        )
        .await;
        assert_eq!(
            page["events"],
            json!([sent]),
            "the envelope as it was broadcast"
        );
        alice.disconnect().await;
    }
}
