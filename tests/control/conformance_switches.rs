//! The conformance server's switches (docs/conformance.md), on the real binary:
//! `DIALOGUE_JWT_SECRET`, `DIALOGUE_TRIGGER_RATE`, `DIALOGUE_MAX_PAYLOAD`.

use dialogue_client::{Client, Transport};
use serde_json::{Value, json};

use crate::harness::{TRANSPORTS, WAIT, ask, assert_usable, connect_to, join, refusal, trigger};
use crate::support::server_process::ServerProcess;
use crate::token::{claims, hs256, now, unsigned};

/// Connects and reads the greeting.
async fn connect(url: &str, auth: Value, transport: Transport) -> (Client, Value) {
    let client = connect_to(url, auth, transport)
        .await
        .unwrap_or_else(|error| panic!("connects: {error}"));
    let greeting = client
        .expect_event("dialogue:connected", WAIT)
        .await
        .expect("greeted");
    (client, greeting.args[0].clone())
}

#[tokio::test]
async fn jwt_secret_requires_a_valid_hs256_token() {
    let secret = "conformance-secret";
    let server = ServerProcess::start(&[("DIALOGUE_JWT_SECRET", secret)]);
    for transport in TRANSPORTS {
        let token = hs256(&claims("alice"), secret.as_bytes());
        let (client, greeting) = connect(
            &server.url,
            json!({ "token": token, "userId": "mallory" }),
            transport,
        )
        .await;
        assert_eq!(greeting["userId"], "alice");
        join(&client, "chat").await;
        let sent = trigger(
            &client,
            "chat",
            "message",
            json!({ "text": "signed in", "senderId": "x" }),
        )
        .await;
        assert_eq!(sent["from"], "alice");

        for (auth, reason) in [
            (
                json!({ "userId": "alice" }),
                "authentication required: send a JWT as auth.token",
            ),
            (
                json!({ "token": hs256(&json!({ "sub": "alice", "exp": now() - 600 }), secret.as_bytes()) }),
                "token expired",
            ),
            (
                json!({ "token": hs256(&claims("alice"), b"wrong") }),
                "invalid token: bad signature",
            ),
            (
                json!({ "token": unsigned(&claims("alice")) }),
                "invalid token: wrong algorithm",
            ),
        ] {
            let message = refusal(connect_to(&server.url, auth.clone(), transport).await);
            assert_eq!(message, reason, "{auth}");
        }
        client.disconnect().await;
    }
    assert!(server.stop().success());
}

#[tokio::test]
async fn without_the_secret_no_token_is_needed() {
    let server = ServerProcess::start(&[]);
    let (_client, greeting) = connect(
        &server.url,
        json!({ "userId": "plain" }),
        Transport::WebSocket,
    )
    .await;
    assert_eq!(greeting["userId"], "plain");
}

#[tokio::test]
async fn trigger_rate_limits_triggers_per_connection() {
    let server = ServerProcess::start(&[("DIALOGUE_TRIGGER_RATE", "1")]);
    let (client, _) = connect(
        &server.url,
        json!({ "userId": "fast" }),
        Transport::WebSocket,
    )
    .await;
    join(&client, "sandbox").await;
    let answers = {
        let mut answers = Vec::new();
        for n in 0..5 {
            let request = json!({ "roomId": "sandbox", "event": "tick", "data": n });
            answers.push(ask(&client, "dialogue:trigger", request).await);
        }
        answers
    };
    assert_eq!(answers[0]["ok"], true, "{answers:?}");
    let limited: Vec<&Value> = answers.iter().filter(|a| a["ok"] == false).collect();
    assert!(!limited.is_empty(), "{answers:?}");
    for answer in limited {
        assert_eq!(answer["error"]["code"], "RATE_LIMITED", "{answer}");
    }
    assert_usable(&client).await;
    // Another connection has its own bucket.
    let (other, _) = connect(&server.url, json!({ "userId": "fast" }), Transport::Polling).await;
    join(&other, "sandbox").await;
    trigger(&other, "sandbox", "tick", json!(0)).await;
}

