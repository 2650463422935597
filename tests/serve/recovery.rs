//! Positions, idempotent triggers, recovery windows, sessions and slow
//! members (docs/recovery.md), over real cuts: clients go through a fault
//! proxy that cuts, holds and stalls their connections.

use std::net::SocketAddr;
use std::time::Duration;

use dialogue_client::{Client, ClientBuilder, DisconnectReason, Transport};
use serde_json::{Value, json};

use crate::harness::{
    Form, Server, TRANSPORTS, WAIT, arg, ask, ask_ok, assert_silent, eventually, join, message,
    next, refused_with, trigger,
};
use crate::support::conformance::ConformanceApp;
use crate::support::proxy::FaultProxy;

/// Where a server listens, for a proxy in front of it.
fn address(server: &Server) -> SocketAddr {
    server
        .url
        .trim_start_matches("http://")
        .parse()
        .expect("a socket address")
}

/// Connects to `url` with this handshake `auth`; the client and its
/// greeting (`dialogue:connected`, the first event).
async fn connect_to(url: &str, auth: Value, transport: Transport) -> (Client, Value) {
    try_connect_to(url, auth, transport)
        .await
        .unwrap_or_else(|error| panic!("{error}"))
}

/// [`connect_to`], or why the connection ended before its greeting.
async fn try_connect_to(
    url: &str,
    auth: Value,
    transport: Transport,
) -> Result<(Client, Value), String> {
    let client = ClientBuilder::new(url)
        .transport(transport)
        .auth(auth)
        .connect_timeout(WAIT)
        .connect()
        .await
        .map_err(|error| format!("connects over {transport:?}: {error}"))?;
    let first = client
        .recv_timeout(WAIT)
        .await
        .map_err(|error| format!("greeted over {transport:?}: {error}"))?;
    assert_eq!(first.name, "dialogue:connected", "{first:?}");
    let greeting = arg(&first).clone();
    Ok((client, greeting))
}

/// The seqs of the `dialogue:event`s of `room` a client received until its
/// connection ended (everything it had, in order).
async fn drain_seqs(client: &Client, room: &str) -> Vec<u64> {
    let mut seqs = Vec::new();
    while let Ok(event) = client.recv_timeout(WAIT).await {
        if event.name == "dialogue:event" && arg(&event)["roomId"] == room {
            seqs.push(arg(&event)["seq"].as_u64().expect("a seq"));
        }
    }
    seqs
}

/// Receives `dialogue:event`s of `room` until one with seq `last`; their
/// seqs in arrival order.
async fn seqs_until(client: &Client, room: &str, last: u64) -> Vec<u64> {
    let mut seqs = Vec::new();
    while seqs.last() != Some(&last) {
        let event = client
            .expect_event("dialogue:event", WAIT)
            .await
            .unwrap_or_else(|error| panic!("waiting for seq {last} after {seqs:?}: {error}"));
        if arg(&event)["roomId"] == room {
            seqs.push(arg(&event)["seq"].as_u64().expect("a seq"));
        }
    }
    seqs
}

/// Asserts that `seqs` are exactly `from..=to`, in order.
fn assert_exactly(seqs: &[u64], from: u64, to: u64) {
    let expected: Vec<u64> = (from..=to).collect();
    assert_eq!(
        seqs,
        expected.as_slice(),
        "every event once, in order, nothing more"
    );
}

fn position(answer: &Value) -> (String, u64) {
    let position = &answer["position"];
    (
        position["epoch"].as_str().expect("an epoch").to_owned(),
        position["seq"].as_u64().expect("a seq"),
    )
}

fn token(greeting: &Value) -> String {
    greeting["resumeToken"]
        .as_str()
        .expect("a resume token")
        .to_owned()
}

/// A resuming handshake for `user`.
fn resume_auth(user: &str, token: &str, positions: Value) -> Value {
    json!({ "userId": user, "resume": token, "positions": positions })
}

#[tokio::test]
async fn positions_count_every_event_of_a_room_from_one() {
    let server = Server::start().await;
    for transport in TRANSPORTS {
        let alice = server.connect("alice", transport).await;
        let answer = ask_ok(
            &alice,
            "dialogue:createRoom",
            json!({ "id": format!("fresh-{}", transport_name(transport)), "name": "Fresh" }),
        )
        .await;
        let room = answer["room"]["id"].as_str().unwrap().to_owned();
        let joined = join(&alice, &room).await;
        let (epoch, seq) = position(&joined);
        assert!(!epoch.is_empty());
        assert_eq!(seq, 0, "before the first event");
        // Every name shares one sequence.
        let first = trigger(&alice, &room, "a", json!(1)).await;
        let second = trigger(&alice, &room, "b", json!(2)).await;
        assert_eq!(
            (first["seq"].clone(), second["seq"].clone()),
            (json!(1), json!(2))
        );
        let delivered = next(&alice, "dialogue:event").await;
        assert_eq!(delivered["seq"], 1);
        // The server API sees the same position.
        let handle = server.dialogue.room_by_id(&room).unwrap();
        assert_eq!(handle.position().seq, 2);
        assert_eq!(handle.position().epoch, epoch);
        alice.disconnect().await;
    }
}

