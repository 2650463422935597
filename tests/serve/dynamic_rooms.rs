//! Rooms created by clients: the broadcasts, the errors, what such a room
//! accepts, who may delete it, and listRooms.

use dialogue_client::Client;
use dialogue_runtime::spec::RoomEvents;
use serde_json::{Value, json};

use crate::harness::{
    Form, Server, TRANSPORTS, ask_ok, assert_joined, assert_silent, cases, join, message, next,
    refused_with, trigger,
};

const DECLARED: [&str; 6] = ["chat", "small", "sandbox", "readonly", "orders", "lobby"];

/// createRoom in `form`; returns the RoomInfo of the answer (the creator's
/// `dialogue:roomCreated` in the event form, the acknowledgement's `room`).
async fn create(client: &Client, form: Form, request: Value) -> Value {
    match form {
        Form::Event => {
            client.emit("dialogue:createRoom", request).unwrap();
            next(client, "dialogue:roomCreated").await
        }
        Form::Ack => ask_ok(client, "dialogue:createRoom", request).await["room"].clone(),
    }
}

/// listRooms in `form`.
async fn list(client: &Client, form: Form) -> Value {
    match form {
        Form::Event => {
            client.emit("dialogue:listRooms", Value::Null).unwrap();
            next(client, "dialogue:rooms").await
        }
        Form::Ack => ask_ok(client, "dialogue:listRooms", Value::Null).await["rooms"].clone(),
    }
}

