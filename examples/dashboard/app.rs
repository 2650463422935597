//! A live dashboard: metrics pushed every second by a server task, alerts
//! when they cross a threshold, and only administrators may look.
//!
//! Who may join is declared, not coded: the room requires the claim
//! `role = "admin"`, and the `authenticate` hook derives a connection's
//! claims from its token.

use std::time::Duration;

use dialogue_runtime::prelude::*;
use dialogue_runtime::{BuildError, HookError, Identity, TriggerError};

/// The numbers on the dashboard, once a second.
#[derive(Event, Serialize, Deserialize, JsonSchema, TS, Debug, Clone, PartialEq)]
#[event(name = "metrics:update")]
#[serde(rename_all = "camelCase")]
pub struct MetricsUpdate {
    /// CPU use, in percent.
    #[schemars(range(min = 0.0, max = 100.0))]
    pub cpu: f64,
    /// Memory use, in percent.
    #[schemars(range(min = 0.0, max = 100.0))]
    pub memory: f64,
    /// Requests served per second.
    pub requests: u32,
    /// Requests failed per second.
    pub errors: u32,
    /// Mean response time, in milliseconds.
    #[schemars(range(min = 0.0))]
    pub latency_ms: f64,
}

/// How bad an alert is.
#[derive(
    Serialize, Deserialize, JsonSchema, TS, Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord,
)]
#[serde(rename_all = "lowercase")]
#[schemars(inline)]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

/// A metric crossed its threshold; the last 50 are shown to whoever opens
/// the dashboard.
#[derive(Event, Serialize, Deserialize, JsonSchema, TS, Debug, Clone, PartialEq)]
#[event(name = "alert:triggered", history = 50)]
#[serde(rename_all = "camelCase")]
pub struct AlertTriggered {
    /// Unique: the metric and the time.
    pub alert_id: String,
    /// How bad.
    pub severity: Severity,
    /// Which metric (`cpu`, `memory`, `errors`, `latency`).
    pub metric: String,
    /// Its value now.
    pub value: f64,
    /// The threshold it crossed.
    pub threshold: f64,
    /// For people.
    pub message: String,
}

dialogue! {
    /// The operations dashboard.
    pub DashboardApp {
        /// Live metrics and alerts, for administrators only. Only the server
        /// publishes here.
        dashboard: {
            name: "Dashboard",
            events: [],
            server_events: [MetricsUpdate, AlertTriggered],
            required_claims: { role: "admin" },
            sync_history_on_join: true,
        },
    }
}

/// The demo's accounts: token, user, role. A real application would verify
/// a JWT instead (`JwtAuth`, see docs/authentication.md) and read the role
/// from its claims.
pub const ACCOUNTS: [(&str, &str, &str); 2] = [
    ("admin-token", "alice", "admin"),
    ("viewer-token", "bob", "viewer"),
];

/// The server: connections must bring a known `auth.token`; its account's
/// role becomes the claim the dashboard requires.
pub fn build() -> Result<Dialogue<DashboardApp>, BuildError> {
    Dialogue::<DashboardApp>::builder()
        .authenticate(|_, handshake| async move {
            let Some(token) = handshake.token() else {
                return Err(HookError::refuse("send a token as auth.token"));
            };
            let Some((_, user, role)) = ACCOUNTS.iter().find(|(known, _, _)| *known == token)
            else {
                return Err(HookError::refuse("unknown token"));
            };
            Ok(Identity::user(*user).with_claims(serde_json::json!({ "role": role })))
        })
        .on_joined(|_, client, room_id| async move {
            tracing::info!(user = client.user_id(), room = %room_id, "watching the dashboard");
        })
        .build()
}

/// A threshold: past `limit`, an alert of `severity`.
#[derive(Debug, Clone, Copy)]
struct Threshold {
    metric: &'static str,
    limit: f64,
    severity: Severity,
}

