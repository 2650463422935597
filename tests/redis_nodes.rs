//! Sessions across nodes (docs/scaling.md): a resume token is good on any
//! node; a node killed with SIGKILL loses nothing, its clients resume on
//! another through the balancer; and the seats of a dead node's clients
//! that never come back are given back after the grace period.

mod support;

use std::time::{Duration, Instant};

use dialogue_client::{Client, ClientBuilder, Transport};
use serde_json::{Value, json};
use support::balancer::Balancer;
use support::redis_server::{Persistence, RedisServer};
use support::server_process::ServerProcess;
use support::wire::{ask, connect_user, join_with};

const WAIT: Duration = Duration::from_secs(10);

fn node(redis: &RedisServer, name: &str, grace_secs: &str) -> ServerProcess {
    ServerProcess::start(&[
        ("DIALOGUE_REDIS_URL", &redis.url()),
        ("DIALOGUE_NODE_ID", name),
        ("DIALOGUE_RESUME_SECS", grace_secs),
    ])
}

/// Connects with this handshake `auth`; the client and its greeting.
async fn connect_to(url: &str, auth: Value) -> (Client, Value) {
    let client = ClientBuilder::new(url)
        .transport(Transport::WebSocket)
        .auth(auth)
        .connect_timeout(WAIT)
        .connect()
        .await
        .unwrap_or_else(|error| panic!("connects to {url}: {error}"));
    let first = client.recv_timeout(WAIT).await.expect("greeted");
    assert_eq!(first.name, "dialogue:connected", "{first:?}");
    (client, first.args[0].clone())
}

fn token(greeting: &Value) -> String {
    greeting["resumeToken"]
        .as_str()
        .expect("a resume token")
        .to_owned()
}

async fn send(client: &Client, text: &str) -> u64 {
    let answer = ask(
        client,
        "dialogue:trigger",
        json!({ "roomId": "chat", "event": "message", "data": { "text": text, "senderId": "w" } }),
    )
    .await;
    assert_eq!(answer["ok"], true, "{answer}");
    answer["message"]["seq"].as_u64().expect("a seq")
}

/// The seqs of the chat events `client` has, until its connection ended.
async fn drain_seqs(client: &Client) -> Vec<u64> {
    let mut seqs = Vec::new();
    while let Ok(event) = client.recv_timeout(WAIT).await {
        if event.name == "dialogue:event" && event.args[0]["roomId"] == "chat" {
            seqs.push(event.args[0]["seq"].as_u64().expect("a seq"));
        }
    }
    seqs
}

