//! A long run of the durable store under a retention policy: the file's
//! size levels off while events keep coming.
//!
//! ```sh
//! cargo run --release -p dialogue-bench --example store-retention -- [SECONDS] [ROWS_PER_ROOM]
//! ```
//!
//! Four rooms, 16 publishers triggering as fast as the store commits (in
//! process, through the server API: validation, seq, commit, history),
//! retention `max_rows_per_room(ROWS_PER_ROOM)` (default 20,000; the
//! recovery window is 1,000). Every 5 seconds it prints the events
//! committed so far and the sizes of the database file and its WAL. The
//! file lives in a temporary folder, removed at the end. Figures:
//! docs/benchmarks.md, "The durable store".

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use dialogue_runtime::prelude::*;
use dialogue_runtime::sqlite::{Retention, SqliteStore, StoreOptions};

/// One sample, about 200 bytes of text.
#[derive(Event, Serialize, Deserialize, JsonSchema, TS, Clone)]
#[event(name = "sample", history = 50)]
pub struct Sample {
    /// Filler.
    pub text: String,
}

dialogue! {
    /// Four rooms to fill.
    pub Soak {
        a: { name: "A", events: [Sample] },
        b: { name: "B", events: [Sample] },
        c: { name: "C", events: [Sample] },
        d: { name: "D", events: [Sample] },
    }
}

const PUBLISHERS: usize = 16;
const ROOMS: [&str; 4] = ["a", "b", "c", "d"];

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let seconds: u64 = args.next().map_or(Ok(120), |s| s.parse())?;
    let rows: u64 = args.next().map_or(Ok(20_000), |s| s.parse())?;
    let dir = std::env::temp_dir().join(format!("dialogue-retention-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("soak.sqlite");
    let store = SqliteStore::open_with(
        &path,
        StoreOptions::default().retention(Retention::default().max_rows_per_room(rows)),
    )?;
    let dialogue = Dialogue::<Soak>::builder()
        .sqlite_store(store)
        .recovery_window(1000, Duration::from_secs(300))
        .build()?;
    println!(
        "{seconds} s, {PUBLISHERS} publishers, {} rooms, at most {rows} rows per room, file {}",
        ROOMS.len(),
        path.display()
    );
    println!("| time s | events committed | events/s | database MB | WAL MB |");
    println!("|---:|---:|---:|---:|---:|");

    let committed = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let text = "x".repeat(200);
    let mut publishers = Vec::new();
    for publisher in 0..PUBLISHERS {
        let (dialogue, committed, text) = (dialogue.clone(), committed.clone(), text.clone());
        publishers.push(tokio::spawn(async move {
            let room = ROOMS[publisher % ROOMS.len()];
            while Instant::now() < deadline {
                let data = serde_json::json!({ "text": text });
                match dialogue.trigger_json(room, "sample", data, None).await {
                    Ok(_) => {
                        committed.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(error) => {
                        eprintln!("trigger failed: {error}");
                        return;
                    }
                }
            }
        }));
    }
    let size = |path: &std::path::Path| std::fs::metadata(path).map_or(0, |m| m.len());
    let wal = dir.join("soak.sqlite-wal");
    let started = Instant::now();
    let mut last = 0;
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_secs(5).min(deadline - Instant::now())).await;
        let now = committed.load(Ordering::Relaxed);
        println!(
            "| {:.0} | {now} | {:.0} | {:.1} | {:.1} |",
            started.elapsed().as_secs_f64(),
            (now - last) as f64 / 5.0,
            size(&path) as f64 / 1e6,
            size(&wal) as f64 / 1e6,
        );
        last = now;
    }
    for publisher in publishers {
        publisher.await?;
    }
    drop(dialogue);
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
