//! Per-user rooms (`id: "user:{userId}"`): one instance per user, which only
//! that user may join, and where the server reaches that user alone.

use std::time::Duration;

use dialogue_client::Transport;
use dialogue_runtime::JwtAuth;
use serde_json::{Value, json};

use crate::app::{ControlApp, Message};
use crate::harness::{
    FORMS, Server, TRANSPORTS, ask, ask_ok, assert_silent, builder, join, next, refused, trigger,
};
use crate::token;

#[tokio::test]
async fn only_the_user_may_join_their_room() {
    let server = Server::start(builder()).await;
    for transport in TRANSPORTS {
        let alice = server.connect("alice", transport).await;
        let bob = server.connect("bob", transport).await;
        let joined = join(&alice, "user:alice").await;
        assert_eq!(joined["roomName"], "Inbox");
        for form in FORMS {
            let error = refused(
                &bob,
                form,
                "JOIN_DENIED",
                "dialogue:join",
                json!({ "roomId": "user:alice" }),
            )
            .await;
            assert_eq!(
                error["message"],
                "room `user:alice` belongs to another user"
            );
        }
        assert_eq!(server.size("user:alice"), 1);
        // Not a member, bob cannot trigger there either.
        let answer = ask(
            &bob,
            "dialogue:trigger",
            json!({ "roomId": "user:alice", "event": "message", "data": { "text": "hi" } }),
        )
        .await;
        assert_eq!(answer["error"]["code"], "NOT_IN_ROOM", "{answer}");
        // A second connection of alice may join it too.
        let alice_again = server.connect("alice", transport).await;
        join(&alice_again, "user:alice").await;
        assert_eq!(server.size("user:alice"), 2);
        for client in [alice, bob, alice_again] {
            client.disconnect().await;
        }
        server.only_client_gone("alice").await;
        server.only_client_gone("bob").await;
    }
}