/// When to alert.
const THRESHOLDS: [Threshold; 4] = [
    Threshold {
        metric: "cpu",
        limit: 90.0,
        severity: Severity::Critical,
    },
    Threshold {
        metric: "memory",
        limit: 85.0,
        severity: Severity::High,
    },
    Threshold {
        metric: "errors",
        limit: 50.0,
        severity: Severity::Medium,
    },
    Threshold {
        metric: "latency",
        limit: 500.0,
        severity: Severity::Low,
    },
];

/// Remembers which metrics are past their threshold, so that an alert is
/// raised once when a metric crosses it, not every second while it stays.
#[derive(Debug, Default)]
pub struct Monitor {
    above: [bool; THRESHOLDS.len()],
}

impl Monitor {
    /// Publishes one sample: the update, then an alert for each metric that
    /// has just crossed its threshold. Returns the alerts raised.
    pub async fn publish(
        &mut self,
        dialogue: &Dialogue<DashboardApp>,
        metrics: MetricsUpdate,
    ) -> Result<Vec<AlertTriggered>, TriggerError> {
        let dashboard = dialogue.room(DashboardApp::dashboard());
        let sent = dashboard.trigger(metrics).await?;
        let metrics = sent.data;
        let mut alerts = Vec::new();
        for (threshold, above) in THRESHOLDS.iter().zip(&mut self.above) {
            let value = match threshold.metric {
                "cpu" => metrics.cpu,
                "memory" => metrics.memory,
                "errors" => f64::from(metrics.errors),
                _ => metrics.latency_ms,
            };
            let now_above = value > threshold.limit;
            if now_above && !*above {
                let alert = AlertTriggered {
                    alert_id: format!("{}-{}", threshold.metric, sent.timestamp),
                    severity: threshold.severity,
                    metric: threshold.metric.to_owned(),
                    value,
                    threshold: threshold.limit,
                    message: format!(
                        "{} at {value:.1}, above {:.1}",
                        threshold.metric, threshold.limit
                    ),
                };
                tracing::warn!(metric = threshold.metric, value, "alert");
                alerts.push(dashboard.trigger(alert).await?.data);
            }
            *above = now_above;
        }
        Ok(alerts)
    }
}

/// Where samples come from. The demo simulates a server under a load that
/// rises and falls; a real one would read the system or a metrics store.
#[derive(Debug, Default)]
pub struct Simulated {
    tick: u64,
}

impl Simulated {
    /// The next sample. Every minute, for five seconds, a spike takes every
    /// metric past its threshold (CPU past 90 %, memory past 85 %, ...).
    pub fn sample(&mut self) -> MetricsUpdate {
        self.tick += 1;
        let t = self.tick as f64;
        // Deterministic "noise" from a tiny hash of the tick.
        let noise = ((self.tick.wrapping_mul(2_654_435_761) >> 7) % 100) as f64 / 100.0;
        let load = 0.5 + 0.3 * (t / 20.0).sin() + 0.1 * noise;
        let spike = self.tick % 60 >= 55;
        let cpu = if spike {
            92.0 + 5.0 * noise
        } else {
            (load * 100.0).clamp(0.0, 89.0)
        };
        let requests = (800.0 * load) as u32;
        let tenth = |value: f64| (value * 10.0).round() / 10.0;
        MetricsUpdate {
            cpu: tenth(cpu),
            memory: tenth(40.0 + 20.0 * load + if spike { 30.0 } else { 0.0 }),
            requests,
            errors: requests / 100 + u32::from(spike) * 50,
            latency_ms: tenth(80.0 + 150.0 * load + if spike { 400.0 } else { 0.0 }),
        }
    }
}

/// Publishes a sample every `period` until the task is aborted.
pub fn spawn_metrics(
    dialogue: Dialogue<DashboardApp>,
    period: Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut source = Simulated::default();
        let mut monitor = Monitor::default();
        let mut ticks = tokio::time::interval(period);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            ticks.tick().await;
            if let Err(error) = monitor.publish(&dialogue, source.sample()).await {
                tracing::error!(%error, "cannot publish metrics");
            }
        }
    })
}
