//! What a run measured: one JSON line and a table for people.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::histogram::Histogram;

/// Percentiles of a histogram of microseconds, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Millis {
    /// Values recorded.
    pub count: u64,
    /// Median.
    pub p50: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Largest.
    pub max: f64,
    /// Mean.
    pub mean: f64,
}

impl Millis {
    /// Summarises a histogram of microseconds.
    pub fn of(h: &Histogram) -> Self {
        let ms = |us: u64| (us as f64 / 1000.0 * 1000.0).round() / 1000.0;
        Self {
            count: h.count(),
            p50: ms(h.quantile(0.50)),
            p99: ms(h.quantile(0.99)),
            max: ms(h.max()),
            mean: (h.mean() / 1000.0 * 1000.0).round() / 1000.0,
        }
    }
}

/// One run's results.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Report {
    /// The scenario.
    pub scenario: String,
    /// The scenario with its main parameters, e.g. `fanout 1x1000 @100/s`:
    /// runs of the same case are compared side by side.
    pub case: String,
    /// The server's name.
    pub label: String,
    /// Its address.
    pub target: String,
    /// `dialogue` or `bare`.
    pub protocol: String,
    /// Connections planned.
    pub connections: u64,
    /// Socket.IO connections established.
    pub connected: u64,
    /// Connections joined to their room.
    pub joined: u64,
    /// Connections that did not join.
    pub failed: u64,
    /// Why, by kind.
    pub failures: BTreeMap<String, u64>,
    /// Joined connections closed before the end of the run.
    pub dropped: u64,
    /// Source addresses used.
    pub source_addrs: usize,
    /// Seconds from the first connect to the last join (or failure).
    pub connect_secs: f64,
    /// Joins per second over that time.
    pub joins_per_sec: f64,
    /// Connect-to-joined time per connection.
    pub join_ms: Millis,
    /// Rooms.
    pub rooms: usize,
    /// Publishers.
    pub publishers: usize,
    /// Messages per second, each publisher.
    pub rate: f64,
    /// Publishing time, seconds.
    pub duration_secs: f64,
    /// Messages published.
    pub sent: u64,
    /// Deliveries expected (each message times its room's joined members,
    /// the publisher included: every server here echoes to the sender).
    pub expected: u64,
    /// Distinct deliveries.
    pub delivered: u64,
    /// Expected but not delivered by the end of the drain.
    pub lost: u64,
    /// Delivered more than once to the same connection.
    pub duplicates: u64,
    /// Events without a readable probe.
    pub stray: u64,
    /// `dialogue:error`s received.
    pub errors: u64,
    /// The first of them.
    pub first_error: Option<String>,
    /// Deliveries per second, from the start of publishing to the last delivery.
    pub deliveries_per_sec: f64,
    /// Publish-to-delivery latency.
    pub latency_ms: Millis,
    /// Server RSS before connecting, KiB.
    pub rss_before_kib: Option<u64>,
    /// Server RSS with every connection joined (after `--hold` for idle), KiB.
    pub rss_after_kib: Option<u64>,
    /// (after − before) / joined, bytes.
    pub rss_per_conn_bytes: Option<u64>,
    /// Server CPU time while publishing and draining, seconds.
    pub server_cpu_secs: Option<f64>,
    /// Server CPU time per delivery, microseconds.
    pub server_cpu_us_per_delivery: Option<f64>,
    /// Server CPU time while connecting, seconds.
    pub server_connect_cpu_secs: Option<f64>,
    /// The load generator's own CPU time, whole run, seconds.
    pub loader_cpu_secs: Option<f64>,
    /// The machine's 1-minute load average when the run began (other work
    /// on the machine shows here).
    pub loadavg_before: Option<f64>,
    /// The run hit `--max-time`.
    pub timed_out: bool,
    /// Wall time of the run, seconds.
    pub elapsed_secs: f64,
}

