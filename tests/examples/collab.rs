//! `collab`: documents from the room template `doc:{docId}`, made when first
//! joined; versions; cursors; and the built-in presence (who is in a document
//! and their status).

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
use crate::support::wire::assert_silent;

const ROOM: &str = "doc:readme";

/// The example as `main` builds it, served; its URL.
async fn start() -> String {
    start_with(app::Docs::new()).await
}

/// The example with these documents, served; its URL.
async fn start_with(docs: app::Docs) -> String {
    let (_dialogue, router) = app::build(Arc::new(docs)).expect("builds");
    serve(router).await
}

/// Connects `user` (showing `name`, when given) and opens `room`; the
/// snapshot they were sent.
async fn open_as(url: &str, user: &str, name: Option<&str>, room: &str) -> (Client, Value) {
    let mut auth = json!({ "userId": user });
    if let Some(name) = name {
        auth["name"] = json!(name);
    }
    let client = connect(url, auth).await;
    join(&client, room).await;
    let snapshot = next(&client, "doc:snapshot").await;
    (client, snapshot)
}

/// Connects `user` and opens the readme.
async fn open(url: &str, user: &str) -> (Client, Value) {
    open_as(url, user, None, ROOM).await
}

fn insert(version: u64, position: u32, text: &str) -> Value {
    json!({ "version": version, "operations": [{ "type": "insert", "position": position, "text": text }] })
}

/// The next presence diff `client` receives.
async fn diff(client: &Client) -> Value {
    next(client, "dialogue:presenceDiff").await
}

/// A diff of `room` with only these arrivals, departures or updates.
fn diff_of(room: &str, joined: Value, left: Value, updated: Value) -> Value {
    json!({ "roomId": room, "joined": joined, "left": left, "updated": updated })
}

fn message_of(error: &Value) -> &str {
    error["message"].as_str().unwrap_or("")
}

#[tokio::test]
async fn documents_are_made_when_first_joined_and_stale_changes_refused() {
    let url = start().await;
    let (status, _) = http("GET", &format!("{url}/docs/readme"), None).await;
    assert_eq!(status, 404, "nobody opened it yet");

    // Joining the template's instance makes the room and opens the document.
    let (ada, snapshot) = open(&url, "ada").await;
    assert_eq!(
        snapshot,
        json!({ "roomId": ROOM, "version": 0, "text": "" })
    );
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
    assert!(message_of(&error).contains("stale version 0"), "{error}");
    assert_no_event(&ada, "doc:change").await;

    // On version 1 it applies.
    trigger(&bob, ROOM, "doc:change", insert(1, 5, " world")).await;
    assert_eq!(event(&ada, "doc:change").await["from"], "bob");
    let (status, now) = http("GET", &format!("{url}/docs/readme"), None).await;
    assert_eq!(status, 200, "{now}");
    assert_eq!(
        now,
        json!({
            "roomId": ROOM, "version": 2, "text": "Hello world",
            "present": [
                { "userId": "ada", "info": { "status": "active" } },
                { "userId": "bob", "info": { "status": "active" } },
            ],
        })
    );

    // Out of range is refused; so is what the template's schema refuses.
    let delete =
        json!({ "version": 2, "operations": [{ "type": "delete", "position": 5, "length": 50 }] });
    let error = trigger_refused(&ada, ROOM, "doc:change", delete).await;
    assert!(message_of(&error).contains("past the end"), "{error}");
    let empty = json!({ "version": 2, "operations": [] });
    let error = trigger_refused(&ada, ROOM, "doc:change", empty).await;
    assert_eq!(error["code"], "VALIDATION_FAILED", "{error}");

    // A third person opening it gets it whole.
    let (_carol, snapshot) = open(&url, "carol").await;
    assert_eq!(snapshot["version"], 2);
    assert_eq!(snapshot["text"], "Hello world");
}