#[tokio::test]
async fn the_server_reaches_one_user_and_nobody_else() {
    let server = Server::start(builder()).await;
    let alice = server.connect("alice", Transport::WebSocket).await;
    let bob = server.connect("bob", Transport::Polling).await;
    join(&alice, "user:alice").await;
    join(&bob, "user:bob").await;
    server
        .dialogue
        .user_room(ControlApp::inbox(), "alice")
        .trigger(Message {
            text: "your order shipped".into(),
        })
        .await
        .expect("pushed");
    let pushed = next(&alice, "dialogue:event").await;
    assert_eq!(pushed["roomId"], "user:alice");
    assert_eq!(pushed["from"], "system");
    assert_eq!(pushed["data"]["text"], "your order shipped");
    assert_silent(&bob, "dialogue:event").await;
    // The owner may speak in it.
    let sent = trigger(&alice, "user:alice", "message", json!({ "text": "note" })).await;
    assert_eq!(sent["from"], "alice");
    // Instances are not listed to everyone (they would list user ids).
    let rooms = ask_ok(&bob, "dialogue:listRooms", Value::Null).await;
    let ids: Vec<&str> = rooms["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|room| room["id"].as_str())
        .collect();
    assert!(!ids.iter().any(|id| id.starts_with("user:")), "{ids:?}");
    assert!(ids.contains(&"lobby"), "{ids:?}");
}

#[tokio::test]
async fn with_jwts_the_token_subject_owns_the_room() {
    let secret = b"per-user-room-secret";
    let server = Server::start(builder().jwt(JwtAuth::hs256(secret))).await;
    // `auth.userId` claims alice; the token says carol.
    let token = token::hs256(&token::claims("carol"), secret);
    let (carol, greeting) = server
        .connect_with(
            json!({ "token": token, "userId": "alice" }),
            Transport::WebSocket,
        )
        .await;
    assert_eq!(greeting["userId"], "carol");
    let answer = ask(&carol, "dialogue:join", json!({ "roomId": "user:alice" })).await;
    assert_eq!(answer["error"]["code"], "JOIN_DENIED", "{answer}");
    join(&carol, "user:carol").await;
}

/// The ids of the rooms the server holds in memory.
fn rooms_in_memory(server: &Server) -> Vec<String> {
    server
        .dialogue
        .rooms()
        .iter()
        .map(|room| room.id().to_owned())
        .collect()
}

/// The texts of a history page, newest first.
async fn history_texts(client: &dialogue_client::Client, room: &str) -> Vec<String> {
    let page = ask_ok(
        client,
        "dialogue:getHistory",
        json!({ "roomId": room, "eventName": "message", "start": 0, "end": 10 }),
    )
    .await;
    page["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|event| {
            event["data"]["text"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

/// Makes `user:bob` after `idle`, which sweeps the unused instances.
async fn sweep_after(server: &Server, idle: Duration) {
    tokio::time::sleep(idle * 3).await;
    server
        .dialogue
        .user_room(ControlApp::inbox(), "bob")
        .trigger(Message {
            text: "sweep".into(),
        })
        .await
        .expect("pushed");
}

#[tokio::test]
async fn an_unused_user_room_leaves_memory_and_comes_back_empty_in_a_new_epoch() {
    let idle = Duration::from_millis(200);
    let server = Server::start(builder().drop_unused_user_rooms_after(idle)).await;
    let alice = server.connect("alice", Transport::WebSocket).await;
    let carol = server.connect("carol", Transport::Polling).await;
    let joined = join(&alice, "user:alice").await;
    join(&carol, "user:carol").await;
    trigger(&alice, "user:alice", "message", json!({ "text": "one" })).await;
    ask_ok(&alice, "dialogue:leave", json!({ "roomId": "user:alice" })).await;
    // Leaving a room that is not in memory is not an unknown room.
    let answer = ask(&alice, "dialogue:leave", json!({ "roomId": "user:alice" })).await;
    assert_eq!(answer["ok"], true, "{answer}");

    sweep_after(&server, idle).await;
    let rooms = rooms_in_memory(&server);
    assert!(!rooms.contains(&"user:alice".to_owned()), "{rooms:?}");
    // A member keeps its room; the room just pushed into stays too.
    assert!(rooms.contains(&"user:carol".to_owned()), "{rooms:?}");
    assert!(rooms.contains(&"user:bob".to_owned()), "{rooms:?}");
    // Not in memory, still a room: a member-only request says so.
    let answer = ask(
        &alice,
        "dialogue:trigger",
        json!({ "roomId": "user:alice", "event": "message", "data": { "text": "x" } }),
    )
    .await;
    assert_eq!(answer["error"]["code"], "NOT_IN_ROOM", "{answer}");

    // Without a store its history went with it: a new epoch, empty.
    let again = join(&alice, "user:alice").await;
    assert_ne!(again["position"]["epoch"], joined["position"]["epoch"]);
    assert_eq!(again["position"]["seq"], 0, "{again}");
    assert_eq!(
        history_texts(&alice, "user:alice").await,
        Vec::<String>::new()
    );
}

#[tokio::test]
async fn with_a_store_an_unused_user_room_comes_back_from_it() {
    let dir = crate::support::temp_dir("user-rooms");
    let idle = Duration::from_millis(200);
    let server = Server::start(
        builder()
            .store(dir.join("rooms.sqlite"))
            .drop_unused_user_rooms_after(idle),
    )
    .await;
    let alice = server.connect("alice", Transport::WebSocket).await;
    let joined = join(&alice, "user:alice").await;
    for text in ["one", "two"] {
        trigger(&alice, "user:alice", "message", json!({ "text": text })).await;
    }
    // A held session keeps its rooms: leave first.
    ask_ok(&alice, "dialogue:leave", json!({ "roomId": "user:alice" })).await;
    alice.disconnect().await;
    server.only_client_gone("alice").await;

    sweep_after(&server, idle).await;
    let rooms = rooms_in_memory(&server);
    assert!(!rooms.contains(&"user:alice".to_owned()), "{rooms:?}");

    // The server pushes into it: it is made again from the store.
    let pushed = server
        .dialogue
        .room_by_id("user:alice")
        .expect("a user's room")
        .trigger_json("message", json!({ "text": "three" }), None)
        .await
        .expect("pushed");
    assert_eq!(pushed.seq, 3, "the seq continues");

    let alice = server.connect("alice", Transport::Polling).await;
    let again = join(&alice, "user:alice").await;
    assert_eq!(again["position"]["epoch"], joined["position"]["epoch"]);
    assert_eq!(again["position"]["seq"], 3, "{again}");
    assert_eq!(
        history_texts(&alice, "user:alice").await,
        ["three", "two", "one"]
    );
    drop(alice);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A per-user room that leaves memory without ever having had an event
/// leaves no row in the store (ids that come and go leave nothing behind),
/// and one that had events keeps its row, its position.
#[tokio::test]
async fn with_a_store_an_unused_room_without_events_leaves_no_row() {
    let dir = crate::support::temp_dir("user-rooms-rows");
    let file = dir.join("rooms.sqlite");
    let idle = Duration::from_millis(200);
    let server = Server::start(
        builder()
            .store(file.clone())
            .drop_unused_user_rooms_after(idle),
    )
    .await;
    let rows = || -> Vec<(String, i64)> {
        let connection = rusqlite::Connection::open(&file).unwrap();
        let mut statement = connection
            .prepare("SELECT room, seq FROM dialogue_rooms WHERE room LIKE 'user:%' ORDER BY room")
            .unwrap();
        statement
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let alice = server.connect("alice", Transport::WebSocket).await;
    join(&alice, "user:alice").await;
    ask_ok(&alice, "dialogue:leave", json!({ "roomId": "user:alice" })).await;
    alice.disconnect().await;
    server.only_client_gone("alice").await;
    // Its position was recorded when it started (a join handed it out).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while rows().iter().all(|(room, _)| room != "user:alice") {
        assert!(tokio::time::Instant::now() < deadline, "{:?}", rows());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    sweep_after(&server, idle).await;
    let rooms = rooms_in_memory(&server);
    assert!(!rooms.contains(&"user:alice".to_owned()), "{rooms:?}");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while rows() != [("user:bob".to_owned(), 1)] {
        assert!(
            tokio::time::Instant::now() < deadline,
            "only bob's room, which had an event, keeps a row: {:?}",
            rows()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.dialogue.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}
