//! Per-user rooms (`id: "user:{userId}"`): one instance per user, which only
//! that user may join, and where the server reaches that user alone.

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