#[tokio::test]
async fn max_payload_refuses_larger_data_and_keeps_the_connection() {
    let server = ServerProcess::start(&[("DIALOGUE_MAX_PAYLOAD", "100")]);
    for transport in TRANSPORTS {
        let (client, _) = connect(&server.url, json!({ "userId": "big" }), transport).await;
        join(&client, "chat").await;
        let text = "x".repeat(150);
        let answer = ask(
            &client,
            "dialogue:trigger",
            json!({ "roomId": "chat", "event": "message", "data": { "text": text, "senderId": "b" } }),
        )
        .await;
        assert_eq!(answer["error"]["code"], "PAYLOAD_TOO_LARGE", "{answer}");
        assert!(
            answer["error"]["message"]
                .as_str()
                .unwrap()
                .ends_with("at most 100 are accepted"),
            "{answer}"
        );
        assert_usable(&client).await;
        trigger(
            &client,
            "chat",
            "message",
            json!({ "text": "small", "senderId": "b" }),
        )
        .await;
        client.disconnect().await;
    }
}

#[tokio::test]
async fn api_key_serves_the_http_api_and_empty_room_secs_deletes_client_rooms() {
    use crate::support::http::send;
    let server = ServerProcess::start(&[
        ("DIALOGUE_API_KEY", "k3y"),
        ("DIALOGUE_EMPTY_ROOM_SECS", "1"),
    ]);
    let rooms = format!("{}/api/rooms", server.url);
    assert_eq!(send("GET", &rooms, Some("k3y"), None).await.status, 200);
    assert_eq!(send("GET", &rooms, Some("nope"), None).await.status, 401);
    let (client, _) = connect(
        &server.url,
        json!({ "userId": "alice" }),
        Transport::WebSocket,
    )
    .await;
    let created = ask(
        &client,
        "dialogue:createRoom",
        json!({ "id": "brief", "name": "Brief" }),
    )
    .await;
    assert_eq!(created["ok"], true, "{created}");
    // Never joined, so empty from the start: deleted after about a second.
    let deleted = client
        .expect_event("dialogue:roomDeleted", WAIT)
        .await
        .expect("deleted once empty for DIALOGUE_EMPTY_ROOM_SECS");
    assert_eq!(deleted.args[0], json!({ "roomId": "brief" }));
    // Without the key there is no API.
    let plain = ServerProcess::start(&[]);
    let reply = send(
        "GET",
        &format!("{}/api/rooms", plain.url),
        Some("k3y"),
        None,
    )
    .await;
    assert_eq!(reply.status, 404);
}

#[tokio::test]
async fn connection_and_room_caps_by_default_and_by_switch() {
    let server = ServerProcess::start(&[
        ("DIALOGUE_MAX_CONNECTIONS", "1"),
        ("DIALOGUE_MAX_ROOMS_PER_CONNECTION", "1"),
        ("DIALOGUE_MAX_CREATED_ROOMS", "1"),
    ]);
    let (alice, _) = connect(
        &server.url,
        json!({ "userId": "alice" }),
        Transport::WebSocket,
    )
    .await;
    // One connection only.
    let refused =
        crate::harness::connect_to(&server.url, json!({ "userId": "bob" }), Transport::Polling)
            .await;
    assert!(refusal(refused).contains("the server is full (1 connections)"));
    // One room per connection.
    join(&alice, "chat").await;
    let second = ask(&alice, "dialogue:join", json!({ "roomId": "orders" })).await;
    assert_eq!(second["error"]["code"], "JOIN_DENIED", "{second}");
    // One created room per user (that still exists).
    let first = ask(
        &alice,
        "dialogue:createRoom",
        json!({ "id": "r1", "name": "R1" }),
    )
    .await;
    assert_eq!(first["ok"], true, "{first}");
    let more = ask(
        &alice,
        "dialogue:createRoom",
        json!({ "id": "r2", "name": "R2" }),
    )
    .await;
    assert_eq!(more["error"]["code"], "PERMISSION_DENIED", "{more}");
    let deleted = ask(&alice, "dialogue:deleteRoom", json!({ "roomId": "r1" })).await;
    assert_eq!(deleted["ok"], true, "{deleted}");
    let again = ask(
        &alice,
        "dialogue:createRoom",
        json!({ "id": "r2", "name": "R2" }),
    )
    .await;
    assert_eq!(again["ok"], true, "{again}");
}

