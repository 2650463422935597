//! Several registrations of one hook compose, by kind (docs/hooks.md,
//! "Registering a hook more than once"): observing hooks all run in
//! registration order; deciding hooks all must allow, the first refusal
//! wins; `before_each` transforms chain; `authenticate` and `on_load` take
//! one registration, and a second is a build error naming the hook.

use dialogue_client::Transport;
use dialogue_runtime::{BuildError, HookError, JwtAuth};
use serde_json::json;

use crate::harness::{Log, Server, ask, builder, join, message, next, refused, texts, trigger};
use crate::support::wire::Form;

#[tokio::test]
async fn observing_hooks_all_run_in_registration_order() {
    let log = Log::default();
    let mut b = builder();
    for n in 1..=3 {
        let l = log.clone();
        b = b.on_joined(move |_, client, room| {
            let l = l.clone();
            async move { l.push(format!("on_joined {n}: {} {room}", client.user_id())) }
        });
        let l = log.clone();
        b = b.after_each(move |_, message, _| {
            let l = l.clone();
            async move { l.push(format!("after_each {n}: {}", message.data["text"])) }
        });
    }
    let server = Server::start(b).await;
    let alice = server.connect("alice", Transport::WebSocket).await;
    join(&alice, "lobby").await;
    trigger(&alice, "lobby", "message", message("hi")).await;
    log.wait_for("after_each 3: \"hi\"").await;
    assert_eq!(
        log.entries(),
        [
            "on_joined 1: alice lobby",
            "on_joined 2: alice lobby",
            "on_joined 3: alice lobby",
            "after_each 1: \"hi\"",
            "after_each 2: \"hi\"",
            "after_each 3: \"hi\"",
        ]
    );
}

#[tokio::test]
async fn every_before_join_must_allow_and_the_first_refusal_wins() {
    let log = Log::default();
    let (first, second, third) = (log.clone(), log.clone(), log.clone());
    let b = builder()
        .before_join(move |_, client, _, _| {
            let log = first.clone();
            async move {
                log.push(format!("first {}", client.user_id()));
                match client.user_id() {
                    "mallory" => Err(HookError::refuse("no mallory")),
                    _ => Ok(()),
                }
            }
        })
        .before_join(move |_, client, room, _| {
            let log = second.clone();
            async move {
                log.push(format!("second {}", client.user_id()));
                match (client.user_id(), room.id()) {
                    ("bob", "lobby") => Err(HookError::refuse("bob stays out of the lobby")),
                    _ => Ok(()),
                }
            }
        })
        .before_join(move |_, client, _, _| {
            let log = third.clone();
            async move {
                log.push(format!("third {}", client.user_id()));
                Ok(())
            }
        });
    let server = Server::start(b).await;

    let alice = server.connect("alice", Transport::WebSocket).await;
    join(&alice, "lobby").await;
    assert_eq!(
        log.entries(),
        ["first alice", "second alice", "third alice"]
    );

    log.clear();
    let bob = server.connect("bob", Transport::WebSocket).await;
    let error = refused(
        &bob,
        Form::Ack,
        "JOIN_DENIED",
        "dialogue:join",
        json!({ "roomId": "lobby" }),
    )
    .await;
    assert_eq!(error["message"], "bob stays out of the lobby");
    assert_eq!(
        log.entries(),
        ["first bob", "second bob"],
        "the third never ran"
    );

    log.clear();
    let mallory = server.connect("mallory", Transport::WebSocket).await;
    let error = refused(
        &mallory,
        Form::Event,
        "JOIN_DENIED",
        "dialogue:join",
        json!({ "roomId": "lobby" }),
    )
    .await;
    assert_eq!(error["message"], "no mallory");
    assert_eq!(log.entries(), ["first mallory"]);
    assert_eq!(server.size("lobby"), 1, "only alice got in");
}

#[tokio::test]
async fn before_each_transforms_chain_in_registration_order() {
    let b = builder()
        .before_each(|_, mut message| async move {
            let text = message.data["text"].as_str().unwrap_or_default().to_owned();
            message.data["text"] = json!(format!("{text}-a"));
            Ok(message)
        })
        .before_each(|_, mut message| async move {
            let text = message.data["text"].as_str().unwrap_or_default().to_owned();
            if text == "stop-a" {
                return Err(HookError::refuse("stopped by the second"));
            }
            message.data["text"] = json!(format!("{text}-b"));
            Ok(message)
        });
    let server = Server::start(b).await;
    let alice = server.connect("alice", Transport::WebSocket).await;
    let bob = server.connect("bob", Transport::WebSocket).await;
    join(&alice, "lobby").await;
    join(&bob, "lobby").await;

    let sent = trigger(&alice, "lobby", "message", message("x")).await;
    assert_eq!(sent["data"]["text"], "x-a-b", "{sent}");
    let received = next(&bob, "dialogue:event").await;
    assert_eq!(received["data"]["text"], "x-a-b");

    let error = refused(
        &alice,
        Form::Ack,
        "EVENT_NOT_ALLOWED",
        "dialogue:trigger",
        json!({
            "roomId": "lobby", "event": "message", "data": message("stop"),
        }),
    )
    .await;
    assert_eq!(error["message"], "stopped by the second");
    let page = ask(
        &alice,
        "dialogue:getHistory",
        json!({ "roomId": "lobby", "eventName": "message" }),
    )
    .await;
    assert_eq!(
        texts(&page["events"]),
        ["x-a-b"],
        "the refused one was not kept"
    );
}

#[tokio::test]
async fn a_second_authenticate_or_on_load_is_a_build_error_naming_it() {
    let twice = builder()
        .authenticate(|_, _| async { Err(HookError::refuse("no")) })
        .authenticate(|_, _| async { Err(HookError::refuse("no")) })
        .build()
        .expect_err("refused");
    assert_eq!(
        twice,
        BuildError::HookRegisteredTwice {
            hook: "authenticate"
        }
    );

    let with_jwt = builder()
        .jwt(JwtAuth::hs256("secret"))
        .authenticate(|_, _| async { Err(HookError::refuse("no")) })
        .build()
        .expect_err("refused");
    let message = with_jwt.to_string();
    assert!(
        message.contains("`authenticate`") && message.contains("jwt()"),
        "{message}"
    );

    let loads = builder()
        .on_load(|_, _| async { Ok(Vec::new()) })
        .on_load(|_, _| async { Ok(Vec::new()) })
        .build()
        .expect_err("refused");
    assert_eq!(loads, BuildError::HookRegisteredTwice { hook: "on_load" });
    assert_eq!(
        loads.to_string(),
        "the `on_load` hook may be registered once, but was registered twice"
    );
}