/// On two nodes, a room one node has only just made reads its position
/// from Redis first; `settled_position` waits for that read and gives the
/// room's real epoch and seq, where `position` may still give a stand-in
/// epoch (the open finding of docs/reliability.md's model section).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_settled_position_on_another_node_is_the_rooms_own() {
    let nodes = crate::harness::TwoNodes::start().await;
    let (a, b) = (&nodes.a, &nodes.b);
    for n in 0..20 {
        let name = format!("settled{n}");
        let on_a = a.dialogue.instance(ConformanceApp::doc(&name)).unwrap();
        for _ in 0..=n % 3 {
            on_a.trigger_json(
                "message",
                json!({ "text": "x", "senderId": "server" }),
                None,
            )
            .await
            .expect("accepted on A");
        }
        let written = on_a.settled_position().await;
        assert_eq!(written.seq, (n % 3 + 1) as u64);
        // B has never held this instance: it makes it now.
        let on_b = b.dialogue.instance(ConformanceApp::doc(&name)).unwrap();
        assert_eq!(on_b.settled_position().await, written, "doc:{name} on B");
    }
    nodes.stop().await;
}

fn transport_name(transport: Transport) -> &'static str {
    match transport {
        Transport::WebSocket => "ws",
        Transport::Polling => "polling",
    }
}

#[tokio::test]
async fn a_repeated_trigger_id_answers_the_original_and_is_delivered_once() {
    let server = Server::start().await;
    let alice = server.connect("alice", Transport::WebSocket).await;
    let bob = server.connect("bob", Transport::WebSocket).await;
    join(&alice, "sandbox").await;
    join(&bob, "sandbox").await;
    async fn send(client: &Client, id: Value, text: &str) -> Value {
        let data = json!({ "roomId": "sandbox", "event": "note", "data": text, "id": id });
        ask(client, "dialogue:trigger", data).await
    }
    let first = send(&alice, json!("t-1"), "once").await;
    assert_eq!(first["ok"], true, "{first}");
    let again = send(&alice, json!("t-1"), "twice?").await;
    assert_eq!(again["ok"], true, "{again}");
    assert_eq!(
        again["message"], first["message"],
        "the original, as it was"
    );
    assert!(
        again["message"].get("id").is_none(),
        "the id is not in the envelope"
    );
    // Another user's id is another trigger.
    let bobs = send(&bob, json!("t-1"), "bob's").await;
    assert_eq!(
        bobs["message"]["seq"],
        first["message"]["seq"].as_u64().unwrap() + 1
    );
    let seqs = seqs_until(&bob, "sandbox", bobs["message"]["seq"].as_u64().unwrap()).await;
    assert_eq!(seqs.len(), 2, "the repeat reached nobody: {seqs:?}");
    assert_silent(&bob, "dialogue:event").await;
    // Bad ids.
    for (id, why) in [
        (json!("x".repeat(65)), "over 64 bytes"),
        (json!(7), "not a string"),
    ] {
        let data = json!({ "roomId": "sandbox", "event": "note", "data": 1, "id": id });
        let error = refused_with(
            &alice,
            Form::Ack,
            "INVALID_REQUEST",
            "dialogue:trigger",
            data,
        )
        .await;
        assert!(
            error["message"].as_str().unwrap().contains("id"),
            "{why}: {error}"
        );
    }
    // 64 bytes is fine.
    let fine = send(&alice, json!("y".repeat(64)), "ok").await;
    assert_eq!(fine["ok"], true, "{fine}");
}

