//! IoT monitoring: devices send sensor readings, the server derives alerts
//! from them and announces when a device comes online or goes offline.
//!
//! Devices and people connect to the same server. A device says who it is
//! with `auth.deviceId` and becomes the user `device:{id}`; a person uses
//! `auth.userId`. Only devices may send readings.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use dialogue_runtime::prelude::*;
use dialogue_runtime::{BuildError, HookError, Identity};

/// A device's measurements. Out of range is refused (`VALIDATION_FAILED`);
/// the sender (`from`) is the device and `timestamp` the time of arrival.
#[derive(Event, Serialize, Deserialize, JsonSchema, TS, Debug, Clone, PartialEq)]
#[event(name = "sensor:reading", history = 100)]
#[serde(rename_all = "camelCase")]
pub struct SensorReading {
    /// Degrees Celsius.
    #[schemars(range(min = -50.0, max = 150.0))]
    pub temperature: f64,
    /// Relative humidity, percent.
    #[schemars(range(min = 0.0, max = 100.0))]
    pub humidity: f64,
    /// Air pressure, hPa.
    #[schemars(range(min = 300.0, max = 1100.0))]
    pub pressure: f64,
    /// Battery charge, percent.
    #[schemars(range(min = 0, max = 100))]
    pub battery: u8,
}

/// Whether a device is connected.
#[derive(Serialize, Deserialize, JsonSchema, TS, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
#[schemars(inline)]
pub enum Status {
    Online,
    Offline,
}

/// A device came online or went offline (pushed by the server).
#[derive(Event, Serialize, Deserialize, JsonSchema, TS, Debug, Clone, PartialEq)]
#[event(name = "device:status", history = 50)]
#[serde(rename_all = "camelCase")]
pub struct DeviceStatus {
    /// The device.
    pub device_id: String,
    /// Now.
    pub status: Status,
    /// Unix milliseconds of the device's last reading, if any.
    pub last_seen: Option<u64>,
}

/// What an alert is about.
#[derive(Serialize, Deserialize, JsonSchema, TS, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
#[schemars(inline)]
pub enum AlertType {
    Temperature,
    Battery,
}

/// A reading crossed a threshold (pushed by the server).
#[derive(Event, Serialize, Deserialize, JsonSchema, TS, Debug, Clone, PartialEq)]
#[event(name = "device:alert", history = 50)]
#[serde(rename_all = "camelCase")]
pub struct DeviceAlert {
    /// The device.
    pub device_id: String,
    /// About what.
    pub alert_type: AlertType,
    /// For people.
    pub message: String,
    /// The reading.
    pub value: f64,
    /// The threshold it crossed.
    pub threshold: f64,
}

dialogue! {
    /// Sensor monitoring.
    pub IotApp {
        /// Devices send readings here; dashboards watch readings, statuses and
        /// alerts, and get the recent ones on joining.
        sensors: {
            name: "Sensor Data",
            events: [SensorReading],
            server_events: [DeviceStatus, DeviceAlert],
            sync_history_on_join: 20,
        },
    }
}

/// Above this temperature, an alert.
pub const HOT: f64 = 40.0;
/// Below this charge, an alert.
pub const LOW_BATTERY: u8 = 20;

/// The prefix of a device's user id.
const DEVICE: &str = "device:";

/// The device id of a user id, if it is a device.
pub fn device_id(user_id: &str) -> Option<&str> {
    user_id.strip_prefix(DEVICE)
}

/// What the server remembers of each device.
#[derive(Debug, Default)]
pub struct Fleet {
    devices: Mutex<HashMap<String, Device>>,
}

#[derive(Debug, Default, Clone, Copy)]
struct Device {
    last_seen: Option<u64>,
    hot: bool,
    low_battery: bool,
}