impl Report {
    /// The JSON line.
    pub fn json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }

    /// The table.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let opt = |v: Option<u64>| v.map_or("-".to_owned(), |v| v.to_string());
        let optf =
            |v: Option<f64>, digits: usize| v.map_or("-".to_owned(), |v| format!("{v:.digits$}"));
        let mut row = |k: &str, v: String| {
            let _ = writeln!(out, "  {k:<26} {v}");
        };
        row(
            "scenario",
            format!(
                "{} against {} ({}, {})",
                self.scenario, self.label, self.target, self.protocol
            ),
        );
        row(
            "connections",
            format!(
                "{} planned, {} connected, {} joined, {} failed, {} dropped",
                self.connections, self.connected, self.joined, self.failed, self.dropped
            ),
        );
        if !self.failures.is_empty() {
            row("failures", format!("{:?}", self.failures));
        }
        row(
            "connect phase",
            format!(
                "{:.2} s, {:.0} joins/s, join p50 {} ms p99 {} ms max {} ms",
                self.connect_secs,
                self.joins_per_sec,
                self.join_ms.p50,
                self.join_ms.p99,
                self.join_ms.max
            ),
        );
        if self.publishers > 0 {
            row(
                "publishing",
                format!(
                    "{} publishers x {} msg/s for {} s in {} room(s)",
                    self.publishers, self.rate, self.duration_secs, self.rooms
                ),
            );
            row(
                "messages",
                format!("{} sent, {} deliveries expected", self.sent, self.expected),
            );
            row(
                "deliveries",
                format!(
                    "{} delivered, {} lost, {} duplicated, {} stray, {} errors",
                    self.delivered, self.lost, self.duplicates, self.stray, self.errors
                ),
            );
            row("deliveries/s", format!("{:.0}", self.deliveries_per_sec));
            row(
                "latency",
                format!(
                    "p50 {} ms, p99 {} ms, max {} ms, mean {} ms",
                    self.latency_ms.p50,
                    self.latency_ms.p99,
                    self.latency_ms.max,
                    self.latency_ms.mean
                ),
            );
        }
        if let Some(first) = &self.first_error {
            row("first error", first.clone());
        }
        row(
            "server RSS",
            format!(
                "{} KiB before, {} KiB after, {} bytes per connection",
                opt(self.rss_before_kib),
                opt(self.rss_after_kib),
                opt(self.rss_per_conn_bytes)
            ),
        );
        row(
            "server CPU",
            format!(
                "{} s connecting, {} s publishing, {} us per delivery",
                optf(self.server_connect_cpu_secs, 2),
                optf(self.server_cpu_secs, 2),
                optf(self.server_cpu_us_per_delivery, 3)
            ),
        );
        row(
            "loader CPU",
            format!(
                "{} s (load average {} at start)",
                optf(self.loader_cpu_secs, 2),
                optf(self.loadavg_before, 2)
            ),
        );
        row(
            "run",
            format!(
                "{:.1} s{}",
                self.elapsed_secs,
                if self.timed_out { ", TIMED OUT" } else { "" }
            ),
        );
        out
    }
}

/// One row of the summary: a metric and where a JSON line holds it.
struct Metric {
    name: &'static str,
    pointer: &'static str,
}

const THROUGHPUT: &[Metric] = &[
    Metric {
        name: "deliveries/s",
        pointer: "/deliveries_per_sec",
    },
    Metric {
        name: "latency p50 ms",
        pointer: "/latency_ms/p50",
    },
    Metric {
        name: "latency p99 ms",
        pointer: "/latency_ms/p99",
    },
    Metric {
        name: "latency max ms",
        pointer: "/latency_ms/max",
    },
    Metric {
        name: "lost",
        pointer: "/lost",
    },
    Metric {
        name: "server CPU us/delivery",
        pointer: "/server_cpu_us_per_delivery",
    },
    Metric {
        name: "server RSS/conn bytes",
        pointer: "/rss_per_conn_bytes",
    },
];

