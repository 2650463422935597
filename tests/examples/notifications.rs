//! `notifications`: per-user rooms fed by the HTTP API and the shop's routes,
//! with the unread badge kept by a hook.

#[allow(
    dead_code,
    reason = "the example's app is shared with its binary; the test uses part"
)]
#[path = "../../examples/notifications/app.rs"]
mod app;

use std::sync::Arc;

use dialogue_client::Client;
use serde_json::{Value, json};

use crate::harness::*;

/// The HTTP API's key in these tests.
const KEY: &str = "test-key";

/// The example as `main` builds it with `DIALOGUE_API_KEY=test-key`, served;
/// its URL.
async fn start() -> String {
    let (_dialogue, router) = app::build(Arc::new(app::Shop::demo()), Some(KEY)).expect("builds");
    serve(router).await
}

/// Connects as `user`, who lands in `user:{user}` and sees their badge with
/// `unread`.
async fn arrive_with(url: &str, user: &str, unread: u32) -> Client {
    let client = connect_as(url, user).await;
    let joined = next(&client, "dialogue:joined").await;
    assert_eq!(joined["roomId"], format!("user:{user}"), "{joined}");
    let badge = event(&client, "badge").await;
    assert_eq!(
        badge["data"],
        json!({ "count": unread, "kind": "notifications" })
    );
    assert_eq!(badge["from"], "system");
    client
}

/// Connects as `user`, who has nothing unread.
async fn arrive(url: &str, user: &str) -> Client {
    arrive_with(url, user, 0).await
}

/// `POST` to the HTTP API with `Authorization: Bearer <key>` (none when
/// `key` is `None`); the status and the JSON body.
async fn api_post(url: &str, key: Option<&str>, body: Value) -> (u16, Value) {
    let reply = crate::support::http::send("POST", url, key, Some(&body)).await;
    (reply.status, reply.json)
}

/// Publishes `event` with `data` into `user`'s inbox through the HTTP API,
/// with the right key.
async fn publish(url: &str, user: &str, event: &str, data: Value) -> (u16, Value) {
    api_post(
        &format!("{url}/api/rooms/user:{user}/events"),
        Some(KEY),
        json!({ "event": event, "data": data }),
    )
    .await
}

/// An alert as a backend sends it.
fn alert(title: &str) -> Value {
    json!({
        "title": title,
        "message": "Your account is ready",
        "kind": "success",
        "action": { "label": "Open", "url": "/account" },
    })
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
    assert_eq!(body["order"]["shipped"], true, "{body}");

    let shipped = event(&alice, "order:shipped").await;
    assert_eq!(shipped["roomId"], "user:alice");
    assert_eq!(shipped["data"]["orderId"], "1001");
    assert_eq!(shipped["data"]["trackingUrl"], "/orders/1001/track");
    let badge = event(&alice, "badge").await;
    assert_eq!(badge["data"]["count"], 1);
    // Counted once: the hook's badge is the only one.
    assert_no_event(&alice, "badge").await;
    assert_no_event(&bob, "order:shipped").await;
    assert_no_event(&bob, "badge").await;

    // Twice is a conflict; an unknown order is not found; neither counts.
    let (status, _) = http("POST", &format!("{url}/orders/1001/ship"), None).await;
    assert_eq!(status, 409);
    let (status, _) = http("POST", &format!("{url}/orders/9999/ship"), None).await;
    assert_eq!(status, 404);
    assert_no_event(&alice, "badge").await;

    // alice's second order counts one more.
    let (status, body) = http("POST", &format!("{url}/orders/1003/ship"), None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["unread"], 2, "{body}");
    assert_eq!(event(&alice, "badge").await["data"]["count"], 2);

    // bob's own order reaches bob.
    let (status, _) = http("POST", &format!("{url}/orders/1002/ship"), None).await;
    assert_eq!(status, 200);
    assert_eq!(
        event(&bob, "order:shipped").await["data"]["orderId"],
        "1002"
    );
    assert_eq!(event(&bob, "badge").await["data"]["count"], 1);

    let (_, orders) = http("GET", &format!("{url}/orders"), None).await;
    let shipped: Vec<bool> = orders
        .as_array()
        .expect("orders")
        .iter()
        .map(|o| o["shipped"] == true)
        .collect();
    assert_eq!(shipped, [true, true, true], "{orders}");
}

