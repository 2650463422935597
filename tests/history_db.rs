//! The conformance server's `DIALOGUE_HISTORY_DB` switch: history written
//! through to SQLite, paged past memory, and still there after a restart.

mod support;

use std::time::Duration;

use dialogue_client::{Client, ClientBuilder};
use serde_json::{Value, json};
use support::server_process::ServerProcess;

const WAIT: Duration = Duration::from_secs(10);

async fn client(url: &str) -> Client {
    let client = ClientBuilder::new(url)
        .auth(json!({ "userId": "archivist" }))
        .connect()
        .await
        .expect("connects");
    let joined = client
        .emit_with_ack("dialogue:join", json!({ "roomId": "chat" }), WAIT)
        .await
        .expect("joins");
    assert_eq!(joined[0]["ok"], true, "{joined:?}");
    client
}

async fn texts(client: &Client, start: u64, end: u64) -> Vec<String> {
    let page = client
        .emit_with_ack(
            "dialogue:getHistory",
            json!({ "roomId": "chat", "eventName": "message", "start": start, "end": end }),
            WAIT,
        )
        .await
        .expect("answered");
    assert_eq!(page[0]["ok"], true, "{page:?}");
    page[0]["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["data"]["text"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn expected(range: impl DoubleEndedIterator<Item = u32>) -> Vec<String> {
    range.rev().map(|n| format!("m{n}")).collect()
}

#[tokio::test]
async fn history_goes_past_memory_and_survives_a_restart() {
    let dir = std::env::temp_dir().join(format!("dialogue-history-db-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("history.sqlite");
    let db_text = db.display().to_string();

    let server = ServerProcess::start(&[("DIALOGUE_HISTORY_DB", &db_text)]);
    let writer = client(&server.url).await;
    // `message` keeps 100 per room in memory; 120 overflow it.
    for n in 0..120u32 {
        let sent = writer
            .emit_with_ack(
                "dialogue:trigger",
                json!({ "roomId": "chat", "event": "message", "data": { "text": format!("m{n}"), "senderId": "a" } }),
                WAIT,
            )
            .await
            .expect("acknowledged");
        assert_eq!(sent[0]["ok"], Value::Bool(true), "{sent:?}");
    }
    assert_eq!(
        texts(&writer, 0, 3).await,
        expected(117..120),
        "newest first, from memory"
    );
    assert_eq!(
        texts(&writer, 95, 105).await,
        expected(15..25),
        "across memory and the store"
    );
    assert_eq!(
        texts(&writer, 110, 200).await,
        expected(0..10),
        "past memory, from the store"
    );
    writer.disconnect().await;
    assert!(server.stop().success(), "a clean stop");

    // A new process: memory is empty, the file has everything.
    let server = ServerProcess::start(&[("DIALOGUE_HISTORY_DB", &db_text)]);
    let reader = client(&server.url).await;
    assert_eq!(texts(&reader, 0, 5).await, expected(115..120));
    assert_eq!(texts(&reader, 100, 120).await, expected(0..20));
    reader.disconnect().await;
    drop(server);
    std::fs::remove_dir_all(&dir).unwrap();
}