fn ids(rooms: &Value) -> Vec<&str> {
    rooms
        .as_array()
        .unwrap_or_else(|| panic!("a list: {rooms}"))
        .iter()
        .map(|room| room["id"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn creating_a_room_is_broadcast_to_everyone() {
    let server = Server::start().await;
    for (transport, form) in cases() {
        let alice = server.connect("alice", transport).await;
        let bob = server.connect("bob", transport).await;
        let id = format!("game-{transport:?}-{form:?}");
        let request = json!({ "id": id, "name": "Game", "description": "A game", "maxSize": 4 });
        let expected = json!({
            "id": id, "name": "Game", "description": "A game",
            "size": 0, "maxSize": 4, "createdById": "alice", "hostId": "alice",
        });
        let answer = create(&alice, form, request).await;
        assert_eq!(answer, expected);
        // Everyone hears of it, the creator included, whatever form it chose.
        assert_eq!(next(&bob, "dialogue:roomCreated").await, expected);
        if form == Form::Ack {
            assert_eq!(next(&alice, "dialogue:roomCreated").await, expected);
        }
        // Once each.
        assert_silent(&alice, "dialogue:roomCreated").await;
        assert_silent(&bob, "dialogue:roomCreated").await;
        let room = server.dialogue.room_by_id(&id).expect("the server has it");
        assert_eq!(room.created_by(), Some("alice"));
        assert!(!room.is_declared());
        assert_eq!(room.events(), &RoomEvents::Any);
        alice.disconnect().await;
        bob.disconnect().await;
    }
}

#[tokio::test]
async fn a_minimal_room_info_leaves_out_what_was_not_given() {
    let server = Server::start().await;
    let alice = server.connect("alice", TRANSPORTS[0]).await;
    let room = create(&alice, Form::Ack, json!({ "id": "plain", "name": "Plain" })).await;
    assert_eq!(
        room,
        json!({ "id": "plain", "name": "Plain", "size": 0, "createdById": "alice", "hostId": "alice" })
    );
}

#[tokio::test]
async fn an_id_in_use_is_room_exists() {
    let server = Server::start().await;
    for (transport, form) in cases() {
        let alice = server.connect("alice", transport).await;
        let bob = server.connect("bob", transport).await;
        let id = format!("taken-{transport:?}-{form:?}");
        create(&alice, Form::Ack, json!({ "id": id, "name": "Taken" })).await;
        for client in [&alice, &bob] {
            next(client, "dialogue:roomCreated").await;
        }
        for taken in [id.as_str(), "chat", "readonly"] {
            refused_with(
                &bob,
                form,
                "ROOM_EXISTS",
                "dialogue:createRoom",
                json!({ "id": taken, "name": "Again" }),
            )
            .await;
        }
        assert_silent(&alice, "dialogue:roomCreated").await;
        let room = server.dialogue.room_by_id(&id).unwrap();
        assert_eq!(room.name(), "Taken", "the first one stays");
        assert_eq!(room.created_by(), Some("alice"));
        assert_eq!(
            server.dialogue.room_by_id("chat").unwrap().name(),
            "Chat Room"
        );
        alice.disconnect().await;
        bob.disconnect().await;
    }
}

#[tokio::test]
async fn invalid_ids_and_names_are_invalid_requests() {
    let server = Server::start().await;
    for (transport, form) in cases() {
        let alice = server.connect("alice", transport).await;
        let watcher = server.connect("watcher", transport).await;
        let invalid = [
            json!({ "id": "", "name": "Empty id" }),
            json!({ "id": "two words", "name": "Space" }),
            json!({ "id": "tab\there", "name": "Tab" }),
            json!({ "id": "line\nbreak", "name": "Newline" }),
            json!({ "id": "*", "name": "Wildcard" }),
            json!({ "id": "r".repeat(129), "name": "Long id" }),
            json!({ "id": "ok-id", "name": "" }),
            json!({ "id": "ok-id", "name": "   " }),
            json!({ "id": "ok-id", "name": "n".repeat(129) }),
            json!({ "id": "ok-id", "name": "Zero", "maxSize": 0 }),
            json!({ "id": "ok-id", "name": "Negative", "maxSize": -1 }),
            json!({ "id": "ok-id", "name": "Text", "maxSize": "4" }),
            json!({ "id": "ok-id", "name": "Fraction", "maxSize": 1.5 }),
            json!({ "id": "ok-id", "name": 5 }),
            json!({ "id": 5, "name": "Number" }),
            json!({ "id": "ok-id", "name": "Desc", "description": 5 }),
            json!({ "id": "ok-id" }),
            json!({ "name": "No id" }),
        ];
        for request in invalid {
            refused_with(
                &alice,
                form,
                "INVALID_REQUEST",
                "dialogue:createRoom",
                request,
            )
            .await;
        }
        assert_silent(&watcher, "dialogue:roomCreated").await;
        assert_eq!(
            server.dialogue.rooms().len(),
            DECLARED.len(),
            "nothing was created"
        );
        alice.disconnect().await;
        watcher.disconnect().await;
    }
}

#[tokio::test]
async fn a_client_room_accepts_anything_and_subscribes_joiners_to_everything() {
    let server = Server::start().await;
    for transport in TRANSPORTS {
        let alice = server.connect("alice", transport).await;
        let bob = server.connect("bob", transport).await;
        let id = format!("open-{transport:?}");
        create(&alice, Form::Ack, json!({ "id": id, "name": "Open" })).await;
        let joined = join(&bob, &id).await;
        assert_eq!(joined["roomName"], "Open");
        assert!(joined.get("history").is_none(), "{joined}");
        join(&alice, &id).await;
        assert_eq!(server.only_client("bob").await.subscriptions(&id), ["*"]);
        let anything = [
            ("message", json!({ "text": "" })),
            ("order:updated", json!({ "status": "lost" })),
            ("whatever", json!(42)),
        ];
        for (event, data) in anything {
            let sent = trigger(&alice, &id, event, data).await;
            assert_eq!(next(&bob, "dialogue:event").await, sent);
            assert_eq!(
                next(&alice, "dialogue:event").await,
                sent,
                "the creator has `*` too"
            );
        }
        let rooms = ask_ok(&bob, "dialogue:listRooms", Value::Null).await["rooms"].clone();
        let info = rooms
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id.as_str())
            .unwrap()
            .clone();
        assert_eq!(info["size"], 2);
        alice.disconnect().await;
        bob.disconnect().await;
    }
}

#[tokio::test]
async fn a_client_room_keeps_its_max_size() {
    let server = Server::start().await;
    let alice = server.connect("alice", TRANSPORTS[0]).await;
    let bob = server.connect("bob", TRANSPORTS[1]).await;
    create(
        &alice,
        Form::Ack,
        json!({ "id": "duo", "name": "Duo", "maxSize": 1 }),
    )
    .await;
    join(&alice, "duo").await;
    refused_with(
        &bob,
        Form::Ack,
        "ROOM_FULL",
        "dialogue:join",
        json!({ "roomId": "duo" }),
    )
    .await;
    assert_eq!(server.dialogue.room_by_id("duo").unwrap().size(), 1);
}

#[tokio::test]
async fn only_the_creator_may_delete_a_room() {
    let server = Server::start().await;
    for (transport, form) in cases() {
        let alice = server.connect("alice", transport).await;
        let bob = server.connect("bob", transport).await;
        let id = format!("mine-{transport:?}-{form:?}");
        create(&alice, Form::Ack, json!({ "id": id, "name": "Mine" })).await;
        join(&bob, &id).await;
        refused_with(
            &bob,
            form,
            "PERMISSION_DENIED",
            "dialogue:deleteRoom",
            json!({ "roomId": id }),
        )
        .await;
        assert!(server.dialogue.room_by_id(&id).is_some(), "still there");
        assert!(server.dialogue.is_in_room("bob", &id), "bob is still in it");
        assert_silent(&alice, "dialogue:roomDeleted").await;
        alice.disconnect().await;
        bob.disconnect().await;
    }
}

#[tokio::test]
async fn declared_rooms_cannot_be_deleted() {
    let server = Server::start().await;
    for (transport, form) in cases() {
        let alice = server.connect("alice", transport).await;
        join(&alice, "chat").await;
        for room in DECLARED {
            refused_with(
                &alice,
                form,
                "PERMISSION_DENIED",
                "dialogue:deleteRoom",
                json!({ "roomId": room }),
            )
            .await;
        }
        refused_with(
            &alice,
            form,
            "ROOM_NOT_FOUND",
            "dialogue:deleteRoom",
            json!({ "roomId": "nowhere" }),
        )
        .await;
        assert_silent(&alice, "dialogue:roomDeleted").await;
        assert_eq!(server.dialogue.rooms().len(), DECLARED.len());
        assert!(server.dialogue.is_in_room("alice", "chat"));
        alice.disconnect().await;
    }
}

#[tokio::test]
async fn deleting_a_room_removes_its_members() {
    let server = Server::start().await;
    for (transport, form) in cases() {
        let alice = server.connect("alice", transport).await;
        let bob = server.connect("bob", transport).await;
        let carol = server.connect("carol", transport).await;
        let id = format!("doomed-{transport:?}-{form:?}");
        create(&alice, Form::Ack, json!({ "id": id, "name": "Doomed" })).await;
        join(&alice, &id).await;
        join(&bob, &id).await;
        join(&bob, "chat").await;
        let expected = json!({ "roomId": id });
        match form {
            Form::Event => {
                alice
                    .emit("dialogue:deleteRoom", json!({ "roomId": id }))
                    .unwrap();
            }
            Form::Ack => {
                let answer = ask_ok(&alice, "dialogue:deleteRoom", json!({ "roomId": id })).await;
                assert_eq!(answer, json!({ "ok": true }));
            }
        }
        // Everyone is told: the creator, the members, and the others.
        for client in [&alice, &bob, &carol] {
            assert_eq!(next(client, "dialogue:roomDeleted").await, expected);
        }
        assert!(server.dialogue.room_by_id(&id).is_none());
        assert!(!server.dialogue.is_in_room("bob", &id));
        assert_eq!(
            server.only_client("bob").await.rooms(),
            ["chat"],
            "other rooms stay"
        );
        refused_with(
            &bob,
            form,
            "ROOM_NOT_FOUND",
            "dialogue:trigger",
            json!({ "roomId": id, "event": "ping", "data": null }),
        )
        .await;
        refused_with(
            &bob,
            form,
            "ROOM_NOT_FOUND",
            "dialogue:join",
            json!({ "roomId": id }),
        )
        .await;
        let rooms = list(&carol, form).await;
        assert!(!ids(&rooms).contains(&id.as_str()));
        // The id is free again.
        create(&carol, Form::Ack, json!({ "id": id, "name": "Reborn" })).await;
        assert_eq!(server.dialogue.room_by_id(&id).unwrap().size(), 0);
        ask_ok(&carol, "dialogue:deleteRoom", json!({ "roomId": id })).await;
        for client in [alice, bob, carol] {
            client.disconnect().await;
        }
    }
}

#[tokio::test]
async fn list_rooms_gives_every_room_with_its_size() {
    let server = Server::start().await;
    for (transport, form) in cases() {
        let alice = server.connect("alice", transport).await;
        let bob = server.connect("bob", transport).await;
        join(&alice, "chat").await;
        join(&bob, "chat").await;
        join(&bob, "small").await;
        let zeta = format!("zeta-{transport:?}-{form:?}");
        let alpha = format!("alpha-{transport:?}-{form:?}");
        create(&alice, Form::Ack, json!({ "id": zeta, "name": "Zeta" })).await;
        create(
            &alice,
            Form::Ack,
            json!({ "id": alpha, "name": "Alpha", "maxSize": 3 }),
        )
        .await;
        join(&bob, &alpha).await;

        let rooms = list(&bob, form).await;
        let listed = ids(&rooms);
        assert_eq!(
            listed[..6],
            DECLARED,
            "declared rooms first, in declaration order"
        );
        let mut dynamic = listed[6..].to_vec();
        dynamic.sort_unstable();
        let mut expected = vec![zeta.as_str(), alpha.as_str()];
        expected.sort_unstable();
        assert_eq!(dynamic, expected);
        let by_id = |id: &str| {
            rooms
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["id"] == id)
                .unwrap()
                .clone()
        };
        assert_eq!(
            by_id("chat"),
            json!({ "id": "chat", "name": "Chat Room", "description": "General chat", "size": 2 })
        );
        assert_eq!(
            by_id("small"),
            json!({ "id": "small", "name": "Small Room", "size": 1, "maxSize": 2 })
        );
        assert_eq!(
            by_id("sandbox"),
            json!({ "id": "sandbox", "name": "Sandbox", "size": 0 })
        );
        assert_eq!(
            by_id("readonly"),
            json!({ "id": "readonly", "name": "Read-Only", "size": 0 })
        );
        assert_eq!(
            by_id("orders"),
            json!({ "id": "orders", "name": "Orders", "size": 0 })
        );
        assert_eq!(
            by_id(&zeta),
            json!({ "id": zeta, "name": "Zeta", "size": 0, "createdById": "alice", "hostId": "alice" })
        );
        assert_eq!(
            by_id(&alpha),
            json!({ "id": alpha, "name": "Alpha", "size": 1, "maxSize": 3, "createdById": "alice", "hostId": "alice" })
        );
        for id in [&zeta, &alpha] {
            ask_ok(&alice, "dialogue:deleteRoom", json!({ "roomId": id })).await;
        }
        alice.disconnect().await;
        bob.disconnect().await;
        crate::harness::eventually("chat is empty", || {
            server.dialogue.room_by_id("chat").unwrap().size() == 0
        })
        .await;
    }
}

#[tokio::test]
async fn a_created_room_can_be_used_as_a_message_room() {
    // createRoom then join, trigger and leave over the event form only, as a
    // dialogue-ts client would.
    let server = Server::start().await;
    for transport in TRANSPORTS {
        let alice = server.connect("alice", transport).await;
        let id = format!("plain-{transport:?}");
        alice
            .emit("dialogue:createRoom", json!({ "id": id, "name": "Plain" }))
            .unwrap();
        next(&alice, "dialogue:roomCreated").await;
        alice
            .emit("dialogue:join", json!({ "roomId": id }))
            .unwrap();
        assert_joined(&next(&alice, "dialogue:joined").await, &id, "Plain");
        alice
            .emit(
                "dialogue:trigger",
                json!({ "roomId": id, "event": "message", "data": message("hi") }),
            )
            .unwrap();
        let event = next(&alice, "dialogue:event").await;
        assert_eq!(event["from"], "alice");
        alice
            .emit("dialogue:leave", json!({ "roomId": id }))
            .unwrap();
        assert_eq!(next(&alice, "dialogue:left").await, json!({ "roomId": id }));
        alice
            .emit("dialogue:deleteRoom", json!({ "roomId": id }))
            .unwrap();
        assert_eq!(
            next(&alice, "dialogue:roomDeleted").await,
            json!({ "roomId": id })
        );
        assert_silent(&alice, "dialogue:error").await;
        alice.disconnect().await;
    }
}
