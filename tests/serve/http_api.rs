//! The HTTP API for backends (docs/http-api.md) over real HTTP against the
//! conformance app: every route, status and error of the protocol's table,
//! and that what it publishes reaches socket members like any event.

use dialogue_client::Transport;
use serde_json::{Value, json};

use crate::harness::{Server, join, message, next, trigger};
use crate::support::conformance::ConformanceApp;
use crate::support::http::{Reply, send, send_raw};

const KEY: &str = "test-api-key";

async fn server() -> Server {
    let dialogue = ConformanceApp::server().api_key(KEY).build().unwrap();
    Server::serve(dialogue).await
}

async fn api(server: &Server, method: &str, path: &str, body: Option<Value>) -> Reply {
    send(
        method,
        &format!("{}/api{path}", server.url),
        Some(KEY),
        body.as_ref(),
    )
    .await
}

/// Asserts an error reply: its status and `{ error: { code, message } }`.
fn assert_error(reply: &Reply, status: u16, code: &str) {
    assert_eq!(reply.status, status, "{reply:?}");
    assert_eq!(reply.json["error"]["code"], code, "{reply:?}");
    assert!(
        reply.json["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{reply:?}"
    );
    assert!(
        reply.content_type.starts_with("application/json"),
        "{reply:?}"
    );
}

#[tokio::test]
async fn without_the_right_key_every_route_is_unauthorized() {
    let server = server().await;
    let url = format!("{}/api/rooms", server.url);
    for key in [None, Some("wrong"), Some("")] {
        let reply = send("GET", &url, key, None).await;
        assert_error(&reply, 401, "UNAUTHORIZED");
    }
    let reply = send_raw("GET", &url, None, None).await;
    assert_eq!(reply.status, 401);
    // Not behind the key: the OpenAPI document.
    let openapi = send(
        "GET",
        &format!("{}/api/openapi.json", server.url),
        None,
        None,
    )
    .await;
    assert_eq!(openapi.status, 200, "{openapi:?}");
    assert_eq!(openapi.json["openapi"], "3.1.0");
    assert!(openapi.json["paths"]["/api/rooms/{id}/events"]["post"].is_object());
    // Without a key set, there is no API at all.
    let plain = Server::start().await;
    let reply = send(
        "GET",
        &format!("{}/api/openapi.json", plain.url),
        Some(KEY),
        None,
    )
    .await;
    assert_eq!(reply.status, 404);
}

#[tokio::test]
async fn rooms_are_listed_created_read_and_deleted() {
    let server = server().await;
    let watcher = server.connect("watcher", Transport::WebSocket).await;
    let listed = api(&server, "GET", "/rooms", None).await;
    assert_eq!(listed.status, 200);
    let ids: Vec<&str> = listed.json["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["chat", "small", "sandbox", "readonly", "orders", "lobby"]
    );

    // Without events: any event, no host; announced like a client's room.
    let created = api(
        &server,
        "POST",
        "/rooms",
        Some(json!({ "id": "ops", "name": "Ops", "maxSize": 3, "presence": true })),
    )
    .await;
    assert_eq!(created.status, 201, "{created:?}");
    assert_eq!(
        created.json["room"],
        json!({ "id": "ops", "name": "Ops", "size": 0, "maxSize": 3, "presence": true })
    );
    assert_eq!(next(&watcher, "dialogue:roomCreated").await["id"], "ops");
    assert_error(
        &api(
            &server,
            "POST",
            "/rooms",
            Some(json!({ "id": "ops", "name": "Again" })),
        )
        .await,
        409,
        "ROOM_EXISTS",
    );
    // With events: declared names only, validated.
    let orders = api(
        &server,
        "POST",
        "/rooms",
        Some(json!({ "id": "order-42", "name": "Order 42", "events": ["order:updated"] })),
    )
    .await;
    assert_eq!(orders.status, 201, "{orders:?}");
    assert_error(
        &api(
            &server,
            "POST",
            "/rooms",
            Some(json!({ "id": "x", "name": "X", "events": ["nope"] })),
        )
        .await,
        400,
        "INVALID_REQUEST",
    );
    for body in [
        json!({ "name": "no id" }),
        json!([1, 2]),
        json!({ "id": "a b", "name": "A" }),
    ] {
        assert_error(
            &api(&server, "POST", "/rooms", Some(body)).await,
            400,
            "INVALID_REQUEST",
        );
    }
    assert_error(
        &send_raw(
            "POST",
            &format!("{}/api/rooms", server.url),
            Some(KEY),
            Some("{not json"),
        )
        .await,
        400,
        "INVALID_REQUEST",
    );
    // Under a template's instance id: refused.
    assert_error(
        &api(
            &server,
            "POST",
            "/rooms",
            Some(json!({ "id": "doc:mine", "name": "Mine" })),
        )
        .await,
        403,
        "PERMISSION_DENIED",
    );

    let read = api(&server, "GET", "/rooms/ops", None).await;
    assert_eq!(
        (read.status, read.json["room"]["id"].clone()),
        (200, json!("ops"))
    );
    assert_error(
        &api(&server, "GET", "/rooms/nowhere", None).await,
        404,
        "ROOM_NOT_FOUND",
    );
    // An instance not in memory is not found.
    assert_error(
        &api(&server, "GET", "/rooms/doc:never", None).await,
        404,
        "ROOM_NOT_FOUND",
    );

    // Delete: any room but declared ones.
    let deleted = api(&server, "DELETE", "/rooms/ops", None).await;
    assert_eq!(deleted.status, 204, "{deleted:?}");
    assert!(deleted.text.is_empty());
    assert_eq!(
        next(&watcher, "dialogue:roomDeleted").await["roomId"],
        "ops"
    );
    assert_error(
        &api(&server, "DELETE", "/rooms/ops", None).await,
        404,
        "ROOM_NOT_FOUND",
    );
    assert_error(
        &api(&server, "DELETE", "/rooms/chat", None).await,
        403,
        "PERMISSION_DENIED",
    );
    // A client's room too.
    let alice = server.connect("alice", Transport::Polling).await;
    crate::harness::ask_ok(
        &alice,
        "dialogue:createRoom",
        json!({ "id": "mine", "name": "Mine" }),
    )
    .await;
    assert_eq!(
        api(&server, "DELETE", "/rooms/mine", None).await.status,
        204
    );
}

#[tokio::test]
async fn a_published_event_is_numbered_validated_and_delivered() {
    let server = server().await;
    let alice = server.connect("alice", Transport::WebSocket).await;
    join(&alice, "chat").await;
    let before = trigger(&alice, "chat", "message", message("from a socket")).await;
    assert_eq!(next(&alice, "dialogue:event").await["seq"], before["seq"]);
    let published = api(
        &server,
        "POST",
        "/rooms/chat/events",
        Some(json!({ "event": "message", "data": message("from a backend"), "meta": { "traceId": "t-1" } })),
    )
    .await;
    assert_eq!(published.status, 201, "{published:?}");
    let envelope = &published.json["message"];
    assert_eq!(envelope["from"], "system");
    assert_eq!(
        envelope["seq"],
        before["seq"].as_u64().unwrap() + 1,
        "the room's next seq"
    );
    assert_eq!(envelope["meta"], json!({ "traceId": "t-1" }));
    let received = next(&alice, "dialogue:event").await;
    assert_eq!(received["data"]["text"], "from a backend");
    assert_eq!(received["seq"], envelope["seq"]);
    // Kept in history like any event.
    let history = api(
        &server,
        "GET",
        "/rooms/chat/history?event=message&start=0&end=10",
        None,
    )
    .await;
    assert_eq!(history.status, 200, "{history:?}");
    assert_eq!(history.json["roomId"], "chat");
    assert_eq!(history.json["eventName"], "message");
    assert_eq!(
        history.json["events"][0]["data"]["text"], "from a backend",
        "newest first"
    );
    assert_eq!(history.json["start"], 0);
    assert_error(
        &api(&server, "GET", "/rooms/chat/history", None).await,
        400,
        "INVALID_REQUEST",
    );
    assert_error(
        &api(
            &server,
            "GET",
            "/rooms/chat/history?event=message&start=x",
            None,
        )
        .await,
        400,
        "INVALID_REQUEST",
    );

    // Validation, names, rooms, sizes.
    let invalid = api(
        &server,
        "POST",
        "/rooms/chat/events",
        Some(json!({ "event": "message", "data": { "text": "" } })),
    )
    .await;
    assert_error(&invalid, 422, "VALIDATION_FAILED");
    assert!(
        invalid.json["error"]["details"]
            .as_array()
            .is_some_and(|d| !d.is_empty())
    );
    assert_error(
        &api(
            &server,
            "POST",
            "/rooms/chat/events",
            Some(json!({ "event": "undeclared", "data": 1 })),
        )
        .await,
        400,
        "EVENT_NOT_ALLOWED",
    );
    assert_error(
        &api(
            &server,
            "POST",
            "/rooms/nowhere/events",
            Some(json!({ "event": "message", "data": message("x") })),
        )
        .await,
        404,
        "ROOM_NOT_FOUND",
    );
    let big =
        json!({ "event": "message", "data": { "text": "x".repeat(70 * 1024), "senderId": "s" } });
    assert_error(
        &api(&server, "POST", "/rooms/chat/events", Some(big)).await,
        413,
        "PAYLOAD_TOO_LARGE",
    );
    let huge = "y".repeat(300 * 1024);
    let over_the_body_limit = json!({ "event": "message", "data": huge });
    assert_error(
        &api(
            &server,
            "POST",
            "/rooms/sandbox/events",
            Some(over_the_body_limit),
        )
        .await,
        413,
        "PAYLOAD_TOO_LARGE",
    );
    // Any declared event into any room, readonly included; any name into `*`.
    let pushed = api(
        &server,
        "POST",
        "/rooms/readonly/events",
        Some(json!({ "event": "order:updated", "data": { "orderId": "o", "status": "shipped" } })),
    )
    .await;
    assert_eq!(pushed.status, 201, "{pushed:?}");
    let free = api(
        &server,
        "POST",
        "/rooms/sandbox/events",
        Some(json!({ "event": "anything", "data": [1] })),
    )
    .await;
    assert_eq!(free.status, 201, "{free:?}");
    // Into an instance not in memory: it is made.
    let made = api(
        &server,
        "POST",
        "/rooms/doc:fresh/events",
        Some(json!({ "event": "message", "data": message("hi") })),
    )
    .await;
    assert_eq!(made.status, 201, "{made:?}");
    assert_eq!(
        api(&server, "GET", "/rooms/doc:fresh", None).await.status,
        200
    );
}

#[tokio::test]
async fn presence_kicks_and_disconnections() {
    let server = server().await;
    let (alice, _) = server
        .connect_with(
            Some(json!({ "userId": "alice", "name": "Alice" })),
            Transport::WebSocket,
        )
        .await;
    let bob = server.connect("bob", Transport::Polling).await;
    join(&alice, "lobby").await;
    join(&bob, "lobby").await;
    join(&bob, "chat").await;
    let presence = api(&server, "GET", "/rooms/lobby/presence", None).await;
    assert_eq!(presence.status, 200);
    assert_eq!(
        presence.json,
        json!({ "roomId": "lobby", "members": [{ "userId": "alice", "info": { "name": "Alice" } }, { "userId": "bob" }], "count": 2 })
    );
    assert_error(
        &api(&server, "GET", "/rooms/chat/presence", None).await,
        400,
        "INVALID_REQUEST",
    );
    // Kick in a declared room.
    let kicked = api(
        &server,
        "POST",
        "/rooms/lobby/kick",
        Some(json!({ "userId": "bob", "reason": "spam" })),
    )
    .await;
    assert_eq!(kicked.status, 204, "{kicked:?}");
    assert_eq!(
        next(&bob, "dialogue:kicked").await,
        json!({ "roomId": "lobby", "reason": "spam" })
    );
    assert_error(
        &api(
            &server,
            "POST",
            "/rooms/lobby/kick",
            Some(json!({ "userId": "bob" })),
        )
        .await,
        404,
        "NOT_IN_ROOM",
    );
    assert_error(
        &api(&server, "POST", "/rooms/lobby/kick", Some(json!({}))).await,
        400,
        "INVALID_REQUEST",
    );
    // Disconnect every connection of a user: 204, even with none.
    let closed = api(&server, "DELETE", "/users/bob/connections", None).await;
    assert_eq!(closed.status, 204);
    bob.wait_disconnected(crate::harness::WAIT).await.unwrap();
    crate::harness::eventually("bob is gone", || {
        server.dialogue.get_clients("bob").is_empty()
    })
    .await;
    assert_eq!(
        api(&server, "DELETE", "/users/nobody/connections", None)
            .await
            .status,
        204
    );
    // A session held for a dropped connection ends too: its seat goes and it
    // cannot be resumed.
    let (carol, hello) = server
        .connect_with(Some(json!({ "userId": "carol" })), Transport::WebSocket)
        .await;
    join(&carol, "small").await;
    server.only_client("carol").await.force_reconnect();
    carol.wait_disconnected(crate::harness::WAIT).await.unwrap();
    crate::harness::eventually("carol's session is held", || {
        server.dialogue.get_clients("carol").is_empty()
    })
    .await;
    assert_eq!(
        server.dialogue.room_by_id("small").unwrap().size(),
        1,
        "seat held"
    );
    assert_eq!(
        api(&server, "DELETE", "/users/carol/connections", None)
            .await
            .status,
        204
    );
    assert_eq!(
        server.dialogue.room_by_id("small").unwrap().size(),
        0,
        "seat gone"
    );
    let token = hello["resumeToken"].as_str().unwrap();
    let (_, greeting) = server
        .connect_with(
            Some(json!({ "userId": "carol", "resume": token })),
            Transport::WebSocket,
        )
        .await;
    assert_eq!(greeting["resumed"], false, "{greeting}");
    // Routes that do not exist.
    assert_eq!(api(&server, "GET", "/nothing", None).await.status, 404);
}
