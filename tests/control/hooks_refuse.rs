//! The deciding hooks say no: `authenticate` (a `connect_error` with the
//! reason, and the socket never counts as connected), `before_join`
//! (`JOIN_DENIED` with the reason) and `before_each` (`EVENT_NOT_ALLOWED`
//! with the reason). A refusal changes nothing.

use dialogue_client::Transport;
use dialogue_runtime::{HookError, Identity};
use serde_json::json;

use crate::harness::{
    FORMS, Form, Log, Server, TRANSPORTS, ask, assert_silent, assert_usable, builder, join,
    message, refused, settle, trigger,
};

#[tokio::test]
async fn authenticate_refuses_with_its_reason_and_nothing_connects() {
    let log = Log::default();
    let b = builder().authenticate(|_, handshake| async move {
        match handshake.auth["password"].as_str() {
            Some("open sesame") => Ok(Identity::user(
                handshake.auth["name"].as_str().unwrap_or("anonymous"),
            )
            .with_claims(json!({ "via": "password" }))),
            Some(_) => Err(HookError::refuse("wrong password")),
            None => Err(HookError::refuse("a password is required")),
        }
    });
    let l = log.clone();
    let b = b.on_connect(move |_, info| {
        let l = l.clone();
        async move { l.push(format!("on_connect:{}", info.user_id)) }
    });
    let l = log.clone();
    let b = b.on_connected(move |_, client| {
        let l = l.clone();
        async move { l.push(format!("on_connected:{}", client.user_id())) }
    });
    let server = Server::start(b).await;
    for transport in TRANSPORTS {
        assert_eq!(
            server
                .refused_connect(json!({ "password": "guess", "name": "eve" }), transport)
                .await,
            "wrong password"
        );
        assert_eq!(
            server
                .refused_connect(json!({ "userId": "eve" }), transport)
                .await,
            "a password is required"
        );
        assert!(server.dialogue.get_all_clients().is_empty());
        assert_eq!(log.entries(), Vec::<String>::new(), "{transport:?}");

        // The identity comes from the hook, not from `auth.userId`.
        let (client, greeting) = server
            .connect_with(
                json!({ "password": "open sesame", "name": "ali", "userId": "mallory" }),
                transport,
            )
            .await;
        assert_eq!(greeting["userId"], "ali");
        let ali = server.only_client("ali").await;
        assert_eq!(ali.auth(), Some(&json!({ "via": "password" })));
        assert_eq!(ali.meta().get("password"), Some(&json!("open sesame")));
        assert!(server.dialogue.get_clients("mallory").is_empty());
        log.wait_for("on_connected:ali").await;
        assert_eq!(log.entries(), ["on_connect:ali", "on_connected:ali"]);
        client.disconnect().await;
        server.only_client_gone("ali").await;
        log.clear();
    }
}

#[tokio::test]
async fn authenticate_names_a_usable_user_id() {
    let b = builder().authenticate(|_, handshake| async move {
        Ok(Identity::user(
            handshake.auth["as"].as_str().unwrap_or_default(),
        ))
    });
    let server = Server::start(b).await;
    let message = server
        .refused_connect(json!({ "as": "" }), Transport::WebSocket)
        .await;
    assert!(message.contains("user id"), "{message}");
    let message = server
        .refused_connect(json!({ "as": "x".repeat(500) }), Transport::WebSocket)
        .await;
    assert!(message.contains("user id"), "{message}");
    let (_client, greeting) = server
        .connect_with(json!({ "as": "fine" }), Transport::WebSocket)
        .await;
    assert_eq!(greeting["userId"], "fine");
}

#[tokio::test]
async fn before_join_refuses_with_its_reason_and_changes_nothing() {
    let log = Log::default();
    let b = builder().before_join(|_, client, room, _| async move {
        if client.user_id() == "mallory" && room.id() == "lobby" {
            return Err(HookError::refuse("mallory is banned from the lobby"));
        }
        Ok(())
    });
    let l = log.clone();
    let b = b.on_joined(move |_, client, room| {
        let l = l.clone();
        async move { l.push(format!("on_joined:{}:{room}", client.user_id())) }
    });
    let server = Server::start(b).await;
    let alice = server.connect("alice", Transport::WebSocket).await;
    join(&alice, "lobby").await;
    trigger(&alice, "lobby", "message", message("before")).await;

    for transport in TRANSPORTS {
        let mallory = server.connect("mallory", transport).await;
        for form in FORMS {
            let error = refused(
                &mallory,
                form,
                "JOIN_DENIED",
                "dialogue:join",
                json!({ "roomId": "lobby" }),
            )
            .await;
            assert_eq!(error["message"], "mallory is banned from the lobby");
            if form == Form::Ack {
                // The acknowledgement was the whole answer.
                assert_silent(&mallory, "dialogue:error").await;
            }
        }
        // No membership, no joined, no history, no hook, nobody counted.
        assert_eq!(server.size("lobby"), 1);
        assert!(!server.dialogue.is_in_room("mallory", "lobby"));
        assert_silent(&mallory, "dialogue:joined").await;
        let answer = ask(
            &mallory,
            "dialogue:getHistory",
            json!({ "roomId": "lobby", "eventName": "message" }),
        )
        .await;
        assert_eq!(answer["error"]["code"], "NOT_IN_ROOM", "{answer}");
        // Other rooms are fine.
        join(&mallory, "sandbox").await;
        mallory.disconnect().await;
        server.only_client_gone("mallory").await;
    }
    assert_eq!(
        log.entries(),
        [
            "on_joined:alice:lobby",
            "on_joined:mallory:sandbox",
            "on_joined:mallory:sandbox"
        ]
    );
}

#[tokio::test]
async fn before_each_refuses_with_its_reason_and_nothing_is_sent() {
    let log = Log::default();
    let b = builder().before_each(|_, message| async move {
        if message.data["text"]
            .as_str()
            .is_some_and(|t| t.contains("spam"))
        {
            return Err(HookError::refuse("no spam, please"));
        }
        Ok(message)
    });
    let l = log.clone();
    let b = b.after_each(move |_, message, _| {
        let l = l.clone();
        async move { l.push(format!("after_each:{}", message.data["text"])) }
    });
    let l = log.clone();
    let b = b.on_triggered(move |_, message| {
        let l = l.clone();
        async move { l.push(format!("on_triggered:{}", message.data["text"])) }
    });
    let server = Server::start(b).await;
    let alice = server.connect("alice", Transport::WebSocket).await;
    let bob = server.connect("bob", Transport::Polling).await;
    join(&alice, "lobby").await;
    join(&bob, "lobby").await;
    for form in FORMS {
        let error = refused(
            &alice,
            form,
            "EVENT_NOT_ALLOWED",
            "dialogue:trigger",
            json!({ "roomId": "lobby", "event": "message", "data": message("buy spam") }),
        )
        .await;
        assert_eq!(error["message"], "no spam, please");
    }
    assert_silent(&bob, "dialogue:event").await;
    assert_silent(&alice, "dialogue:event").await;
    let page = ask(
        &bob,
        "dialogue:getHistory",
        json!({ "roomId": "lobby", "eventName": "message" }),
    )
    .await;
    assert_eq!(page["events"], json!([]), "{page}");
    settle(&alice).await;
    assert_eq!(log.entries(), Vec::<String>::new());

    // What the hook lets through goes on as usual.
    trigger(&alice, "lobby", "message", message("ham")).await;
    log.wait_for("on_triggered:\"ham\"").await;
    assert_eq!(
        log.entries(),
        ["after_each:\"ham\"", "on_triggered:\"ham\""]
    );
    assert_usable(&alice).await;
}