#[tokio::test]
async fn an_alert_from_the_http_api_reaches_its_user_with_the_badge() {
    let url = start().await;
    let alice = arrive(&url, "alice").await;
    let bob = arrive(&url, "bob").await;

    let (status, body) = publish(&url, "bob", "alert", alert("Welcome")).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["message"]["event"], "alert", "{body}");
    assert_eq!(body["message"]["roomId"], "user:bob", "{body}");
    assert_eq!(body["message"]["from"], "system", "{body}");

    let received = event(&bob, "alert").await;
    assert_eq!(received["data"], alert("Welcome"));
    assert_eq!(received["from"], "system");
    let badge = event(&bob, "badge").await;
    assert_eq!(
        badge["data"],
        json!({ "count": 1, "kind": "notifications" })
    );
    assert_eq!(badge["roomId"], "user:bob");
    assert_no_event(&bob, "badge").await;
    assert_no_event(&alice, "alert").await;
    assert_no_event(&alice, "badge").await;

    // The next one counts one more; alerts and shipments count alike.
    let (status, _) = publish(&url, "bob", "alert", alert("Again")).await;
    assert_eq!(status, 201);
    assert_eq!(event(&bob, "badge").await["data"]["count"], 2);
    let (status, _) = http("POST", &format!("{url}/orders/1002/ship"), None).await;
    assert_eq!(status, 200);
    assert_eq!(event(&bob, "badge").await["data"]["count"], 3);

    // Read: the badge clears, and counting starts again.
    let (status, body) = http("POST", &format!("{url}/users/bob/read"), None).await;
    assert_eq!((status, &body), (200, &json!({ "unread": 0 })));
    assert_eq!(event(&bob, "badge").await["data"]["count"], 0);
    let (status, _) = publish(&url, "bob", "alert", alert("Fresh")).await;
    assert_eq!(status, 201);
    assert_eq!(event(&bob, "badge").await["data"]["count"], 1);

    // A second tab of bob gets the alerts again on arrival (history), and
    // the badge as it stands.
    let tab = connect_as(&url, "bob").await;
    let synced = next(&tab, "dialogue:history").await;
    assert_eq!(synced["roomId"], "user:bob");
    let events = synced["events"].as_array().expect("events");
    assert!(
        events
            .iter()
            .any(|e| e["event"] == "alert" && e["data"] == alert("Welcome")),
        "{synced}"
    );
    assert_eq!(event(&tab, "badge").await["data"]["count"], 1);
}

#[tokio::test]
async fn the_http_api_wants_the_key_and_a_valid_alert() {
    let url = start().await;
    let bob = arrive(&url, "bob").await;
    let route = format!("{url}/api/rooms/user:bob/events");
    let request = json!({ "event": "alert", "data": alert("Welcome") });

    for key in [Some("wrong-key"), None] {
        let (status, body) = api_post(&route, key, request.clone()).await;
        assert_eq!(status, 401, "{key:?}: {body}");
        assert_eq!(body["error"]["code"], "UNAUTHORIZED", "{body}");
    }

    // The schema holds: a title over 100 characters, a kind it does not know.
    let long = json!({ "title": "x".repeat(101), "message": "m", "kind": "info" });
    let (status, body) = publish(&url, "bob", "alert", long).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["code"], "VALIDATION_FAILED", "{body}");
    assert_eq!(body["error"]["details"][0]["path"], "/title", "{body}");
    let odd = json!({ "title": "t", "message": "m", "kind": "loud" });
    let (status, body) = publish(&url, "bob", "alert", odd).await;
    assert_eq!(status, 422, "{body}");

    // Nothing was published, nor counted.
    assert_no_event(&bob, "alert").await;
    assert_no_event(&bob, "badge").await;
    let (status, _) = publish(&url, "bob", "alert", alert("Welcome")).await;
    assert_eq!(status, 201);
    assert_eq!(event(&bob, "badge").await["data"]["count"], 1);

    // The hand-written alert route is gone: the API is the way in.
    let (status, _) = http(
        "POST",
        &format!("{url}/users/bob/alerts"),
        Some(alert("Old")),
    )
    .await;
    assert_eq!(status, 404);
    assert_no_event(&bob, "alert").await;
}

#[tokio::test]
async fn only_notifications_in_an_inbox_are_counted() {
    let url = start().await;
    let bob = arrive(&url, "bob").await;

    // A badge published by a backend is shown but counts nothing (the hook
    // does not feed itself).
    let (status, _) = publish(&url, "bob", "badge", json!({ "count": 7, "kind": "tasks" })).await;
    assert_eq!(status, 201);
    assert_eq!(
        event(&bob, "badge").await["data"],
        json!({ "count": 7, "kind": "tasks" })
    );
    assert_no_event(&bob, "badge").await;

    // An alert in a room that is nobody's inbox counts for nobody.
    let (status, body) = api_post(
        &format!("{url}/api/rooms"),
        Some(KEY),
        json!({ "id": "news", "name": "News", "events": ["alert"] }),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = api_post(
        &format!("{url}/api/rooms/news/events"),
        Some(KEY),
        json!({ "event": "alert", "data": alert("Sale") }),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_no_event(&bob, "badge").await;

    // So bob's first alert is his first unread.
    let (status, _) = publish(&url, "bob", "alert", alert("Welcome")).await;
    assert_eq!(status, 201);
    assert_eq!(event(&bob, "badge").await["data"]["count"], 1);
}

#[tokio::test]
async fn an_alert_waits_in_the_inbox_of_a_user_who_is_away() {
    let url = start().await;

    // carol is not connected: her inbox is made, the alert kept and counted.
    let (status, body) = publish(&url, "carol", "alert", alert("Welcome")).await;
    assert_eq!(status, 201, "{body}");

    let carol = connect_as(&url, "carol").await;
    let synced = next(&carol, "dialogue:history").await;
    assert_eq!(synced["roomId"], "user:carol");
    assert_eq!(synced["events"][0]["data"], alert("Welcome"), "{synced}");
    assert_eq!(event(&carol, "badge").await["data"]["count"], 1);
}

#[tokio::test]
async fn without_a_key_there_is_no_http_api() {
    let (_dialogue, router) = app::build(Arc::new(app::Shop::demo()), None).expect("builds");
    let url = serve(router).await;
    let bob = arrive(&url, "bob").await;

    let (status, _) = publish(&url, "bob", "alert", alert("Welcome")).await;
    assert_eq!(status, 404);
    assert_no_event(&bob, "alert").await;

    // The shop's routes work as ever.
    let (status, body) = http("POST", &format!("{url}/orders/1002/ship"), None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(event(&bob, "badge").await["data"]["count"], 1);
}
