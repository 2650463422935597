use std::time::Duration;

use serde_json::json;

use super::*;
use crate::state::delivery::Deliver;
use crate::state::stream::Stamp;
use crate::state::{Backend, Durable};

static NULL: serde_json::Value = serde_json::Value::Null;
use crate::store::sqlite::tests::temp_dir;

struct Record(Arc<Mutex<Vec<u64>>>);

impl Deliver for Record {
    fn deliver(&self, event: &StampedEvent) {
        self.0.lock().push(event.seq());
    }
}

const WINDOW: Window = Window {
    size: 1000,
    age: Duration::from_secs(300),
};

fn backend(path: &std::path::Path) -> Durable {
    let store = SqliteStore::open(path).unwrap();
    store.start(1000, Duration::from_secs(300)).unwrap();
    Durable::new(store, vec![("m".into(), NonZeroU32::new(2).unwrap())])
}

fn stream(backend: &Durable, delivered: &Arc<Mutex<Vec<u64>>>) -> Box<dyn Stream> {
    backend.stream("r", Box::new(Record(delivered.clone())), WINDOW)
}

fn parts(data: &serde_json::Value) -> Stamp<'_> {
    Stamp::Parts {
        room_id: "r",
        event: "m",
        data,
        from: "u",
        meta: None,
    }
}

fn append<'a>(id: Option<&str>) -> Append<'a> {
    Append {
        keep: NonZeroU32::new(2),
        stamp: parts(&NULL),
        id: id.map(|id| TriggerId {
            user: "u".into(),
            id: id.into(),
        }),
        kept: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_appends_are_committed_then_delivered_in_seq_order() {
    let dir = temp_dir("durable-order");
    let path = dir.join("s.sqlite");
    let delivered = Arc::new(Mutex::new(Vec::new()));
    let backend = backend(&path);
    let stream: Arc<dyn Stream> = Arc::from(stream(&backend, &delivered));
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let stream = stream.clone();
            tokio::spawn(async move {
                for _ in 0..50 {
                    let Appended::New(event) = stream.append(append(None)).await.unwrap() else {
                        panic!("new");
                    };
                    // Answered: committed and delivered.
                    assert!(stream.delivery().position().seq >= event.seq());
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(*delivered.lock(), (1..=400).collect::<Vec<u64>>());
    let stored = backend.store.page_blocking("r", "m", 0, 1000).unwrap();
    assert_eq!(stored.len(), 400, "every answered event is in the file");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_restart_continues_the_stream_with_its_history_window_and_ids() {
    let dir = temp_dir("durable-restart");
    let path = dir.join("s.sqlite");
    let epoch = {
        let backend = backend(&path);
        let delivered = Arc::new(Mutex::new(Vec::new()));
        let stream = stream(&backend, &delivered);
        for n in 0..5 {
            let id = format!("t{n}");
            stream.append(append(Some(&id))).await.unwrap();
        }
        stream.position().epoch
    };
    std::thread::sleep(Duration::from_millis(50));
    let backend = backend(&path);
    let delivered = Arc::new(Mutex::new(Vec::new()));
    let stream = stream(&backend, &delivered);
    assert_eq!(stream.position().epoch, epoch, "the same epoch");
    assert_eq!(stream.position().seq, 5);
    let latest: Vec<u64> = stream.latest(None).await.iter().map(|e| e.seq()).collect();
    assert_eq!(latest, [5, 4], "memory's share of history, back");
    let since = Position {
        epoch: epoch.clone(),
        seq: 2,
    };
    let Ok((missed, upto)) = stream.delivery().recover(&since) else {
        panic!("not recovered");
    };
    assert_eq!(
        missed.iter().map(|e| e.seq()).collect::<Vec<_>>(),
        [3, 4, 5]
    );
    assert_eq!(upto, 5);
    // A retry from before the restart is recognized.
    assert!(
        matches!(stream.append(append(Some("t4"))).await.unwrap(), Appended::Repeat(e) if e.seq() == 5)
    );
    let Appended::New(next) = stream.append(append(None)).await.unwrap() else {
        panic!("new");
    };
    assert_eq!(next.seq(), 6, "seq goes on");
    assert_eq!(*delivered.lock(), [6]);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A started store whose file may not grow past its size now, plus a
/// little: a disk that fills up.
fn nearly_full(path: &std::path::Path) -> SqliteStore {
    let store = SqliteStore::open(path).unwrap();
    store.before_start(|connection| {
        let pages: i64 = connection
            .query_row("PRAGMA page_count", [], |r| r.get(0))
            .unwrap();
        connection
            .execute_batch(&format!("PRAGMA max_page_count = {}", pages + 4))
            .unwrap();
    });
    store.start(1000, Duration::from_secs(300)).unwrap();
    store
}

#[tokio::test]
async fn a_full_disk_refuses_without_a_gap_or_a_delivery() {
    let dir = temp_dir("durable-full");
    let path = dir.join("s.sqlite");
    let store = nearly_full(&path);
    let backend = Durable::new(store, vec![]);
    let delivered = Arc::new(Mutex::new(Vec::new()));
    let stream = stream(&backend, &delivered);
    let mut accepted = 0;
    let mut refused = None;
    for _ in 0..2000 {
        let big = json!("x".repeat(2000));
        let append = Append {
            keep: None,
            stamp: parts(&big),
            id: None,
            kept: None,
        };
        match stream.append(append).await {
            Ok(Appended::New(_)) => accepted += 1,
            Ok(Appended::Repeat(_)) => panic!("no ids here"),
            Err(error) => {
                refused = Some(error);
                break;
            }
        }
    }
    let Some(AppendError::Unavailable(cause)) = refused else {
        panic!("the file filled up after {accepted} events");
    };
    assert!(cause.contains("full"), "{cause}");
    assert_eq!(
        stream.position().seq,
        accepted,
        "the refused event took no seq"
    );
    assert_eq!(
        *delivered.lock(),
        (1..=accepted).collect::<Vec<u64>>(),
        "nothing refused was delivered"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_failure_nobody_heard_is_rolled_back_by_the_next_refusal() {
    let dir = temp_dir("durable-unheard");
    let path = dir.join("s.sqlite");
    let store = nearly_full(&path);
    let backend = Durable::new(store, vec![]);
    let delivered = Arc::new(Mutex::new(Vec::new()));
    let stream = stream(&backend, &delivered);
    let data = json!("x".repeat(8000));
    let big = || Append {
        keep: None,
        stamp: parts(&data),
        id: None,
        kept: None,
    };
    // Fill the file until a write fails.
    let mut accepted = 0;
    loop {
        match stream.append(big()).await {
            Ok(_) => accepted += 1,
            Err(_) => break,
        }
        assert!(accepted < 100, "the file never filled up");
    }
    // Still full. A trigger numbered, whose task goes away before it hears
    // that its write failed (its answer is dropped; the writer thread
    // commits what a trigger left within a second).
    let gone = stream.number(big()).await.unwrap();
    drop(gone);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    // The next one is refused as numbered before that failure; it rolls
    // the room back all the same, so the room goes on without a gap.
    let next = stream.number(big()).await.unwrap();
    assert!(stream.complete(next).await.is_err());
    assert_eq!(
        stream.position().seq,
        accepted,
        "back to the last committed seq"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
