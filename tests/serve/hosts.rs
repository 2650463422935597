//! Room secrets, hosts and lifecycle (PROTOCOL.md "Room secrets, hosts,
//! lifecycle"): secrets checked at join, the host's kicks, bans and
//! transfers, succession, host-only rooms, who may delete, and empty rooms
//! deleted, on both transports.

use std::time::Duration;

use dialogue_client::{Client, Transport};
use dialogue_runtime::RoomOptions;
use serde_json::{Value, json};

use crate::harness::{
    FORMS, Server, TRANSPORTS, WAIT, ask_ok, assert_none_queued, assert_silent, join, next,
    refused_with, trigger,
};
use crate::support::conformance::ConformanceApp;

async fn create(client: &Client, request: Value) -> Value {
    ask_ok(client, "dialogue:createRoom", request).await["room"].clone()
}

fn join_with(room: &str, secret: Option<&str>) -> Value {
    match secret {
        Some(secret) => json!({ "roomId": room, "secret": secret }),
        None => json!({ "roomId": room }),
    }
}

#[tokio::test]
async fn a_secret_admits_only_joins_that_carry_it_and_is_never_shown() {
    let server = Server::start().await;
    for transport in TRANSPORTS {
        let alice = server.connect("alice", transport).await;
        let bob = server.connect("bob", transport).await;
        let id = format!("vault-{transport:?}");
        let info = create(
            &alice,
            json!({ "id": id, "name": "Vault", "secret": "s3cret", "hostOnly": true, "presence": true }),
        )
        .await;
        assert_eq!(
            info,
            json!({ "id": id, "name": "Vault", "size": 0, "createdById": "alice", "hostId": "alice",
                    "hasSecret": true, "hostOnly": true, "presence": true })
        );
        let announced = next(&bob, "dialogue:roomCreated").await;
        assert_eq!(
            announced, info,
            "the broadcast says the same, without the secret"
        );
        let listed = ask_ok(&bob, "dialogue:listRooms", Value::Null).await;
        assert!(!listed.to_string().contains("s3cret"), "{listed}");
        // One message for a missing and a wrong secret; the host needs it too.
        let mut messages = Vec::new();
        for form in FORMS {
            for secret in [None, Some("wrong"), Some("")] {
                let error = refused_with(
                    &bob,
                    form,
                    "JOIN_DENIED",
                    "dialogue:join",
                    join_with(&id, secret),
                )
                .await;
                messages.push(error["message"].clone());
            }
            refused_with(
                &alice,
                form,
                "JOIN_DENIED",
                "dialogue:join",
                join_with(&id, None),
            )
            .await;
        }
        messages.dedup();
        assert_eq!(messages.len(), 1, "{messages:?}");
        ask_ok(&bob, "dialogue:join", join_with(&id, Some("s3cret"))).await;
        ask_ok(&alice, "dialogue:join", join_with(&id, Some("s3cret"))).await;
        // Host-only: bob may not trigger, alice may.
        for form in FORMS {
            let request = json!({ "roomId": id, "event": "note", "data": 1 });
            refused_with(&bob, form, "EVENT_NOT_ALLOWED", "dialogue:trigger", request).await;
        }
        trigger(&alice, &id, "note", json!(1)).await;
        alice.disconnect().await;
        bob.disconnect().await;
    }
}