#[tokio::test]
async fn a_join_since_replays_what_the_member_subscribes_to_then_goes_live() {
    let server = Server::start().await;
    for transport in TRANSPORTS {
        let alice = server.connect("alice", transport).await;
        let bob = server.connect("bob", transport).await;
        let joined = join(&alice, "chat").await;
        join(&bob, "chat").await;
        let (epoch, since) = position(&joined);
        alice.disconnect().await;
        // Missed: two messages and a typing event.
        trigger(&bob, "chat", "message", message("one")).await;
        trigger(&bob, "chat", "typing", json!({ "isTyping": true })).await;
        let last = trigger(&bob, "chat", "message", message("two")).await["seq"]
            .as_u64()
            .unwrap();
        // Ack form: the default subscriptions (message) replay in `missed`.
        let alice = server.connect("alice", transport).await;
        let answer = ask_ok(
            &alice,
            "dialogue:join",
            json!({ "roomId": "chat", "since": { "epoch": epoch, "seq": since } }),
        )
        .await;
        assert_eq!(answer["recovered"], true, "{answer}");
        assert!(
            answer.get("history").is_none(),
            "no sync with since: {answer}"
        );
        let missed: Vec<u64> = answer["missed"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["seq"].as_u64().unwrap())
            .collect();
        assert_eq!(missed, [since + 1, last], "messages only, oldest first");
        assert_eq!(position(&answer).1, last);
        // Event form, subscriptions chosen: typing too, as dialogue:event
        // right after dialogue:joined.
        alice
            .emit(
                "dialogue:join",
                json!({
                    "roomId": "chat",
                    "since": { "epoch": epoch, "seq": since },
                    "subscriptions": ["message", "typing"],
                }),
            )
            .unwrap();
        let joined = next(&alice, "dialogue:joined").await;
        assert_eq!(joined["recovered"], true, "{joined}");
        let seqs = seqs_until(&alice, "chat", last).await;
        assert_exactly(&seqs, since + 1, last);
        // Live events follow, now of both names.
        let live = trigger(&bob, "chat", "typing", json!({ "isTyping": false })).await;
        assert_eq!(next(&alice, "dialogue:event").await["seq"], live["seq"]);
        assert_silent(&alice, "dialogue:history").await;
        for client in [alice, bob] {
            client.disconnect().await;
        }
    }
}

#[tokio::test]
async fn a_join_since_outside_the_window_or_epoch_is_not_recovered() {
    let dialogue = ConformanceApp::server()
        .recovery_window(3, Duration::from_secs(300))
        .build()
        .unwrap();
    let server = Server::serve(dialogue).await;
    let alice = server.connect("alice", Transport::WebSocket).await;
    let (epoch, since) = position(&join(&alice, "sandbox").await);
    let since_query = |epoch: &str, seq: u64| json!({ "roomId": "sandbox", "since": { "epoch": epoch, "seq": seq } });
    // At the latest seq: recovered, nothing missed.
    let answer = ask_ok(&alice, "dialogue:join", since_query(&epoch, since)).await;
    assert_eq!(
        (answer["recovered"].clone(), answer["missed"].clone()),
        (json!(true), json!([]))
    );
    // Past it: not recovered.
    let answer = ask_ok(&alice, "dialogue:join", since_query(&epoch, since + 1)).await;
    assert_eq!(answer["recovered"], false, "{answer}");
    assert!(answer.get("missed").is_none(), "{answer}");
    // Another epoch: not recovered.
    let answer = ask_ok(&alice, "dialogue:join", since_query("another", since)).await;
    assert_eq!(answer["recovered"], false, "{answer}");
    // More events than the window holds: all or nothing.
    for n in 0..4 {
        trigger(&alice, "sandbox", "n", json!(n)).await;
    }
    let answer = ask_ok(&alice, "dialogue:join", since_query(&epoch, since)).await;
    assert_eq!(answer["recovered"], false, "{answer}");
    // Still within it a seq later.
    let answer = ask_ok(&alice, "dialogue:join", since_query(&epoch, since + 1)).await;
    assert_eq!(answer["recovered"], true, "{answer}");
    assert_eq!(answer["missed"].as_array().unwrap().len(), 3);
    // Malformed since.
    for since in [
        json!("x"),
        json!({ "epoch": epoch, "seq": "1" }),
        json!({ "seq": 1 }),
    ] {
        refused_with(
            &alice,
            Form::Ack,
            "INVALID_REQUEST",
            "dialogue:join",
            json!({ "roomId": "sandbox", "since": since }),
        )
        .await;
    }
}

