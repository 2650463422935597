//! A persistent history store behind the in-memory buffers: every kept event
//! is recorded in it, in order, and pages past memory come from it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use dialogue_client::ClientBuilder;
use dialogue_runtime::prelude::*;
use dialogue_runtime::{HistoryStore, StampedEvent, StoreError};
use futures_util::future::BoxFuture;
use serde_json::{Value, json};

/// A numbered note; memory keeps the last 3.
#[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
#[event(history = 3)]
pub struct Note {
    /// Its number.
    pub n: u32,
}

dialogue! {
    /// Notes, with a short memory.
    pub NotesApp {
        notes: { name: "Notes", events: [Note] },
    }
}

/// One recorded event and its room.
type Row = (String, Arc<StampedEvent>);

/// Everything recorded, in memory: stands in for a database.
#[derive(Clone, Default)]
struct Recorder {
    rows: Arc<Mutex<Vec<Row>>>,
}

impl HistoryStore for Recorder {
    fn record(
        &self,
        room: &str,
        event: Arc<StampedEvent>,
    ) -> BoxFuture<'static, Result<(), StoreError>> {
        let rows = self.rows.clone();
        let room = room.to_owned();
        Box::pin(async move {
            rows.lock().unwrap().push((room, event));
            Ok(())
        })
    }

    fn page(
        &self,
        room: &str,
        event: &str,
        start: u64,
        end: u64,
    ) -> BoxFuture<'static, Result<Vec<Arc<StampedEvent>>, StoreError>> {
        let page: Vec<Arc<StampedEvent>> = self
            .rows
            .lock()
            .unwrap()
            .iter()
            .rev()
            .filter(|(r, p)| r == room && p.event() == event)
            .map(|(_, p)| p.clone())
            .skip(start as usize)
            .take((end - start) as usize)
            .collect();
        Box::pin(async move { Ok(page) })
    }
}

fn numbers(events: &Value) -> Vec<u64> {
    events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["data"]["n"].as_u64().unwrap())
        .collect()
}

#[tokio::test]
async fn pages_past_memory_come_from_the_store_in_order() {
    let store = Recorder::default();
    let dialogue = Dialogue::<NotesApp>::builder()
        .history_store(store.clone())
        .build()
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let serving = dialogue.clone();
    tokio::spawn(async move { serving.serve_on(listener).await });

    for n in 0..10 {
        dialogue
            .room(NotesApp::notes())
            .trigger(Note { n })
            .await
            .unwrap();
    }
    // The store is written behind the broadcast: wait (bounded) for it.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while store.rows.lock().unwrap().len() < 10 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the store got every event"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let seqs: Vec<u64> = store
        .rows
        .lock()
        .unwrap()
        .iter()
        .map(|(_, p)| p.seq())
        .collect();
    assert_eq!(
        seqs,
        (1..=10).collect::<Vec<_>>(),
        "recorded in acceptance order, the first event seq 1"
    );

    let client = ClientBuilder::new(&url)
        .auth(json!({ "userId": "reader" }))
        .connect()
        .await
        .unwrap();
    let ask = |event: &'static str, data: Value| {
        let client = &client;
        async move {
            let mut args = client
                .emit_with_ack(event, data, Duration::from_secs(5))
                .await
                .unwrap();
            args.remove(0)
        }
    };
    assert_eq!(
        ask("dialogue:join", json!({ "roomId": "notes" })).await["ok"],
        true
    );
    let page = |start: u64, end: u64| {
        ask(
            "dialogue:getHistory",
            json!({ "roomId": "notes", "eventName": "note", "start": start, "end": end }),
        )
    };

    let memory = page(0, 3).await;
    assert_eq!(numbers(&memory["events"]), [9, 8, 7]);
    let across = page(1, 6).await;
    assert_eq!(
        numbers(&across["events"]),
        [8, 7, 6, 5, 4],
        "memory, then the store, no gap or repeat"
    );
    let older = page(6, 50).await;
    assert_eq!(numbers(&older["events"]), [3, 2, 1, 0]);
    assert_eq!(
        (older["start"].as_u64(), older["end"].as_u64()),
        (Some(6), Some(50))
    );
    dialogue.shutdown().await;
}

#[tokio::test]
async fn without_a_store_history_ends_with_memory() {
    let dialogue = Dialogue::<NotesApp>::builder().build().unwrap();
    for n in 0..5 {
        dialogue
            .room(NotesApp::notes())
            .trigger(Note { n })
            .await
            .unwrap();
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let serving = dialogue.clone();
    tokio::spawn(async move { serving.serve_on(listener).await });
    let client = ClientBuilder::new(&url).connect().await.unwrap();
    let wait = Duration::from_secs(5);
    client
        .emit_with_ack("dialogue:join", json!({ "roomId": "notes" }), wait)
        .await
        .unwrap();
    let page = client
        .emit_with_ack(
            "dialogue:getHistory",
            json!({ "roomId": "notes", "eventName": "note" }),
            wait,
        )
        .await
        .unwrap();
    assert_eq!(numbers(&page[0]["events"]), [4, 3, 2]);
    dialogue.shutdown().await;
}