#[tokio::test]
async fn the_host_kicks_every_connection_of_a_user_and_bans_it() {
    let server = Server::start().await;
    for transport in TRANSPORTS {
        let alice = server.connect("alice", transport).await;
        let bob = server.connect("bob", transport).await;
        let bob2 = server.connect("bob", transport).await;
        let carol = server.connect("carol", transport).await;
        let id = format!("club-{transport:?}");
        create(
            &alice,
            json!({ "id": id, "name": "Club", "presence": true }),
        )
        .await;
        for client in [&alice, &bob, &bob2, &carol] {
            join(client, &id).await;
        }
        // Only the host kicks.
        for form in FORMS {
            let kick = json!({ "roomId": id, "userId": "alice" });
            refused_with(&bob, form, "PERMISSION_DENIED", "dialogue:kick", kick).await;
        }
        while carol
            .expect_event("dialogue:presenceDiff", Duration::ZERO)
            .await
            .is_ok()
        {}
        // The event form answers nothing on success.
        alice
            .emit(
                "dialogue:kick",
                json!({ "roomId": id, "userId": "bob", "reason": "spam", "ban": true }),
            )
            .unwrap();
        assert_none_queued(&alice, "dialogue:error").await;
        for kicked in [&bob, &bob2] {
            assert_eq!(
                next(kicked, "dialogue:kicked").await,
                json!({ "roomId": id, "reason": "spam" })
            );
            assert_silent(kicked, "dialogue:left").await;
            let request = json!({ "roomId": id, "event": "x", "data": 1 });
            refused_with(kicked, FORMS[1], "NOT_IN_ROOM", "dialogue:trigger", request).await;
        }
        // A kick is a departure.
        assert_eq!(
            next(&carol, "dialogue:presenceDiff").await["left"],
            json!([{ "userId": "bob" }])
        );
        // Banned: may not join again while the room exists.
        refused_with(
            &bob,
            FORMS[1],
            "JOIN_DENIED",
            "dialogue:join",
            join_with(&id, None),
        )
        .await;
        // A non-member: NOT_IN_ROOM without ban, banned in advance with it.
        for form in FORMS {
            let kick = json!({ "roomId": id, "userId": "dave" });
            refused_with(&alice, form, "NOT_IN_ROOM", "dialogue:kick", kick).await;
        }
        ask_ok(
            &alice,
            "dialogue:kick",
            json!({ "roomId": id, "userId": "dave", "ban": true }),
        )
        .await;
        let dave = server.connect("dave", transport).await;
        refused_with(
            &dave,
            FORMS[0],
            "JOIN_DENIED",
            "dialogue:join",
            join_with(&id, None),
        )
        .await;
        // The ban ends with the room: made again under the same id, bob joins.
        ask_ok(&alice, "dialogue:deleteRoom", json!({ "roomId": id })).await;
        create(&alice, json!({ "id": id, "name": "Club" })).await;
        join(&bob, &id).await;
        for client in [alice, bob, bob2, carol, dave] {
            client.disconnect().await;
        }
    }
}

#[tokio::test]
async fn the_host_passes_on_by_transfer_or_to_whoever_is_present_longest() {
    let server = Server::start().await;
    for transport in TRANSPORTS {
        let alice = server.connect("alice", transport).await;
        let bob = server.connect("bob", transport).await;
        let carol = server.connect("carol", transport).await;
        let id = format!("team-{transport:?}");
        create(&alice, json!({ "id": id, "name": "Team" })).await;
        for client in [&alice, &bob, &carol] {
            join(client, &id).await;
        }
        for form in FORMS {
            let to_stranger = json!({ "roomId": id, "userId": "zed" });
            refused_with(
                &alice,
                form,
                "NOT_IN_ROOM",
                "dialogue:transferHost",
                to_stranger,
            )
            .await;
            let by_guest = json!({ "roomId": id, "userId": "bob" });
            refused_with(
                &bob,
                form,
                "PERMISSION_DENIED",
                "dialogue:transferHost",
                by_guest,
            )
            .await;
        }
        ask_ok(
            &alice,
            "dialogue:transferHost",
            json!({ "roomId": id, "userId": "carol" }),
        )
        .await;
        let changed = json!({ "roomId": id, "hostId": "carol" });
        for client in [&alice, &bob, &carol] {
            assert_eq!(next(client, "dialogue:hostChanged").await, changed);
        }
        // The creator is no longer host: it may neither kick nor delete.
        let kick = json!({ "roomId": id, "userId": "bob" });
        refused_with(&alice, FORMS[1], "PERMISSION_DENIED", "dialogue:kick", kick).await;
        let delete = json!({ "roomId": id });
        refused_with(
            &alice,
            FORMS[1],
            "PERMISSION_DENIED",
            "dialogue:deleteRoom",
            delete,
        )
        .await;
        // The host leaves for good: the member present longest (alice,
        // who joined first) becomes host again.
        ask_ok(&carol, "dialogue:leave", json!({ "roomId": id })).await;
        let changed = json!({ "roomId": id, "hostId": "alice" });
        for client in [&alice, &bob] {
            assert_eq!(next(client, "dialogue:hostChanged").await, changed);
        }
        let listed = ask_ok(&bob, "dialogue:listRooms", Value::Null).await;
        let room = listed["rooms"]
            .as_array()
            .unwrap()
            .iter()
            .find(|room| room["id"] == id)
            .unwrap()
            .clone();
        assert_eq!(room["hostId"], "alice");
        // Everyone leaves: the host stays as it was.
        alice.disconnect().await;
        assert_eq!(
            next(&bob, "dialogue:hostChanged").await,
            json!({ "roomId": id, "hostId": "bob" })
        );
        bob.disconnect().await;
        carol.disconnect().await;
        eventually_size_zero(&server, &id).await;
        assert_eq!(
            server.dialogue.room_by_id(&id).unwrap().host().as_deref(),
            Some("bob")
        );
    }
}

