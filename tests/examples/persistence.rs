//! `persistence`: history past memory, through `on_cleanup` and `on_load`.

#[allow(
    dead_code,
    reason = "the example's app is shared with its binary; the test uses part"
)]
#[path = "../../examples/persistence/app.rs"]
mod app;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use dialogue_client::Client;
use dialogue_runtime::Dialogue;
use serde_json::json;

use crate::harness::*;

/// A fresh database path under the system's temporary folder (a folder of
/// its own, which `Archive::open` creates).
fn temp_db(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    std::env::temp_dir()
        .join(format!(
            "dialogue-persistence-{}-{nanos}",
            std::process::id()
        ))
        .join(format!("{name}.sqlite3"))
}

/// Removes a database made by [`temp_db`], with its folder.
fn remove(path: &Path) {
    if let Some(folder) = path.parent() {
        let _ = std::fs::remove_dir_all(folder);
    }
}

/// The example's server on this database.
async fn start(path: &Path) -> (Dialogue<app::PersistenceApp>, Arc<app::Archive>, String) {
    let archive = Arc::new(app::Archive::open(path).expect("the database opens"));
    let dialogue = app::build(archive.clone()).expect("builds");
    let url = serve_dialogue(&dialogue).await;
    (dialogue, archive, url)
}

/// Connects `user`, who lands in `general`.
async fn arrive(url: &str, user: &str) -> Client {
    let client = connect_as(url, user).await;
    assert_eq!(next(&client, "dialogue:joined").await["roomId"], "general");
    client
}

async fn say(client: &Client, texts: impl Iterator<Item = String>) {
    for text in texts {
        trigger(client, "general", "message", json!({ "text": text })).await;
    }
}

fn numbered(range: impl DoubleEndedIterator<Item = usize>) -> Vec<String> {
    range.map(|n| format!("#{n}")).collect()
}

#[tokio::test]
async fn paging_past_memory_reads_sqlite() {
    let path = temp_db("paging");
    let (_dialogue, archive, url) = start(&path).await;
    assert!(path.is_file(), "created on first run");
    let ada = arrive(&url, "ada").await;
    say(&ada, (0..50).map(|n| format!("#{n}"))).await;

    // 50 newest first: 20 from memory, 30 from the database.
    let page = history(&ada, "general", "message", 0, 50).await;
    assert_eq!(texts(&page), numbered((0..50).rev()));
    assert!(
        page.iter()
            .all(|e| e["from"] == "ada" && e["timestamp"].as_u64().is_some())
    );
    assert_eq!(
        archive.count("general", "message").await.expect("counts"),
        30
    );

    // A page wholly past memory, and one past everything.
    assert_eq!(
        texts(&history(&ada, "general", "message", 20, 30).await),
        numbered((20..30).rev())
    );
    assert_eq!(
        texts(&history(&ada, "general", "message", 45, 60).await),
        numbered((0..5).rev())
    );
    assert!(
        history(&ada, "general", "message", 50, 100)
            .await
            .is_empty()
    );

    // Someone arriving gets the last 10 at once.
    let bob = connect_as(&url, "bob").await;
    let synced = next(&bob, "dialogue:history").await;
    let events = synced["events"].as_array().expect("events");
    assert_eq!(texts(events), numbered((40..50).rev()));
    remove(&path);
}

#[tokio::test]
async fn a_restart_finds_the_whole_history() {
    let path = temp_db("restart");
    let (dialogue, archive, url) = start(&path).await;
    let ada = arrive(&url, "ada").await;
    say(&ada, (0..30).map(|n| format!("#{n}"))).await;
    ada.disconnect().await;

    // As `main` does on Ctrl-C: stop, then archive what memory holds.
    dialogue.shutdown().await;
    assert_eq!(archive.save_memory(&dialogue).await.expect("saved"), 20);
    assert_eq!(
        archive.count("general", "message").await.expect("counts"),
        30
    );
    drop((dialogue, archive));

    let (_dialogue, _archive, url) = start(&path).await;
    let ada = arrive(&url, "ada").await;
    assert_eq!(
        texts(&history(&ada, "general", "message", 0, 30).await),
        numbered((0..30).rev())
    );
    // New messages come first, then the archive.
    say(&ada, ["after".to_owned()].into_iter()).await;
    assert_eq!(
        texts(&history(&ada, "general", "message", 0, 3).await),
        ["after", "#29", "#28"]
    );
    remove(&path);
}
