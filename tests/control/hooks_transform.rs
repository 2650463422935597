//! `before_each` transforms: the message it returns is what everyone
//! receives, what history keeps and what the later hooks see; a result that
//! breaks the event's schema, or moves the event, is a failure (`INTERNAL`).

use dialogue_client::Transport;
use dialogue_runtime::EventMessage;
use serde_json::{Value, json};

use crate::app::{ControlApp, Message};
use crate::harness::{
    FORMS, Log, Server, ask, assert_silent, assert_usable, builder, join, message, next, refused,
    texts, trigger,
};

/// Shouts every `message`, marks it moderated and signs it by the moderator;
/// `"break"` becomes an empty text (invalid), `"move"` another room.
async fn moderating_server(log: &Log) -> Server {
    let b = builder().before_each(|_, mut message| async move {
        if message.event != "message" {
            return Ok(message);
        }
        let text = message.data["text"].as_str().unwrap_or_default().to_owned();
        match text.as_str() {
            "break" => message.data["text"] = json!(""),
            "move" => message.room_id = "sandbox".to_owned(),
            _ => message.data["text"] = json!(text.to_uppercase()),
        }
        message
            .meta
            .get_or_insert_default()
            .insert("moderated".to_owned(), json!(true));
        message.from = format!("mod:{}", message.from);
        Ok(message)
    });
    let l = log.clone();
    let b = b.after_each(move |_, message, recipients| {
        let l = l.clone();
        async move {
            l.push(format!(
                "after_each:{}:{}:{recipients}",
                message.from, message.data["text"]
            ));
        }
    });
    let l = log.clone();
    let b = b.on_triggered(move |_, message| {
        let l = l.clone();
        async move {
            l.push(format!(
                "on_triggered:{}:{}:{}",
                message.from,
                message.data["text"],
                message.meta.map_or(Value::Null, |m| m["moderated"].clone())
            ));
        }
    });
    let server = Server::start(b).await;
    let l = log.clone();
    let _ = server
        .dialogue
        .room(ControlApp::lobby())
        .on(move |message: EventMessage<Message>| {
            let l = l.clone();
            async move { l.push(format!("listener:{}:{}", message.from, message.data.text)) }
        });
    server
}

#[tokio::test]
async fn everyone_receives_the_transformed_message() {
    let log = Log::default();
    let server = moderating_server(&log).await;
    let alice = server.connect("alice", Transport::WebSocket).await;
    let bob = server.connect("bob", Transport::Polling).await;
    join(&alice, "lobby").await;
    join(&bob, "lobby").await;

    let sent = trigger(&alice, "lobby", "message", message("hello")).await;
    for envelope in [
        sent,
        next(&alice, "dialogue:event").await,
        next(&bob, "dialogue:event").await,
    ] {
        assert_eq!(envelope["data"], json!({ "text": "HELLO" }), "{envelope}");
        assert_eq!(envelope["from"], "mod:alice", "{envelope}");
        assert_eq!(envelope["meta"], json!({ "moderated": true }), "{envelope}");
        assert_eq!(envelope["roomId"], "lobby");
        assert!(envelope["timestamp"].as_u64().is_some_and(|t| t > 0));
    }
    let page = ask(
        &bob,
        "dialogue:getHistory",
        json!({ "roomId": "lobby", "eventName": "message" }),
    )
    .await;
    assert_eq!(texts(&page["events"]), ["HELLO"]);
    assert_eq!(page["events"][0]["from"], "mod:alice");

    log.wait_for("listener:mod:alice:HELLO").await;
    assert_eq!(
        log.entries(),
        [
            "after_each:mod:alice:\"HELLO\":2",
            "on_triggered:mod:alice:\"HELLO\":true",
            "listener:mod:alice:HELLO",
        ]
    );

    // The server's own triggers are transformed too, and the server gets
    // back what everyone received.
    let returned = server
        .dialogue
        .trigger(
            ControlApp::lobby(),
            Message {
                text: "notice".into(),
            },
        )
        .await
        .expect("the server triggers");
    let pushed = next(&bob, "dialogue:event").await;
    assert_eq!(pushed["data"]["text"], "NOTICE");
    assert_eq!(pushed["from"], "mod:system");
    assert_eq!(returned.data.text, "NOTICE");
    assert_eq!(returned.from, "mod:system");
    assert_eq!(
        returned.timestamp,
        pushed["timestamp"].as_u64().expect("timestamp")
    );

    let returned = server
        .dialogue
        .room_by_id("lobby")
        .expect("the lobby")
        .trigger_json("message", serde_json::json!({ "text": "raw" }), None)
        .await
        .expect("the server triggers");
    assert_eq!(returned.data["text"], "RAW");
    assert_eq!(returned.from, "mod:system");
}

#[tokio::test]
async fn a_transform_that_breaks_the_schema_or_moves_the_event_is_internal() {
    let log = Log::default();
    let server = moderating_server(&log).await;
    let alice = server.connect("alice", Transport::WebSocket).await;
    let bob = server.connect("bob", Transport::WebSocket).await;
    join(&alice, "lobby").await;
    join(&bob, "lobby").await;
    join(&bob, "sandbox").await;
    for text in ["break", "move"] {
        for form in FORMS {
            let error = refused(
                &alice,
                form,
                "INTERNAL",
                "dialogue:trigger",
                json!({ "roomId": "lobby", "event": "message", "data": message(text) }),
            )
            .await;
            // The message says no more than that something failed.
            assert!(!error["message"].as_str().unwrap().contains("before_each"));
        }
    }
    assert_silent(&bob, "dialogue:event").await;
    let page = ask(
        &bob,
        "dialogue:getHistory",
        json!({ "roomId": "lobby", "eventName": "message" }),
    )
    .await;
    assert_eq!(page["events"], json!([]));
    assert_eq!(log.entries(), Vec::<String>::new());
    assert_usable(&alice).await;
}
