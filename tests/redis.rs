//! Several nodes on one Redis (docs/scaling.md): conformance servers as
//! child processes sharing a `redis-server` of the test's own. A room's
//! events reach members on every node once, in one seq order; `maxSize`
//! holds across nodes; a node that missed a publish repairs within a
//! second; Redis stopped answers `UNAVAILABLE` and `/ready` 503, and
//! service comes back by itself; Redis restarted empty changes every epoch.

mod support;

use std::time::{Duration, Instant};

use dialogue_client::Client;
use serde_json::{Value, json};
use support::redis_server::{Persistence, RedisServer};
use support::server_process::ServerProcess;
use support::wire::{ask, connect_user, join_with};

const WAIT: Duration = Duration::from_secs(10);

fn node(redis: &RedisServer) -> ServerProcess {
    ServerProcess::start(&[("DIALOGUE_REDIS_URL", &redis.url())])
}

async fn send(client: &Client, text: &str) -> Value {
    ask(
        client,
        "dialogue:trigger",
        json!({ "roomId": "chat", "event": "message", "data": { "text": text, "senderId": "t" } }),
    )
    .await
}

/// The seqs of the next `count` room events `client` receives.
async fn received(client: &Client, count: usize) -> Vec<(u64, String)> {
    let mut seen = Vec::with_capacity(count);
    while seen.len() < count {
        let event = client
            .expect_event("dialogue:event", WAIT)
            .await
            .unwrap_or_else(|e| panic!("event {} of {count}: {e}", seen.len() + 1));
        let message = &event.args[0];
        seen.push((
            message["seq"].as_u64().expect("a seq"),
            message["data"]["text"].as_str().unwrap_or("").to_owned(),
        ));
    }
    seen
}

/// Sends `count` acknowledged messages `name-0`, `name-1`, ..., one after
/// the other; their seqs.
async fn write_many(client: &Client, name: &str, count: usize) -> Vec<u64> {
    let mut seqs = Vec::new();
    for n in 0..count {
        let answer = send(client, &format!("{name}-{n}")).await;
        assert_eq!(answer["ok"], true, "{answer}");
        seqs.push(answer["message"]["seq"].as_u64().unwrap());
    }
    seqs
}

