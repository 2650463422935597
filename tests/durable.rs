//! The durable store over the wire (docs/persistence.md), with the
//! conformance server as a child process on a SQLite file
//! (`DIALOGUE_HISTORY_DB`): an acknowledged event survives kill -9, a
//! restart continues each room's stream (join sync, recovery with `since`),
//! a replaced file changes the epoch, and a full disk refuses triggers with
//! `UNAVAILABLE` without losing what was acknowledged.

mod support;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use dialogue_client::Client;
use futures_util::StreamExt;
use serde_json::{Value, json};
use support::server_process::ServerProcess;
use support::wire::{ask, connect_user, join_with};

const WAIT: Duration = Duration::from_secs(10);

fn temp_dir(name: &str) -> PathBuf {
    support::temp_dir(&format!("durable-{name}"))
}

fn server(db: &Path) -> ServerProcess {
    ServerProcess::start(&[("DIALOGUE_HISTORY_DB", &db.display().to_string())])
}

/// Every `message` of `chat` the store holds, oldest first: `(seq, text)`.
async fn stored(client: &Client) -> Vec<(u64, String)> {
    let mut all = Vec::new();
    let mut start = 0;
    loop {
        let page = ask(
            client,
            "dialogue:getHistory",
            json!({ "roomId": "chat", "eventName": "message", "start": start, "end": start + 100 }),
        )
        .await;
        assert_eq!(page["ok"], true, "{page}");
        let events = page["events"].as_array().expect("events").clone();
        if events.is_empty() {
            break;
        }
        start += events.len() as u64;
        all.extend(events.iter().map(|e| {
            (
                e["seq"].as_u64().expect("a seq"),
                e["data"]["text"].as_str().expect("a text").to_owned(),
            )
        }));
    }
    all.reverse();
    all
}

