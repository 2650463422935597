//! `dashboard`: metrics every period, alerts on crossing, admins only.

#[allow(
    dead_code,
    reason = "the example's app is shared with its binary; the test uses part"
)]
#[path = "../../examples/dashboard/app.rs"]
mod app;

use std::time::Duration;

use dialogue_client::Error;
use serde_json::{Value, json};

use crate::harness::*;

fn admin() -> Value {
    json!({ "token": "admin-token" })
}

#[tokio::test]
async fn only_admins_may_watch() {
    let dialogue = app::build().expect("builds");
    let url = serve_dialogue(&dialogue).await;

    // No token, or an unknown one: no connection at all.
    for auth in [json!({}), json!({ "token": "forged" })] {
        match try_connect(&url, auth.clone()).await {
            Err(Error::ConnectRefused { message, .. }) => {
                assert!(message.contains("token"), "{auth}: {message}")
            }
            other => panic!("{auth}: {:?}", other.map(|(_, greeting)| greeting)),
        }
    }

    // A viewer connects but may not join.
    let (bob, greeting) = try_connect(&url, json!({ "token": "viewer-token" }))
        .await
        .expect("connects");
    assert_eq!(greeting["userId"], "bob");
    let error = ask_refused(&bob, "dialogue:join", json!({ "roomId": "dashboard" })).await;
    assert_eq!(error["code"], "JOIN_DENIED", "{error}");
    assert!(
        error["message"].as_str().unwrap_or("").contains("role"),
        "{error}"
    );

    let (alice, greeting) = try_connect(&url, admin()).await.expect("connects");
    assert_eq!(greeting["userId"], "alice");
    join(&alice, "dashboard").await;

    // Only the server publishes metrics.
    let sample = json!({ "cpu": 1.0, "memory": 1.0, "requests": 1, "errors": 0, "latencyMs": 1.0 });
    let error = trigger_refused(&alice, "dashboard", "metrics:update", sample).await;
    assert_eq!(error["code"], "EVENT_NOT_ALLOWED", "{error}");
}

#[tokio::test]
async fn metrics_keep_arriving_from_the_server() {
    let dialogue = app::build().expect("builds");
    let url = serve_dialogue(&dialogue).await;
    let alice = connect(&url, admin()).await;
    join(&alice, "dashboard").await;

    // Three updates in a row, each within the wait bound (how often is a
    // matter for a benchmark, not a test: these machines are shared).
    let task = app::spawn_metrics(dialogue.clone(), Duration::from_millis(100));
    for _ in 0..3 {
        let update = event(&alice, "metrics:update").await;
        assert_eq!(update["from"], "system");
        let cpu = update["data"]["cpu"].as_f64().expect("cpu");
        assert!((0.0..=100.0).contains(&cpu), "{update}");
    }
    task.abort();
}

#[tokio::test]
async fn crossing_a_threshold_raises_one_alert() {
    let dialogue = app::build().expect("builds");
    let url = serve_dialogue(&dialogue).await;
    let alice = connect(&url, admin()).await;
    join(&alice, "dashboard").await;

    let calm = app::MetricsUpdate {
        cpu: 35.0,
        memory: 50.0,
        requests: 400,
        errors: 2,
        latency_ms: 120.0,
    };
    let hot = app::MetricsUpdate {
        cpu: 97.5,
        ..calm.clone()
    };
    let mut monitor = app::Monitor::default();

    assert!(
        monitor
            .publish(&dialogue, calm.clone())
            .await
            .expect("published")
            .is_empty()
    );
    let alerts = monitor
        .publish(&dialogue, hot.clone())
        .await
        .expect("published");
    assert_eq!(alerts.len(), 1, "{alerts:?}");

    let alert = event(&alice, "alert:triggered").await;
    assert_eq!(alert["data"]["metric"], "cpu");
    assert_eq!(alert["data"]["severity"], "critical");
    assert_eq!(alert["data"]["value"], 97.5);
    assert_eq!(alert["data"]["threshold"], 90.0);

    // Still hot: no second alert. Back to calm, then hot again: a new one.
    assert!(
        monitor
            .publish(&dialogue, hot.clone())
            .await
            .expect("published")
            .is_empty()
    );
    assert_no_event(&alice, "alert:triggered").await;
    monitor.publish(&dialogue, calm).await.expect("published");
    assert_eq!(
        monitor
            .publish(&dialogue, hot)
            .await
            .expect("published")
            .len(),
        1
    );

    // An admin arriving later sees the alerts (history on join), newest first.
    let late = connect(&url, admin()).await;
    let answer = join(&late, "dashboard").await;
    let kept: Vec<&Value> = answer["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter(|e| e["event"] == "alert:triggered")
        .collect();
    assert_eq!(kept.len(), 2, "{answer}");
}
