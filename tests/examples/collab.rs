//! `collab`: documents made on demand, versions, cursors and presence.

#[allow(
    dead_code,
    reason = "the example's app is shared with its binary; the test uses part"
)]
#[path = "../../examples/collab/app.rs"]
mod app;

use std::sync::Arc;

use dialogue_client::Client;
use serde_json::{Value, json};

use crate::harness::*;

const ROOM: &str = "doc:readme";

/// The example as `main` builds it, served; its URL.
async fn start() -> String {
    let (_dialogue, router) = app::build(Arc::new(app::Docs::new())).expect("builds");
    serve(router).await
}

/// Connects `user` and opens the document; the snapshot they were sent.
async fn open(url: &str, user: &str) -> (Client, Value) {
    let client = connect_as(url, user).await;
    join(&client, ROOM).await;
    let snapshot = next(&client, "doc:snapshot").await;
    (client, snapshot)
}

fn insert(version: u64, position: u32, text: &str) -> Value {
    json!({ "version": version, "operations": [{ "type": "insert", "position": position, "text": text }] })
}

#[tokio::test]
async fn documents_are_made_on_demand_and_stale_changes_refused() {
    let url = start().await;
    let (status, _) = http("GET", &format!("{url}/docs/readme"), None).await;
    assert_eq!(status, 404);
    let (status, _) = http("POST", &format!("{url}/docs/Not%20valid"), None).await;
    assert_eq!(status, 400);

    let (status, made) = http("POST", &format!("{url}/docs/readme"), None).await;
    assert_eq!(status, 201, "{made}");
    assert_eq!(made, json!({ "roomId": ROOM, "version": 0, "text": "" }));
    let (status, again) = http("POST", &format!("{url}/docs/readme"), None).await;
    assert_eq!((status, &again), (200, &made));

    let (ada, snapshot) = open(&url, "ada").await;
    assert_eq!(snapshot, made);
    let (bob, _) = open(&url, "bob").await;

    // ada edits version 0; bob receives the change.
    let sent = trigger(&ada, ROOM, "doc:change", insert(0, 0, "Hello")).await;
    assert_eq!(sent["from"], "ada");
    // Everyone in the room receives it, ada as well (she applies it by version).
    assert_eq!(event(&ada, "doc:change").await["data"]["version"], 0);
    let change = event(&bob, "doc:change").await;
    assert_eq!(change["data"], insert(0, 0, "Hello"));

    // bob edits version 0 too, late: refused, and nothing changes.
    let error = trigger_refused(&bob, ROOM, "doc:change", insert(0, 0, "Hi")).await;
    assert_eq!(error["code"], "EVENT_NOT_ALLOWED", "{error}");
    assert!(
        error["message"]
            .as_str()
            .unwrap_or("")
            .contains("stale version 0"),
        "{error}"
    );
    assert_no_event(&ada, "doc:change").await;

    // On version 1 it applies.
    trigger(&bob, ROOM, "doc:change", insert(1, 5, " world")).await;
    assert_eq!(event(&ada, "doc:change").await["from"], "bob");
    let (_, now) = http("GET", &format!("{url}/docs/readme"), None).await;
    assert_eq!(
        now,
        json!({ "roomId": ROOM, "version": 2, "text": "Hello world" })
    );

    // Out of range is refused; so is what the schema refuses, in this room
    // made at run time too.
    let delete =
        json!({ "version": 2, "operations": [{ "type": "delete", "position": 5, "length": 50 }] });
    let error = trigger_refused(&ada, ROOM, "doc:change", delete).await;
    assert!(
        error["message"]
            .as_str()
            .unwrap_or("")
            .contains("past the end"),
        "{error}"
    );
    let error = trigger_refused(
        &ada,
        ROOM,
        "doc:change",
        json!({ "version": 2, "operations": [] }),
    )
    .await;
    assert_eq!(error["code"], "VALIDATION_FAILED", "{error}");

    // A third person opening it gets it whole.
    let (_carol, snapshot) = open(&url, "carol").await;
    assert_eq!(snapshot["version"], 2);
    assert_eq!(snapshot["text"], "Hello world");
}

#[tokio::test]
async fn cursors_and_presence_travel_beside_the_text() {
    let url = start().await;
    http("POST", &format!("{url}/docs/readme"), None).await;
    let (ada, _) = open(&url, "ada").await;
    event_where(&ada, "doc:participants", |e| {
        e["data"]["users"].as_array().is_some_and(|u| u.len() == 1)
    })
    .await;
    let (bob, _) = open(&url, "bob").await;
    let both =
        json!([{ "userId": "ada", "status": "active" }, { "userId": "bob", "status": "active" }]);
    event_where(&ada, "doc:participants", |e| e["data"]["users"] == both).await;

    let error = trigger_refused(
        &bob,
        ROOM,
        "cursor:update",
        json!({ "position": 3, "color": "blue" }),
    )
    .await;
    assert_eq!(error["code"], "VALIDATION_FAILED", "{error}");
    assert_eq!(error["details"][0]["path"], "/color", "{error}");
    let cursor =
        json!({ "position": 3, "selection": { "start": 1, "end": 3 }, "color": "#3366ff" });
    trigger(&bob, ROOM, "cursor:update", cursor.clone()).await;
    let seen = event(&ada, "cursor:update").await;
    assert_eq!((&seen["from"], &seen["data"]), (&json!("bob"), &cursor));

    trigger(&bob, ROOM, "presence:update", json!({ "status": "idle" })).await;
    let idle =
        json!([{ "userId": "ada", "status": "active" }, { "userId": "bob", "status": "idle" }]);
    event_where(&ada, "doc:participants", |e| e["data"]["users"] == idle).await;

    ask_ok(&bob, "dialogue:leave", json!({ "roomId": ROOM })).await;
    let alone = json!([{ "userId": "ada", "status": "active" }]);
    event_where(&ada, "doc:participants", |e| e["data"]["users"] == alone).await;

    // Clients may not write the participants list.
    let error = trigger_refused(&ada, ROOM, "doc:participants", json!({ "users": [] })).await;
    assert_eq!(error["code"], "EVENT_NOT_ALLOWED", "{error}");
}

#[tokio::test]
async fn the_scratchpad_always_exists() {
    let url = start().await;
    let ada = connect_as(&url, "ada").await;
    join(&ada, "doc:scratchpad").await;
    assert_eq!(next(&ada, "doc:snapshot").await["version"], 0);
    trigger(&ada, "doc:scratchpad", "doc:change", insert(0, 0, "notes")).await;
    let (_, docs) = http("GET", &format!("{url}/docs"), None).await;
    assert_eq!(
        docs,
        json!([{ "roomId": "doc:scratchpad", "version": 1, "text": "notes" }])
    );
}
