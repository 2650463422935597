//! A run: plan the connections of a scenario, open them at a bounded rate,
//! let the publishers publish, drain, and report.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use tokio::sync::{Semaphore, watch};

use crate::args::{Config, Protocol, Scenario};
use crate::client::{self, ConnPlan, Phase, PublishPlan, Shared};
use crate::procfs;
use crate::report::{Millis, Report};
use crate::target::source_addresses;

/// The connections and rooms of a run.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Room ids, by index.
    pub rooms: Vec<Arc<str>>,
    /// Every connection, publishers first.
    pub conns: Vec<ConnPlan>,
    /// How many publish.
    pub publishers: usize,
    /// Rooms to create first (Dialogue's `rooms` scenario).
    pub create_rooms: bool,
}

impl Plan {
    /// The plan of `config`'s scenario.
    pub fn new(config: &Config) -> Self {
        let mut rooms: Vec<Arc<str>> = vec![Arc::from(config.room.as_str())];
        let mut layout: Vec<(usize, bool)> = Vec::new(); // (room index, publishes)
        let mut create_rooms = false;
        match config.scenario {
            Scenario::Fanout | Scenario::Validation => {
                layout.extend((0..config.publishers).map(|_| (0, true)));
                layout.extend((0..config.subscribers).map(|_| (0, false)));
            }
            // Run by `reconnect::run`; planned here as its subscribers.
            Scenario::Storm | Scenario::Idle | Scenario::Reconnect => {
                layout.extend((0..config.connections).map(|_| (0, false)));
            }
            Scenario::Rooms => {
                rooms = (0..config.rooms)
                    .map(|i| Arc::from(format!("bench-{i}")))
                    .collect();
                // Members of room 0, then room 1, ...: rooms fill one after
                // the other as connections open.
                for room in 0..config.rooms {
                    layout.extend((0..config.members).map(|_| (room, true)));
                }
                create_rooms = config.protocol == Protocol::Dialogue;
            }
        }
        let sources = source_addresses(layout.len(), config.source_addrs);
        let mut next_publisher = 0u32;
        let conns = layout
            .into_iter()
            .enumerate()
            .map(|(index, (room_index, publishes))| {
                let publisher = publishes.then(|| {
                    next_publisher += 1;
                    next_publisher - 1
                });
                ConnPlan {
                    index,
                    room_index,
                    room: rooms[room_index].clone(),
                    publisher,
                    source: sources[index % sources.len()],
                }
            })
            .collect();
        Self {
            rooms,
            conns,
            publishers: next_publisher as usize,
            create_rooms,
        }
    }
}

/// The scenario with its main parameters.
pub fn case_of(config: &Config) -> String {
    let room = |default: &str| {
        if config.room == default {
            String::new()
        } else {
            format!(" in {}", config.room)
        }
    };
    match config.scenario {
        Scenario::Fanout => format!(
            "fanout {}x{} @{}/s{}",
            config.publishers,
            config.subscribers,
            config.rate,
            room("chat")
        ),
        Scenario::Validation => format!(
            "validation {} pubs @{}/s pad {}{}",
            config.publishers,
            config.rate,
            config.pad,
            room("chat")
        ),
        Scenario::Rooms => format!(
            "rooms {}x{} @{}/s",
            config.rooms, config.members, config.rate
        ),
        Scenario::Storm => format!("storm {}", config.connections),
        Scenario::Idle => format!("idle {}", config.connections),
        Scenario::Reconnect => format!(
            "reconnect {}x{} @{}/s",
            config.rooms, config.members, config.rate
        ),
    }
}

