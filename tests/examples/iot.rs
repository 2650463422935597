//! `iot`: readings from devices, derived alerts, online and offline.

#[allow(
    dead_code,
    reason = "the example's app is shared with its binary; the test uses part"
)]
#[path = "../../examples/iot/app.rs"]
mod app;

use std::sync::Arc;

use dialogue_client::Error;
use serde_json::{Value, json};

use crate::harness::*;

fn reading(temperature: f64, battery: u32) -> Value {
    json!({ "temperature": temperature, "humidity": 30, "pressure": 1013, "battery": battery })
}

#[tokio::test]
async fn readings_raise_alerts_and_devices_come_and_go() {
    let dialogue = app::build(Arc::new(app::Fleet::default())).expect("builds");
    let url = serve_dialogue(&dialogue).await;
    let ops = connect_as(&url, "ops").await;
    join(&ops, "sensors").await;

    let (device, greeting) = try_connect(&url, json!({ "deviceId": "thermo-1" }))
        .await
        .expect("connects");
    assert_eq!(greeting["userId"], "device:thermo-1");
    assert_eq!(next(&device, "dialogue:joined").await["roomId"], "sensors");
    let online = event(&ops, "device:status").await;
    assert_eq!(
        online["data"],
        json!({ "deviceId": "thermo-1", "status": "online", "lastSeen": null })
    );

    // Hot and low: the reading, then two alerts derived by the server.
    trigger(&device, "sensors", "sensor:reading", reading(45.5, 15)).await;
    let seen = event(&ops, "sensor:reading").await;
    assert_eq!(seen["from"], "device:thermo-1");
    assert_eq!(seen["data"]["temperature"], 45.5);
    let alert = event(&ops, "device:alert").await;
    assert_eq!(alert["from"], "system");
    assert_eq!(alert["data"]["alertType"], "temperature");
    assert_eq!(alert["data"]["value"], 45.5);
    assert_eq!(alert["data"]["threshold"], 40.0);
    let alert = event(&ops, "device:alert").await;
    assert_eq!(alert["data"]["alertType"], "battery");
    assert_eq!(alert["data"]["value"], 15.0);

    // Still hot and low: no new alert. Cool and charged, then hot: one.
    trigger(&device, "sensors", "sensor:reading", reading(46.0, 14)).await;
    assert_no_event(&ops, "device:alert").await;
    trigger(&device, "sensors", "sensor:reading", reading(21.0, 90)).await;
    trigger(&device, "sensors", "sensor:reading", reading(41.0, 90)).await;
    let alert = event(&ops, "device:alert").await;
    assert_eq!(alert["data"]["alertType"], "temperature");
    assert_eq!(alert["data"]["value"], 41.0);

    // The schema: a battery is 0 to 100.
    let error = trigger_refused(&device, "sensors", "sensor:reading", reading(20.0, 150)).await;
    assert_eq!(error["code"], "VALIDATION_FAILED", "{error}");
    assert_eq!(error["details"][0]["path"], "/battery", "{error}");
    // People do not send readings; nobody sends statuses or alerts.
    let error = trigger_refused(&ops, "sensors", "sensor:reading", reading(20.0, 50)).await;
    assert_eq!(error["code"], "EVENT_NOT_ALLOWED", "{error}");
    assert!(
        error["message"]
            .as_str()
            .unwrap_or("")
            .contains("only devices"),
        "{error}"
    );
    let status = json!({ "deviceId": "thermo-1", "status": "offline" });
    let error = trigger_refused(&device, "sensors", "device:status", status).await;
    assert_eq!(error["code"], "EVENT_NOT_ALLOWED", "{error}");

    // The device itself is subscribed to nothing.
    assert_no_event(&device, "sensor:reading").await;
    assert_no_event(&device, "device:alert").await;

    // Gone: offline, with the time of its last reading.
    device.disconnect().await;
    let offline = event(&ops, "device:status").await;
    assert_eq!(offline["data"]["status"], "offline");
    assert!(offline["data"]["lastSeen"].as_u64().is_some(), "{offline}");

    // A late watcher gets the recent statuses and alerts on joining.
    let late = connect_as(&url, "late").await;
    let answer = join(&late, "sensors").await;
    let history = answer["history"].as_array().expect("history");
    assert!(
        history.iter().any(|e| e["event"] == "device:alert"),
        "{answer}"
    );
    assert_eq!(
        history
            .iter()
            .filter(|e| e["event"] == "device:status")
            .count(),
        2,
        "{answer}"
    );
}

#[tokio::test]
async fn people_cannot_pose_as_devices() {
    let dialogue = app::build(Arc::new(app::Fleet::default())).expect("builds");
    let url = serve_dialogue(&dialogue).await;
    for auth in [json!({ "userId": "device:thermo-1" }), json!({})] {
        match try_connect(&url, auth.clone()).await {
            Err(Error::ConnectRefused { .. }) => {}
            other => panic!("{auth}: {:?}", other.map(|(_, greeting)| greeting)),
        }
    }
}
