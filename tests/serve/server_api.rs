//! The server API from Rust, observed over the wire: triggers, listeners,
//! rooms, and connected clients.

use dialogue_client::Transport;
use dialogue_runtime::spec::{RoomEvents, Subscriptions};
use dialogue_runtime::{
    CreateRoomError, DeleteRoomError, EventMessage, JoinError, LeaveError, RoomOptions, SendError,
    SubscribeError, TriggerError, TriggerOptions,
};
use serde::Serialize;
use serde_json::json;
use tokio::sync::mpsc;

use crate::harness::{
    QUIET, Server, TRANSPORTS, WAIT, arg, ask_ok, assert_joined, assert_silent, drain_events,
    eventually, join, message, next, refused_with, trigger,
};
use crate::support::conformance::{ConformanceApp, Message, OrderStatus, OrderUpdated, Typing};

fn hello(text: &str) -> Message {
    Message {
        text: text.into(),
        sender_id: "server".into(),
    }
}

#[tokio::test]
async fn typed_triggers_reach_subscribers_as_the_system_or_a_user() {
    let server = Server::start().await;
    let alice = server.connect("alice", Transport::WebSocket).await;
    let bob = server.connect("bob", Transport::Polling).await;
    for client in [&alice, &bob] {
        join(client, "chat").await;
        join(client, "orders").await;
    }
    let chat = server.dialogue.room(ConformanceApp::chat());

    let sent = chat.trigger(hello("welcome")).await.unwrap();
    assert_eq!(sent.from, "system");
    assert_eq!(sent.room_id, "chat");
    assert_eq!(sent.data, hello("welcome"));
    for client in [&alice, &bob] {
        let received = next(client, "dialogue:event").await;
        assert_eq!(
            received,
            json!({
                "event": "message", "roomId": "chat",
                "data": { "text": "welcome", "senderId": "server" },
                "from": "system", "timestamp": sent.timestamp, "seq": sent.seq,
            })
        );
    }

    let on_behalf = chat.trigger_as(hello("as carol"), "carol").await.unwrap();
    assert_eq!(on_behalf.from, "carol");
    for client in [&alice, &bob] {
        assert_eq!(next(client, "dialogue:event").await["from"], "carol");
    }

    // The shorthand on Dialogue.
    let order = OrderUpdated {
        order_id: "o1".into(),
        status: OrderStatus::Shipped,
    };
    server
        .dialogue
        .trigger(ConformanceApp::orders(), order)
        .await
        .unwrap();
    for client in [&alice, &bob] {
        let received = next(client, "dialogue:event").await;
        assert_eq!(
            received["data"],
            json!({ "orderId": "o1", "status": "shipped" })
        );
        assert_eq!(received["from"], "system");
    }

    // Typing reaches nobody: nobody is subscribed to it.
    chat.trigger(Typing { is_typing: true }).await.unwrap();
    for client in [&alice, &bob] {
        assert_silent(client, "dialogue:event").await;
    }
}

#[tokio::test]
async fn server_triggers_carry_meta_to_every_member() {
    let server = Server::start().await;
    let alice = server.connect("alice", Transport::WebSocket).await;
    let bob = server.connect("bob", Transport::Polling).await;
    for client in [&alice, &bob] {
        join(client, "chat").await;
        join(client, "sandbox").await;
    }
    let mut meta = serde_json::Map::new();
    meta.insert("traceId".into(), json!("4bf92f35"));
    let chat = server.dialogue.room(ConformanceApp::chat());
    let sent = chat
        .trigger_with(
            hello("traced"),
            TriggerOptions::new().from("billing").meta(meta.clone()),
        )
        .await
        .unwrap();
    assert_eq!(sent.from, "billing");
    assert_eq!(sent.meta.as_ref(), Some(&meta));
    for client in [&alice, &bob] {
        let received = next(client, "dialogue:event").await;
        assert_eq!(
            received["meta"],
            json!({ "traceId": "4bf92f35" }),
            "{received}"
        );
        assert_eq!(received["from"], "billing");
    }
    // By name, in any room, and as the system.
    let sandbox = server.dialogue.room_by_id("sandbox").unwrap();
    let sent = sandbox
        .trigger_json_with("ping", json!(1), TriggerOptions::new().meta(meta))
        .await
        .unwrap();
    assert_eq!(sent.from, "system");
    for client in [&alice, &bob] {
        let received = next(client, "dialogue:event").await;
        assert_eq!(received["event"], "ping");
        assert_eq!(received["meta"]["traceId"], "4bf92f35");
    }
}