async fn ready_status(url: &str) -> u16 {
    support::http::send("GET", &format!("{url}/ready"), None, None)
        .await
        .status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_reach_members_on_both_nodes_once_in_one_seq_order() {
    let redis = RedisServer::start(Persistence::Off);
    let (a, b) = (node(&redis), node(&redis));
    let on_a = connect_user(&a.url, "reader-a").await;
    let on_b = connect_user(&b.url, "reader-b").await;
    let first = join_with(&on_a, json!({ "roomId": "chat" })).await;
    let second = join_with(&on_b, json!({ "roomId": "chat" })).await;
    assert_eq!(
        first["position"]["epoch"], second["position"]["epoch"],
        "one epoch for the room on both nodes"
    );
    // Publishers on both nodes at once, acknowledged.
    let writer_a = connect_user(&a.url, "writer-a").await;
    let writer_b = connect_user(&b.url, "writer-b").await;
    join_with(&writer_a, json!({ "roomId": "chat" })).await;
    join_with(&writer_b, json!({ "roomId": "chat" })).await;
    const EACH: usize = 100;
    let (acked_a, acked_b) = tokio::join!(
        write_many(&writer_a, "a", EACH),
        write_many(&writer_b, "b", EACH)
    );
    let start = first["position"]["seq"].as_u64().unwrap();
    let mut acked: Vec<u64> = acked_a.iter().chain(&acked_b).copied().collect();
    acked.sort_unstable();
    let expected: Vec<u64> = (start + 1..=start + 2 * EACH as u64).collect();
    assert_eq!(acked, expected, "one gap-free seq across both nodes");
    let seen_a = received(&on_a, 2 * EACH).await;
    let seen_b = received(&on_b, 2 * EACH).await;
    assert_eq!(
        seen_a.iter().map(|(seq, _)| *seq).collect::<Vec<_>>(),
        expected,
        "node A's member: every event once, in seq order"
    );
    assert_eq!(
        seen_a, seen_b,
        "both members saw the same events in the same order"
    );
    // Each publisher's own events in the order it sent them.
    let a_texts: Vec<&str> = seen_a
        .iter()
        .map(|(_, t)| t.as_str())
        .filter(|t| t.starts_with("a-"))
        .collect();
    let in_order: Vec<String> = (0..EACH).map(|n| format!("a-{n}")).collect();
    assert_eq!(a_texts, in_order);
    // History is shared: a join on B syncs what was sent through A.
    let late = connect_user(&b.url, "late").await;
    let synced = join_with(&late, json!({ "roomId": "chat" })).await;
    let newest = synced["history"][0]["seq"]
        .as_u64()
        .expect("history synced on join");
    assert_eq!(newest, start + 2 * EACH as u64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn capacity_holds_when_many_join_at_once_on_two_nodes() {
    let redis = RedisServer::start(Persistence::Off);
    let (a, b) = (node(&redis), node(&redis));
    const PER_NODE: usize = 60;
    let mut clients = Vec::new();
    for n in 0..PER_NODE {
        clients.push(connect_user(&a.url, &format!("a{n}")).await);
        clients.push(connect_user(&b.url, &format!("b{n}")).await);
    }
    // `small` holds 2 (CONFORMANCE.md): all join at once.
    let answers = futures_util::future::join_all(
        clients
            .iter()
            .map(|client| ask(client, "dialogue:join", json!({ "roomId": "small" }))),
    )
    .await;
    let joined = answers.iter().filter(|a| a["ok"] == true).count();
    let full = answers
        .iter()
        .filter(|a| a["error"]["code"] == "ROOM_FULL")
        .count();
    assert_eq!(joined, 2, "exactly maxSize joined across both nodes");
    assert_eq!(full, 2 * PER_NODE - 2, "every other join was ROOM_FULL");
    // A seat given back on one node is free on the other.
    let (i, _) = answers
        .iter()
        .enumerate()
        .find(|(_, a)| a["ok"] == true)
        .unwrap();
    let leave = ask(&clients[i], "dialogue:leave", json!({ "roomId": "small" })).await;
    assert_eq!(leave["ok"], true, "{leave}");
    let other = connect_user(if i % 2 == 0 { &b.url } else { &a.url }, "newcomer").await;
    join_with(&other, json!({ "roomId": "small" })).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_missed_a_publish_reads_it_from_the_log_within_a_second() {
    let redis = RedisServer::start(Persistence::Off);
    let a = node(&redis);
    let member = connect_user(&a.url, "member").await;
    let joined = join_with(&member, json!({ "roomId": "chat" })).await;
    let seq = joined["position"]["seq"].as_u64().unwrap();
    let epoch = joined["position"]["epoch"].as_str().unwrap().to_owned();
    // A publisher that died between its append and its publish: the event
    // is in the room's log with the next seq, but nobody heard of it.
    let envelope = format!(
        r#"{{"event":"message","roomId":"chat","data":{{"text":"unheard","senderId":"x"}},"from":"ghost","timestamp":1,"seq":{}}}"#,
        seq + 1
    );
    let script =
        "redis.call('INCR', KEYS[1]); redis.call('XADD', KEYS[2], ARGV[1], 'e', ARGV[2]); return 1";
    let answer = redis
        .command(&[
            "EVAL",
            script,
            "2",
            "dialogue:{chat}:seq",
            "dialogue:{chat}:log",
            &format!("{}-1", seq + 1),
            &envelope,
        ])
        .expect("redis answers");
    assert!(answer.starts_with(":1"), "{answer}");
    let started = Instant::now();
    let event = member
        .expect_event("dialogue:event", Duration::from_secs(3))
        .await
        .expect("the missed event is delivered without any later one");
    let waited = started.elapsed();
    assert_eq!(event.args[0]["seq"], seq + 1);
    assert_eq!(event.args[0]["data"]["text"], "unheard");
    println!("the gap was repaired after {waited:?}");
    // And the next event follows it, with the same epoch.
    let writer = connect_user(&a.url, "writer").await;
    join_with(&writer, json!({ "roomId": "chat" })).await;
    let answer = send(&writer, "after").await;
    assert_eq!(answer["message"]["seq"], seq + 2, "{answer}");
    let next = member.expect_event("dialogue:event", WAIT).await.unwrap();
    assert_eq!(next.args[0]["seq"], seq + 2);
    let page = ask(
        &writer,
        "dialogue:getHistory",
        json!({ "roomId": "chat", "eventName": "message", "start": 0, "end": 2 }),
    )
    .await;
    let seqs: Vec<u64> = page["events"]
        .as_array()
        .expect("a page")
        .iter()
        .map(|e| e["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(
        seqs,
        [seq + 2],
        "history holds what went through the script"
    );
    assert_eq!(answer["message"]["seq"], seq + 2);
    let _ = epoch;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_redis_is_down_requests_are_unavailable_and_service_comes_back_by_itself() {
    let mut redis = RedisServer::start(Persistence::AppendAlways);
    let a = node(&redis);
    let client = connect_user(&a.url, "writer").await;
    let joined = join_with(&client, json!({ "roomId": "chat" })).await;
    let epoch = joined["position"]["epoch"].as_str().unwrap().to_owned();
    let before = send(&client, "before").await;
    assert_eq!(before["ok"], true, "{before}");
    assert_eq!(ready_status(&a.url).await, 200);

    redis.stop();
    let refused = send(&client, "while down").await;
    assert_eq!(refused["ok"], false, "{refused}");
    assert_eq!(refused["error"]["code"], "UNAVAILABLE", "{refused}");
    let deadline = Instant::now() + WAIT;
    while ready_status(&a.url).await != 503 {
        assert!(
            Instant::now() < deadline,
            "/ready says 503 while Redis is down"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    redis.restart();
    let deadline = Instant::now() + WAIT;
    while ready_status(&a.url).await != 200 {
        assert!(
            Instant::now() < deadline,
            "/ready is 200 again once Redis is back"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let after = send(&client, "after").await;
    assert_eq!(after["ok"], true, "{after}");
    assert_eq!(
        after["message"]["seq"].as_u64(),
        before["message"]["seq"].as_u64().map(|s| s + 1),
        "with the append-only file, the seq goes on"
    );
    // Nothing acknowledged was lost; the refused one was never stored.
    let other = connect_user(&a.url, "reader").await;
    let synced = join_with(&other, json!({ "roomId": "chat" })).await;
    assert_eq!(
        synced["position"]["epoch"],
        epoch.as_str(),
        "the same epoch"
    );
    let texts: Vec<&str> = synced["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["data"]["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts[..2], ["after", "before"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_restarted_empty_changes_the_epoch_and_nobody_recovers_a_gap() {
    let mut redis = RedisServer::start(Persistence::Off);
    let (a, b) = (node(&redis), node(&redis));
    let writer = connect_user(&a.url, "writer").await;
    let joined = join_with(&writer, json!({ "roomId": "chat" })).await;
    let epoch = joined["position"]["epoch"].as_str().unwrap().to_owned();
    let sent = send(&writer, "before").await;
    let seen = sent["message"]["seq"].as_u64().unwrap();

    redis.restart();
    let deadline = Instant::now() + WAIT;
    while ready_status(&b.url).await != 200 || ready_status(&a.url).await != 200 {
        assert!(Instant::now() < deadline, "both nodes ready again");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A client of the old epoch, on the other node: told it did not recover.
    let back = connect_user(&b.url, "back").await;
    let deadline = Instant::now() + WAIT;
    let answer = loop {
        let answer = ask(
            &back,
            "dialogue:join",
            json!({ "roomId": "chat", "since": { "epoch": epoch, "seq": seen } }),
        )
        .await;
        if answer["ok"] == true || Instant::now() > deadline {
            break answer;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(answer["ok"], true, "{answer}");
    assert_eq!(answer["recovered"], false, "{answer}");
    assert_ne!(answer["position"]["epoch"], epoch.as_str(), "a new epoch");
    // The stream starts again in the new epoch, the same on both nodes.
    let next = send(&writer, "after").await;
    assert_eq!(next["ok"], true, "{next}");
    let got = back.expect_event("dialogue:event", WAIT).await.unwrap();
    assert_eq!(got.args[0]["data"]["text"], "after");
    assert_eq!(got.args[0]["seq"], next["message"]["seq"]);
}

#[test]
fn redis_and_a_history_file_together_stop_the_start_with_a_clear_message() {
    let output = std::process::Command::new(support::server_process::conformance_binary())
        .env("PORT", "0")
        .env("DIALOGUE_REDIS_URL", "redis://127.0.0.1:1")
        .env(
            "DIALOGUE_HISTORY_DB",
            std::env::temp_dir().join("dialogue-never.sqlite"),
        )
        .output()
        .expect("runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("set either `redis`") && stderr.contains("not both"),
        "{stderr}"
    );
}
