//! The checkpointer: it copies the WAL back beside the writer, and under
//! writes without pause it still makes the WAL start over.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tokio::sync::oneshot;

use super::tests::{started, temp_dir, write};
use crate::envelope::StampedEvent;
use crate::store::sqlite::writer::Write;

#[tokio::test]
async fn the_wal_is_checkpointed_beside_the_writer() {
    let dir = temp_dir("checkpoint");
    let path = dir.join("s.sqlite");
    let store = started(&path);
    let wal = dir.join("s.sqlite-wal");
    let size = |path: &std::path::Path| std::fs::metadata(path).map_or(0, |m| m.len());
    let empty = size(&path);
    for seq in 1..=300 {
        write(&store, "r", seq, 0).await.unwrap();
    }
    // The writer checkpoints only past a WAL of `WAL_BACKSTOP` pages, far
    // more than these writes make: the database file grows only when the
    // checkpointer copies the WAL back into it.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while size(&path) <= empty {
        assert!(
            std::time::Instant::now() < deadline,
            "nothing was checkpointed: file {} bytes, WAL {} bytes",
            size(&path),
            size(&wal)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(store);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// How many times the WAL started over: the checkpoint sequence number in
/// its header (bytes 12..16, big-endian), raised at each start.
fn wal_starts(wal: &std::path::Path) -> u32 {
    use std::io::Read;
    let mut header = [0u8; 16];
    match std::fs::File::open(wal).and_then(|mut file| file.read_exact(&mut header)) {
        Ok(()) => u32::from_be_bytes([header[12], header[13], header[14], header[15]]),
        Err(_) => 0,
    }
}

#[tokio::test]
async fn under_writes_without_pause_the_wal_still_starts_over() {
    let dir = temp_dir("catch-up");
    let path = dir.join("s.sqlite");
    let store = started(&path);
    let wal = dir.join("s.sqlite-wal");
    let pad = "x".repeat(3000);
    // Each write fills most of a 4 KiB page, so the pages written are at
    // least the writes made. Commits back to back seldom leave a passive
    // checkpoint the time to copy all of the WAL, so the checkpointer holds
    // them for one past `CATCH_UP` pages (1,024 in tests); without it the
    // WAL would start over only by chance, or at the writer's backstop
    // (`WAL_BACKSTOP`, 32,768 pages).
    let mut seq = 0;
    while store.holds() < 3 || wal_starts(&wal) < 3 {
        assert!(
            seq < 24_000,
            "{seq} writes: commits held {} times, the WAL started over {} times",
            store.holds(),
            wal_starts(&wal)
        );
        let mut answers = Vec::new();
        for _ in 0..20 {
            seq += 1;
            let (done, answer) = oneshot::channel();
            let event = StampedEvent::stamp(seq, "r", "m", &json!({ "pad": pad }), "u", None);
            store.submit(Write {
                room: Arc::from("r"),
                event: Arc::new(event.unwrap()),
                trigger: None,
                epoch: store.position("r").unwrap().1,
                generation: 0,
                done,
            });
            answers.push(answer);
        }
        store.commit_waiting();
        for answer in answers {
            answer.await.unwrap().unwrap();
        }
    }
    // Nothing was lost while commits were held: every event is there, in
    // order, and the next one follows.
    write(&store, "r", seq + 1, 0).await.unwrap();
    let events: i64 = rusqlite::Connection::open(&path)
        .unwrap()
        .query_row(
            "SELECT COUNT(*) FROM dialogue_events WHERE room = 'r'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(events as u64, seq + 1);
    drop(store);
    std::fs::remove_dir_all(&dir).unwrap();
}