#[tokio::test]
async fn a_room_made_again_has_a_new_epoch_and_an_old_position_does_not_recover() {
    let server = Server::start().await;
    let alice = server.connect("alice", Transport::WebSocket).await;
    let create = json!({ "id": "again", "name": "Again" });
    ask_ok(&alice, "dialogue:createRoom", create.clone()).await;
    let (old_epoch, _) = position(&join(&alice, "again").await);
    trigger(&alice, "again", "n", json!(1)).await;
    ask_ok(&alice, "dialogue:deleteRoom", json!({ "roomId": "again" })).await;
    ask_ok(&alice, "dialogue:createRoom", create).await;
    let answer = ask_ok(
        &alice,
        "dialogue:join",
        json!({ "roomId": "again", "since": { "epoch": old_epoch, "seq": 1 } }),
    )
    .await;
    assert_eq!(answer["recovered"], false, "{answer}");
    let (new_epoch, seq) = position(&answer);
    assert_ne!(new_epoch, old_epoch);
    assert_eq!(seq, 0);
}

#[tokio::test]
async fn a_cut_while_events_flow_resumes_with_every_event_once_in_order() {
    let server = Server::start().await;
    let proxy = FaultProxy::start(address(&server)).await;
    for transport in TRANSPORTS {
        let (alice, hello) =
            connect_to(&proxy.url(), json!({ "userId": "alice" }), transport).await;
        let (epoch, start) = position(&join(&alice, "sandbox").await);
        let bob = server.connect("bob", Transport::WebSocket).await;
        join(&bob, "sandbox").await;
        // 300 events, published while alice's connection is cut mid-way.
        let publisher = tokio::spawn(async move {
            let mut last = 0;
            for n in 0..300 {
                last = trigger(&bob, "sandbox", "n", json!(n)).await["seq"]
                    .as_u64()
                    .unwrap();
            }
            (last, bob)
        });
        // Cut once some arrived.
        let mut seqs = Vec::new();
        while seqs.len() < 50 {
            let event = alice.expect_event("dialogue:event", WAIT).await.unwrap();
            seqs.push(arg(&event)["seq"].as_u64().unwrap());
        }
        proxy.cut();
        let reason = alice.wait_disconnected(WAIT).await.unwrap();
        assert_ne!(reason, DisconnectReason::ServerDisconnect);
        seqs.extend(drain_seqs(&alice, "sandbox").await);
        let seen = seqs.last().copied().unwrap();
        // Back at once, with its position.
        // The replay fills her small send buffer at once; on long-polling,
        // engine.io's first ping can find it full and close the new
        // connection before the greeting (socketioxide's heartbeat gives up
        // on a full buffer). A client then reconnects, as socket.io-client
        // does, and the session is still there to resume.
        let mut attempts = 0;
        let (alice, greeting) = loop {
            attempts += 1;
            let resumed = try_connect_to(
                &proxy.url(),
                resume_auth(
                    "alice",
                    &token(&hello),
                    json!({ "sandbox": { "epoch": epoch, "seq": seen } }),
                ),
                transport,
            )
            .await;
            match resumed {
                Ok(connected) => break connected,
                Err(error) if attempts < 3 && transport == Transport::Polling => {
                    eprintln!("resume attempt {attempts} ended early: {error}");
                }
                Err(error) => panic!("{error}"),
            }
        };
        assert_eq!(greeting["resumed"], true, "{greeting}");
        assert_eq!(greeting["rooms"], json!(["sandbox"]));
        assert_eq!(greeting["recovered"], json!(["sandbox"]));
        assert_ne!(greeting["resumeToken"], hello["resumeToken"], "a new token");
        let (last, bob) = publisher.await.unwrap();
        seqs.extend(seqs_until(&alice, "sandbox", last).await);
        assert_exactly(&seqs, start + 1, last);
        assert_silent(&alice, "dialogue:event").await;
        for client in [alice, bob] {
            client.disconnect().await;
        }
    }
}

