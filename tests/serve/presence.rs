//! Presence (docs/presence.md, PROTOCOL.md "Presence"): one entry per user
//! however many connections, diffs on first arrival and last departure,
//! `setPresence` validated against the application's info type, on both
//! transports, against the conformance server's `lobby`.

use std::time::Duration;

use dialogue_client::{Client, Transport};
use serde_json::{Value, json};

use crate::harness::{
    FORMS, Server, TRANSPORTS, WAIT, ask_ok, assert_none_queued, assert_silent, join, leave, next,
    refused_with,
};
use crate::support::conformance::ConformanceApp;

/// A client of `user` that shows `name` (the conformance server's presence
/// info comes from `auth.name`).
async fn named(server: &Server, user: &str, name: Option<&str>, transport: Transport) -> Client {
    let mut auth = json!({ "userId": user });
    if let Some(name) = name {
        auth["name"] = json!(name);
    }
    let (client, greeting) = server.connect_with(Some(auth), transport).await;
    assert_eq!(greeting["userId"], user);
    client
}

async fn diff(client: &Client) -> Value {
    next(client, "dialogue:presenceDiff").await
}

async fn presence(client: &Client, room: &str) -> Value {
    ask_ok(client, "dialogue:getPresence", json!({ "roomId": room })).await
}

#[tokio::test]
async fn users_arrive_once_and_depart_with_their_last_connection() {
    let server = Server::start().await;
    for transport in TRANSPORTS {
        let alice = named(&server, "alice", Some("Alice"), transport).await;
        join(&alice, "lobby").await;
        // The arriving user's own connection gets the diff too, after its
        // answer.
        assert_eq!(
            diff(&alice).await,
            json!({ "roomId": "lobby", "joined": [{ "userId": "alice", "info": { "name": "Alice" } }], "left": [], "updated": [] })
        );
        let bob = named(&server, "bob", None, transport).await;
        join(&bob, "lobby").await;
        let arrived = json!({ "roomId": "lobby", "joined": [{ "userId": "bob" }], "left": [], "updated": [] });
        assert_eq!(diff(&alice).await, arrived, "no info: `info` is absent");
        assert_eq!(diff(&bob).await, arrived);
        // A second connection of alice: no arrival, and the first info holds.
        let alice2 = named(&server, "alice", Some("Other"), transport).await;
        join(&alice2, "lobby").await;
        assert_silent(&bob, "dialogue:presenceDiff").await;
        let page = presence(&bob, "lobby").await;
        assert_eq!(page["roomId"], "lobby");
        assert_eq!(page["count"], 2, "{page}");
        assert_eq!(
            page["members"],
            json!([{ "userId": "alice", "info": { "name": "Alice" } }, { "userId": "bob" }]),
            "one entry per user, earliest first"
        );
        // Her first connection leaves: still present.
        leave(&alice, "lobby").await;
        assert_silent(&bob, "dialogue:presenceDiff").await;
        // The last one leaves: departed.
        leave(&alice2, "lobby").await;
        assert_eq!(
            diff(&bob).await,
            json!({ "roomId": "lobby", "joined": [], "left": [{ "userId": "alice", "info": { "name": "Alice" } }], "updated": [] })
        );
        assert_eq!(presence(&bob, "lobby").await["count"], 1);
        // A disconnection that ends the session is a departure too.
        let carol = named(&server, "carol", None, transport).await;
        join(&carol, "lobby").await;
        assert_eq!(diff(&bob).await["joined"][0]["userId"], "carol");
        carol.disconnect().await;
        assert_eq!(diff(&bob).await["left"], json!([{ "userId": "carol" }]));
        for client in [alice, alice2, bob] {
            client.disconnect().await;
        }
    }
}

#[tokio::test]
async fn get_presence_answers_in_both_forms_for_members_only() {
    let server = Server::start().await;
    for transport in TRANSPORTS {
        let alice = named(&server, "alice", Some("Alice"), transport).await;
        join(&alice, "lobby").await;
        alice
            .emit("dialogue:getPresence", json!({ "roomId": "lobby" }))
            .unwrap();
        let page = next(&alice, "dialogue:presenceResponse").await;
        assert_eq!(
            page,
            json!({ "roomId": "lobby", "members": [{ "userId": "alice", "info": { "name": "Alice" } }], "count": 1 })
        );
        let outsider = named(&server, "olga", None, transport).await;
        for form in FORMS {
            let room = json!({ "roomId": "lobby" });
            refused_with(&outsider, form, "NOT_IN_ROOM", "dialogue:getPresence", room).await;
            let nowhere = json!({ "roomId": "nowhere" });
            refused_with(
                &outsider,
                form,
                "ROOM_NOT_FOUND",
                "dialogue:getPresence",
                nowhere,
            )
            .await;
        }
        // A room without presence.
        join(&alice, "chat").await;
        for form in FORMS {
            let chat = json!({ "roomId": "chat" });
            refused_with(
                &alice,
                form,
                "INVALID_REQUEST",
                "dialogue:getPresence",
                chat.clone(),
            )
            .await;
            let set = json!({ "roomId": "chat", "info": { "status": "away" } });
            refused_with(&alice, form, "INVALID_REQUEST", "dialogue:setPresence", set).await;
        }
        alice.disconnect().await;
        outsider.disconnect().await;
    }
}

