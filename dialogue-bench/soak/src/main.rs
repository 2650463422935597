//! The soak run: churning clients against the conformance server for a
//! bounded time (default 30 minutes), with one restart of the server in the
//! middle on the same store. Every few seconds it samples the server's RSS,
//! open descriptors, threads, connections and store size into a CSV, and at
//! the end draws them as a PNG (docs/reliability.md explains the panels).
//!
//! ```text
//! dialogue-bench/soak.sh                 # 30 minutes
//! dialogue-bench/soak.sh --minutes 5     # shorter
//! ```
//!
//! Flags: `--minutes M`, `--clients N` (default 200), `--every S` (seconds
//! between samples, default 5), `--server PATH` (the conformance binary,
//! default target/release/examples/conformance), `--out DIR` (default
//! target/soak). Only loopback; every process it starts it stops by PID.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use dialogue_client::{Client, ClientBuilder, Transport};
use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

struct Options {
    minutes: f64,
    clients: usize,
    every: u64,
    server: PathBuf,
    out: PathBuf,
}

fn options() -> Options {
    let mut options = Options {
        minutes: 30.0,
        clients: 200,
        every: 5,
        server: PathBuf::from("target/release/examples/conformance"),
        out: PathBuf::from("target/soak"),
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut args = args.iter();
    while let Some(flag) = args.next() {
        let value = args.next().unwrap_or_else(|| usage(&format!("{flag} needs a value")));
        match flag.as_str() {
            "--minutes" => options.minutes = value.parse().unwrap_or_else(|_| usage(value)),
            "--clients" => options.clients = value.parse().unwrap_or_else(|_| usage(value)),
            "--every" => options.every = value.parse().unwrap_or_else(|_| usage(value)),
            "--server" => options.server = value.into(),
            "--out" => options.out = value.into(),
            other => usage(&format!("unknown flag {other}")),
        }
    }
    options
}

fn usage(why: &str) -> ! {
    eprintln!("soak: {why}\nusage: soak [--minutes M] [--clients N] [--every S] [--server PATH] [--out DIR]");
    std::process::exit(2)
}

/// The server process and where it listens.
struct Server {
    child: Child,
    url: String,
}

async fn start_server(options: &Options, port: u16, db: &Path) -> Server {
    let mut child = Command::new(&options.server)
        .env("PORT", port.to_string())
        .env("DIALOGUE_HISTORY_DB", db)
        // Client-created rooms go soon after they empty.
        .env("DIALOGUE_EMPTY_ROOM_SECS", "5")
        .env("DIALOGUE_RESUME_SECS", "10")
        // A retention policy, so that the store's size levels off.
        .env("DIALOGUE_STORE_MAX_ROWS", "2000")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| usage(&format!("cannot start {}: {e}", options.server.display())));
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let url = loop {
        match tokio::time::timeout(Duration::from_secs(30), lines.next_line()).await {
            Ok(Ok(Some(line))) => {
                if let Some(url) = line.strip_prefix("listening on ") {
                    break url.trim().to_owned();
                }
            }
            _ => usage("the server printed no `listening on` line"),
        }
    };
    // Keep reading its stdout so that it never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Server { child, url }
}

async fn stop_server(server: &mut Server) {
    if let Some(pid) = server.child.id() {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status();
    }
    if tokio::time::timeout(Duration::from_secs(20), server.child.wait())
        .await
        .is_err()
    {
        let _ = server.child.kill().await;
    }
}

/// What the clients did, for the report.
#[derive(Default)]
struct Counts {
    connections: AtomicU64,
    acknowledged: AtomicU64,
    refused: AtomicU64,
    failures: AtomicU64,
    rooms_created: AtomicU64,
}

