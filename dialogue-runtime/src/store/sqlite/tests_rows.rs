//! The rooms' rows (`rows`): each life of a room id has an epoch of its
//! own, across deletions, releases and restarts.

use std::time::{Duration, Instant};

use rusqlite::Connection;

use super::tests::{started, temp_dir, write, written};
use super::*;

#[tokio::test]
async fn a_deleted_room_leaves_no_row_and_each_life_has_an_epoch_of_its_own() {
    let dir = temp_dir("forget");
    let path = dir.join("s.sqlite");
    let rows = |path: &std::path::Path| -> i64 {
        Connection::open(path)
            .unwrap()
            .query_row("SELECT COUNT(*) FROM dialogue_rooms", [], |row| row.get(0))
            .unwrap()
    };
    let mut epochs = Vec::new();
    {
        let store = started(&path);
        for life in 0..3 {
            let (epoch, _, seq) = store.position("r").unwrap();
            assert_eq!(seq, 0, "life {life} starts at seq 0");
            assert!(!epochs.contains(&epoch), "life {life} reuses an epoch");
            epochs.push(epoch);
            write(&store, "r", 1, 0).await.unwrap();
            write(&store, "r", 2, 0).await.unwrap();
            store.forget("r").await;
        }
        // A room deleted before it wrote anything moves on too.
        let (unwritten, _, _) = store.position("q").unwrap();
        store.forget("q").await;
        assert_ne!(store.position("q").unwrap().0, unwritten);
        store.forget("q").await;
        // Rooms with fresh ids, made and deleted, leave nothing behind.
        for n in 0..200 {
            let room = format!("game-{n}");
            write(&store, &room, 1, 0).await.unwrap();
            store.forget(&room).await;
        }
        write(&store, "kept", 1, 0).await.unwrap();
        assert_eq!(rows(&path), 1, "only the room that exists has a row");
    }
    // The next epoch survives a restart.
    std::thread::sleep(Duration::from_millis(50));
    let store = started(&path);
    let (epoch, _, seq) = store.position("r").unwrap();
    assert_eq!(seq, 0);
    assert!(
        !epochs.contains(&epoch),
        "a life after the restart reuses an epoch"
    );
    assert_eq!(
        store.position("kept").unwrap().2,
        1,
        "a live room keeps its seq"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Found by the model-based test (docs/reliability.md, defect 6): a room
/// that hands out positions before its first event keeps its epoch across
/// a restart, even when a deletion of another room raised `next_epoch`
/// meanwhile (without a row it started at the raised one).
#[tokio::test]
async fn a_room_without_events_keeps_its_epoch_when_another_is_deleted() {
    let dir = temp_dir("pinned");
    let path = dir.join("s.sqlite");
    // Declared rooms start before the server runs; others while it runs.
    let store = SqliteStore::open(&path).unwrap();
    let (declared, _, _) = store.position("declared").unwrap();
    store.start(1000, Duration::from_secs(300)).unwrap();
    let (created, _, _) = store.position("created").unwrap();
    write(&store, "gone", 1, 0).await.unwrap();
    store.forget("gone").await;
    drop(store);
    std::thread::sleep(Duration::from_millis(50));
    let store = started(&path);
    assert_eq!(store.position("declared").unwrap(), (declared, 0, 0));
    assert_eq!(store.position("created").unwrap(), (created, 0, 0));
    let (fresh, _, _) = store.position("fresh").unwrap();
    assert_ne!(
        fresh.rsplit('.').next(),
        Some("0"),
        "a room new to the file starts past the deleted room's epoch: {fresh}"
    );
    drop(store);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A room let go from memory without events starts its next life at an
/// epoch none of its lives had, even when its row's epoch was bumped on
/// open past `next_epoch` (its events cut).
#[tokio::test]
async fn a_released_room_never_reuses_an_epoch() {
    let dir = temp_dir("released");
    let path = dir.join("s.sqlite");
    written(&path, "r", 3).await;
    Connection::open(&path)
        .unwrap()
        .execute("DELETE FROM dialogue_events", [])
        .unwrap();
    let store = started(&path);
    let (_, bumped, seq) = store.position("r").unwrap();
    assert_eq!((bumped, seq), (1, 0), "cut: a new epoch, no event left");
    store.release("r");
    let deadline = Instant::now() + Duration::from_secs(5);
    let observer = Connection::open(&path).unwrap();
    while observer
        .query_row(
            "SELECT COUNT(*) FROM dialogue_rooms WHERE room = 'r'",
            [],
            |row| row.get::<_, i64>(0),
        )
        .unwrap()
        > 0
    {
        assert!(Instant::now() < deadline, "the row is let go");
        std::thread::sleep(Duration::from_millis(10));
    }
    let (_, number, _) = store.position("r").unwrap();
    assert!(number > bumped, "epoch {number} was the room's before");
    drop(store);
    std::fs::remove_dir_all(&dir).unwrap();
}