#[tokio::test]
async fn server_triggers_in_declared_rooms_are_validated() {
    let server = Server::start().await;
    let alice = server.connect("alice", Transport::WebSocket).await;
    join(&alice, "chat").await;
    let refused = server
        .dialogue
        .room(ConformanceApp::chat())
        .trigger(hello(""))
        .await;
    match refused {
        Err(TriggerError::Validation { event, issues }) => {
            assert_eq!(event, "message");
            assert!(
                issues.iter().any(|issue| issue.path == "/text"),
                "{issues:?}"
            );
        }
        other => panic!("expected a validation error, got {other:?}"),
    }
    let untyped = server.dialogue.room_by_id("chat").unwrap();
    let refused = untyped
        .trigger_json(
            "order:updated",
            json!({ "orderId": "o", "status": "lost" }),
            None,
        )
        .await;
    assert!(
        matches!(refused, Err(TriggerError::Validation { .. })),
        "{refused:?}"
    );
    assert_silent(&alice, "dialogue:event").await;
    let page = ask_ok(
        &alice,
        "dialogue:getHistory",
        json!({ "roomId": "chat", "eventName": "message" }),
    )
    .await;
    assert_eq!(page["events"], json!([]));
}

#[tokio::test]
async fn trigger_json_reaches_a_room_created_at_run_time() {
    let server = Server::start().await;
    for transport in TRANSPORTS {
        let id = format!("lobby-{transport:?}");
        server
            .dialogue
            .create_room(RoomOptions::new(&id, "Lobby"))
            .await
            .unwrap();
        let alice = server.connect("alice", transport).await;
        join(&alice, &id).await;
        let sent = server
            .dialogue
            .trigger_json(&id, "anything", json!({ "free": true }), None)
            .await
            .unwrap();
        assert_eq!(sent.from, "system");
        let received = next(&alice, "dialogue:event").await;
        assert_eq!(received["event"], "anything");
        assert_eq!(received["data"], json!({ "free": true }));
        assert_eq!(received["from"], "system");
        assert_eq!(received["timestamp"], sent.timestamp);

        server
            .dialogue
            .trigger_json(&id, "ping", json!(null), Some("bob"))
            .await
            .unwrap();
        assert_eq!(next(&alice, "dialogue:event").await["from"], "bob");

        let missing = server
            .dialogue
            .trigger_json("nowhere", "ping", json!(null), None)
            .await;
        assert!(
            matches!(missing, Err(TriggerError::RoomNotFound(_))),
            "{missing:?}"
        );
        let bad_name = server
            .dialogue
            .trigger_json(&id, "two words", json!(null), None)
            .await;
        assert!(
            matches!(bad_name, Err(TriggerError::InvalidEventName { .. })),
            "{bad_name:?}"
        );
        alice.disconnect().await;
    }
}