/// Runs `config`, never longer than `config.max_time` (what was measured
/// by then is reported, marked `timed_out`).
pub async fn run(config: &Config) -> Report {
    let began = Instant::now();
    let deadline = began + config.max_time;
    let plan = Plan::new(config);
    let shared = Arc::new(Shared::new(plan.rooms.len()));
    let (phase_tx, phase_rx) = watch::channel(Phase::Connecting);
    let loader_cpu_before = procfs::own_cpu_ticks();
    let mut report = Report {
        scenario: config.scenario.name().into(),
        case: case_of(config),
        label: config.label.clone(),
        target: config.target.to_string(),
        protocol: config.protocol.name().into(),
        connections: plan.conns.len() as u64,
        source_addrs: source_addresses(plan.conns.len(), config.source_addrs).len(),
        rooms: plan.rooms.len(),
        publishers: plan.publishers,
        rate: config.rate,
        duration_secs: config.duration.as_secs_f64(),
        rss_before_kib: config.pid.and_then(procfs::rss_kib),
        loadavg_before: procfs::loadavg(),
        ..Report::default()
    };

    let body = measure(config, &plan, &shared, &phase_tx, phase_rx, &mut report);
    let timed_out = tokio::time::timeout_at(deadline.into(), body)
        .await
        .is_err();
    // Whatever happened, every connection stops now.
    phase_tx.send_replace(Phase::Stop);

    let latency = shared.latency.snapshot();
    let joined = shared.joined.load(Ordering::Relaxed);
    report.connected = shared.connected.load(Ordering::Relaxed);
    report.joined = joined;
    report.failed = shared.failed.load(Ordering::Relaxed);
    report.failures = shared.failures.lock().clone();
    report.dropped = shared.dropped.load(Ordering::Relaxed);
    report.join_ms = Millis::of(&shared.join_time.snapshot());
    report.sent = shared.sent.load(Ordering::Relaxed);
    report.expected = shared.expected.load(Ordering::Relaxed);
    report.delivered = shared.delivered.load(Ordering::Relaxed);
    report.lost = report.expected.saturating_sub(report.delivered);
    report.duplicates = shared.duplicates.load(Ordering::Relaxed);
    report.stray = shared.stray.load(Ordering::Relaxed);
    report.errors = shared.errors.load(Ordering::Relaxed);
    report.first_error = shared.first_error.lock().clone();
    report.latency_ms = Millis::of(&latency);
    if let (Some(before), Some(after)) = (report.rss_before_kib, report.rss_after_kib)
        && joined > 0
    {
        report.rss_per_conn_bytes = Some(after.saturating_sub(before) * 1024 / joined);
    }
    if let (Some(cpu), true) = (report.server_cpu_secs, report.delivered > 0) {
        report.server_cpu_us_per_delivery = Some(cpu * 1e6 / report.delivered as f64);
    }
    report.loader_cpu_secs = loader_cpu_before
        .zip(procfs::own_cpu_ticks())
        .map(|(a, b)| procfs::secs(b.saturating_sub(a)));
    report.timed_out = timed_out;
    report.elapsed_secs = began.elapsed().as_secs_f64();
    report
}