/// Receives chat events until the one with seq `last`; their seqs.
async fn seqs_until(client: &Client, last: u64) -> Vec<u64> {
    let mut seqs = Vec::new();
    while seqs.last().is_none_or(|&seq| seq < last) {
        let event = client
            .expect_event("dialogue:event", WAIT)
            .await
            .unwrap_or_else(|error| panic!("waiting for seq {last} after {seqs:?}: {error}"));
        if event.args[0]["roomId"] == "chat" {
            seqs.push(event.args[0]["seq"].as_u64().expect("a seq"));
        }
    }
    seqs
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resume_token_is_good_on_another_node_and_the_old_connection_goes() {
    let redis = RedisServer::start(Persistence::Off);
    let (a, b) = (node(&redis, "a", "60"), node(&redis, "b", "60"));
    let (alice, hello) = connect_to(&a.url, json!({ "userId": "alice" })).await;
    let joined = join_with(&alice, json!({ "roomId": "chat" })).await;
    let epoch = joined["position"]["epoch"].clone();
    // A subscription changed on A (its record follows it to Redis).
    let subscribed = ask(
        &alice,
        "dialogue:subscribe",
        json!({ "roomId": "chat", "eventName": "typing" }),
    )
    .await;
    assert_eq!(subscribed["ok"], true, "{subscribed}");
    join_with(&alice, json!({ "roomId": "small" })).await;
    // `small` holds 2: alice and bob.
    let bob = connect_user(&b.url, "bob").await;
    join_with(&bob, json!({ "roomId": "small" })).await;
    let writer = connect_user(&b.url, "writer").await;
    join_with(&writer, json!({ "roomId": "chat" })).await;
    let first = send(&writer, "one").await;
    assert_eq!(seqs_until(&alice, first).await, vec![first]);
    let last = {
        send(&writer, "two").await;
        send(&writer, "three").await
    };

    // Alice comes back on B with her token and position: A lets go.
    let (moved, greeting) = connect_to(
        &b.url,
        json!({
            "userId": "alice",
            "resume": token(&hello),
            "positions": { "chat": { "epoch": epoch, "seq": first } },
        }),
    )
    .await;
    assert_eq!(greeting["resumed"], true, "{greeting}");
    assert_eq!(greeting["rooms"], json!(["chat", "small"]), "{greeting}");
    assert_eq!(greeting["recovered"], json!(["chat"]), "{greeting}");
    assert_ne!(greeting["resumeToken"], hello["resumeToken"], "a new token");
    alice
        .wait_disconnected(WAIT)
        .await
        .expect("the connection on A is closed once B took the session");
    assert_eq!(
        seqs_until(&moved, last).await,
        vec![first + 1, last],
        "the events missed meanwhile, once"
    );
    // Her subscriptions came with her, and live events reach her on B.
    let next = send(&writer, "four").await;
    assert_eq!(seqs_until(&moved, next).await, vec![next]);
    let typing = ask(
        &writer,
        "dialogue:trigger",
        json!({ "roomId": "chat", "event": "typing", "data": { "isTyping": true } }),
    )
    .await;
    assert_eq!(typing["ok"], true, "{typing}");
    let event = moved
        .expect_event("dialogue:event", WAIT)
        .await
        .expect("the typing subscription came along");
    assert_eq!(event.args[0]["event"], "typing", "{event:?}");
    // Her seat moved with her: `small` is still full, not counted twice.
    let carol = connect_user(&a.url, "carol").await;
    let refused = ask(&carol, "dialogue:join", json!({ "roomId": "small" })).await;
    assert_eq!(refused["error"]["code"], "ROOM_FULL", "{refused}");
    // The old token (used) is good once more, the one before it no more.
    let (_, again) = connect_to(
        &a.url,
        json!({ "userId": "alice", "resume": token(&greeting) }),
    )
    .await;
    assert_eq!(again["resumed"], true, "{again}");
}

/// A node that has not heard another node's latest events yet (here its
/// subscription dropped, and the events published meanwhile with it)
/// decides a resume's recovery on the room's position in Redis, reading
/// what it missed first: a client that missed more than the window is told
/// so, not "recovered" with nothing replayed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resume_is_decided_on_the_rooms_position_where_the_node_has_not_heard_it_yet() {
    let redis = RedisServer::start(Persistence::Off);
    let url = redis.url();
    let node = |name: &str| {
        ServerProcess::start(&[
            ("DIALOGUE_REDIS_URL", &url),
            ("DIALOGUE_NODE_ID", name),
            ("DIALOGUE_RESUME_SECS", "60"),
            ("DIALOGUE_RECOVERY_SIZE", "10"),
        ])
    };
    let (a, b) = (node("a"), node("b"));
    let (alice, hello) = connect_to(&a.url, json!({ "userId": "alice" })).await;
    let joined = join_with(&alice, json!({ "roomId": "chat" })).await;
    let since = joined["position"].clone();
    let writer = connect_user(&a.url, "writer").await;
    join_with(&writer, json!({ "roomId": "chat" })).await;
    // Every subscription to Redis ends: B hears nothing of what A publishes
    // until it subscribes again (250 ms on) and its timer notices the gap
    // (300 ms after that). A delivers its own events without the channel.
    let killed = redis
        .command(&["CLIENT", "KILL", "TYPE", "pubsub"])
        .expect("Redis answers");
    assert!(killed.starts_with(':'), "{killed}");
    let mut last = 0;
    for n in 0..20 {
        last = send(&writer, &format!("m{n}")).await;
    }
    let (moved, greeting) = connect_to(
        &b.url,
        json!({ "userId": "alice", "resume": token(&hello), "positions": { "chat": since } }),
    )
    .await;
    assert_eq!(greeting["resumed"], true, "{greeting}");
    assert_eq!(greeting["rooms"], json!(["chat"]), "{greeting}");
    assert_eq!(
        greeting["recovered"],
        json!([]),
        "20 events missed, a window of 10: not recovered ({greeting})"
    );
    // Nothing replayed; live events follow from the room's position.
    let next = send(&writer, "live").await;
    assert_eq!(next, last + 1);
    assert_eq!(seqs_until(&moved, next).await, vec![next]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_nodes_clients_resume_on_the_other_through_the_balancer_and_miss_nothing() {
    let redis = RedisServer::start(Persistence::Off);
    let a = node(&redis, "a", "60");
    let b = node(&redis, "b", "60");
    let balancer = Balancer::start(&[&a.url, &b.url]).await;
    // Four readers through the balancer: 0 and 2 on A, 1 and 3 on B.
    const READERS: usize = 4;
    let mut readers = Vec::new();
    for n in 0..READERS {
        let user = format!("reader-{n}");
        let (client, greeting) = connect_to(&balancer.url(), json!({ "userId": user })).await;
        let joined = join_with(&client, json!({ "roomId": "chat" })).await;
        let epoch = joined["position"]["epoch"].as_str().unwrap().to_owned();
        let start = joined["position"]["seq"].as_u64().unwrap();
        readers.push((user, client, token(&greeting), epoch, start));
    }
    assert_eq!(balancer.served(), vec![2, 2]);
    // A writer on B, acknowledged one after the other, while A is killed.
    let writer = connect_user(&b.url, "writer").await;
    join_with(&writer, json!({ "roomId": "chat" })).await;
    const TOTAL: usize = 150;
    const KILL_AFTER: usize = 50;
    let (killed_tx, killed_rx) = tokio::sync::oneshot::channel::<()>();
    let writing = tokio::spawn(async move {
        let mut killed = Some(killed_tx);
        let mut last = 0;
        for n in 0..TOTAL {
            last = send(&writer, &format!("m{n}")).await;
            if n == KILL_AFTER
                && let Some(killed) = killed.take()
            {
                let _ = killed.send(());
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        last
    });
    killed_rx.await.expect("the writer goes on");
    let status = a.kill();
    assert!(!status.success(), "A was killed: {status:?}");
    let killed_at = Instant::now();

    // A's readers notice, and come back through the balancer (on B now)
    // with their tokens and positions, while the writer goes on.
    let mut moved = Vec::new();
    for (n, (user, client, resume, epoch, start)) in readers.into_iter().enumerate() {
        if n % 2 == 1 {
            moved.push((client, start, Vec::new()));
            continue;
        }
        let before = drain_seqs(&client).await;
        let seen = before.last().copied().unwrap_or(start);
        let (client, greeting) = connect_to(
            &balancer.url(),
            json!({
                "userId": user,
                "resume": resume,
                "positions": { "chat": { "epoch": epoch, "seq": seen } },
            }),
        )
        .await;
        assert_eq!(greeting["resumed"], true, "{user}: {greeting}");
        assert_eq!(greeting["recovered"], json!(["chat"]), "{user}: {greeting}");
        moved.push((client, start, before));
    }
    println!(
        "A's readers resumed on B {:?} after the kill",
        killed_at.elapsed()
    );
    let last = writing.await.expect("the writer finished");
    for (n, (client, start, mut seqs)) in moved.into_iter().enumerate() {
        seqs.extend(seqs_until(&client, last).await);
        let expected: Vec<u64> = (start + 1..=last).collect();
        assert_eq!(seqs, expected, "reader {n}: every event once, in order");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_nodes_seats_are_given_back_after_the_grace_period() {
    let redis = RedisServer::start(Persistence::Off);
    let a = node(&redis, "a", "1");
    let b = node(&redis, "b", "1");
    let on_a = connect_user(&a.url, "x").await;
    join_with(&on_a, json!({ "roomId": "small" })).await;
    let on_b = connect_user(&b.url, "y").await;
    join_with(&on_b, json!({ "roomId": "small" })).await;
    let waiting = connect_user(&b.url, "z").await;
    let full = ask(&waiting, "dialogue:join", json!({ "roomId": "small" })).await;
    assert_eq!(full["error"]["code"], "ROOM_FULL", "{full}");
    let killed_at = Instant::now();
    a.kill();
    // Dead after 5 s of silence, then the 1 s grace: the seat comes back.
    let deadline = killed_at + Duration::from_secs(20);
    loop {
        let answer = ask(&waiting, "dialogue:join", json!({ "roomId": "small" })).await;
        if answer["ok"] == true {
            break;
        }
        assert_eq!(answer["error"]["code"], "ROOM_FULL", "{answer}");
        assert!(
            Instant::now() < deadline,
            "the dead node's seat was never given back: {:?} {:?} {:?}",
            redis.command(&["KEYS", "*"]),
            redis.command(&["HGETALL", "dialogue:nodes"]),
            redis.command(&["SMEMBERS", "dialogue:{small}:seats"]),
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let waited = killed_at.elapsed();
    println!("the dead node's seat came back after {waited:?}");
    // Its last beat came up to 1 s before the kill: 5 s of silence and
    // the 1 s grace count from there.
    assert!(
        waited >= Duration::from_secs(5),
        "not before the node counts as dead and its grace ran out: {waited:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_held_on_one_node_and_resumed_on_another_ends_nothing_when_the_grace_runs_out() {
    let redis = RedisServer::start(Persistence::Off);
    let a = node(&redis, "a", "2");
    let b = node(&redis, "b", "2");
    let upstream = a
        .url
        .trim_start_matches("http://")
        .parse()
        .expect("an address");
    let proxy = support::proxy::FaultProxy::start(upstream).await;
    let (alice, hello) =
        connect_to(&proxy.url(), json!({ "userId": "alice", "name": "Alice" })).await;
    join_with(&alice, json!({ "roomId": "small" })).await;
    join_with(&alice, json!({ "roomId": "lobby" })).await;
    let bob = connect_user(&b.url, "bob").await;
    join_with(&bob, json!({ "roomId": "small" })).await;
    join_with(&bob, json!({ "roomId": "lobby" })).await;
    // Alice's connection drops: A holds her session for 2 s.
    proxy.cut();
    alice
        .wait_disconnected(WAIT)
        .await
        .expect("the cut is noticed");
    let (moved, greeting) = connect_to(
        &b.url,
        json!({ "userId": "alice", "name": "Alice", "resume": token(&hello) }),
    )
    .await;
    assert_eq!(greeting["resumed"], true, "{greeting}");
    assert_eq!(greeting["rooms"], json!(["lobby", "small"]), "{greeting}");
    // Past A's grace period: the session lives on B, nothing ended.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let carol = connect_user(&b.url, "carol").await;
    let full = ask(&carol, "dialogue:join", json!({ "roomId": "small" })).await;
    assert_eq!(
        full["error"]["code"], "ROOM_FULL",
        "alice's seat held: {full}"
    );
    let page = ask(&bob, "dialogue:getPresence", json!({ "roomId": "lobby" })).await;
    assert_eq!(page["count"], 2, "alice still present: {page}");
    while let Ok(event) = bob
        .expect_event("dialogue:presenceDiff", Duration::ZERO)
        .await
    {
        assert_eq!(event.args[0]["left"], json!([]), "no departure: {event:?}");
    }
    let sent = ask(
        &moved,
        "dialogue:trigger",
        json!({ "roomId": "small", "event": "message", "data": { "text": "still here", "senderId": "a" } }),
    )
    .await;
    assert_eq!(sent["ok"], true, "{sent}");
}
