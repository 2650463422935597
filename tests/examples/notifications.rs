//! `notifications`: per-user rooms fed by the shop's HTTP routes.

#[allow(
    dead_code,
    reason = "the example's app is shared with its binary; the test uses part"
)]
#[path = "../../examples/notifications/app.rs"]
mod app;

use std::sync::Arc;

use dialogue_client::Client;
use serde_json::json;

use crate::harness::*;

/// The example as `main` builds it, served; its URL.
async fn start() -> String {
    let (_dialogue, router) = app::build(Arc::new(app::Shop::demo())).expect("builds");
    serve(router).await
}

/// Connects as `user`, who lands in `user:{user}` and sees their badge.
async fn arrive(url: &str, user: &str) -> Client {
    let client = connect_as(url, user).await;
    let joined = next(&client, "dialogue:joined").await;
    assert_eq!(joined["roomId"], format!("user:{user}"), "{joined}");
    let badge = event(&client, "badge").await;
    assert_eq!(
        badge["data"],
        json!({ "count": 0, "kind": "notifications" })
    );
    assert_eq!(badge["from"], "system");
    client
}

#[tokio::test]
async fn only_its_owner_may_join_a_user_room() {
    let url = start().await;
    let alice = arrive(&url, "alice").await;
    let bob = arrive(&url, "bob").await;

    let error = ask_refused(&bob, "dialogue:join", json!({ "roomId": "user:alice" })).await;
    assert_eq!(error["code"], "JOIN_DENIED", "{error}");

    // Nor may anyone send into their own: only the server writes there.
    let error = trigger_refused(
        &alice,
        "user:alice",
        "badge",
        json!({ "count": 99, "kind": "tasks" }),
    )
    .await;
    assert_eq!(error["code"], "EVENT_NOT_ALLOWED", "{error}");
}

#[tokio::test]
async fn shipping_an_order_notifies_its_owner_only() {
    let url = start().await;
    let alice = arrive(&url, "alice").await;
    let bob = arrive(&url, "bob").await;

    let (status, orders) = http("GET", &format!("{url}/orders"), None).await;
    assert_eq!(status, 200);
    assert_eq!(orders[0]["owner"], "alice", "{orders}");

    let (status, body) = http("POST", &format!("{url}/orders/1001/ship"), None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["unread"], 1, "{body}");

    let shipped = event(&alice, "order:shipped").await;
    assert_eq!(shipped["roomId"], "user:alice");
    assert_eq!(shipped["data"]["orderId"], "1001");
    assert_eq!(shipped["data"]["trackingUrl"], "/orders/1001/track");
    let badge = event(&alice, "badge").await;
    assert_eq!(badge["data"]["count"], 1);
    assert_no_event(&bob, "order:shipped").await;
    assert_no_event(&bob, "badge").await;

    // Twice is a conflict; an unknown order is not found.
    let (status, _) = http("POST", &format!("{url}/orders/1001/ship"), None).await;
    assert_eq!(status, 409);
    let (status, _) = http("POST", &format!("{url}/orders/9999/ship"), None).await;
    assert_eq!(status, 404);

    // bob's own order reaches bob.
    let (status, _) = http("POST", &format!("{url}/orders/1002/ship"), None).await;
    assert_eq!(status, 200);
    assert_eq!(
        event(&bob, "order:shipped").await["data"]["orderId"],
        "1002"
    );
    assert_eq!(event(&bob, "badge").await["data"]["count"], 1);
}

#[tokio::test]
async fn alerts_are_checked_counted_and_kept_for_later() {
    let url = start().await;
    let alice = arrive(&url, "alice").await;

    // The schema holds for the server's own pushes: a title over 100 characters.
    let long = json!({ "title": "x".repeat(101), "message": "m", "kind": "info" });
    let (status, body) = http("POST", &format!("{url}/users/alice/alerts"), Some(long)).await;
    assert_eq!(status, 422, "{body}");

    let alert = json!({
        "title": "Welcome",
        "message": "Your account is ready",
        "kind": "success",
        "action": { "label": "Open", "url": "/account" },
    });
    let (status, body) = http(
        "POST",
        &format!("{url}/users/alice/alerts"),
        Some(alert.clone()),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(event(&alice, "alert").await["data"], alert);
    assert_eq!(event(&alice, "badge").await["data"]["count"], 1);

    // Read: the badge clears.
    let (status, _) = http("POST", &format!("{url}/users/alice/read"), None).await;
    assert_eq!(status, 200);
    assert_eq!(event(&alice, "badge").await["data"]["count"], 0);

    // A second tab of alice gets the alert again on arrival (history).
    let tab = connect_as(&url, "alice").await;
    let synced = next(&tab, "dialogue:history").await;
    assert_eq!(synced["roomId"], "user:alice");
    let events = synced["events"].as_array().expect("events");
    assert!(
        events
            .iter()
            .any(|e| e["event"] == "alert" && e["data"] == alert),
        "{synced}"
    );
}