fn message(text: &str) -> Value {
    json!({ "text": text, "senderId": "crash" })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_triggers_survive_kill_9_and_the_seq_goes_on() {
    let dir = temp_dir("crash");
    let db = dir.join("crash.sqlite");
    let mut acked: Vec<(u64, String)> = Vec::new();
    let mut sent = 0u64;
    for round in 0..3 {
        let server = server(&db);
        let client = connect_user(&server.url, "writer").await;
        join_with(&client, json!({ "roomId": "chat" })).await;
        // Acknowledged triggers, 32 in flight, until the kill.
        let texts = (0..).map(move |n| format!("r{round}-m{n}"));
        let sending = futures_util::stream::iter(texts)
            .map(|text| {
                let client = &client;
                async move {
                    let answer = client
                        .emit_with_ack(
                            "dialogue:trigger",
                            json!({ "roomId": "chat", "event": "message", "data": message(&text) }),
                            WAIT,
                        )
                        .await;
                    (text, answer)
                }
            })
            .buffer_unordered(32);
        let kill_after = Duration::from_millis(300 + support::random_u64() % 900);
        let deadline = tokio::time::sleep(kill_after);
        tokio::pin!(deadline);
        tokio::pin!(sending);
        let mut this_round = 0;
        loop {
            tokio::select! {
                _ = &mut deadline => break,
                next = sending.next() => {
                    let Some((text, answer)) = next else { break };
                    sent += 1;
                    if let Ok(args) = answer
                        && args[0]["ok"] == true
                    {
                        let seq = args[0]["message"]["seq"].as_u64().expect("a seq");
                        acked.push((seq, text));
                        this_round += 1;
                    }
                }
            }
        }
        let status = server.kill();
        assert!(!status.success(), "killed, not stopped: {status}");
        println!("round {round}: {this_round} acknowledged before kill -9 after {kill_after:?}");
        assert!(this_round > 0, "round {round} acknowledged nothing");
    }
    // What the file holds after the last crash.
    let server = server(&db);
    let client = connect_user(&server.url, "reader").await;
    join_with(&client, json!({ "roomId": "chat" })).await;
    let stored = stored(&client).await;
    let seqs: Vec<u64> = stored.iter().map(|(seq, _)| *seq).collect();
    let mut sorted = seqs.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(seqs, sorted, "stored in seq order, no seq used twice");
    let texts: HashSet<&str> = stored.iter().map(|(_, t)| t.as_str()).collect();
    assert_eq!(texts.len(), stored.len(), "no event stored twice");
    let lost: Vec<&(u64, String)> = acked
        .iter()
        .filter(|(seq, text)| !stored.contains(&(*seq, text.clone())))
        .collect();
    println!(
        "{} triggers sent, {} acknowledged, {} stored, {} acknowledged and lost",
        sent,
        acked.len(),
        stored.len(),
        lost.len()
    );
    assert!(lost.is_empty(), "acknowledged and lost: {lost:?}");
    // The seq goes on after the last one, without reuse.
    let answer = ask(
        &client,
        "dialogue:trigger",
        json!({ "roomId": "chat", "event": "message", "data": message("after") }),
    )
    .await;
    let next = answer["message"]["seq"].as_u64().expect("a seq");
    assert_eq!(next, seqs.last().copied().unwrap_or(0) + 1, "{answer}");
    drop(server);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_continues_the_room_join_sync_and_recovery() {
    let dir = temp_dir("restart");
    let db = dir.join("chat.sqlite");
    let server = server(&db);
    let alice = connect_user(&server.url, "alice").await;
    let joined = join_with(&alice, json!({ "roomId": "chat" })).await;
    let epoch = joined["position"]["epoch"].as_str().unwrap().to_owned();
    let mut last = 0;
    for n in 0..5 {
        let answer = ask(
            &alice,
            "dialogue:trigger",
            json!({ "roomId": "chat", "event": "message", "data": message(&format!("before {n}")) }),
        )
        .await;
        last = answer["message"]["seq"].as_u64().unwrap();
    }
    let seen = last - 2; // alice saw up to here before the restart
    assert_eq!(server.stop().code(), Some(0));
    let server = self::server(&db);
    // A newcomer gets the history sync from the file.
    let bob = connect_user(&server.url, "bob").await;
    let synced = join_with(&bob, json!({ "roomId": "chat" })).await;
    assert_eq!(
        synced["position"]["epoch"],
        epoch.as_str(),
        "the same epoch"
    );
    assert_eq!(synced["position"]["seq"], last, "the same seq");
    let texts: Vec<&str> = synced["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["data"]["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts[..2], ["before 4", "before 3"], "newest first");
    // Alice, back, recovers from her position before the restart.
    let alice = connect_user(&server.url, "alice").await;
    let answer = join_with(
        &alice,
        json!({ "roomId": "chat", "since": { "epoch": epoch, "seq": seen } }),
    )
    .await;
    assert_eq!(answer["recovered"], true, "{answer}");
    let missed: Vec<u64> = answer["missed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(missed, [seen + 1, seen + 2]);
    drop(server);
    // Another file: every epoch changes, nothing is recovered.
    let server = self::server(&dir.join("other.sqlite"));
    let alice = connect_user(&server.url, "alice").await;
    let answer = join_with(
        &alice,
        json!({ "roomId": "chat", "since": { "epoch": epoch, "seq": seen } }),
    )
    .await;
    assert_eq!(answer["recovered"], false, "{answer}");
    assert_ne!(answer["position"]["epoch"], epoch.as_str());
    drop(server);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_answers_unavailable_keeps_reads_and_resumes() {
    let dir = temp_dir("full");
    let db = dir.join("full.sqlite");
    // The log goes to a file already past the limit set below, as it does
    // when the disk under both fills: each line logged then fails too, and
    // the server must not stop answering for it (a subscriber that panics
    // on a failed write once left a committed batch unanswered and every
    // later trigger of the room waiting).
    let log = dir.join("server.log");
    std::fs::write(&log, vec![b'.'; 4 << 20]).unwrap();
    let server = ServerProcess::start_logging_to(
        &[("DIALOGUE_HISTORY_DB", &db.display().to_string())],
        std::fs::OpenOptions::new().append(true).open(&log).unwrap(),
    );
    let client = connect_user(&server.url, "writer").await;
    join_with(&client, json!({ "roomId": "chat" })).await;
    let trigger = |text: String| {
        let client = &client;
        async move {
            ask(
                client,
                "dialogue:trigger",
                json!({ "roomId": "chat", "event": "message", "data": message(&text) }),
            )
            .await
        }
    };
    let first = trigger("before the limit".into()).await;
    assert_eq!(first["ok"], true, "{first}");
    // Files may not grow past what they are now (plus a little).
    let size: u64 = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_name().to_string_lossy().starts_with("full.sqlite"))
        .map(|e| e.metadata().unwrap().len())
        .max()
        .unwrap();
    let limit = size + 64 * 1024;
    // The soft limit only (`N:`), so that the test may raise it again.
    let prlimit = |limit: &str| {
        let status = std::process::Command::new("prlimit")
            .args([
                "--pid",
                &server.pid().to_string(),
                &format!("--fsize={limit}:"),
            ])
            .status()
            .expect("prlimit runs");
        assert!(status.success(), "prlimit {limit}");
    };
    prlimit(&limit.to_string());
    let big = "x".repeat(900);
    let mut accepted = vec![first["message"]["seq"].as_u64().unwrap()];
    let mut refused = None;
    for n in 0..2000 {
        let answer = trigger(format!("{n} {big}")).await;
        if answer["ok"] == true {
            accepted.push(answer["message"]["seq"].as_u64().unwrap());
        } else {
            refused = Some(answer);
            break;
        }
    }
    let refused = refused.expect("the limit was reached");
    assert_eq!(refused["error"]["code"], "UNAVAILABLE", "{refused}");
    // Not ready while it cannot commit: a load balancer sends traffic
    // elsewhere.
    let ready = support::http::send("GET", &format!("{}/ready", server.url), None, None).await;
    assert_eq!(ready.status, 503, "{ready:?}");
    assert_eq!(ready.json["status"], "unavailable");
    assert_eq!(ready.json["failing"], json!(["store"]));
    let health = support::http::send("GET", &format!("{}/health", server.url), None, None).await;
    assert_eq!(health.status, 200, "alive all the same");
    // Reads go on, and hold every acknowledged event.
    let held: Vec<u64> = stored(&client).await.iter().map(|(seq, _)| *seq).collect();
    assert_eq!(held, accepted, "every acknowledged event, nothing else");
    // Space again: writes resume, the seq without a gap.
    prlimit("unlimited");
    let after = trigger("after the limit".into()).await;
    assert_eq!(after["ok"], true, "{after}");
    assert_eq!(
        after["message"]["seq"].as_u64().unwrap(),
        accepted.last().unwrap() + 1
    );
    let ready = support::http::send("GET", &format!("{}/ready", server.url), None, None).await;
    assert_eq!(
        (ready.status, ready.json["status"].clone()),
        (200, json!("ready"))
    );
    drop(server);
    std::fs::remove_dir_all(&dir).unwrap();
}