#[tokio::test]
async fn typed_listeners_see_client_and_server_events_until_unsubscribed() {
    let server = Server::start().await;
    let (tx, mut rx) = mpsc::unbounded_channel::<EventMessage<Message>>();
    let listener = server.dialogue.on(
        ConformanceApp::chat(),
        move |message: EventMessage<Message>| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(message);
            }
        },
    );
    let (typing_tx, mut typing_rx) = mpsc::unbounded_channel::<EventMessage<Typing>>();
    let typing_listener =
        server
            .dialogue
            .room(ConformanceApp::chat())
            .on(move |typing: EventMessage<Typing>| {
                let tx = typing_tx.clone();
                async move {
                    let _ = tx.send(typing);
                }
            });

    let alice = server.connect("alice", Transport::WebSocket).await;
    join(&alice, "chat").await;
    let meta = json!({ "trace": "t" });
    ask_ok(
        &alice,
        "dialogue:trigger",
        json!({ "roomId": "chat", "event": "message", "data": message("from alice"), "meta": meta }),
    )
    .await;
    let heard = tokio::time::timeout(WAIT, rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(heard.from, "alice");
    assert_eq!(heard.room_id, "chat");
    assert_eq!(heard.data.text, "from alice");
    assert_eq!(
        heard.meta.as_ref().and_then(|m| m.get("trace")),
        Some(&json!("t"))
    );

    server
        .dialogue
        .room(ConformanceApp::chat())
        .trigger(hello("from rust"))
        .await
        .unwrap();
    let heard = tokio::time::timeout(WAIT, rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(heard.from, "system");
    assert_eq!(heard.data.text, "from rust");

    // Events of other types and other rooms go to their own listeners only.
    trigger(&alice, "chat", "typing", json!({ "isTyping": true })).await;
    let typing = tokio::time::timeout(WAIT, typing_rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert!(typing.data.is_typing);
    server
        .dialogue
        .room(ConformanceApp::small())
        .trigger(hello("elsewhere"))
        .await
        .unwrap();

    assert!(listener.unsubscribe());
    assert!(typing_listener.unsubscribe());
    trigger(&alice, "chat", "message", message("after")).await;
    trigger(&alice, "chat", "typing", json!({ "isTyping": false })).await;
    // Listeners run in tasks of their own: give them a moment to show up.
    tokio::time::sleep(QUIET).await;
    assert!(
        rx.try_recv().is_err(),
        "nothing after unsubscribing (nor from small)"
    );
    assert!(typing_rx.try_recv().is_err());
}

#[tokio::test]
async fn room_properties_describe_the_declaration_and_the_members() {
    let server = Server::start().await;
    let ids: Vec<String> = server
        .dialogue
        .rooms()
        .iter()
        .map(|r| r.id().to_owned())
        .collect();
    assert_eq!(
        ids,
        ["chat", "small", "sandbox", "readonly", "orders", "lobby"]
    );
    assert!(server.dialogue.room_by_id("nowhere").is_none());

    let chat = server.dialogue.room(ConformanceApp::chat());
    assert_eq!(chat.id(), "chat");
    assert_eq!(chat.name(), "Chat Room");
    assert_eq!(chat.description(), Some("General chat"));
    assert_eq!(chat.max_size(), None);
    assert_eq!(
        chat.events(),
        &RoomEvents::Only(vec!["message".into(), "typing".into()])
    );
    assert_eq!(
        chat.default_subscriptions(),
        &Subscriptions::Only(vec!["message".into()])
    );
    assert_eq!(chat.created_by(), None);
    assert!(chat.is_declared());

    let small = server.dialogue.room(ConformanceApp::small());
    assert_eq!(small.max_size(), Some(2));
    assert_eq!(small.description(), None);
    let sandbox = server.dialogue.room(ConformanceApp::sandbox());
    assert_eq!(sandbox.events(), &RoomEvents::Any);
    assert_eq!(sandbox.default_subscriptions(), &Subscriptions::All);
    let readonly = server.dialogue.room(ConformanceApp::readonly());
    assert_eq!(readonly.events(), &RoomEvents::Only(vec![]));
    assert_eq!(
        readonly.default_subscriptions(),
        &Subscriptions::Only(vec![])
    );
    let orders = server.dialogue.room(ConformanceApp::orders());
    assert_eq!(
        orders.events(),
        &RoomEvents::Only(vec!["order:updated".into()])
    );

    assert_eq!((small.size(), small.is_full()), (0, false));
    let a = server.connect("a", Transport::WebSocket).await;
    let b = server.connect("b", Transport::Polling).await;
    join(&a, "small").await;
    assert_eq!((small.size(), small.is_full()), (1, false));
    join(&b, "small").await;
    assert_eq!((small.size(), small.is_full()), (2, true));
    let mut members: Vec<String> = small
        .participants()
        .iter()
        .map(|c| c.user_id().to_owned())
        .collect();
    members.sort();
    assert_eq!(members, ["a", "b"]);
    assert!(!chat.is_full(), "no max size, never full");
    let info = small.info();
    assert_eq!(
        (info.id.as_str(), info.size, info.max_size),
        ("small", 2, Some(2))
    );
}

#[tokio::test]
async fn rooms_created_and_deleted_from_rust_are_broadcast() {
    let server = Server::start().await;
    for transport in TRANSPORTS {
        let alice = server.connect("alice", transport).await;
        let bob = server.connect("bob", transport).await;
        let id = format!("game-{transport:?}");
        let options = RoomOptions::new(&id, "Game")
            .description("A game")
            .max_size(3)
            .created_by("alice");
        let room = server.dialogue.create_room(options.clone()).await.unwrap();
        assert_eq!(room.created_by(), Some("alice"));
        assert!(!room.is_declared());
        let expected = json!({
            "id": id, "name": "Game", "description": "A game",
            "size": 0, "maxSize": 3, "createdById": "alice",
        });
        for client in [&alice, &bob] {
            assert_eq!(next(client, "dialogue:roomCreated").await, expected);
        }
        let again = server.dialogue.create_room(options).await;
        assert!(
            matches!(again, Err(CreateRoomError::Exists(_))),
            "{again:?}"
        );
        let bad = server
            .dialogue
            .create_room(RoomOptions::new("two words", "Bad"))
            .await;
        assert!(
            matches!(bad, Err(CreateRoomError::InvalidId { .. })),
            "{bad:?}"
        );
        let bad = server
            .dialogue
            .create_room(RoomOptions::new("ok", " "))
            .await;
        assert!(matches!(bad, Err(CreateRoomError::InvalidName)), "{bad:?}");
        let taken = server
            .dialogue
            .create_room(RoomOptions::new("chat", "Chat"))
            .await;
        assert!(
            matches!(taken, Err(CreateRoomError::Exists(_))),
            "{taken:?}"
        );

        join(&bob, &id).await;
        assert_eq!(room.size(), 1);
        server.dialogue.delete_room(&id).await.unwrap();
        for client in [&alice, &bob] {
            assert_eq!(
                next(client, "dialogue:roomDeleted").await,
                json!({ "roomId": id })
            );
        }
        assert!(server.dialogue.room_by_id(&id).is_none());
        assert!(server.only_client("bob").await.rooms().is_empty());

        let declared = server.dialogue.delete_room("chat").await;
        assert!(
            matches!(declared, Err(DeleteRoomError::Declared(_))),
            "{declared:?}"
        );
        let missing = server.dialogue.delete_room("nowhere").await;
        assert!(
            matches!(missing, Err(DeleteRoomError::RoomNotFound(_))),
            "{missing:?}"
        );
        assert_silent(&alice, "dialogue:roomDeleted").await;
        alice.disconnect().await;
        bob.disconnect().await;
    }
}

#[tokio::test]
async fn a_room_from_rust_can_restrict_events_and_subscriptions() {
    let server = Server::start().await;
    let options = RoomOptions::new("strict", "Strict")
        .events(RoomEvents::Only(vec!["message".into()]))
        .default_subscriptions(Subscriptions::Only(vec![]));
    server.dialogue.create_room(options).await.unwrap();
    let alice = server.connect("alice", Transport::WebSocket).await;
    join(&alice, "strict").await;
    assert!(
        server
            .only_client("alice")
            .await
            .subscriptions("strict")
            .is_empty()
    );
    let typing = json!({ "roomId": "strict", "event": "typing", "data": { "isTyping": true } });
    refused_with(
        &alice,
        crate::harness::Form::Ack,
        "EVENT_NOT_ALLOWED",
        "dialogue:trigger",
        typing,
    )
    .await;
    // A declared event named in the list is validated against its schema.
    let empty = json!({ "roomId": "strict", "event": "message", "data": message("") });
    refused_with(
        &alice,
        crate::harness::Form::Ack,
        "VALIDATION_FAILED",
        "dialogue:trigger",
        empty,
    )
    .await;
    trigger(&alice, "strict", "message", message("ok")).await;
    assert_silent(&alice, "dialogue:event").await;
    // Created without a creator: no client may delete it.
    refused_with(
        &alice,
        crate::harness::Form::Ack,
        "PERMISSION_DENIED",
        "dialogue:deleteRoom",
        json!({ "roomId": "strict" }),
    )
    .await;
}

#[tokio::test]
async fn clients_are_found_by_id_and_by_user() {
    let server = Server::start().await;
    let (first, one) = server
        .connect_with(Some(json!({ "userId": "alice" })), Transport::WebSocket)
        .await;
    let (second, two) = server
        .connect_with(Some(json!({ "userId": "alice" })), Transport::Polling)
        .await;
    let bob = server.connect("bob", Transport::WebSocket).await;
    // Registration may trail the greeting by a moment.
    eventually("all three are registered", || {
        server.dialogue.get_all_clients().len() == 3
    })
    .await;

    let mut alices: Vec<String> = server
        .dialogue
        .get_clients("alice")
        .iter()
        .map(|c| c.id().to_owned())
        .collect();
    alices.sort();
    let mut expected = vec![
        one["clientId"].as_str().unwrap().to_owned(),
        two["clientId"].as_str().unwrap().to_owned(),
    ];
    expected.sort();
    assert_eq!(alices, expected);
    let found = server
        .dialogue
        .get_client(one["clientId"].as_str().unwrap())
        .unwrap();
    assert_eq!(found.user_id(), "alice");
    assert!(found.is_connected());
    assert_eq!(server.dialogue.get_all_clients().len(), 3);
    assert!(server.dialogue.get_client("nope").is_none());
    assert!(server.dialogue.get_clients("nobody").is_empty());

    bob.disconnect().await;
    eventually("bob is forgotten", || {
        server.dialogue.get_all_clients().len() == 2
    })
    .await;
    first.disconnect().await;
    eventually("alice has one connection", || {
        server.dialogue.get_clients("alice").len() == 1
    })
    .await;
    assert_eq!(
        server.dialogue.get_clients("alice")[0].id(),
        two["clientId"]
    );
    second.disconnect().await;
}

#[tokio::test]
async fn client_rooms_span_every_connection_of_a_user() {
    let server = Server::start().await;
    let first = server.connect("alice", Transport::WebSocket).await;
    let second = server.connect("alice", Transport::Polling).await;
    let bob = server.connect("bob", Transport::WebSocket).await;
    join(&first, "chat").await;
    join(&second, "orders").await;
    join(&second, "chat").await;
    join(&bob, "chat").await;

    let rooms = server.dialogue.get_client_rooms("alice");
    assert_eq!(rooms.ids, ["chat", "orders"]);
    let mut seen = Vec::new();
    rooms.for_all(|id| seen.push(id.to_owned()));
    assert_eq!(seen, ["chat", "orders"]);
    assert!(server.dialogue.is_in_room("alice", "chat"));
    assert!(server.dialogue.is_in_room("alice", "orders"));
    assert!(!server.dialogue.is_in_room("alice", "small"));
    assert!(!server.dialogue.is_in_room("nobody", "chat"));
    assert!(server.dialogue.get_client_rooms("nobody").ids.is_empty());

    let mut left = Vec::new();
    rooms.leave_all(|id| left.push(id.to_owned())).await;
    assert_eq!(left, ["chat", "orders"]);
    assert_eq!(
        next(&first, "dialogue:left").await,
        json!({ "roomId": "chat" })
    );
    let mut second_left = vec![
        next(&second, "dialogue:left").await["roomId"].clone(),
        next(&second, "dialogue:left").await["roomId"].clone(),
    ];
    second_left.sort_by_key(ToString::to_string);
    assert_eq!(second_left, [json!("chat"), json!("orders")]);
    assert_silent(&first, "dialogue:left").await;
    assert!(!server.dialogue.is_in_room("alice", "chat"));
    assert!(server.dialogue.get_client_rooms("alice").ids.is_empty());
    assert_eq!(
        server.dialogue.room(ConformanceApp::chat()).size(),
        1,
        "bob stays"
    );
    assert_eq!(server.dialogue.room(ConformanceApp::orders()).size(), 0);
}

#[tokio::test]
async fn a_server_side_join_and_leave_tell_the_client() {
    let server = Server::start().await;
    server
        .dialogue
        .room(ConformanceApp::chat())
        .trigger(hello("earlier"))
        .await
        .unwrap();
    for transport in TRANSPORTS {
        let alice = server.connect("alice", transport).await;
        let handle = server.only_client("alice").await;
        handle.join("chat").await.unwrap();
        let joined = alice.recv_timeout(WAIT).await.unwrap();
        assert_eq!(joined.name, "dialogue:joined");
        assert_joined(arg(&joined), "chat", "Chat Room");
        let history = next(&alice, "dialogue:history").await;
        assert_eq!(history["roomId"], "chat");
        let oldest = history["events"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()
            .clone();
        assert_eq!(oldest["data"]["text"], "earlier");
        assert!(server.dialogue.is_in_room("alice", "chat"));
        assert_eq!(handle.rooms(), ["chat"]);
        // The membership is real: events arrive.
        server
            .dialogue
            .room(ConformanceApp::chat())
            .trigger(hello("now"))
            .await
            .unwrap();
        assert_eq!(next(&alice, "dialogue:event").await["data"]["text"], "now");

        // Joining again answers joined again, without history.
        handle.join("chat").await.unwrap();
        next(&alice, "dialogue:joined").await;
        assert_silent(&alice, "dialogue:history").await;

        let missing = handle.join("nowhere").await;
        assert!(
            matches!(missing, Err(JoinError::RoomNotFound(_))),
            "{missing:?}"
        );

        handle.leave("chat").await.unwrap();
        assert_eq!(
            next(&alice, "dialogue:left").await,
            json!({ "roomId": "chat" })
        );
        assert!(handle.rooms().is_empty());
        // Leaving a room it is not in says nothing.
        handle.leave("orders").await.unwrap();
        assert_silent(&alice, "dialogue:left").await;
        let missing = handle.leave("nowhere").await;
        assert!(
            matches!(missing, Err(LeaveError::RoomNotFound(_))),
            "{missing:?}"
        );
        alice.disconnect().await;
    }
}

#[tokio::test]
async fn a_server_side_join_respects_max_size() {
    let server = Server::start().await;
    let a = server.connect("a", Transport::WebSocket).await;
    let b = server.connect("b", Transport::WebSocket).await;
    let c = server.connect("c", Transport::Polling).await;
    join(&a, "small").await;
    join(&b, "small").await;
    let full = server.only_client("c").await.join("small").await;
    assert!(
        matches!(full, Err(JoinError::RoomFull { max_size: 2, .. })),
        "{full:?}"
    );
    assert_silent(&c, "dialogue:joined").await;
    assert_eq!(server.dialogue.room(ConformanceApp::small()).size(), 2);
}

#[tokio::test]
async fn server_side_subscriptions_change_delivery() {
    let server = Server::start().await;
    for transport in TRANSPORTS {
        let alice = server.connect("alice", transport).await;
        join(&alice, "chat").await;
        let handle = server.only_client("alice").await;
        let chat = server.dialogue.room(ConformanceApp::chat());
        assert_eq!(handle.subscriptions("chat"), ["message"]);
        assert!(
            handle.subscriptions("orders").is_empty(),
            "not joined: none"
        );

        handle.subscribe("chat", "typing").unwrap();
        assert_eq!(handle.subscriptions("chat"), ["message", "typing"]);
        chat.trigger(Typing { is_typing: true }).await.unwrap();
        assert_eq!(next(&alice, "dialogue:event").await["event"], "typing");

        handle.unsubscribe("chat", "typing").unwrap();
        handle.unsubscribe("chat", "message").unwrap();
        assert!(handle.subscriptions("chat").is_empty());
        chat.trigger(Typing { is_typing: false }).await.unwrap();
        chat.trigger(hello("unheard")).await.unwrap();
        assert_silent(&alice, "dialogue:event").await;

        handle.subscribe_all("chat").unwrap();
        assert_eq!(handle.subscriptions("chat"), ["*"]);
        chat.trigger(hello("heard")).await.unwrap();
        chat.trigger(Typing { is_typing: true }).await.unwrap();
        let events = drain_events(&alice).await;
        let names: Vec<&str> = events
            .iter()
            .map(|e| e["event"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["message", "typing"]);

        let outside = handle.subscribe("orders", "order:updated");
        assert!(
            matches!(outside, Err(SubscribeError::NotInRoom(_))),
            "{outside:?}"
        );
        let missing = handle.subscribe_all("nowhere");
        assert!(
            matches!(missing, Err(SubscribeError::RoomNotFound(_))),
            "{missing:?}"
        );
        let bad = handle.subscribe("chat", "two words");
        assert!(
            matches!(bad, Err(SubscribeError::InvalidEventName { .. })),
            "{bad:?}"
        );
        alice.disconnect().await;
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Notice {
    level: u8,
    body_text: String,
}

#[tokio::test]
async fn send_reaches_one_client_only() {
    let server = Server::start().await;
    for transport in TRANSPORTS {
        let alice = server.connect("alice", transport).await;
        let bob = server.connect("bob", transport).await;
        let handle = server.only_client("alice").await;
        handle.send("custom:hello", &json!({ "n": 1 })).unwrap();
        handle
            .send(
                "custom:notice",
                &Notice {
                    level: 2,
                    body_text: "hi".into(),
                },
            )
            .unwrap();
        assert_eq!(next(&alice, "custom:hello").await, json!({ "n": 1 }));
        assert_eq!(
            next(&alice, "custom:notice").await,
            json!({ "level": 2, "bodyText": "hi" })
        );
        assert_silent(&bob, "custom:hello").await;
        alice.disconnect().await;
        bob.disconnect().await;
    }
}

#[tokio::test]
async fn a_server_side_disconnect_is_seen_by_the_client_and_forgotten() {
    let server = Server::start().await;
    for transport in TRANSPORTS {
        let alice = server.connect("alice", transport).await;
        let bob = server.connect("bob", transport).await;
        for client in [&alice, &bob] {
            join(client, "chat").await;
            join(client, "small").await;
        }
        let handle = server.only_client("alice").await;
        let id = handle.id().to_owned();
        handle.disconnect();
        alice
            .wait_disconnected(WAIT)
            .await
            .expect("the client sees it");
        eventually("alice is forgotten and her rooms shrink", || {
            server.dialogue.get_client(&id).is_none()
                && server.dialogue.room(ConformanceApp::chat()).size() == 1
                && server.dialogue.room(ConformanceApp::small()).size() == 1
        })
        .await;
        assert!(!handle.is_connected());
        assert!(server.dialogue.get_clients("alice").is_empty());
        assert_eq!(
            handle.send("custom:late", &json!(1)),
            Err(SendError::Disconnected)
        );
        // bob carries on, and the freed place in small is free.
        trigger(&bob, "chat", "message", message("still here")).await;
        let carol = server.connect("carol", transport).await;
        join(&carol, "small").await;
        for client in [bob, carol] {
            client.disconnect().await;
        }
        eventually("everyone is gone", || {
            server.dialogue.get_all_clients().is_empty()
        })
        .await;
    }
}
