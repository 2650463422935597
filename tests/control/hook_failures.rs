//! Hooks that fail: an error, a panic or a timeout. The requester gets
//! `INTERNAL` (saying no more), nothing is half-changed, and the server goes
//! on serving everyone.

use std::time::Duration;

use dialogue_client::Transport;
use dialogue_runtime::{HookError, Identity};
use serde_json::json;

use crate::harness::{
    FORMS, Log, Server, TRANSPORTS, ask, assert_silent, assert_usable, builder, join, leave,
    message, next, refused, trigger,
};

#[tokio::test]
async fn a_failing_or_panicking_before_join_is_internal_and_joins_nobody() {
    let b = builder()
        .hook_timeout(Duration::from_millis(300))
        .before_join(|_, client, _, _| async move {
            match client.user_id() {
                "erring" => Err(HookError::fail("the database at 10.0.0.7 is down")),
                "panicking" => panic!("before_join blew up"),
                "hanging" => std::future::pending().await,
                _ => Ok(()),
            }
        });
    let server = Server::start(b).await;
    let alice = server.connect("alice", Transport::WebSocket).await;
    join(&alice, "small").await;
    for user in ["erring", "panicking", "hanging"] {
        for transport in TRANSPORTS {
            let client = server.connect(user, transport).await;
            for form in FORMS {
                let error = refused(
                    &client,
                    form,
                    "INTERNAL",
                    "dialogue:join",
                    json!({ "roomId": "small" }),
                )
                .await;
                let text = error["message"].as_str().unwrap();
                assert!(
                    !text.contains("10.0.0.7") && !text.contains("blew"),
                    "{text}"
                );
            }
            // Not half-joined: the room holds alice only, and the client is
            // in no room.
            assert_eq!(server.size("small"), 1, "{user}");
            assert!(server.only_client(user).await.rooms().is_empty(), "{user}");
            assert_silent(&client, "dialogue:joined").await;
            assert_usable(&client).await;
            client.disconnect().await;
            server.only_client_gone(user).await;
        }
    }
    // The server still serves: the small room still has its one free place.
    let bob = server.connect("bob", Transport::Polling).await;
    join(&bob, "small").await;
    assert_eq!(server.size("small"), 2);
    trigger(&alice, "small", "message", message("still here")).await;
    assert_eq!(
        next(&bob, "dialogue:event").await["data"]["text"],
        "still here"
    );
}

#[tokio::test]
async fn a_panicking_before_each_is_internal_and_sends_nothing() {
    let b = builder().before_each(|_, message| async move {
        if message.data["text"] == "boom" {
            panic!("before_each blew up");
        }
        Ok(message)
    });
    let server = Server::start(b).await;
    let alice = server.connect("alice", Transport::WebSocket).await;
    let bob = server.connect("bob", Transport::Polling).await;
    join(&alice, "lobby").await;
    join(&bob, "lobby").await;
    for form in FORMS {
        refused(
            &alice,
            form,
            "INTERNAL",
            "dialogue:trigger",
            json!({ "roomId": "lobby", "event": "message", "data": message("boom") }),
        )
        .await;
    }
    assert_silent(&bob, "dialogue:event").await;
    let page = ask(
        &bob,
        "dialogue:getHistory",
        json!({ "roomId": "lobby", "eventName": "message" }),
    )
    .await;
    assert_eq!(page["events"], json!([]));
    trigger(&alice, "lobby", "message", message("fine")).await;
    assert_eq!(next(&bob, "dialogue:event").await["data"]["text"], "fine");
}

#[tokio::test]
async fn a_panicking_authenticate_refuses_without_details_and_the_next_connects() {
    let b = builder().authenticate(|_, handshake| async move {
        match handshake.auth["userId"].as_str() {
            Some("boom") => panic!("authenticate blew up with secret 42"),
            Some("err") => Err(HookError::fail("token service at 10.0.0.7 is down")),
            Some(user) => Ok(Identity::user(user)),
            None => Err(HookError::refuse("no user")),
        }
    });
    let server = Server::start(b).await;
    for transport in TRANSPORTS {
        for user in ["boom", "err"] {
            let message = server
                .refused_connect(json!({ "userId": user }), transport)
                .await;
            assert_eq!(message, "authentication failed: internal error");
        }
        assert!(server.dialogue.get_all_clients().is_empty());
        let client = server.connect("fine", transport).await;
        assert_usable(&client).await;
        client.disconnect().await;
        server.only_client_gone("fine").await;
    }
}

/// Observing hooks that panic: the change they observe stands, the
/// requester has its answer, and later hooks still run.
#[tokio::test]
async fn panicking_observers_change_nothing_for_the_client() {
    let log = Log::default();
    let b = builder()
        .on_connect(|_, _| async { panic!("on_connect") })
        .on_connected(|_, _| async { panic!("on_connected") })
        .on_joined(|_, _, _| async { panic!("on_joined") })
        .after_each(|_, _, _| async { panic!("after_each") })
        .on_room_created(|_, _| async { panic!("on_room_created") })
        .on_disconnected(|_, _| async { panic!("on_disconnected") });
    let l = log.clone();
    let b = b.on_triggered(move |_, message| {
        let l = l.clone();
        async move { l.push(format!("on_triggered:{}", message.data["text"])) }
    });
    let l = log.clone();
    let b = b.on_left(move |_, client, room| {
        let l = l.clone();
        async move {
            l.push(format!("on_left:{}:{room}", client.user_id()));
            if room == "sandbox" {
                panic!("on_left");
            }
        }
    });
    let l = log.clone();
    let b = b.on_disconnect(move |_, info| {
        let l = l.clone();
        async move { l.push(format!("on_disconnect:{}", info.user_id)) }
    });
    let server = Server::start(b).await;
    let alice = server.connect("alice", Transport::WebSocket).await;
    let bob = server.connect("bob", Transport::Polling).await;
    join(&alice, "lobby").await;
    join(&alice, "sandbox").await;
    join(&bob, "lobby").await;
    assert_eq!(server.size("lobby"), 2);
    // after_each panics; on_triggered still runs, everyone got the event.
    trigger(&alice, "lobby", "message", message("hi")).await;
    assert_eq!(next(&bob, "dialogue:event").await["data"]["text"], "hi");
    log.wait_for("on_triggered:\"hi\"").await;
    let created = ask(
        &alice,
        "dialogue:createRoom",
        json!({ "id": "made", "name": "Made" }),
    )
    .await;
    assert_eq!(created["ok"], true, "{created}");
    assert!(server.dialogue.room_by_id("made").is_some());
    leave(&alice, "sandbox").await;
    assert_eq!(server.size("sandbox"), 0);
    assert_usable(&alice).await;
    // on_disconnected panics; the client still leaves its rooms and goes.
    alice.disconnect().await;
    log.wait_for("on_disconnect:alice").await;
    assert_eq!(server.size("lobby"), 1);
    assert!(server.dialogue.get_clients("alice").is_empty());
    assert_eq!(
        log.entries(),
        [
            "on_triggered:\"hi\"",
            "on_left:alice:sandbox",
            "on_left:alice:lobby",
            "on_disconnect:alice"
        ]
    );
    assert_usable(&bob).await;
}