async fn eventually_size_zero(server: &Server, id: &str) {
    crate::harness::eventually(&format!("{id} is empty"), || {
        server
            .dialogue
            .room_by_id(id)
            .is_some_and(|room| room.size() == 0)
    })
    .await;
}

#[tokio::test]
async fn declared_rooms_are_never_deleted_over_the_wire_but_a_named_host_kicks() {
    let server = Server::start().await;
    let alice = server.connect("alice", Transport::WebSocket).await;
    let bob = server.connect("bob", Transport::WebSocket).await;
    join(&alice, "chat").await;
    join(&bob, "chat").await;
    let chat = server.dialogue.room_by_id("chat").unwrap();
    assert_eq!(
        chat.host(),
        None,
        "a declared room has no host unless named"
    );
    chat.set_host(Some("alice")).await;
    assert_eq!(
        next(&bob, "dialogue:hostChanged").await,
        json!({ "roomId": "chat", "hostId": "alice" })
    );
    let info = ask_ok(&bob, "dialogue:listRooms", Value::Null).await;
    assert_eq!(info["rooms"][0]["hostId"], "alice", "{info}");
    for form in FORMS {
        let delete = json!({ "roomId": "chat" });
        refused_with(
            &alice,
            form,
            "PERMISSION_DENIED",
            "dialogue:deleteRoom",
            delete,
        )
        .await;
    }
    ask_ok(
        &alice,
        "dialogue:kick",
        json!({ "roomId": "chat", "userId": "bob" }),
    )
    .await;
    assert_eq!(
        next(&bob, "dialogue:kicked").await,
        json!({ "roomId": "chat" })
    );
    // Without a ban the kicked user may come back.
    join(&bob, "chat").await;
    // A room the server created has no host: no client deletes it.
    server
        .dialogue
        .create_room(RoomOptions::new("announcements", "Announcements"))
        .await
        .unwrap();
    let delete = json!({ "roomId": "announcements" });
    refused_with(
        &alice,
        FORMS[1],
        "PERMISSION_DENIED",
        "dialogue:deleteRoom",
        delete,
    )
    .await;
    // The server kicks in any room.
    server
        .dialogue
        .room_by_id("chat")
        .unwrap()
        .kick("bob", Some("bye"), false)
        .await
        .unwrap();
    assert_eq!(
        next(&bob, "dialogue:kicked").await,
        json!({ "roomId": "chat", "reason": "bye" })
    );
}

#[tokio::test]
async fn a_client_room_left_empty_is_deleted_after_the_empty_room_period() {
    let dialogue = ConformanceApp::server()
        .delete_empty_rooms_after(Duration::from_millis(400))
        .build()
        .unwrap();
    let server = Server::serve(dialogue).await;
    let alice = server.connect("alice", Transport::WebSocket).await;
    let watcher = server.connect("watcher", Transport::Polling).await;
    create(&alice, json!({ "id": "brief", "name": "Brief" })).await;
    join(&alice, "brief").await;
    server
        .dialogue
        .create_room(RoomOptions::new("kept", "Kept"))
        .await
        .unwrap();
    // Occupied: it stays, however long.
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(server.dialogue.room_by_id("brief").is_some());
    ask_ok(&alice, "dialogue:leave", json!({ "roomId": "brief" })).await;
    let started = std::time::Instant::now();
    let deleted = watcher
        .expect_event("dialogue:roomDeleted", WAIT)
        .await
        .unwrap();
    assert_eq!(deleted.args[0], json!({ "roomId": "brief" }));
    assert!(
        started.elapsed() >= Duration::from_millis(350),
        "not before its time"
    );
    // The server's own room stays.
    assert!(server.dialogue.room_by_id("kept").is_some());
}

