use std::path::PathBuf;
use std::time::Duration;

use rusqlite::Connection;
use serde_json::json;
use tokio::sync::oneshot;

use super::*;
use crate::store::sqlite::writer::{Refused, Write};

/// A fresh folder of its own under the system's temp dir.
pub(crate) fn temp_dir(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let dir = std::env::temp_dir().join(format!(
        "dialogue-store-{name}-{}-{nanos:x}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn event(room: &str, seq: u64, name: &str) -> Arc<StampedEvent> {
    Arc::new(StampedEvent::stamp(seq, room, name, &json!({ "n": seq }), "u", None).unwrap())
}

pub(super) async fn write(
    store: &SqliteStore,
    room: &str,
    seq: u64,
    generation: u64,
) -> Result<(), Refused> {
    let (done, answer) = oneshot::channel();
    store.submit(Write {
        room: Arc::from(room),
        event: event(room, seq, "m"),
        trigger: None,
        epoch: store.position(room).unwrap().1,
        generation,
        done,
    });
    store.commit_waiting();
    answer.await.unwrap()
}

pub(super) fn started(path: &std::path::Path) -> SqliteStore {
    let store = SqliteStore::open(path).unwrap();
    store.start(1000, Duration::from_secs(300)).unwrap();
    store
}

/// A file whose `room` holds the events `1..=last`, its store closed (the
/// writer thread ends with the last clone; the file stays).
pub(super) async fn written(path: &std::path::Path, room: &str, last: u64) {
    {
        let store = started(path);
        for seq in 1..=last {
            write(&store, room, seq, 0).await.unwrap();
        }
    }
    std::thread::sleep(Duration::from_millis(50));
}

#[tokio::test]
async fn a_room_starts_at_zero_and_a_reopened_file_continues_it() {
    let dir = temp_dir("continue");
    let path = dir.join("s.sqlite");
    let epoch = {
        let store = started(&path);
        let (epoch, number, seq) = store.position("r").unwrap();
        assert_eq!((number, seq), (0, 0));
        for seq in 1..=3 {
            write(&store, "r", seq, 0).await.unwrap();
        }
        assert_eq!(store.position("r").unwrap(), (epoch.clone(), 0, 3));
        epoch
    };
    // The writer thread ends with the last clone; the file stays.
    std::thread::sleep(Duration::from_millis(50));
    let store = started(&path);
    assert_eq!(
        store.position("r").unwrap(),
        (epoch, 0, 3),
        "same epoch, same seq"
    );
    let recent = store.recent("r", 2, 0).unwrap();
    let seqs: Vec<u64> = recent.iter().map(|(e, _)| e.seq()).collect();
    assert_eq!(seqs, [2, 3], "the last two, oldest first");
    let page = store.page_blocking("r", "m", 0, 10).unwrap();
    assert_eq!(page.iter().map(|e| e.seq()).collect::<Vec<_>>(), [3, 2, 1]);
    assert_eq!(
        page[0].message().unwrap().seq,
        3,
        "the envelope carries its seq"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn another_file_means_other_epochs() {
    let dir = temp_dir("replaced");
    let a = SqliteStore::open(dir.join("a.sqlite")).unwrap();
    let b = SqliteStore::open(dir.join("b.sqlite")).unwrap();
    assert_ne!(a.position("r").unwrap().0, b.position("r").unwrap().0);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn cut_rows_or_a_reboot_start_a_new_epoch() {
    let dir = temp_dir("rotate");
    let path = dir.join("s.sqlite");
    written(&path, "r", 3).await;
    // Rows cut behind the store's back.
    Connection::open(&path)
        .unwrap()
        .execute("DELETE FROM dialogue_events WHERE seq = 3", [])
        .unwrap();
    let store = SqliteStore::open(&path).unwrap();
    let (_, number, seq) = store.position("r").unwrap();
    assert_eq!(
        (number, seq),
        (1, 2),
        "a new epoch, from the last event there is"
    );
    drop(store);
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(
        store.position("r").unwrap().1,
        1,
        "opening again changes nothing"
    );
    drop(store);
    // A reboot: without FULL the last commits may be gone.
    let mut connection = schema::connect(&path, Synchronous::Normal).unwrap();
    let epoch = |c: &Connection| -> i64 {
        c.query_row(
            "SELECT epoch FROM dialogue_rooms WHERE room = 'r'",
            [],
            |r| r.get(0),
        )
        .unwrap()
    };
    schema::prepare(
        &mut connection,
        &path,
        Synchronous::Normal,
        Some("boot-a".into()),
    )
    .unwrap();
    let before = epoch(&connection);
    schema::prepare(
        &mut connection,
        &path,
        Synchronous::Full,
        Some("boot-b".into()),
    )
    .unwrap();
    assert_eq!(epoch(&connection), before, "FULL: a reboot loses nothing");
    schema::prepare(
        &mut connection,
        &path,
        Synchronous::Normal,
        Some("boot-c".into()),
    )
    .unwrap();
    assert_eq!(epoch(&connection), before + 1, "NORMAL: a reboot rotates");
    schema::prepare(
        &mut connection,
        &path,
        Synchronous::Normal,
        Some("boot-c".into()),
    )
    .unwrap();
    assert_eq!(
        epoch(&connection),
        before + 1,
        "the same boot: nothing changes"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_first_layout_is_migrated() {
    let dir = temp_dir("migrate");
    let path = dir.join("old.sqlite");
    {
        let old = Connection::open(&path).unwrap();
        old.execute_batch(
            "CREATE TABLE dialogue_history (
                 id INTEGER PRIMARY KEY AUTOINCREMENT, room TEXT NOT NULL, event TEXT NOT NULL,
                 timestamp INTEGER NOT NULL, envelope TEXT NOT NULL);",
        )
        .unwrap();
        for (room, n) in [("a", 1), ("b", 1), ("a", 2)] {
            let envelope = json!({ "event": "m", "roomId": room, "data": { "n": n }, "from": "u", "timestamp": 5 });
            old.execute(
                "INSERT INTO dialogue_history (room, event, timestamp, envelope) VALUES (?1, 'm', 5, ?2)",
                rusqlite::params![room, envelope.to_string()],
            )
            .unwrap();
        }
    }
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.position("a").unwrap().2, 2);
    assert_eq!(store.position("b").unwrap().2, 1);
    let page = store.page_blocking("a", "m", 0, 10).unwrap();
    let seqs: Vec<u64> = page.iter().map(|e| e.message().unwrap().seq).collect();
    assert_eq!(seqs, [2, 1], "seqs in acceptance order, in the envelopes");
    assert_eq!(page[0].message().unwrap().data["n"], 2);
    let version: i64 = Connection::open(&path)
        .unwrap()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, schema::VERSION);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_file_that_is_not_a_database_is_an_error_naming_it() {
    let dir = temp_dir("garbage");
    let path = dir.join("not-a-db.sqlite");
    std::fs::write(&path, vec![b'x'; 4096]).unwrap();
    let error = SqliteStore::open(&path).unwrap_err();
    assert!(error.0.contains("not-a-db.sqlite"), "{error}");
    assert!(error.0.contains("not a database"), "{error}");
    let error = SqliteStore::open("/proc/no-such-dir/x.sqlite").unwrap_err();
    assert!(error.0.contains("/proc/no-such-dir"), "{error}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_failed_commit_moves_its_rooms_to_a_new_generation() {
    let dir = temp_dir("fail");
    let store = started(&dir.join("s.sqlite"));
    write(&store, "r", 1, 0).await.unwrap();
    // Seq 1 again: the batch fails (its key is taken).
    let refused = write(&store, "r", 1, 0).await.unwrap_err();
    let Refused::Failed {
        generation,
        committed,
        cause,
    } = refused
    else {
        panic!("failed, got {refused:?}");
    };
    assert_eq!((generation, committed), (1, 0));
    assert!(cause.contains("UNIQUE"), "{cause}");
    // Numbered before the failure was known: refused.
    assert!(matches!(
        write(&store, "r", 2, 0).await,
        Err(Refused::Stale { .. })
    ));
    // After it: accepted. Other rooms were never concerned.
    write(&store, "r", 2, 1).await.unwrap();
    write(&store, "other", 1, 0).await.unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn retention_keeps_the_recovery_window_whatever_it_says() {
    let dir = temp_dir("retention");
    let path = dir.join("s.sqlite");
    let store = SqliteStore::open_with(
        &path,
        StoreOptions::default().retention(Retention::default().max_rows_per_room(3)),
    )
    .unwrap();
    store.start(5, Duration::from_secs(300)).unwrap();
    for seq in 1..=20 {
        write(&store, "r", seq, 0).await.unwrap();
    }
    let connection = Connection::open(&path).unwrap();
    let mut retention = Retention::default().max_rows_per_room(3);
    retention.window_rows = 5;
    retention.window_age = Duration::from_secs(300);
    let trimmed = retention::trim(&connection, &retention, &mut None).unwrap();
    assert_eq!(trimmed.deleted, 15);
    assert!(!trimmed.more, "caught up");
    let left: Vec<i64> = connection
        .prepare("SELECT seq FROM dialogue_events ORDER BY seq")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        left,
        [16, 17, 18, 19, 20],
        "the window (5) beats the policy (3)"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn retention_by_age_drops_the_oldest_rows_but_the_window() {
    let dir = temp_dir("retention-age");
    let path = dir.join("s.sqlite");
    let store = started(&path);
    for seq in 1..=20 {
        write(&store, "r", seq, 0).await.unwrap();
        write(&store, "young", seq, 0).await.unwrap();
    }
    let connection = Connection::open(&path).unwrap();
    connection
        .execute(
            "UPDATE dialogue_events SET timestamp = 0 WHERE room = 'r' AND seq <= 18",
            [],
        )
        .unwrap();
    let mut retention = Retention::default().max_age(Duration::from_secs(1));
    retention.window_rows = 5;
    retention.window_age = Duration::ZERO;
    let mut cursor = None;
    let trimmed = retention::trim(&connection, &retention, &mut cursor).unwrap();
    assert_eq!(
        trimmed.deleted, 15,
        "seq 1 to 15: old, and before the window"
    );
    assert!(!trimmed.more);
    assert_eq!(cursor, None, "every room was looked at");
    let left = |room: &str| -> Vec<i64> {
        connection
            .prepare("SELECT seq FROM dialogue_events WHERE room = ?1 ORDER BY seq")
            .unwrap()
            .query_map([room], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    assert_eq!(left("r"), (16..=20).collect::<Vec<_>>());
    assert_eq!(left("young").len(), 20, "recent events stay");
    drop(store);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Opening a file that another connection writes to waits for it (a
/// server on the same file finishing its last writes while the next one
/// starts): it is not refused as locked because a commit landed between
/// the opening's first read and its first write.
#[test]
fn opening_waits_for_another_writer_of_the_file() {
    let dir = temp_dir("busy");
    let path = dir.join("s.sqlite");
    drop(SqliteStore::open(&path).unwrap());
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let noise = {
        let (path, stop) = (path.clone(), stop.clone());
        std::thread::spawn(move || {
            let connection = schema::connect(&path, Synchronous::Normal).unwrap();
            let mut n = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                n += 1;
                connection
                    .execute(
                        "INSERT OR REPLACE INTO dialogue_meta (key, value) VALUES ('noise', ?1)",
                        [n.to_string()],
                    )
                    .unwrap();
            }
            n
        })
    };
    let mut refused = Vec::new();
    for _ in 0..40 {
        if let Err(error) = SqliteStore::open(&path) {
            refused.push(error.to_string());
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let commits = noise.join().unwrap();
    assert!(commits > 0);
    assert!(
        refused.is_empty(),
        "{} of 40 opens refused: {refused:?}",
        refused.len()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