impl Fleet {
    fn with<T>(&self, f: impl FnOnce(&mut HashMap<String, Device>) -> T) -> T {
        f(&mut self.devices.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Records a reading; the alerts it raises. An alert is raised when a
    /// value crosses its threshold, not again while it stays past it.
    fn reading(&self, device: &str, at: u64, reading: &SensorReading) -> Vec<DeviceAlert> {
        self.with(|devices| {
            let state = devices.entry(device.to_owned()).or_default();
            state.last_seen = Some(at);
            let mut alerts = Vec::new();
            let hot = reading.temperature > HOT;
            if hot && !state.hot {
                alerts.push(DeviceAlert {
                    device_id: device.to_owned(),
                    alert_type: AlertType::Temperature,
                    message: format!("High temperature: {:.1} °C", reading.temperature),
                    value: reading.temperature,
                    threshold: HOT,
                });
            }
            let low = reading.battery < LOW_BATTERY;
            if low && !state.low_battery {
                alerts.push(DeviceAlert {
                    device_id: device.to_owned(),
                    alert_type: AlertType::Battery,
                    message: format!("Low battery: {} %", reading.battery),
                    value: f64::from(reading.battery),
                    threshold: f64::from(LOW_BATTERY),
                });
            }
            state.hot = hot;
            state.low_battery = low;
            alerts
        })
    }

    fn last_seen(&self, device: &str) -> Option<u64> {
        self.with(|devices| devices.get(device).and_then(|d| d.last_seen))
    }
}

/// The server.
pub fn build(fleet: Arc<Fleet>) -> Result<Dialogue<IotApp>, BuildError> {
    let (readings, offline) = (fleet.clone(), fleet);
    Dialogue::<IotApp>::builder()
        // Devices are `device:{deviceId}`; people may not take such a name.
        .authenticate(|_, handshake| async move {
            let text = |key: &str| {
                handshake
                    .auth
                    .get(key)
                    .and_then(|v| v.as_str())
                    .filter(|v| !v.is_empty())
            };
            if let Some(device) = text("deviceId") {
                return Ok(Identity::user(format!("{DEVICE}{device}"))
                    .with_claims(serde_json::json!({ "kind": "device" })));
            }
            match text("userId") {
                Some(user) if device_id(user).is_some() => Err(HookError::refuse(
                    "user ids starting with `device:` are for devices",
                )),
                Some(user) => Ok(Identity::user(user)),
                None => Err(HookError::refuse(
                    "send auth.deviceId (a device) or auth.userId (a person)",
                )),
            }
        })
        // A device joins the room to send, but needs none of what others
        // send: it keeps no subscription. Then everyone learns it is online.
        .on_connected(|dialogue, client| async move {
            let Some(device) = device_id(client.user_id()) else {
                return;
            };
            if let Err(error) = client.join(IotApp::SENSORS).await {
                tracing::warn!(device, %error, "cannot join the sensors room");
                return;
            }
            for event in client.subscriptions(IotApp::SENSORS) {
                let _ = client.unsubscribe(IotApp::SENSORS, &event);
            }
            // A second connection of a device already online changes nothing
            // (offline, likewise, is announced when the last one goes).
            if dialogue.get_clients(client.user_id()).len() > 1 {
                return;
            }
            tracing::info!(device, "online");
            let status = DeviceStatus {
                device_id: device.to_owned(),
                status: Status::Online,
                last_seen: None,
            };
            let _ = dialogue.room(IotApp::sensors()).trigger(status).await;
        })
        // Readings come from devices only.
        .before_each(|_, message| async move {
            if message.event == SensorReading::NAME && device_id(&message.from).is_none() {
                return Err(HookError::refuse("only devices send readings"));
            }
            Ok(message)
        })
        // Derived alerts: after each reading was broadcast, the server checks
        // it against the thresholds and pushes what it finds.
        .after_each(move |dialogue, message, recipients| {
            let fleet = readings.clone();
            async move {
                if message.event != SensorReading::NAME {
                    return;
                }
                let Some(device) = device_id(&message.from) else {
                    return;
                };
                let Ok(reading) = serde_json::from_value::<SensorReading>(message.data) else {
                    return;
                };
                tracing::debug!(device, recipients, "reading");
                for alert in fleet.reading(device, message.timestamp, &reading) {
                    tracing::warn!(device, alert = %alert.message, "alert");
                    let _ = dialogue.room(IotApp::sensors()).trigger(alert).await;
                }
            }
        })
        // The device's last connection is gone: it is offline.
        .on_disconnect(move |dialogue, socket| {
            let fleet = offline.clone();
            async move {
                let Some(device) = device_id(&socket.user_id) else {
                    return;
                };
                if !dialogue.get_clients(&socket.user_id).is_empty() {
                    return;
                }
                tracing::info!(device, "offline");
                let status = DeviceStatus {
                    device_id: device.to_owned(),
                    status: Status::Offline,
                    last_seen: fleet.last_seen(device),
                };
                let _ = dialogue.room(IotApp::sensors()).trigger(status).await;
            }
        })
        .build()
}