/// One churning client: connect, join, maybe create and delete a room,
/// send a few acknowledged messages, then leave (politely or not), again
/// and again until `end`.
async fn churn(n: usize, url: Arc<tokio::sync::RwLock<String>>, end: Instant, counts: Arc<Counts>) {
    let mut generation = 0u64;
    while Instant::now() < end {
        generation += 1;
        let url_now = url.read().await.clone();
        let transport = if n % 4 == 0 { Transport::Polling } else { Transport::WebSocket };
        let connected = ClientBuilder::new(&url_now)
            .transport(transport)
            .auth(json!({ "userId": format!("soak{n}"), "name": format!("Soak {n}") }))
            .connect_timeout(Duration::from_secs(10))
            .connect()
            .await;
        let client = match connected {
            Ok(client) => client,
            Err(_) => {
                counts.failures.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
        };
        counts.connections.fetch_add(1, Ordering::Relaxed);
        if session(n, generation, &client, &counts).await.is_err() {
            counts.failures.fetch_add(1, Ordering::Relaxed);
        }
        if generation % 3 == 0 {
            drop(client); // gone without a goodbye: the session is held
        } else {
            client.disconnect().await;
        }
        tokio::time::sleep(Duration::from_millis(100 + (n as u64 * 37) % 400)).await;
    }
}

async fn ask(client: &Client, event: &str, data: serde_json::Value, counts: &Counts) -> Result<bool, ()> {
    let answer = client
        .emit_with_ack(event, data, Duration::from_secs(10))
        .await
        .map_err(|_| ())?;
    let ok = answer.first().is_some_and(|a| a["ok"] == true);
    if !ok {
        counts.refused.fetch_add(1, Ordering::Relaxed);
    }
    Ok(ok)
}

async fn session(n: usize, generation: u64, client: &Client, counts: &Counts) -> Result<(), ()> {
    for room in ["chat", "lobby"] {
        ask(client, "dialogue:join", json!({ "roomId": room }), counts).await?;
    }
    let own = format!("soak-{n}-{generation}");
    let made = n % 5 == 0;
    if made
        && ask(client, "dialogue:createRoom", json!({ "id": own, "name": "Soak" }), counts).await?
    {
        counts.rooms_created.fetch_add(1, Ordering::Relaxed);
        ask(client, "dialogue:join", json!({ "roomId": own }), counts).await?;
    }
    for m in 0..10 {
        let room = if made && m % 2 == 0 { own.as_str() } else { "chat" };
        let sent = ask(
            client,
            "dialogue:trigger",
            json!({
                "roomId": room, "event": "message",
                "data": { "text": format!("{n}/{generation}/{m}"), "senderId": format!("soak{n}") },
            }),
            counts,
        )
        .await?;
        if sent {
            counts.acknowledged.fetch_add(1, Ordering::Relaxed);
        }
        // Drain what arrived, so the client keeps up.
        while client.recv_timeout(Duration::ZERO).await.is_ok() {}
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    if made {
        ask(client, "dialogue:deleteRoom", json!({ "roomId": own }), counts).await?;
    }
    Ok(())
}

/// One sample of the server.
struct Sample {
    seconds: f64,
    rss_mb: f64,
    fds: f64,
    threads: f64,
    connections: f64,
    store_mb: f64,
    acknowledged: u64,
}

fn proc_count(pid: u32, what: &str) -> f64 {
    std::fs::read_dir(format!("/proc/{pid}/{what}")).map_or(0, |d| d.count()) as f64
}

fn rss_mb(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|r| r.split_whitespace().next())
                .and_then(|n| n.parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0)
}

fn store_mb(db: &Path) -> f64 {
    ["", "-wal", "-shm"]
        .iter()
        .filter_map(|suffix| std::fs::metadata(format!("{}{suffix}", db.display())).ok())
        .map(|m| m.len() as f64)
        .sum::<f64>()
        / 1_048_576.0
}

async fn connections(url: &str) -> f64 {
    // A tiny HTTP/1.0 GET of /metrics on loopback.
    let address = url.trim_start_matches("http://").to_owned();
    let Ok(Ok(mut stream)) = tokio::time::timeout(
        Duration::from_secs(2),
        tokio::net::TcpStream::connect(&address),
    )
    .await
    else {
        return f64::NAN;
    };
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let _ = stream.write_all(b"GET /metrics HTTP/1.0\r\nHost: x\r\n\r\n").await;
    let mut body = String::new();
    let _ = tokio::time::timeout(Duration::from_secs(2), stream.read_to_string(&mut body)).await;
    body.lines()
        .find_map(|l| l.strip_prefix("dialogue_connections "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(f64::NAN)
}

fn draw(samples: &[Sample], restart_at: f64, path: &Path) -> Result<(), Box<dyn std::error::Error>> {
    use plotters::prelude::*;
    let root = BitMapBackend::new(path, (1000, 1000)).into_drawing_area();
    root.fill(&WHITE)?;
    let panels = root.split_evenly((5, 1));
    let t_max = samples.last().map_or(1.0, |s| s.seconds).max(1.0);
    let series: [(fn(&Sample) -> f64, RGBColor); 5] = [
        (|s| s.rss_mb, RED),
        (|s| s.fds, BLUE),
        (|s| s.threads, MAGENTA),
        (|s| s.connections, GREEN),
        (|s| s.store_mb, BLACK),
    ];
    for (panel, (value, color)) in panels.iter().zip(series) {
        let top = samples
            .iter()
            .map(value)
            .filter(|v| v.is_finite())
            .fold(1.0f64, f64::max)
            * 1.2;
        let mut chart = ChartBuilder::on(panel)
            .margin(12)
            .build_cartesian_2d(0f64..t_max, 0f64..top)?;
        chart
            .configure_mesh()
            .x_labels(0)
            .y_labels(0)
            .light_line_style(WHITE)
            .draw()?;
        // The restart, as a grey vertical line.
        chart.draw_series(LineSeries::new(
            [(restart_at, 0.0), (restart_at, top)],
            RGBColor(180, 180, 180).stroke_width(2),
        ))?;
        // Gridlines at each quarter of the panel's range.
        for q in 1..4 {
            let y = top * f64::from(q) / 4.0;
            chart.draw_series(LineSeries::new(
                [(0.0, y), (t_max, y)],
                RGBColor(230, 230, 230),
            ))?;
        }
        chart.draw_series(LineSeries::new(
            samples
                .iter()
                .filter(|s| value(s).is_finite())
                .map(|s| (s.seconds, value(s))),
            color.stroke_width(2),
        ))?;
    }
    root.present()?;
    Ok(())
}

#[tokio::main]
async fn main() {
    let options = options();
    std::fs::create_dir_all(&options.out).expect("the output directory");
    let db = options.out.join("soak.sqlite");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    // A free port below the ephemeral range, kept across the restart.
    let port = (20000..32000)
        .find(|p| std::net::TcpListener::bind(("127.0.0.1", *p)).is_ok())
        .expect("a free port");
    let mut server = start_server(&options, port, &db).await;
    let url = Arc::new(tokio::sync::RwLock::new(server.url.clone()));
    let started = Instant::now();
    let length = Duration::from_secs_f64(options.minutes * 60.0);
    let end = started + length;
    let restart_at = started + length / 2;
    let counts = Arc::new(Counts::default());
    let mut workers = Vec::new();
    for n in 0..options.clients {
        workers.push(tokio::spawn(churn(n, url.clone(), end, counts.clone())));
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let csv_path = options.out.join("soak.csv");
    let mut csv = String::from(
        "seconds,rss_mb,open_fds,threads,connections,store_mb,acknowledged\n",
    );
    let mut samples = Vec::new();
    let mut restarted = false;
    while Instant::now() < end {
        tokio::time::sleep(Duration::from_secs(options.every)).await;
        if !restarted && Instant::now() >= restart_at {
            restarted = true;
            eprintln!("soak: restarting the server");
            stop_server(&mut server).await;
            server = start_server(&options, port, &db).await;
            *url.write().await = server.url.clone();
        }
        let pid = server.child.id().unwrap_or(0);
        let sample = Sample {
            seconds: started.elapsed().as_secs_f64(),
            rss_mb: rss_mb(pid),
            fds: proc_count(pid, "fd"),
            threads: proc_count(pid, "task"),
            connections: connections(&server.url).await,
            store_mb: store_mb(&db),
            acknowledged: counts.acknowledged.load(Ordering::Relaxed),
        };
        csv.push_str(&format!(
            "{:.0},{:.1},{},{},{},{:.2},{}\n",
            sample.seconds,
            sample.rss_mb,
            sample.fds,
            sample.threads,
            sample.connections,
            sample.store_mb,
            sample.acknowledged
        ));
        std::fs::write(&csv_path, &csv).expect("the CSV");
        eprintln!(
            "soak: {:>5.0}s rss {:.1} MB fds {} threads {} connections {} store {:.2} MB acknowledged {}",
            sample.seconds,
            sample.rss_mb,
            sample.fds,
            sample.threads,
            sample.connections,
            sample.store_mb,
            sample.acknowledged
        );
        samples.push(sample);
    }
    for worker in workers {
        let _ = tokio::time::timeout(Duration::from_secs(30), worker).await;
    }
    stop_server(&mut server).await;
    let png = options.out.join("soak.png");
    draw(&samples, length.as_secs_f64() / 2.0, &png).expect("the chart");
    println!(
        "soak: {:.1} min, {} clients: {} connections, {} acknowledged messages, {} refused, {} failures, {} rooms created; {} and {}",
        options.minutes,
        options.clients,
        counts.connections.load(Ordering::Relaxed),
        counts.acknowledged.load(Ordering::Relaxed),
        counts.refused.load(Ordering::Relaxed),
        counts.failures.load(Ordering::Relaxed),
        counts.rooms_created.load(Ordering::Relaxed),
        csv_path.display(),
        png.display()
    );
}