#[tokio::test]
async fn a_cut_past_the_grace_period_rejoins_since_with_the_chosen_subscriptions() {
    // A cut polling connection is noticed at the next missed heartbeat.
    let dialogue = ConformanceApp::server()
        .resume_grace(Duration::from_millis(200))
        .heartbeat(Duration::from_millis(300), Duration::from_millis(300))
        .build()
        .unwrap();
    let server = Server::serve(dialogue).await;
    let proxy = FaultProxy::start(address(&server)).await;
    let chat = server.dialogue.room(ConformanceApp::chat());
    for transport in TRANSPORTS {
        let (alice, hello) =
            connect_to(&proxy.url(), json!({ "userId": "alice" }), transport).await;
        let (epoch, since) = position(&join(&alice, "chat").await);
        // Alice chose typing too.
        ask_ok(
            &alice,
            "dialogue:subscribe",
            json!({ "roomId": "chat", "eventName": "typing" }),
        )
        .await;
        let bob = server.connect("bob", Transport::WebSocket).await;
        join(&bob, "chat").await;
        proxy.hold();
        proxy.cut();
        alice.wait_disconnected(WAIT).await.unwrap();
        trigger(&bob, "chat", "message", message("while away")).await;
        let last = trigger(&bob, "chat", "typing", json!({ "isTyping": true })).await["seq"]
            .as_u64()
            .unwrap();
        eventually("alice's held session ends", || chat.size() == 1).await;
        proxy.release();
        // The session is gone: a fresh one, and the room joined again.
        let (alice, greeting) = connect_to(
            &proxy.url(),
            resume_auth(
                "alice",
                &token(&hello),
                json!({ "chat": { "epoch": epoch, "seq": since } }),
            ),
            transport,
        )
        .await;
        assert_eq!(greeting["resumed"], false, "{greeting}");
        assert!(greeting.get("rooms").is_none(), "{greeting}");
        let answer = ask_ok(
            &alice,
            "dialogue:join",
            json!({
                "roomId": "chat",
                "since": { "epoch": epoch, "seq": since },
                "subscriptions": ["message", "typing"],
            }),
        )
        .await;
        assert_eq!(answer["recovered"], true, "{answer}");
        let missed: Vec<u64> = answer["missed"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["seq"].as_u64().unwrap())
            .collect();
        assert_exactly(&missed, since + 1, last);
        // The chosen subscriptions hold for live events too.
        let live = trigger(&bob, "chat", "typing", json!({ "isTyping": false })).await;
        assert_eq!(next(&alice, "dialogue:event").await["seq"], live["seq"]);
        for client in [alice, bob] {
            client.disconnect().await;
        }
        eventually("everyone left", || chat.size() == 0).await;
    }
}

#[tokio::test]
async fn a_cut_past_the_recovery_window_is_not_recovered_and_replays_nothing() {
    let dialogue = ConformanceApp::server()
        .recovery_window(5, Duration::from_secs(300))
        .build()
        .unwrap();
    let server = Server::serve(dialogue).await;
    let proxy = FaultProxy::start(address(&server)).await;
    for transport in TRANSPORTS {
        let (alice, hello) =
            connect_to(&proxy.url(), json!({ "userId": "alice" }), transport).await;
        let (epoch, since) = position(&join(&alice, "sandbox").await);
        let bob = server.connect("bob", Transport::WebSocket).await;
        join(&bob, "sandbox").await;
        proxy.hold();
        proxy.cut();
        alice.wait_disconnected(WAIT).await.unwrap();
        for n in 0..8 {
            trigger(&bob, "sandbox", "n", json!(n)).await;
        }
        proxy.release();
        let (alice, greeting) = connect_to(
            &proxy.url(),
            resume_auth(
                "alice",
                &token(&hello),
                json!({ "sandbox": { "epoch": epoch, "seq": since } }),
            ),
            transport,
        )
        .await;
        assert_eq!(greeting["resumed"], true, "{greeting}");
        assert_eq!(greeting["rooms"], json!(["sandbox"]), "still a member");
        assert_eq!(greeting["recovered"], json!([]), "but nothing replayed");
        assert_silent(&alice, "dialogue:event").await;
        // Live events still reach it.
        let live = trigger(&bob, "sandbox", "n", json!("live")).await;
        assert_eq!(next(&alice, "dialogue:event").await["seq"], live["seq"]);
        for client in [alice, bob] {
            client.disconnect().await;
        }
    }
}

#[tokio::test]
async fn a_resumed_session_keeps_a_changed_subscription() {
    let server = Server::start().await;
    let proxy = FaultProxy::start(address(&server)).await;
    let (alice, hello) = connect_to(
        &proxy.url(),
        json!({ "userId": "alice" }),
        Transport::WebSocket,
    )
    .await;
    let (epoch, since) = position(&join(&alice, "chat").await);
    ask_ok(
        &alice,
        "dialogue:unsubscribe",
        json!({ "roomId": "chat", "eventName": "message" }),
    )
    .await;
    ask_ok(
        &alice,
        "dialogue:subscribe",
        json!({ "roomId": "chat", "eventName": "typing" }),
    )
    .await;
    let bob = server.connect("bob", Transport::WebSocket).await;
    join(&bob, "chat").await;
    proxy.cut();
    alice.wait_disconnected(WAIT).await.unwrap();
    trigger(&bob, "chat", "message", message("not for alice")).await;
    let typing = trigger(&bob, "chat", "typing", json!({ "isTyping": true })).await;
    let (alice, greeting) = connect_to(
        &proxy.url(),
        resume_auth(
            "alice",
            &token(&hello),
            json!({ "chat": { "epoch": epoch, "seq": since } }),
        ),
        Transport::WebSocket,
    )
    .await;
    assert_eq!(greeting["recovered"], json!(["chat"]), "{greeting}");
    let replayed = next(&alice, "dialogue:event").await;
    assert_eq!(replayed["seq"], typing["seq"], "typing only: {replayed}");
    let live = trigger(&bob, "chat", "typing", json!({ "isTyping": false })).await;
    trigger(&bob, "chat", "message", message("still not")).await;
    assert_eq!(next(&alice, "dialogue:event").await["seq"], live["seq"]);
    assert_silent(&alice, "dialogue:event").await;
}

