//! Subscriptions: subscribe, unsubscribe and subscribeAll decide which
//! events of a joined room reach a member.

use dialogue_client::Client;
use serde_json::{Value, json};

use crate::harness::{
    Form, Server, TRANSPORTS, ask_ok, assert_silent, cases, drain_events, eventually, join,
    message, next, refused_with, trigger,
};

/// Sends a subscription request that must succeed, in `form`: the event form
/// has no answer, the acknowledgement is `{ ok: true }`.
async fn change(client: &Client, form: Form, request: &str, data: Value) {
    match form {
        Form::Event => {
            client.emit(request, data).unwrap();
            assert_silent(client, "dialogue:error").await;
        }
        Form::Ack => {
            let answer = ask_ok(client, request, data).await;
            assert_eq!(answer, json!({ "ok": true }));
        }
    }
}

#[tokio::test]
async fn subscribe_and_unsubscribe_control_delivery() {
    let server = Server::start().await;
    for (transport, form) in cases() {
        let alice = server.connect("alice", transport).await;
        let bob = server.connect("bob", transport).await;
        join(&alice, "chat").await;
        join(&bob, "chat").await;
        let bob_server = server.only_client("bob").await;
        assert_eq!(bob_server.subscriptions("chat"), ["message"]);

        change(
            &bob,
            form,
            "dialogue:subscribe",
            json!({ "roomId": "chat", "eventName": "typing" }),
        )
        .await;
        assert_eq!(bob_server.subscriptions("chat"), ["message", "typing"]);
        let typing = trigger(&alice, "chat", "typing", json!({ "isTyping": true })).await;
        assert_eq!(next(&bob, "dialogue:event").await, typing);

        change(
            &bob,
            form,
            "dialogue:unsubscribe",
            json!({ "roomId": "chat", "eventName": "typing" }),
        )
        .await;
        assert_eq!(bob_server.subscriptions("chat"), ["message"]);
        trigger(&alice, "chat", "typing", json!({ "isTyping": false })).await;
        assert_silent(&bob, "dialogue:event").await;

        // The default subscription can go too.
        change(
            &bob,
            form,
            "dialogue:unsubscribe",
            json!({ "roomId": "chat", "eventName": "message" }),
        )
        .await;
        assert!(bob_server.subscriptions("chat").is_empty());
        trigger(&alice, "chat", "message", message("unheard")).await;
        assert_silent(&bob, "dialogue:event").await;
        // Still a member: membership and subscription are separate.
        assert!(server.dialogue.is_in_room("bob", "chat"));
        alice.disconnect().await;
        bob.disconnect().await;
    }
}

#[tokio::test]
async fn subscription_requests_need_membership() {
    let server = Server::start().await;
    for (transport, form) in cases() {
        let alice = server.connect("alice", transport).await;
        join(&alice, "sandbox").await;
        let requests = [
            (
                "dialogue:subscribe",
                json!({ "roomId": "chat", "eventName": "typing" }),
            ),
            (
                "dialogue:unsubscribe",
                json!({ "roomId": "chat", "eventName": "message" }),
            ),
            ("dialogue:subscribeAll", json!({ "roomId": "chat" })),
        ];
        for (request, data) in requests {
            refused_with(&alice, form, "NOT_IN_ROOM", request, data.clone()).await;
            let mut elsewhere = data;
            elsewhere["roomId"] = json!("nowhere");
            refused_with(&alice, form, "ROOM_NOT_FOUND", request, elsewhere).await;
        }
        assert_eq!(
            server.only_client("alice").await.rooms(),
            ["sandbox"],
            "joined nothing"
        );
        alice.disconnect().await;
    }
}

#[tokio::test]
async fn subscribe_all_delivers_every_event() {
    let server = Server::start().await;
    for (transport, form) in cases() {
        let alice = server.connect("alice", transport).await;
        let bob = server.connect("bob", transport).await;
        join(&alice, "chat").await;
        join(&bob, "chat").await;
        change(
            &bob,
            form,
            "dialogue:subscribeAll",
            json!({ "roomId": "chat" }),
        )
        .await;
        assert!(
            server
                .only_client("bob")
                .await
                .subscriptions("chat")
                .contains(&"*".to_owned())
        );
        let sent = [
            trigger(&alice, "chat", "typing", json!({ "isTyping": true })).await,
            trigger(&alice, "chat", "message", message("one")).await,
            trigger(&alice, "chat", "typing", json!({ "isTyping": false })).await,
        ];
        // Events the server pushes, declared in another room, too.
        let chat = server.dialogue.room_by_id("chat").unwrap();
        let pushed = chat
            .trigger_json(
                "order:updated",
                json!({ "orderId": "o1", "status": "shipped" }),
                None,
            )
            .await
            .unwrap();
        let received = drain_events(&bob).await;
        assert_eq!(received.len(), 4, "{received:?}");
        assert_eq!(received[..3], sent);
        assert_eq!(received[3]["event"], "order:updated");
        assert_eq!(received[3]["timestamp"], pushed.timestamp);

        // Unsubscribing from `*` leaves the named subscriptions.
        change(
            &bob,
            form,
            "dialogue:unsubscribe",
            json!({ "roomId": "chat", "eventName": "*" }),
        )
        .await;
        trigger(&alice, "chat", "typing", json!({ "isTyping": true })).await;
        let kept = trigger(&alice, "chat", "message", message("two")).await;
        assert_eq!(drain_events(&bob).await, [kept]);
        alice.disconnect().await;
        bob.disconnect().await;
    }
}