const STORM: &[Metric] = &[
    Metric {
        name: "joined",
        pointer: "/joined",
    },
    Metric {
        name: "joins/s",
        pointer: "/joins_per_sec",
    },
    Metric {
        name: "join p50 ms",
        pointer: "/join_ms/p50",
    },
    Metric {
        name: "join p99 ms",
        pointer: "/join_ms/p99",
    },
    Metric {
        name: "server CPU s",
        pointer: "/server_connect_cpu_secs",
    },
];

const IDLE: &[Metric] = &[
    Metric {
        name: "joined",
        pointer: "/joined",
    },
    Metric {
        name: "server RSS/conn bytes",
        pointer: "/rss_per_conn_bytes",
    },
    Metric {
        name: "server RSS after KiB",
        pointer: "/rss_after_kib",
    },
];

/// Formats a number for the summary.
fn show(value: f64) -> String {
    if value.abs() >= 100.0 || value == value.trunc() {
        format!("{value:.0}")
    } else {
        format!("{value:.3}")
    }
}

/// The runs of JSON lines (as `--json-out` writes them), and their cases in
/// order of appearance.
fn runs_and_cases(lines: &str) -> (Vec<serde_json::Value>, Vec<String>) {
    let runs: Vec<serde_json::Value> = lines
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect();
    let mut cases: Vec<String> = Vec::new();
    for run in &runs {
        let case = run["case"].as_str().unwrap_or("?").to_owned();
        if !cases.contains(&case) {
            cases.push(case);
        }
    }
    (runs, cases)
}

/// The metrics worth comparing for a scenario.
fn metrics_of(scenario: &str) -> &'static [Metric] {
    match scenario {
        "storm" => STORM,
        "idle" => IDLE,
        _ => THROUGHPUT,
    }
}

/// The median of `values` (the mean of the middle two for an even count).
fn median(mut values: Vec<f64>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    Some(if values.len() % 2 == 1 {
        values[middle]
    } else {
        (values[middle - 1] + values[middle]) / 2.0
    })
}

/// One metric of every run of `case` by `label`.
fn values_of(runs: &[serde_json::Value], case: &str, label: &str, metric: &Metric) -> Vec<f64> {
    runs.iter()
        .filter(|r| r["case"] == case && r["label"] == label)
        .filter_map(|r| {
            r.pointer(metric.pointer)
                .and_then(serde_json::Value::as_f64)
        })
        .collect()
}