#[tokio::test]
async fn a_retried_trigger_after_a_cut_is_not_duplicated() {
    let server = Server::start().await;
    let proxy = FaultProxy::start(address(&server)).await;
    let (alice, hello) = connect_to(
        &proxy.url(),
        json!({ "userId": "alice" }),
        Transport::WebSocket,
    )
    .await;
    join(&alice, "sandbox").await;
    let bob = server.connect("bob", Transport::WebSocket).await;
    let (epoch, since) = position(&join(&bob, "sandbox").await);
    // Sent; the answer is lost in a cut (alice cannot tell whether it went).
    alice
        .emit(
            "dialogue:trigger",
            json!({ "roomId": "sandbox", "event": "n", "data": 1, "id": "retry-me" }),
        )
        .unwrap();
    let delivered = next(&bob, "dialogue:event").await;
    proxy.cut();
    alice.wait_disconnected(WAIT).await.unwrap();
    let (alice, greeting) = connect_to(
        &proxy.url(),
        resume_auth("alice", &token(&hello), json!({})),
        Transport::WebSocket,
    )
    .await;
    assert_eq!(greeting["resumed"], true);
    let retried = ask_ok(
        &alice,
        "dialogue:trigger",
        json!({ "roomId": "sandbox", "event": "n", "data": 1, "id": "retry-me" }),
    )
    .await;
    assert_eq!(retried["message"], delivered, "the original");
    assert_eq!(delivered["seq"], since + 1);
    assert_silent(&bob, "dialogue:event").await;
    let _ = epoch;
}

#[tokio::test]
async fn resume_tokens_rotate_and_belong_to_their_user() {
    let server = Server::start().await;
    let proxy = FaultProxy::start(address(&server)).await;
    let ws = Transport::WebSocket;
    let (alice, hello) = connect_to(&proxy.url(), json!({ "userId": "alice" }), ws).await;
    join(&alice, "chat").await;
    let first = token(&hello);
    // Another user presenting it gets a fresh session; the token stays good.
    let (bob, greeting) = server
        .connect_with(Some(resume_auth("bob", &first, json!({}))), ws)
        .await;
    assert_eq!(greeting["resumed"], false, "{greeting}");
    assert_eq!(greeting["userId"], "bob");
    assert!(greeting.get("rooms").is_none());
    bob.disconnect().await;
    // Dropped, then resumed with it: a new token.
    proxy.cut();
    alice.wait_disconnected(WAIT).await.unwrap();
    let (alice, greeting) =
        connect_to(&proxy.url(), resume_auth("alice", &first, json!({})), ws).await;
    assert_eq!(greeting["resumed"], true, "{greeting}");
    let second = token(&greeting);
    assert_ne!(second, first);
    // The answer could have been lost: the first token is still good while
    // the second has not been used.
    proxy.cut();
    alice.wait_disconnected(WAIT).await.unwrap();
    let (alice, greeting) =
        connect_to(&proxy.url(), resume_auth("alice", &first, json!({})), ws).await;
    assert_eq!(greeting["resumed"], true, "replayed once more: {greeting}");
    let third = token(&greeting);
    proxy.cut();
    alice.wait_disconnected(WAIT).await.unwrap();
    let (alice, greeting) =
        connect_to(&proxy.url(), resume_auth("alice", &third, json!({})), ws).await;
    assert_eq!(greeting["resumed"], true, "{greeting}");
    assert_eq!(greeting["rooms"], json!(["chat"]));
    // The newest was used: the older ones are done.
    for old in [&first, &second] {
        let (other, greeting) = server
            .connect_with(Some(resume_auth("alice", old, json!({}))), ws)
            .await;
        assert_eq!(greeting["resumed"], false, "an old token: {greeting}");
        other.disconnect().await;
    }
    alice.disconnect().await;
}

