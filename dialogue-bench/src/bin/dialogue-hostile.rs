//! `dialogue-hostile`: hostile clients for a bounded time, beside a
//! benchmark run, to measure what they cost everyone else
//! (dialogue-bench/hostile.sh, docs/reliability.md).
//!
//! ```text
//! dialogue-hostile --target 127.0.0.1:3100 --duration 12 --connections 20
//! ```
//!
//! Each of `--connections` tasks, in turn until the time is up: floods 500
//! joins of new `doc:{n}` rooms without reading (past the cap of rooms per
//! connection, and past the request queue), asks to create 200 rooms, sends
//! JSON nested 30,000 deep, sends a 1 MB frame (the transport cuts it) and
//! reconnects; one more task keeps 50 TCP connections open that never send
//! a request, replacing them as the server closes them. Loopback only;
//! prints what it did.

use std::net::{Ipv4Addr, SocketAddrV4};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use dialogue_bench::client::{self, Ws};
use dialogue_bench::target::{check_loopback, parse_target};
use dialogue_bench::{packet, procfs};
use futures_util::StreamExt;
use tokio::io::AsyncReadExt;

#[derive(Default)]
struct Counts {
    connections: AtomicU64,
    frames: AtomicU64,
    answers: AtomicU64,
    cut: AtomicU64,
    silent: AtomicU64,
}

fn usage(why: &str) -> ! {
    eprintln!(
        "dialogue-hostile: {why}\nusage: dialogue-hostile --target 127.0.0.1:PORT [--duration SECONDS] [--connections N]"
    );
    std::process::exit(2)
}

/// Reads what arrived for up to `wait`, counting frames; `false` once the
/// connection is gone.
async fn drain(ws: &mut Ws, wait: Duration, counts: &Counts) -> bool {
    let until = tokio::time::Instant::now() + wait;
    loop {
        match tokio::time::timeout_at(until, ws.next()).await {
            Err(_) => return true,
            Ok(Some(Ok(_))) => {
                counts.answers.fetch_add(1, Ordering::Relaxed);
            }
            Ok(_) => return false,
        }
    }
}

async fn send_all(ws: &mut Ws, frames: impl Iterator<Item = String>, counts: &Counts) -> bool {
    for frame in frames {
        if client::send(ws, frame).await.is_err() {
            return false;
        }
        counts.frames.fetch_add(1, Ordering::Relaxed);
    }
    true
}

async fn attacker(n: usize, target: SocketAddrV4, end: Instant, counts: Arc<Counts>) {
    let deep = format!("{}0{}", "[".repeat(30_000), "]".repeat(30_000));
    let huge = "x".repeat(1 << 20);
    let mut round = 0u64;
    while Instant::now() < end {
        let Ok(mut ws) = client::connect(Ipv4Addr::LOCALHOST, target, &format!("hostile{n}")).await
        else {
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        };
        counts.connections.fetch_add(1, Ordering::Relaxed);
        round += 1;
        let base = round * 1_000_000 + n as u64 * 1_000;
        let joins = (0..500).map(|i| {
            packet::event(
                "dialogue:join",
                &format!("{{\"roomId\":\"doc:h{}\"}}", base + i),
                Some(i),
            )
        });
        let creates = (0..200).map(|i| {
            packet::event(
                "dialogue:createRoom",
                &format!("{{\"id\":\"h{}\",\"name\":\"x\"}}", base + i),
                Some(1_000 + i),
            )
        });
        let nested = std::iter::once(packet::event(
            "dialogue:trigger",
            &format!("{{\"roomId\":\"sandbox\",\"event\":\"x\",\"data\":{deep}}}"),
            Some(5_000),
        ));
        let alive = send_all(&mut ws, joins, &counts).await
            && drain(&mut ws, Duration::from_millis(300), &counts).await
            && send_all(&mut ws, creates, &counts).await
            && drain(&mut ws, Duration::from_millis(300), &counts).await
            && send_all(&mut ws, nested, &counts).await
            && drain(&mut ws, Duration::from_millis(200), &counts).await;
        if alive {
            // Far past the transport's limit: the server cuts it.
            let frame = packet::event("dialogue:trigger", &format!("\"{huge}\""), None);
            let _ = client::send(&mut ws, frame).await;
            if !drain(&mut ws, Duration::from_secs(2), &counts).await {
                counts.cut.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// Keeps `count` TCP connections open that never send a request.
async fn silent(target: SocketAddrV4, count: usize, end: Instant, counts: Arc<Counts>) {
    let mut tasks = Vec::new();
    for _ in 0..count {
        let counts = counts.clone();
        tasks.push(tokio::spawn(async move {
            while Instant::now() < end {
                let Ok(mut stream) = client::tcp_connect(Ipv4Addr::LOCALHOST, target).await else {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    continue;
                };
                counts.silent.fetch_add(1, Ordering::Relaxed);
                let mut buf = [0u8; 64];
                let left = end.saturating_duration_since(Instant::now());
                // Held until the server closes it (its request-head timeout).
                let _ = tokio::time::timeout(left, stream.read(&mut buf)).await;
            }
        }));
    }
    for task in tasks {
        let _ = task.await;
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() {
    let mut target = None;
    let mut duration = 10.0f64;
    let mut connections = 20usize;
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut args = args.iter();
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .unwrap_or_else(|| usage(&format!("{flag} needs a value")));
        match flag.as_str() {
            "--target" => {
                let parsed = parse_target(value).unwrap_or_else(|e| usage(&e.to_string()));
                check_loopback(*parsed.ip()).unwrap_or_else(|e| usage(&e.to_string()));
                target = Some(parsed);
            }
            "--duration" => duration = value.parse().unwrap_or_else(|_| usage(value)),
            "--connections" => connections = value.parse().unwrap_or_else(|_| usage(value)),
            other => usage(&format!("unknown flag {other}")),
        }
    }
    let target = target.unwrap_or_else(|| usage("--target is required"));
    let end = Instant::now() + Duration::from_secs_f64(duration.clamp(0.0, 3600.0));
    let counts = Arc::new(Counts::default());
    let mut tasks: Vec<_> = (0..connections)
        .map(|n| tokio::spawn(attacker(n, target, end, counts.clone())))
        .collect();
    tasks.push(tokio::spawn(silent(target, 50, end, counts.clone())));
    for task in tasks {
        let _ = task.await;
    }
    // Its own CPU: on a machine shared with the server and the load
    // generator, what the attack takes from them without the server's help.
    let cpu = procfs::own_cpu_ticks().map_or(f64::NAN, procfs::secs);
    println!(
        "dialogue-hostile: {} connections, {} frames sent, {} frames received, {} cut by the server, {} silent TCP connections, {cpu:.2} s CPU",
        counts.connections.load(Ordering::Relaxed),
        counts.frames.load(Ordering::Relaxed),
        counts.answers.load(Ordering::Relaxed),
        counts.cut.load(Ordering::Relaxed),
        counts.silent.load(Ordering::Relaxed),
    );
}