/// Two builds (labels `a` and `b`) over repeated runs: per case and metric,
/// the median of each, the ratio b/a, and every run's value, as a Markdown
/// table. This is how a change is measured against the build before it.
pub fn compare(lines: &str, a: &str, b: &str) -> String {
    let (runs, cases) = runs_and_cases(lines);
    let mut out = format!(
        "| case | metric | {a} (median) | {b} (median) | {b}/{a} | {a} runs | {b} runs |\n|---|---|---:|---:|---:|---|---|\n"
    );
    for case in &cases {
        let scenario = runs
            .iter()
            .find(|r| r["case"] == case.as_str())
            .and_then(|r| r["scenario"].as_str())
            .unwrap_or("");
        for metric in metrics_of(scenario) {
            let (first, second) = (
                values_of(&runs, case, a, metric),
                values_of(&runs, case, b, metric),
            );
            let list = |values: &[f64]| {
                values
                    .iter()
                    .map(|v| show(*v))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let (ma, mb) = (median(first.clone()), median(second.clone()));
            let ratio = match (ma, mb) {
                (Some(x), Some(y)) if x != 0.0 => format!("{:.3}", y / x),
                _ => "-".to_owned(),
            };
            let cell = |v: Option<f64>| v.map_or("-".to_owned(), show);
            let _ = writeln!(
                out,
                "| {case} | {} | {} | {} | {ratio} | {} | {} |",
                metric.name,
                cell(ma),
                cell(mb),
                list(&first),
                list(&second)
            );
        }
    }
    out
}

/// The side-by-side summary of JSON lines (as `--json-out` writes them), as
/// a Markdown table with ratios ours/bare and ours/node. A server run
/// several times on a case shows its median.
pub fn summarize(lines: &str) -> String {
    let (runs, cases) = runs_and_cases(lines);
    let mut out = String::from(
        "| case | metric | ours | bare | node | ours/bare | ours/node |\n|---|---|---:|---:|---:|---:|---:|\n",
    );
    for case in &cases {
        let scenario = runs
            .iter()
            .find(|r| r["case"] == case.as_str())
            .and_then(|r| r["scenario"].as_str())
            .unwrap_or("");
        for metric in metrics_of(scenario) {
            let value = |label: &str| median(values_of(&runs, case, label, metric));
            let (ours, bare, node) = (value("ours"), value("bare"), value("node"));
            let cell = |v: Option<f64>| v.map_or("-".to_owned(), show);
            let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
                (Some(a), Some(b)) if b != 0.0 => format!("{:.2}", a / b),
                _ => "-".to_owned(),
            };
            let _ = writeln!(
                out,
                "| {case} | {} | {} | {} | {} | {} | {} |",
                metric.name,
                cell(ours),
                cell(bare),
                cell(node),
                ratio(ours, bare),
                ratio(ours, node)
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_put_servers_side_by_side() {
        let line = |label: &str, rate: f64| {
            Report {
                scenario: "fanout".into(),
                case: "fanout 1x100 @100/s".into(),
                label: label.into(),
                deliveries_per_sec: rate,
                ..Report::default()
            }
            .json()
        };
        let lines = [
            line("ours", 900.0),
            line("bare", 1000.0),
            line("node", 300.0),
            "junk".into(),
        ]
        .join("\n");
        let table = summarize(&lines);
        assert!(
            table.contains(
                "| fanout 1x100 @100/s | deliveries/s | 900 | 1000 | 300 | 0.90 | 3.00 |"
            ),
            "{table}"
        );
    }

    #[test]
    fn builds_compare_by_the_median_of_their_runs() {
        let line = |label: &str, rate: f64| {
            Report {
                scenario: "fanout".into(),
                case: "fanout 3x1000 @1000/s".into(),
                label: label.into(),
                deliveries_per_sec: rate,
                ..Report::default()
            }
            .json()
        };
        let lines = [
            line("before", 100.0),
            line("after", 90.0),
            line("before", 300.0),
            line("after", 95.0),
            line("before", 200.0),
            line("after", 400.0),
        ]
        .join("\n");
        let table = compare(&lines, "before", "after");
        assert!(
            table.contains("| fanout 3x1000 @1000/s | deliveries/s | 200 | 95 | 0.475 | 100, 300, 200 | 90, 95, 400 |"),
            "{table}"
        );
        assert_eq!(median(vec![4.0, 1.0]), Some(2.5));
        assert_eq!(median(vec![]), None);
    }

    #[test]
    fn json_is_one_line_and_table_names_the_run() {
        let mut h = Histogram::default();
        for us in [1_000, 2_000, 30_000] {
            h.record(us);
        }
        let report = Report {
            scenario: "fanout".into(),
            label: "ours".into(),
            publishers: 1,
            latency_ms: Millis::of(&h),
            first_error: Some("line\nbreak".into()),
            ..Report::default()
        };
        let json = report.json();
        assert!(!json.contains('\n'));
        let back: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(back["latency_ms"]["max"], 30.0);
        let p50 = back["latency_ms"]["p50"].as_f64().unwrap();
        assert!((2.0..2.07).contains(&p50), "{p50}");
        let table = report.table();
        assert!(table.contains("fanout against ours"));
        assert!(table.contains("p99 30 ms"));
    }
}