#[tokio::test]
async fn set_presence_is_validated_and_announced_when_it_changes() {
    let server = Server::start().await;
    for transport in TRANSPORTS {
        let alice = named(&server, "alice", Some("Alice"), transport).await;
        let bob = named(&server, "bob", None, transport).await;
        join(&alice, "lobby").await;
        join(&bob, "lobby").await;
        diff(&alice).await;
        diff(&alice).await;
        diff(&bob).await;
        let info = json!({ "name": "Alice", "status": "away" });
        ask_ok(
            &alice,
            "dialogue:setPresence",
            json!({ "roomId": "lobby", "info": info }),
        )
        .await;
        let updated = json!({ "roomId": "lobby", "joined": [], "left": [], "updated": [{ "userId": "alice", "info": info }] });
        assert_eq!(diff(&bob).await, updated);
        assert_eq!(diff(&alice).await, updated);
        // The event form answers nothing on success; unchanged info is not
        // announced.
        alice
            .emit(
                "dialogue:setPresence",
                json!({ "roomId": "lobby", "info": info }),
            )
            .unwrap();
        assert_none_queued(&alice, "dialogue:error").await;
        assert_silent(&bob, "dialogue:presenceDiff").await;
        assert_eq!(presence(&bob, "lobby").await["members"][0]["info"], info);
        for form in FORMS {
            let bad = json!({ "roomId": "lobby", "info": { "status": "asleep" } });
            let error = refused_with(
                &alice,
                form,
                "VALIDATION_FAILED",
                "dialogue:setPresence",
                bad,
            )
            .await;
            assert_eq!(error["details"][0]["path"], "/status", "{error}");
            for info in [Value::Null, json!("away"), json!([1])] {
                let request = json!({ "roomId": "lobby", "info": info });
                refused_with(
                    &alice,
                    form,
                    "INVALID_REQUEST",
                    "dialogue:setPresence",
                    request,
                )
                .await;
            }
            let missing = json!({ "roomId": "lobby" });
            refused_with(
                &alice,
                form,
                "INVALID_REQUEST",
                "dialogue:setPresence",
                missing,
            )
            .await;
            // Membership is checked first.
            let outsider = json!({ "roomId": "lobby", "info": "not even an object" });
            let carol = named(&server, "carol", None, transport).await;
            refused_with(
                &carol,
                form,
                "NOT_IN_ROOM",
                "dialogue:setPresence",
                outsider,
            )
            .await;
            carol.disconnect().await;
        }
        assert_silent(&bob, "dialogue:presenceDiff").await;
        alice.disconnect().await;
        bob.disconnect().await;
    }
}

#[tokio::test]
async fn a_dropped_session_departs_only_when_its_grace_period_ends() {
    let dialogue = ConformanceApp::server()
        .resume_grace(Duration::from_millis(600))
        .build()
        .unwrap();
    let server = Server::serve(dialogue).await;
    let bob = named(&server, "bob", None, Transport::WebSocket).await;
    join(&bob, "lobby").await;
    diff(&bob).await;
    let (alice, hello) = server
        .connect_with(
            Some(json!({ "userId": "alice", "name": "Alice" })),
            Transport::WebSocket,
        )
        .await;
    join(&alice, "lobby").await;
    assert_eq!(diff(&bob).await["joined"][0]["userId"], "alice");
    // Dropped: held, no departure; resumed: no arrival, info kept.
    server.only_client("alice").await.force_reconnect();
    alice.wait_disconnected(WAIT).await.unwrap();
    let token = hello["resumeToken"].as_str().unwrap();
    let (alice, greeting) = server
        .connect_with(
            Some(json!({ "userId": "alice", "resume": token })),
            Transport::WebSocket,
        )
        .await;
    assert_eq!(greeting["resumed"], true, "{greeting}");
    assert_silent(&bob, "dialogue:presenceDiff").await;
    assert_eq!(
        presence(&alice, "lobby").await["members"][1],
        json!({ "userId": "alice", "info": { "name": "Alice" } })
    );
    // Dropped again and not resumed: departs once the grace period ends.
    server.only_client("alice").await.force_reconnect();
    alice.wait_disconnected(WAIT).await.unwrap();
    assert_silent(&bob, "dialogue:presenceDiff").await;
    let left = diff(&bob).await;
    assert_eq!(
        left["left"],
        json!([{ "userId": "alice", "info": { "name": "Alice" } }])
    );
    bob.disconnect().await;
}

/// On two nodes, a node that makes an instance on a join reads its roster
/// from Redis beside the join; the join's own change must not hide the
/// users who arrived on the other node before (defect 12 of
/// docs/reliability.md, found by the model-based test on two nodes: the
/// node's presence lacked them for good). Both nodes in this process, as
/// in the model, and many instances, so that the read and the join race
/// every way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_makes_an_instance_on_a_join_sees_who_was_there_before() {
    let nodes = crate::harness::TwoNodes::start().await;
    let (a, b) = (&nodes.a, &nodes.b);
    let first = a.connect("first", Transport::WebSocket).await;
    let mut others = Vec::new();
    for n in 0..8 {
        others.push(b.connect(&format!("other{n}"), Transport::WebSocket).await);
    }
    for n in 0..60 {
        let room = format!("doc:race{n}");
        join(&first, &room).await;
        // B has never held this instance: the first of these joins makes
        // it there, and the others' changes land beside its read.
        futures_util::future::join_all(others.iter().map(|other| join(other, &room))).await;
        let handle = b.dialogue.rooms().into_iter().find(|r| r.id() == room);
        let handle = handle.expect("made on B by the joins");
        let deadline = tokio::time::Instant::now() + WAIT;
        while handle.presence().len() != 1 + others.len() {
            assert!(
                tokio::time::Instant::now() < deadline,
                "{room} on the node that made it last: {:?}",
                handle.presence()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    nodes.stop().await;
}