/// The value of the sample `name` (with exactly these labels, rendered as
/// Prometheus writes them) in a scrape.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(|line| {
            let (key, value) = line.rsplit_once(' ')?;
            (key == series).then(|| value.parse().ok())?
        })
}

#[tokio::test]
async fn metrics_count_what_a_known_workload_did_and_carry_no_room_or_user() {
    use crate::support::http::send;
    let server = ServerProcess::start(&[("DIALOGUE_COUNT_DELIVERIES", "1")]);
    let mut clients = Vec::new();
    for (user, transport) in [
        ("metrics-user-a", Transport::WebSocket),
        ("metrics-user-b", Transport::WebSocket),
        ("metrics-user-c", Transport::Polling),
    ] {
        let (client, _) = connect(&server.url, json!({ "userId": user }), transport).await;
        join(&client, "chat").await;
        clients.push(client);
    }
    let a = &clients[0];
    // A room of this test's own: its id must appear in no label.
    let created = ask(
        a,
        "dialogue:createRoom",
        json!({ "id": "zz-private-room-42", "name": "P" }),
    )
    .await;
    assert_eq!(created["ok"], true, "{created}");
    for n in 0..5 {
        let sent = emit_trigger(
            a,
            "chat",
            "message",
            json!({ "text": format!("m{n}"), "senderId": "s" }),
        )
        .await;
        assert_eq!(sent["ok"], true, "{sent}");
    }
    for _ in 0..2 {
        let invalid = emit_trigger(a, "chat", "message", json!({ "text": "" })).await;
        assert_eq!(invalid["error"]["code"], "VALIDATION_FAILED");
    }
    let outside = emit_trigger(
        a,
        "orders",
        "order:updated",
        json!({ "orderId": "o", "status": "shipped" }),
    )
    .await;
    assert_eq!(outside["error"]["code"], "NOT_IN_ROOM");

    let scrape = send("GET", &format!("{}/metrics", server.url), None, None).await;
    assert_eq!(scrape.status, 200);
    assert!(
        scrape.content_type.starts_with("text/plain; version=0.0.4"),
        "{}",
        scrape.content_type
    );
    let text = &scrape.text;
    assert_eq!(sample(text, "dialogue_connections"), Some(3.0), "{text}");
    assert_eq!(sample(text, "dialogue_members"), Some(3.0), "{text}");
    assert_eq!(
        sample(text, "dialogue_rooms"),
        Some(7.0),
        "six declared and one created: {text}"
    );
    assert_eq!(
        sample(text, "dialogue_events_accepted_total"),
        Some(5.0),
        "{text}"
    );
    // Each of the 5 messages to the 3 members, the sender included (chat's
    // joiners subscribe to `message`).
    assert_eq!(
        sample(text, "dialogue_deliveries_total"),
        Some(15.0),
        "{text}"
    );
    assert_eq!(
        sample(
            text,
            r#"dialogue_requests_refused_total{request="trigger",code="VALIDATION_FAILED"}"#
        ),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        sample(
            text,
            r#"dialogue_requests_refused_total{request="trigger",code="NOT_IN_ROOM"}"#
        ),
        Some(1.0),
        "{text}"
    );
    assert!(text.contains("dialogue_request_duration_seconds"), "{text}");
    // Bounded labels only.
    for private in ["zz-private-room-42", "metrics-user-a", "chat\"", "orders\""] {
        assert!(!text.contains(private), "{private} in a label: {text}");
    }
}

/// A trigger in the acknowledgement form; the whole answer.
async fn emit_trigger(client: &Client, room: &str, event: &str, data: Value) -> Value {
    ask(
        client,
        "dialogue:trigger",
        json!({ "roomId": room, "event": event, "data": data }),
    )
    .await
}