#[tokio::test]
async fn a_host_only_room_without_a_host_takes_only_the_servers_events() {
    let server = Server::start().await;
    let room = server
        .dialogue
        .create_room(RoomOptions::new("bulletin", "Bulletin").host_only(true))
        .await
        .unwrap();
    assert_eq!(room.host(), None);
    for transport in TRANSPORTS {
        let alice = server.connect("alice", transport).await;
        join(&alice, "bulletin").await;
        for form in FORMS {
            let request = json!({ "roomId": "bulletin", "event": "note", "data": 1 });
            refused_with(
                &alice,
                form,
                "EVENT_NOT_ALLOWED",
                "dialogue:trigger",
                request,
            )
            .await;
        }
        room.trigger_json("note", json!("from the server"), None)
            .await
            .unwrap();
        assert_eq!(
            next(&alice, "dialogue:event").await["data"],
            "from the server"
        );
        // Named host: that user triggers too.
        room.set_host(Some("alice")).await;
        trigger(&alice, "bulletin", "note", json!(2)).await;
        room.set_host(None).await;
        alice.disconnect().await;
    }
}

#[tokio::test]
async fn a_room_created_with_presence_uses_the_applications_info_type() {
    let server = Server::start().await;
    for transport in TRANSPORTS {
        let (alice, _) = server
            .connect_with(
                Some(json!({ "userId": "alice", "name": "Alice" })),
                transport,
            )
            .await;
        let id = format!("party-{transport:?}");
        create(
            &alice,
            json!({ "id": id, "name": "Party", "presence": true }),
        )
        .await;
        join(&alice, &id).await;
        let arrived = next(&alice, "dialogue:presenceDiff").await;
        assert_eq!(
            arrived["joined"],
            json!([{ "userId": "alice", "info": { "name": "Alice" } }]),
            "the application's hook gives the first info"
        );
        let bad = json!({ "roomId": id, "info": { "status": "asleep" } });
        refused_with(
            &alice,
            FORMS[1],
            "VALIDATION_FAILED",
            "dialogue:setPresence",
            bad,
        )
        .await;
        // transferHost answers nothing in the event form.
        let bob = server.connect("bob", transport).await;
        join(&bob, &id).await;
        alice
            .emit(
                "dialogue:transferHost",
                json!({ "roomId": id, "userId": "bob" }),
            )
            .unwrap();
        assert_none_queued(&alice, "dialogue:error").await;
        assert_eq!(next(&bob, "dialogue:hostChanged").await["hostId"], "bob");
        alice.disconnect().await;
        bob.disconnect().await;
    }
}

#[tokio::test]
async fn a_user_kicked_while_its_session_is_held_is_told_when_it_resumes() {
    let server = Server::start().await;
    let host = server.connect("host", Transport::WebSocket).await;
    create(
        &host,
        json!({ "id": "den", "name": "Den", "presence": true }),
    )
    .await;
    join(&host, "den").await;
    let (bob, hello) = server
        .connect_with(Some(json!({ "userId": "bob" })), Transport::WebSocket)
        .await;
    join(&bob, "den").await;
    join(&bob, "chat").await;
    // Bob's connection drops: his session (and seat) are held.
    server.only_client("bob").await.force_reconnect();
    bob.wait_disconnected(WAIT).await.unwrap();
    crate::harness::eventually("bob is held", || {
        server.dialogue.get_clients("bob").is_empty()
    })
    .await;
    ask_ok(
        &host,
        "dialogue:kick",
        json!({ "roomId": "den", "userId": "bob", "reason": "quiet please" }),
    )
    .await;
    assert_eq!(
        server.dialogue.room_by_id("den").unwrap().size(),
        1,
        "his seat went"
    );
    // The host heard its own and bob's arrivals first, then his departure.
    let mut diffs = Vec::new();
    for _ in 0..3 {
        diffs.push(next(&host, "dialogue:presenceDiff").await);
    }
    assert_eq!(diffs[2]["left"][0]["userId"], "bob", "{diffs:?}");
    // He resumes: the greeting says he was removed, and keeps the rest.
    let token = hello["resumeToken"].as_str().unwrap();
    let (bob, greeting) = server
        .connect_with(
            Some(json!({ "userId": "bob", "resume": token })),
            Transport::WebSocket,
        )
        .await;
    assert_eq!(greeting["resumed"], true, "{greeting}");
    assert_eq!(greeting["rooms"], json!(["chat"]), "{greeting}");
    assert_eq!(
        greeting["kicked"],
        json!([{ "roomId": "den", "reason": "quiet please" }]),
        "{greeting}"
    );
    assert!(!server.dialogue.is_in_room("bob", "den"));
    bob.disconnect().await;
}