#[tokio::test]
async fn every_document_is_an_instance_of_the_template() {
    let url = start().await;
    let (ada, _) = open(&url, "ada").await;
    // Another document: its own room, text and versions.
    let (ada_notes, notes) = open_as(&url, "ada", None, "doc:notes").await;
    assert_eq!(
        notes,
        json!({ "roomId": "doc:notes", "version": 0, "text": "" })
    );
    trigger(&ada_notes, "doc:notes", "doc:change", insert(0, 0, "todo")).await;
    trigger(&ada, ROOM, "doc:change", insert(0, 0, "# Readme")).await;
    // The connection in the readme gets the readme's change only.
    assert_eq!(
        event(&ada, "doc:change").await["data"],
        insert(0, 0, "# Readme")
    );
    assert_no_event(&ada, "doc:change").await;
    let (_, docs) = http("GET", &format!("{url}/docs"), None).await;
    assert_eq!(
        docs,
        json!([
            { "roomId": "doc:notes", "version": 1, "text": "todo" },
            { "roomId": ROOM, "version": 1, "text": "# Readme" },
        ])
    );

    // The instance carries the template's name, events and presence.
    let rooms = ask_ok(&ada, "dialogue:listRooms", Value::Null).await;
    let readme = rooms["rooms"]
        .as_array()
        .and_then(|rooms| rooms.iter().find(|room| room["id"] == ROOM))
        .unwrap_or_else(|| panic!("{ROOM} is listed: {rooms}"))
        .clone();
    assert_eq!(readme["name"], "Document", "{readme}");
    assert_eq!(readme["presence"], true, "{readme}");
    let error = trigger_refused(&ada, ROOM, "chat:message", json!({ "text": "hi" })).await;
    assert_eq!(error["code"], "EVENT_NOT_ALLOWED", "{error}");
    // Presence is no event of its own any more: it goes through setPresence.
    let error = trigger_refused(&ada, ROOM, "presence:update", json!({ "status": "idle" })).await;
    assert_eq!(error["code"], "EVENT_NOT_ALLOWED", "{error}");

    // An id the template does not take names no room; clients may not make
    // a room the template owns.
    let answer = ask(&ada, "dialogue:join", json!({ "roomId": "doc:not valid!" })).await;
    assert_eq!(answer["error"]["code"], "ROOM_NOT_FOUND", "{answer}");
    let error = ask_refused(
        &ada,
        "dialogue:createRoom",
        json!({ "id": "doc:mine", "name": "Mine" }),
    )
    .await;
    assert_eq!(error["code"], "PERMISSION_DENIED", "{error}");
    let (status, _) = http("GET", &format!("{url}/docs/mine"), None).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn opening_a_document_past_the_limit_is_refused() {
    let url = start_with(app::Docs::at_most(1)).await;
    let (_ada, _) = open(&url, "ada").await;
    let bob = connect_as(&url, "bob").await;
    let answer = ask(&bob, "dialogue:join", json!({ "roomId": "doc:other" })).await;
    assert_eq!(answer["ok"], false, "{answer}");
    assert_eq!(answer["error"]["code"], "JOIN_DENIED", "{answer}");
    assert!(
        message_of(&answer["error"]).contains("documents are open"),
        "{answer}"
    );
    // An open document still opens.
    join(&bob, ROOM).await;
    assert_eq!(next(&bob, "doc:snapshot").await["roomId"], ROOM);
}

#[tokio::test]
async fn presence_says_who_is_in_a_document_and_their_status() {
    let url = start().await;
    // ada arrives: everyone (herself too) is told, with her info.
    let (ada, _) = open_as(&url, "ada", Some("Ada"), ROOM).await;
    let ada_info = json!({ "name": "Ada", "status": "active" });
    assert_eq!(
        diff(&ada).await,
        diff_of(
            ROOM,
            json!([{ "userId": "ada", "info": ada_info }]),
            json!([]),
            json!([])
        )
    );
    // bob arrives without a name.
    let (bob, _) = open(&url, "bob").await;
    let bob_arrived = diff_of(
        ROOM,
        json!([{ "userId": "bob", "info": { "status": "active" } }]),
        json!([]),
        json!([]),
    );
    assert_eq!(diff(&ada).await, bob_arrived);
    assert_eq!(diff(&bob).await, bob_arrived);
    // A second connection of bob is no second arrival.
    let (bob2, _) = open(&url, "bob").await;
    assert_silent(&ada, "dialogue:presenceDiff").await;
    let page = ask_ok(&ada, "dialogue:getPresence", json!({ "roomId": ROOM })).await;
    assert_eq!(page["count"], 2, "{page}");
    assert_eq!(
        page["members"],
        json!([
            { "userId": "ada", "info": ada_info },
            { "userId": "bob", "info": { "status": "active" } },
        ])
    );

    // bob goes idle: everyone is told.
    let idle = json!({ "status": "idle" });
    ask_ok(
        &bob,
        "dialogue:setPresence",
        json!({ "roomId": ROOM, "info": idle }),
    )
    .await;
    let updated = diff_of(
        ROOM,
        json!([]),
        json!([]),
        json!([{ "userId": "bob", "info": idle }]),
    );
    assert_eq!(diff(&ada).await, updated);
    assert_eq!(diff(&bob).await, updated);
    // A status that does not exist is refused, and nobody is told.
    let error = ask_refused(
        &bob,
        "dialogue:setPresence",
        json!({ "roomId": ROOM, "info": { "status": "asleep" } }),
    )
    .await;
    assert_eq!(error["code"], "VALIDATION_FAILED", "{error}");
    assert_eq!(error["details"][0]["path"], "/status", "{error}");
    assert_silent(&ada, "dialogue:presenceDiff").await;
    // The server sees the same (GET /docs/{id} reads `room.presence()`).
    let (_, doc) = http("GET", &format!("{url}/docs/readme"), None).await;
    assert_eq!(
        doc["present"],
        json!([{ "userId": "ada", "info": ada_info }, { "userId": "bob", "info": idle }])
    );

    // bob departs with his last connection, showing what he showed.
    ask_ok(&bob, "dialogue:leave", json!({ "roomId": ROOM })).await;
    assert_silent(&ada, "dialogue:presenceDiff").await;
    bob2.disconnect().await;
    assert_eq!(
        diff(&ada).await,
        diff_of(
            ROOM,
            json!([]),
            json!([{ "userId": "bob", "info": idle }]),
            json!([])
        )
    );
    let page = ask_ok(&ada, "dialogue:getPresence", json!({ "roomId": ROOM })).await;
    assert_eq!(page["count"], 1, "{page}");

    // Presence is per document: carol in another one is not seen here.
    let (carol, _) = open_as(&url, "carol", None, "doc:notes").await;
    assert_eq!(diff(&carol).await["roomId"], "doc:notes");
    assert_silent(&ada, "dialogue:presenceDiff").await;
}

#[tokio::test]
async fn cursors_travel_beside_the_text() {
    let url = start().await;
    let (ada, _) = open(&url, "ada").await;
    let (bob, _) = open(&url, "bob").await;

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
}