#[tokio::test]
async fn an_event_is_delivered_once_to_a_member_subscribed_by_name_and_wildcard() {
    let server = Server::start().await;
    for transport in TRANSPORTS {
        let alice = server.connect("alice", transport).await;
        let bob = server.connect("bob", transport).await;
        join(&alice, "chat").await;
        join(&bob, "chat").await;
        ask_ok(
            &bob,
            "dialogue:subscribe",
            json!({ "roomId": "chat", "eventName": "typing" }),
        )
        .await;
        ask_ok(&bob, "dialogue:subscribeAll", json!({ "roomId": "chat" })).await;
        // Subscribing twice to the same name changes nothing either.
        ask_ok(
            &bob,
            "dialogue:subscribe",
            json!({ "roomId": "chat", "eventName": "typing" }),
        )
        .await;
        let sent = [
            trigger(&alice, "chat", "message", message("m")).await,
            trigger(&alice, "chat", "typing", json!({ "isTyping": true })).await,
        ];
        assert_eq!(drain_events(&bob).await, sent, "each once, in order");
        // In the sandbox everyone has `*` already; adding a name adds no copy.
        join(&alice, "sandbox").await;
        join(&bob, "sandbox").await;
        ask_ok(
            &bob,
            "dialogue:subscribe",
            json!({ "roomId": "sandbox", "eventName": "ping" }),
        )
        .await;
        let ping = trigger(&alice, "sandbox", "ping", json!(null)).await;
        assert_eq!(drain_events(&bob).await, [ping]);
        alice.disconnect().await;
        bob.disconnect().await;
    }
}

#[tokio::test]
async fn subscriptions_are_per_room() {
    let server = Server::start().await;
    let alice = server.connect("alice", TRANSPORTS[0]).await;
    let bob = server.connect("bob", TRANSPORTS[0]).await;
    for room in ["chat", "sandbox"] {
        join(&alice, room).await;
        join(&bob, room).await;
    }
    ask_ok(
        &bob,
        "dialogue:unsubscribe",
        json!({ "roomId": "sandbox", "eventName": "*" }),
    )
    .await;
    // chat's subscription to message is untouched.
    let kept = trigger(&alice, "chat", "message", message("chat")).await;
    trigger(&alice, "sandbox", "message", message("sandbox")).await;
    assert_eq!(drain_events(&bob).await, [kept]);
}

/// The server sends to the `*` key only while someone is subscribed to it;
/// repeated, undone, left and disconnected wildcard subscriptions must keep
/// that right for the members who remain.
#[tokio::test]
async fn wildcard_subscribers_keep_receiving_as_others_come_and_go() {
    let server = Server::start().await;
    let transport = TRANSPORTS[0];
    let alice = server.connect("alice", transport).await;
    let carol = server.connect("carol", transport).await;
    let dave = server.connect("dave", transport).await;
    for client in [&alice, &carol, &dave] {
        join(client, "chat").await;
    }
    let all = json!({ "roomId": "chat" });
    let typing = json!({ "isTyping": true });
    // `typing` is no default subscription in `chat`: only `*` delivers it.
    ask_ok(&dave, "dialogue:subscribeAll", all.clone()).await;
    ask_ok(&dave, "dialogue:subscribeAll", all.clone()).await;
    ask_ok(&carol, "dialogue:subscribeAll", all.clone()).await;
    let sent = trigger(&alice, "chat", "typing", typing.clone()).await;
    assert_eq!(drain_events(&dave).await, std::slice::from_ref(&sent));
    assert_eq!(drain_events(&carol).await, [sent]);

    // dave undoes his (twice-made) subscription once: carol still hears.
    let unsubscribe_all = json!({ "roomId": "chat", "eventName": "*" });
    ask_ok(&dave, "dialogue:unsubscribe", unsubscribe_all).await;
    let sent = trigger(&alice, "chat", "typing", typing.clone()).await;
    assert_eq!(drain_events(&carol).await, [sent]);
    assert_eq!(drain_events(&dave).await, Vec::<Value>::new());

    // carol goes; dave subscribes again and hears, then a newcomer who
    // subscribes and disconnects changes nothing for him.
    carol.disconnect().await;
    ask_ok(&dave, "dialogue:subscribeAll", all.clone()).await;
    let erin = server.connect("erin", transport).await;
    join(&erin, "chat").await;
    ask_ok(&erin, "dialogue:subscribeAll", all.clone()).await;
    erin.disconnect().await;
    eventually("erin is gone", || {
        server.dialogue.get_clients("erin").is_empty()
    })
    .await;
    let sent = trigger(&alice, "chat", "typing", typing).await;
    assert_eq!(drain_events(&dave).await, [sent]);
}
