//! Room templates and rooms made at run time (PROTOCOL.md "Room secrets,
//! hosts, lifecycle", "Template instances"): `doc:{docId}` instances made
//! on join with the template's options, listed but never announced, never
//! created or deleted by clients, dropped from memory when unused; and rooms
//! the server creates with history sync, server events and claims.

use std::time::Duration;

use dialogue_client::Transport;
use dialogue_runtime::RoomOptions;
use dialogue_runtime::spec::{HistorySync, RoomEvents, Subscriptions};
use serde_json::{Value, json};

use crate::harness::{
    FORMS, Server, TRANSPORTS, ask_ok, assert_silent, join, message, next, refused_with, trigger,
};
use crate::support::conformance::{ConformanceApp, Message};

#[tokio::test]
async fn joining_an_instance_makes_it_with_the_templates_options() {
    let server = Server::start().await;
    for transport in TRANSPORTS {
        let alice = server.connect("alice", transport).await;
        let bob = server.connect("bob", transport).await;
        let id = format!("doc:readme-{transport:?}");
        let joined = join(&alice, &id).await;
        assert_eq!(joined["roomName"], "Document", "{joined}");
        assert_eq!(joined["position"]["seq"], 0);
        // Never announced, but listed while in memory.
        assert_silent(&bob, "dialogue:roomCreated").await;
        let listed = ask_ok(&bob, "dialogue:listRooms", Value::Null).await;
        let info = listed["rooms"]
            .as_array()
            .unwrap()
            .iter()
            .find(|room| room["id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("{id} listed: {listed}"));
        assert_eq!(
            info,
            json!({ "id": id, "name": "Document", "size": 1, "presence": true })
        );
        // The template's events, validated; others refused.
        trigger(&alice, &id, "message", message("first")).await;
        for form in FORMS {
            let invalid = json!({ "roomId": id, "event": "message", "data": { "text": "" } });
            refused_with(
                &alice,
                form,
                "VALIDATION_FAILED",
                "dialogue:trigger",
                invalid,
            )
            .await;
            let other = json!({ "roomId": id, "event": "order:updated", "data": {} });
            refused_with(&alice, form, "EVENT_NOT_ALLOWED", "dialogue:trigger", other).await;
        }
        // History synced on join (the template's `sync_history_on_join: 20`),
        // and presence.
        let synced = join(&bob, &id).await;
        assert_eq!(synced["history"][0]["data"]["text"], "first", "{synced}");
        let present = ask_ok(&bob, "dialogue:getPresence", json!({ "roomId": id })).await;
        assert_eq!(present["count"], 2, "{present}");
        // Clients may neither create nor delete instances.
        for form in FORMS {
            let create = json!({ "id": format!("doc:mine-{transport:?}"), "name": "Mine" });
            refused_with(
                &alice,
                form,
                "PERMISSION_DENIED",
                "dialogue:createRoom",
                create,
            )
            .await;
            let delete = json!({ "roomId": id });
            refused_with(
                &alice,
                form,
                "PERMISSION_DENIED",
                "dialogue:deleteRoom",
                delete,
            )
            .await;
        }
        // Not instances: an empty value, a value with a space, too long.
        let long = format!("doc:{}", "x".repeat(65));
        for bad in ["doc:", "doc:a b", long.as_str()] {
            refused_with(
                &alice,
                FORMS[1],
                "ROOM_NOT_FOUND",
                "dialogue:join",
                json!({ "roomId": bad }),
            )
            .await;
        }
        alice.disconnect().await;
        bob.disconnect().await;
    }
}

#[tokio::test]
async fn the_server_reaches_an_instance_by_its_typed_handle() {
    let server = Server::start().await;
    let alice = server.connect("alice", Transport::WebSocket).await;
    join(&alice, "doc:notes").await;
    let notes = server
        .dialogue
        .instance(ConformanceApp::doc("notes"))
        .expect("a valid instance");
    let pushed = notes
        .trigger(Message {
            text: "from the server".into(),
            sender_id: "server".into(),
        })
        .await
        .unwrap();
    assert_eq!(pushed.from, "system");
    let event = next(&alice, "dialogue:event").await;
    assert_eq!(event["roomId"], "doc:notes");
    assert_eq!(event["data"]["text"], "from the server");
    assert!(
        server
            .dialogue
            .instance(ConformanceApp::doc("not valid"))
            .is_none(),
        "an invalid value is no instance"
    );
}

#[tokio::test]
async fn an_unused_instance_leaves_memory_and_comes_back_in_a_new_epoch() {
    let dialogue = ConformanceApp::server()
        .drop_unused_user_rooms_after(Duration::from_millis(300))
        .build()
        .unwrap();
    let server = Server::serve(dialogue).await;
    let alice = server.connect("alice", Transport::WebSocket).await;
    let first = join(&alice, "doc:brief").await;
    trigger(
        &alice,
        "doc:brief",
        "message",
        message("kept in memory only"),
    )
    .await;
    ask_ok(&alice, "dialogue:leave", json!({ "roomId": "doc:brief" })).await;
    crate::harness::eventually("the instance left memory", || {
        !server
            .dialogue
            .rooms()
            .iter()
            .any(|room| room.id() == "doc:brief")
    })
    .await;
    let listed = ask_ok(&alice, "dialogue:listRooms", Value::Null).await;
    assert!(!listed.to_string().contains("doc:brief"), "{listed}");
    // Without a store its history went with it: a new epoch, nothing synced.
    let again = join(&alice, "doc:brief").await;
    assert_ne!(again["position"]["epoch"], first["position"]["epoch"]);
    assert_eq!(again["position"]["seq"], 0);
    assert!(
        again
            .get("history")
            .is_none_or(|h| h.as_array().is_some_and(Vec::is_empty)),
        "{again}"
    );
}

#[tokio::test]
async fn server_created_rooms_sync_history_carry_server_events_and_require_claims() {
    let server = Server::start().await;
    let options = RoomOptions::new("briefing", "Briefing")
        .events(RoomEvents::Only(vec!["message".into()]))
        .server_events(["order:updated"])
        .default_subscriptions(Subscriptions::All)
        .sync_history_on_join(HistorySync::All);
    let room = server.dialogue.create_room(options).await.unwrap();
    let alice = server.connect("alice", Transport::Polling).await;
    join(&alice, "briefing").await;
    trigger(&alice, "briefing", "message", message("hello")).await;
    // Only the server sends a server event; members receive it.
    for form in FORMS {
        let request = json!({ "roomId": "briefing", "event": "order:updated", "data": { "orderId": "o", "status": "shipped" } });
        refused_with(
            &alice,
            form,
            "EVENT_NOT_ALLOWED",
            "dialogue:trigger",
            request,
        )
        .await;
    }
    room.trigger_json(
        "order:updated",
        json!({ "orderId": "o-1", "status": "shipped" }),
        None,
    )
    .await
    .unwrap();
    let late = server.connect("late", Transport::WebSocket).await;
    let synced = join(&late, "briefing").await;
    let events: Vec<&Value> = synced["history"].as_array().unwrap().iter().collect();
    assert_eq!(events.len(), 2, "{synced}");
    assert_eq!(events[0]["event"], "order:updated", "newest first");
    // Required claims: a client without them is refused.
    let claims = RoomOptions::new("admins", "Admins").require_claim("role", json!("admin"));
    server.dialogue.create_room(claims).await.unwrap();
    let refused = refused_with(
        &alice,
        FORMS[1],
        "JOIN_DENIED",
        "dialogue:join",
        json!({ "roomId": "admins" }),
    )
    .await;
    assert!(
        refused["message"].as_str().unwrap().contains("role"),
        "{refused}"
    );
}

#[tokio::test]
async fn clients_cannot_open_instances_past_the_cap() {
    let dialogue = ConformanceApp::server()
        .max_room_instances(2)
        .build()
        .unwrap();
    let server = Server::serve(dialogue).await;
    for transport in TRANSPORTS {
        let alice = server.connect("alice", transport).await;
        join(&alice, "doc:one").await;
        join(&alice, "doc:two").await;
        for form in FORMS {
            let error = refused_with(
                &alice,
                form,
                "JOIN_DENIED",
                "dialogue:join",
                json!({ "roomId": "doc:three" }),
            )
            .await;
            assert!(
                error["message"]
                    .as_str()
                    .unwrap()
                    .contains("too many rooms"),
                "{error}"
            );
        }
        // Open ones stay joinable; the server's own pushes are not limited.
        let bob = server.connect("bob", transport).await;
        join(&bob, "doc:one").await;
        assert!(
            server
                .dialogue
                .instance(ConformanceApp::doc("four"))
                .is_some()
        );
        alice.disconnect().await;
        bob.disconnect().await;
    }
}