#[tokio::test]
async fn a_live_session_taken_over_closes_the_old_connection_for_good() {
    let server = Server::start().await;
    for transport in TRANSPORTS {
        let (old, hello) = server
            .connect_with(Some(json!({ "userId": "alice" })), transport)
            .await;
        join(&old, "chat").await;
        let (new, greeting) = server
            .connect_with(
                Some(resume_auth("alice", &token(&hello), json!({}))),
                transport,
            )
            .await;
        assert_eq!(greeting["resumed"], true, "{greeting}");
        assert_eq!(greeting["rooms"], json!(["chat"]));
        let reason = old.wait_disconnected(WAIT).await.unwrap();
        assert_eq!(
            reason,
            DisconnectReason::ServerDisconnect,
            "namespace level"
        );
        let chat = server.dialogue.room(ConformanceApp::chat());
        assert_eq!(chat.size(), 1, "the seat moved");
        new.disconnect().await;
        eventually("the room is empty", || chat.size() == 0).await;
    }
}

#[tokio::test]
async fn malformed_resumes_give_fresh_sessions_or_skip_the_room() {
    let server = Server::start().await;
    let ws = Transport::WebSocket;
    // A non-string token is no resume at all.
    for resume in [json!(123), json!({ "t": 1 }), json!(null)] {
        let (client, greeting) = server
            .connect_with(Some(json!({ "userId": "alice", "resume": resume })), ws)
            .await;
        assert!(greeting.get("resumed").is_none(), "{greeting}");
        client.disconnect().await;
    }
    // A long or unknown string is a refused one.
    for resume in ["nope".to_owned(), "x".repeat(10_000)] {
        let (client, greeting) = server
            .connect_with(Some(resume_auth("alice", &resume, json!({}))), ws)
            .await;
        assert_eq!(greeting["resumed"], false, "{greeting}");
        client.disconnect().await;
    }
    // A malformed position: resumed, that room not recovered.
    let (alice, hello) = server
        .connect_with(Some(json!({ "userId": "alice" })), ws)
        .await;
    let (epoch, seq) = position(&join(&alice, "chat").await);
    join(&alice, "sandbox").await;
    drop(alice);
    eventually("the dropped connection is gone", || {
        server.dialogue.get_clients("alice").is_empty()
    })
    .await;
    let (alice, greeting) = server
        .connect_with(
            Some(resume_auth(
                "alice",
                &token(&hello),
                json!({ "chat": { "epoch": epoch, "seq": seq }, "sandbox": { "seq": "x" } }),
            )),
            ws,
        )
        .await;
    assert_eq!(greeting["resumed"], true, "{greeting}");
    assert_eq!(greeting["recovered"], json!(["chat"]), "{greeting}");
    let mut rooms: Vec<String> = serde_json::from_value(greeting["rooms"].clone()).unwrap();
    rooms.sort();
    assert_eq!(rooms, ["chat", "sandbox"]);
    alice.disconnect().await;
}

// Several threads, as a server runs: the transport's first ping is queued
// at once, not after the catch-up has filled the buffer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_member_is_dropped_at_the_transport_and_recovers() {
    let dialogue = ConformanceApp::server().send_buffer(8).build().unwrap();
    let server = Server::serve(dialogue).await;
    let proxy = FaultProxy::start(address(&server)).await;
    // Large events fill the kernel's buffers quickly.
    let pad = "p".repeat(32 * 1024);
    for transport in TRANSPORTS {
        let dropped_before = server.dialogue.stats().slow_members_dropped;
        let (alice, hello) =
            connect_to(&proxy.url(), json!({ "userId": "alice" }), transport).await;
        let (epoch, start) = position(&join(&alice, "sandbox").await);
        let bob = server.connect("bob", Transport::WebSocket).await;
        join(&bob, "sandbox").await;
        // Alice stops reading; bob floods the room until she is dropped.
        proxy.stall();
        let mut last = start;
        let mut sent = 0;
        while server.dialogue.stats().slow_members_dropped == dropped_before {
            assert!(sent < 900, "not dropped after {sent} events");
            let stamped = trigger(&bob, "sandbox", "blob", json!({ "n": sent, "pad": pad })).await;
            last = stamped["seq"].as_u64().unwrap();
            sent += 1;
        }
        // A few more after the drop, which only a replay can bring.
        for n in 0..3 {
            last = trigger(&bob, "sandbox", "small", json!(n)).await["seq"]
                .as_u64()
                .unwrap();
        }
        proxy.resume();
        let reason = alice.wait_disconnected(WAIT).await.unwrap();
        assert_ne!(
            reason,
            DisconnectReason::ServerDisconnect,
            "the transport was closed, not the namespace"
        );
        let mut seqs = drain_seqs(&alice, "sandbox").await;
        let seen = seqs.last().copied().unwrap_or(start);
        assert!(seen < last, "she missed some");
        // The replay fills her small send buffer at once; on long-polling,
        // engine.io's first ping can find it full and close the new
        // connection before the greeting (socketioxide's heartbeat gives up
        // on a full buffer). A client then reconnects, as socket.io-client
        // does, and the session is still there to resume.
        let mut attempts = 0;
        let (alice, greeting) = loop {
            attempts += 1;
            let resumed = try_connect_to(
                &proxy.url(),
                resume_auth(
                    "alice",
                    &token(&hello),
                    json!({ "sandbox": { "epoch": epoch, "seq": seen } }),
                ),
                transport,
            )
            .await;
            match resumed {
                Ok(connected) => break connected,
                Err(error) if attempts < 3 && transport == Transport::Polling => {
                    eprintln!("resume attempt {attempts} ended early: {error}");
                }
                Err(error) => panic!("{error}"),
            }
        };
        assert_eq!(greeting["resumed"], true, "{greeting}");
        assert_eq!(greeting["recovered"], json!(["sandbox"]), "{greeting}");
        seqs.extend(seqs_until(&alice, "sandbox", last).await);
        assert_exactly(&seqs, start + 1, last);
        assert_eq!(
            server.dialogue.stats().slow_members_dropped,
            dropped_before + 1,
            "only alice"
        );
        for client in [alice, bob] {
            client.disconnect().await;
        }
    }
}