/// The phases of a run, filling `report` as it goes.
async fn measure(
    config: &Config,
    plan: &Plan,
    shared: &Arc<Shared>,
    phase_tx: &watch::Sender<Phase>,
    phase_rx: watch::Receiver<Phase>,
    report: &mut Report,
) {
    let server_cpu = || config.pid.and_then(procfs::cpu_ticks);

    if plan.create_rooms
        && let Err(client::JoinFailure(why)) =
            client::create_rooms(config.target, &plan.rooms).await
    {
        eprintln!("dialogue-load: cannot create the rooms: {why}");
        report.first_error = Some(why);
        return;
    }

    // Connect, at most `concurrency` handshakes at once and `connect_rate`
    // new ones per second.
    let publish = PublishPlan {
        rate: config.rate,
        duration: config.duration,
        pad: config.pad,
        publishers: plan.publishers as u32,
    };
    let cpu_before_connect = server_cpu();
    let permits = Arc::new(Semaphore::new(config.concurrency));
    let connect_start = Instant::now();
    let mut tasks = Vec::with_capacity(plan.conns.len());
    for (i, conn) in plan.conns.iter().enumerate() {
        if config.connect_rate > 0.0 {
            let at = connect_start + Duration::from_secs_f64(i as f64 / config.connect_rate);
            tokio::time::sleep_until(at.into()).await;
        }
        let Ok(permit) = permits.clone().acquire_owned().await else {
            break;
        };
        // With a second node, every other subscriber listens there.
        let target = match (config.also, conn.publisher) {
            (Some(also), None) if i % 2 == 1 => also,
            _ => config.target,
        };
        tasks.push(tokio::spawn(client::run(
            conn.clone(),
            target,
            publish,
            shared.clone(),
            phase_rx.clone(),
            permit,
        )));
    }
    let total = plan.conns.len() as u64;
    while shared.joined.load(Ordering::Relaxed) + shared.failed.load(Ordering::Relaxed) < total {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    report.connect_secs = connect_start.elapsed().as_secs_f64();
    report.joins_per_sec =
        shared.joined.load(Ordering::Relaxed) as f64 / report.connect_secs.max(1e-9);
    report.server_connect_cpu_secs = cpu_before_connect
        .zip(server_cpu())
        .map(|(a, b)| procfs::secs(b.saturating_sub(a)));

    if config.scenario == Scenario::Idle {
        tokio::time::sleep(config.hold).await;
    } else {
        // Let the server settle (join answers, history sync) before sampling.
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    report.rss_after_kib = config.pid.and_then(procfs::rss_kib);

    if plan.publishers > 0 && config.rate > 0.0 {
        let cpu_before = server_cpu();
        let start = Instant::now() + Duration::from_millis(50);
        let start_us = shared.now_us() + 50_000;
        phase_tx.send_replace(Phase::Publish(start));
        tokio::time::sleep_until((start + config.duration).into()).await;
        // Drain: until everything expected arrived, or the drain time ends.
        let drain_end = Instant::now() + config.drain;
        while Instant::now() < drain_end
            && shared.delivered.load(Ordering::Relaxed) < shared.expected.load(Ordering::Relaxed)
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        report.server_cpu_secs = cpu_before
            .zip(server_cpu())
            .map(|(a, b)| procfs::secs(b.saturating_sub(a)));
        let last = shared.last_delivery_us.load(Ordering::Relaxed);
        let window = last.saturating_sub(start_us) as f64 / 1e6;
        if window > 0.0 {
            report.deliveries_per_sec = shared.delivered.load(Ordering::Relaxed) as f64 / window;
        }
    }

    phase_tx.send_replace(Phase::Stop);
    let _ = tokio::time::timeout(Duration::from_secs(10), async {
        for task in tasks {
            let _ = task.await;
        }
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args;

    #[test]
    fn plans_put_publishers_first_and_fill_rooms() {
        let config = args::parse([
            "--scenario",
            "fanout",
            "--subscribers",
            "5",
            "--publishers",
            "2",
        ])
        .unwrap();
        let plan = Plan::new(&config);
        assert_eq!(plan.conns.len(), 7);
        assert_eq!(plan.publishers, 2);
        assert_eq!(plan.conns[0].publisher, Some(0));
        assert_eq!(plan.conns[1].publisher, Some(1));
        assert_eq!(plan.conns[2].publisher, None);
        assert!(plan.conns.iter().all(|c| &*c.room == "chat"));
        assert!(!plan.create_rooms);

        let config =
            args::parse(["--scenario", "rooms", "--rooms", "3", "--members", "2"]).unwrap();
        let plan = Plan::new(&config);
        assert_eq!(plan.rooms.len(), 3);
        assert_eq!(plan.conns.len(), 6);
        assert_eq!(plan.publishers, 6);
        assert_eq!(&*plan.conns[5].room, "bench-2");
        assert!(plan.create_rooms);

        let config = args::parse(["--scenario", "rooms", "--protocol", "bare"]).unwrap();
        assert!(!Plan::new(&config).create_rooms);

        let config = args::parse([
            "--scenario",
            "idle",
            "--connections",
            "30",
            "--source-addrs",
            "3",
        ])
        .unwrap();
        let plan = Plan::new(&config);
        assert_eq!(plan.publishers, 0);
        assert_eq!(plan.conns[0].source, std::net::Ipv4Addr::new(127, 0, 0, 2));
        assert_eq!(plan.conns[4].source, std::net::Ipv4Addr::new(127, 0, 0, 3));
    }
}