/// Drops alice (through `proxy`) as a slow member of `sandbox`: her
/// position before, her resume token, her old client, and bob (who floods).
async fn drop_slow_alice(
    server: &Server,
    proxy: &FaultProxy,
    pad: &str,
) -> (String, u64, String, Client, Client) {
    let before = server.dialogue.stats().slow_members_dropped;
    let (alice, hello) = connect_to(
        &proxy.url(),
        json!({ "userId": "alice" }),
        Transport::WebSocket,
    )
    .await;
    let (epoch, start) = position(&join(&alice, "sandbox").await);
    let bob = server.connect("bob", Transport::WebSocket).await;
    join(&bob, "sandbox").await;
    proxy.stall();
    let mut sent = 0;
    while server.dialogue.stats().slow_members_dropped == before {
        assert!(sent < 3000, "not dropped after {sent} events");
        trigger(&bob, "sandbox", "blob", json!({ "n": sent, "pad": pad })).await;
        sent += 1;
    }
    (epoch, start, token(&hello), alice, bob)
}

// A resumed client that goes away while its missed events are still being
// paced out must not be greeted afterwards (listed as connected for good,
// its connect hooks after its disconnect hooks).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_gone_during_its_catch_up_is_not_listed_afterwards() {
    let dialogue = ConformanceApp::server()
        .send_buffer(16)
        .recovery_window(5000, Duration::from_secs(600))
        .build()
        .unwrap();
    let server = Server::serve(dialogue).await;
    let proxy = FaultProxy::start(address(&server)).await;
    let pad = "p".repeat(32 * 1024);
    let (epoch, start, resume, old, bob) = drop_slow_alice(&server, &proxy, &pad).await;
    for n in 0..1000 {
        trigger(&bob, "sandbox", "blob", json!({ "n": n, "pad": pad })).await;
    }
    proxy.cut();
    proxy.resume();
    old.wait_disconnected(WAIT).await.unwrap();
    eventually("the old connection is gone", || {
        server.dialogue.get_clients("alice").is_empty()
    })
    .await;
    let (alice, greeting) = connect_to(
        &proxy.url(),
        resume_auth(
            "alice",
            &resume,
            json!({ "sandbox": { "epoch": epoch, "seq": start } }),
        ),
        Transport::WebSocket,
    )
    .await;
    assert_eq!(greeting["recovered"], json!(["sandbox"]), "{greeting}");
    // She stops reading in the middle of it, then goes.
    proxy.stall();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        server.dialogue.get_clients("alice").is_empty(),
        "still catching up: not greeted yet"
    );
    proxy.cut();
    alice.wait_disconnected(WAIT).await.unwrap();
    proxy.resume();
    // Long enough for a greeting on its way to have happened.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let listed: Vec<String> = server
        .dialogue
        .get_clients("alice")
        .iter()
        .map(|c| c.id().to_owned())
        .collect();
    assert!(listed.is_empty(), "a gone connection is listed: {listed:?}");
    bob.disconnect().await;
}
