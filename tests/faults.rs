//! Network faults (docs/reliability.md): the fault proxy between clients
//! and a server, and between a server and Redis, adds latency, limits the
//! bandwidth, delivers a byte at a time, or turns the link into a black
//! hole (half-open). Under each: nothing acknowledged is lost, and every
//! request is answered, or times out on the client, with a code.

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use dialogue_client::{Client, ClientBuilder, Error as ClientError, Transport};
use futures_util::future::join_all;
use serde_json::{Value, json};
use support::proxy::{FaultProxy, Shape};
use support::redis_server::{Persistence, RedisServer};
use support::server_process::ServerProcess;
use support::wire::{ask, connect_user, join_with};

/// Generous: a byte-at-a-time link takes its time.
const WAIT: Duration = Duration::from_secs(30);

/// Triggers sent at once by one publisher in each case.
const BURST: usize = 20;

fn shapes() -> Vec<(&'static str, Shape)> {
    vec![
        (
            "100 ms latency",
            Shape {
                latency: Duration::from_millis(100),
                ..Shape::default()
            },
        ),
        (
            "16 KB/s",
            Shape {
                bytes_per_second: Some(16 * 1024),
                ..Shape::default()
            },
        ),
        (
            "a byte at a time",
            Shape {
                byte_at_a_time: true,
                ..Shape::default()
            },
        ),
        (
            "all three",
            Shape {
                latency: Duration::from_millis(50),
                bytes_per_second: Some(32 * 1024),
                byte_at_a_time: true,
                black_hole: false,
            },
        ),
    ]
}

fn address(url: &str) -> SocketAddr {
    url.trim_start_matches("http://")
        .parse()
        .expect("an address")
}

async fn connect(url: &str, auth: Value, transport: Transport) -> (Client, Value) {
    let client = ClientBuilder::new(url)
        .transport(transport)
        .auth(auth)
        .connect_timeout(WAIT)
        .connect()
        .await
        .unwrap_or_else(|error| panic!("connects to {url}: {error}"));
    let first = client.recv_timeout(WAIT).await.expect("greeted");
    assert_eq!(first.name, "dialogue:connected", "{first:?}");
    (client, first.args[0].clone())
}

/// [`ask`] with the patience a shaped link needs.
async fn slow_ask(client: &Client, event: &str, data: Value) -> Value {
    let mut args = client
        .emit_with_ack(event, data, WAIT)
        .await
        .unwrap_or_else(|error| panic!("{event} acknowledged: {error}"));
    args.remove(0)
}

/// `BURST` acknowledged triggers at once; their seqs, each answered `ok`.
async fn burst(client: &Client, tag: &str) -> Vec<u64> {
    let answers = join_all((0..BURST).map(|n| async move {
        client
            .emit_with_ack(
                "dialogue:trigger",
                json!({
                    "roomId": "chat", "event": "message",
                    "data": { "text": format!("{tag} {n}"), "senderId": "p" },
                }),
                WAIT,
            )
            .await
            .unwrap_or_else(|error| panic!("{tag}: trigger {n} answered: {error}"))
    }))
    .await;
    let mut seqs: Vec<u64> = answers
        .iter()
        .map(|args| {
            let answer = &args[0];
            assert_eq!(answer["ok"], true, "{tag}: {answer}");
            answer["message"]["seq"].as_u64().expect("a seq")
        })
        .collect();
    seqs.sort_unstable();
    seqs
}

/// `BURST` triggers at once, each answered: `ok` (its seq returned) or
/// `UNAVAILABLE` (a slow link past the store's response timeout; counted).
async fn tolerant_burst(client: &Client, tag: &str) -> (Vec<u64>, usize) {
    let answers = join_all((0..BURST).map(|n| async move {
        client
            .emit_with_ack(
                "dialogue:trigger",
                json!({
                    "roomId": "chat", "event": "message",
                    "data": { "text": format!("{tag} {n}"), "senderId": "p" },
                }),
                WAIT,
            )
            .await
            .unwrap_or_else(|error| panic!("{tag}: trigger {n} answered: {error}"))
    }))
    .await;
    let mut accepted = Vec::new();
    let mut unavailable = 0;
    for args in answers {
        let answer = &args[0];
        if answer["ok"] == true {
            accepted.push(answer["message"]["seq"].as_u64().expect("a seq"));
        } else {
            assert_eq!(answer["error"]["code"], "UNAVAILABLE", "{tag}: {answer}");
            unavailable += 1;
        }
    }
    (accepted, unavailable)
}

/// The seqs of `chat` events `client` receives until it has `last`.
async fn received_until(client: &Client, last: u64, tag: &str) -> Vec<u64> {
    let mut seqs = Vec::new();
    while seqs.last() != Some(&last) {
        let event = client
            .expect_event("dialogue:event", WAIT)
            .await
            .unwrap_or_else(|error| {
                panic!("{tag}: waiting for seq {last} after {seqs:?}: {error}")
            });
        if event.args[0]["roomId"] == "chat" {
            seqs.push(event.args[0]["seq"].as_u64().expect("a seq"));
        }
    }
    seqs
}

fn assert_contiguous(seqs: &[u64], tag: &str) {
    assert!(
        seqs.windows(2).all(|pair| pair[1] == pair[0] + 1),
        "{tag}: gap-free, each once: {seqs:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shaped_client_links_lose_nothing_acknowledged() {
    let server = ServerProcess::start(&[]);
    let watcher = connect_user(&server.url, "watcher").await;
    join_with(&watcher, json!({ "roomId": "chat" })).await;
    for (name, shape) in shapes() {
        for transport in [Transport::WebSocket, Transport::Polling] {
            let tag = format!("{name}, {transport:?}");
            let proxy = FaultProxy::start(address(&server.url)).await;
            // tungstenite (the Rust client's WebSocket) refuses a handshake
            // answer delivered in tiny pieces ("Attack attempt detected"):
            // a byte-at-a-time WebSocket is shaped once it is open. Polling
            // requests are shaped from the start.
            let shape_first = !(shape.byte_at_a_time && transport == Transport::WebSocket);
            if shape_first {
                proxy.shape(shape);
            }
            // A publisher and a subscriber behind the shaped link.
            let (publisher, _) =
                connect(&proxy.url(), json!({ "userId": "publisher" }), transport).await;
            let (reader, _) = connect(&proxy.url(), json!({ "userId": "reader" }), transport).await;
            proxy.shape(shape);
            for client in [&publisher, &reader] {
                let joined = slow_ask(client, "dialogue:join", json!({ "roomId": "chat" })).await;
                assert_eq!(joined["ok"], true, "{tag}: {joined}");
            }
            let seqs = burst(&publisher, &tag).await;
            assert_contiguous(&seqs, &tag);
            let last = *seqs.last().unwrap();
            let behind = received_until(&reader, last, &tag).await;
            let direct = received_until(&watcher, last, &tag).await;
            assert_eq!(
                behind[behind.len() - BURST..],
                seqs[..],
                "{tag}: the shaped reader"
            );
            assert_eq!(
                direct[direct.len() - BURST..],
                seqs[..],
                "{tag}: the watcher"
            );
            publisher.disconnect().await;
            reader.disconnect().await;
        }
    }
}

/// The number `dialogue_connections` of the server's `/metrics`.
async fn connections(server: &ServerProcess) -> u64 {
    let metrics = support::http::send("GET", &format!("{}/metrics", server.url), None, None).await;
    metrics
        .text
        .lines()
        .find_map(|line| line.strip_prefix("dialogue_connections "))
        .and_then(|n| n.trim().parse::<f64>().ok())
        .map_or(0, |n| n as u64)
}

/// A client that answers the heartbeat stays connected through several of
/// its rounds, on each transport: a WebSocket session runs its heartbeat in
/// the session's own task, a polling session in a task of its own, both by
/// the rules of `patches/engineioxide/src/heartbeat.rs`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_answers_the_heartbeat_stays_connected() {
    let server = ServerProcess::start(&[
        ("DIALOGUE_PING_SECS", "1"),
        ("DIALOGUE_PING_TIMEOUT_SECS", "1"),
    ]);
    let mut clients = Vec::new();
    for transport in [Transport::WebSocket, Transport::Polling] {
        let user = json!({ "userId": format!("{transport:?}") });
        clients.push((transport, connect(&server.url, user, transport).await.0));
    }
    // Four rounds: a ping not sent, or a pong not taken, would have ended
    // a session after two seconds at most.
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(connections(&server).await, 2);
    for (transport, client) in &clients {
        assert!(
            client.is_connected(),
            "{transport:?}: {:?}",
            client.disconnect_reason()
        );
        let joined = ask(client, "dialogue:join", json!({ "roomId": "chat" })).await;
        assert_eq!(joined["ok"], true, "{transport:?}: {joined}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_half_open_client_is_dropped_by_the_heartbeat_and_resumes_what_it_missed() {
    let server = ServerProcess::start(&[
        ("DIALOGUE_PING_SECS", "1"),
        ("DIALOGUE_PING_TIMEOUT_SECS", "1"),
    ]);
    let proxy = FaultProxy::start(address(&server.url)).await;
    let (alice, hello) = connect(
        &proxy.url(),
        json!({ "userId": "alice" }),
        Transport::WebSocket,
    )
    .await;
    let joined = ask(&alice, "dialogue:join", json!({ "roomId": "chat" })).await;
    let epoch = joined["position"]["epoch"].as_str().unwrap().to_owned();
    let seen = joined["position"]["seq"].as_u64().unwrap();
    let bob = connect_user(&server.url, "bob").await;
    join_with(&bob, json!({ "roomId": "chat" })).await;
    assert_eq!(connections(&server).await, 2);

    // The link goes silent both ways, without closing.
    proxy.shape(Shape {
        black_hole: true,
        ..Shape::default()
    });
    let lost = alice
        .emit_with_ack(
            "dialogue:trigger",
            json!({
                "roomId": "chat", "event": "message", "id": "alice-1",
                "data": { "text": "into the void", "senderId": "alice" },
            }),
            Duration::from_secs(2),
        )
        .await;
    // The client gives up on its own: the acknowledgement times out, or
    // its heartbeat (no ping within interval + timeout) ends the
    // connection first.
    assert!(
        matches!(
            lost,
            Err(ClientError::AckTimeout(_) | ClientError::Disconnected)
        ),
        "the request times out on the client: {lost:?}"
    );
    // The server's heartbeat finds the connection dead (ping 1 s, timeout
    // 1 s) and holds the session.
    let deadline = tokio::time::Instant::now() + WAIT;
    while connections(&server).await != 1 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "alice was not dropped"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut sent = Vec::new();
    for n in 0..5 {
        let answer = ask(
            &bob,
            "dialogue:trigger",
            json!({ "roomId": "chat", "event": "message", "data": { "text": format!("b{n}"), "senderId": "bob" } }),
        )
        .await;
        sent.push(answer["message"]["seq"].as_u64().unwrap());
    }
    // The link comes back; alice resumes from where she was.
    proxy.shape(Shape::default());
    proxy.cut();
    drop(alice);
    let (alice, greeting) = connect(
        &proxy.url(),
        json!({
            "userId": "alice",
            "resume": hello["resumeToken"],
            "positions": { "chat": { "epoch": epoch, "seq": seen } },
        }),
        Transport::WebSocket,
    )
    .await;
    assert_eq!(greeting["resumed"], true, "{greeting}");
    assert_eq!(greeting["recovered"], json!(["chat"]), "{greeting}");
    let missed = received_until(&alice, *sent.last().unwrap(), "resumed").await;
    assert_eq!(missed, sent, "exactly what she missed, once, in order");
    // Her lost trigger, sent again with its id, is accepted once.
    let retried = ask(
        &alice,
        "dialogue:trigger",
        json!({
            "roomId": "chat", "event": "message", "id": "alice-1",
            "data": { "text": "into the void", "senderId": "alice" },
        }),
    )
    .await;
    assert_eq!(retried["ok"], true, "{retried}");
    assert_eq!(
        retried["message"]["seq"].as_u64(),
        Some(sent.last().unwrap() + 1)
    );
}

fn redis_url(proxy: &FaultProxy) -> String {
    proxy.url().replace("http://", "redis://")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shaped_redis_links_lose_nothing_acknowledged() {
    let redis = RedisServer::start(Persistence::Off);
    let proxy = FaultProxy::start(address(&redis.url().replace("redis://", "http://"))).await;
    let node = ServerProcess::start(&[("DIALOGUE_REDIS_URL", &redis_url(&proxy))]);
    let watcher = connect_user(&node.url, "watcher").await;
    join_with(&watcher, json!({ "roomId": "chat" })).await;
    let publisher = connect_user(&node.url, "publisher").await;
    join_with(&publisher, json!({ "roomId": "chat" })).await;
    let mut refused = 0;
    for (name, shape) in shapes() {
        proxy.shape(shape);
        let (accepted, unavailable) = tolerant_burst(&publisher, name).await;
        refused += unavailable;
        // A sentinel once the link is plain again: the watcher has every
        // event up to it.
        proxy.shape(Shape::default());
        let sentinel = ask(
            &publisher,
            "dialogue:trigger",
            json!({ "roomId": "chat", "event": "message", "data": { "text": "sentinel", "senderId": "p" } }),
        )
        .await;
        assert_eq!(sentinel["ok"], true, "{name}: {sentinel}");
        let last = sentinel["message"]["seq"].as_u64().unwrap();
        let got = received_until(&watcher, last, name).await;
        assert_contiguous(&got, name);
        for seq in &accepted {
            assert!(
                got.contains(seq),
                "{name}: acknowledged seq {seq} was delivered: {got:?}"
            );
        }
    }
    eprintln!(
        "shaped Redis links: {refused} triggers answered UNAVAILABLE (the 2 s response timeout)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_half_open_redis_link_is_answered_unavailable_in_time_then_heals() {
    let redis = RedisServer::start(Persistence::Off);
    let proxy = FaultProxy::start(address(&redis.url().replace("redis://", "http://"))).await;
    let node = ServerProcess::start(&[("DIALOGUE_REDIS_URL", &redis_url(&proxy))]);
    let client = connect_user(&node.url, "writer").await;
    join_with(&client, json!({ "roomId": "chat" })).await;
    let before = burst(&client, "before").await;
    proxy.shape(Shape {
        black_hole: true,
        ..Shape::default()
    });
    // Answered, not stuck: the store's response timeout (2 s) gives
    // UNAVAILABLE, and nothing is delivered or numbered.
    let started = std::time::Instant::now();
    let answer = ask(
        &client,
        "dialogue:trigger",
        json!({ "roomId": "chat", "event": "message", "data": { "text": "lost", "senderId": "w" } }),
    )
    .await;
    assert_eq!(answer["ok"], false, "{answer}");
    assert_eq!(answer["error"]["code"], "UNAVAILABLE", "{answer}");
    eprintln!("a black-holed Redis answered in {:?}", started.elapsed());
    // The link heals (the proxy's connections are cut, so the node makes
    // new ones), and writes go on where they were.
    proxy.shape(Shape::default());
    proxy.cut();
    let deadline = tokio::time::Instant::now() + WAIT;
    let after = loop {
        let answer = ask(
            &client,
            "dialogue:trigger",
            json!({ "roomId": "chat", "event": "message", "data": { "text": "back", "senderId": "w" } }),
        )
        .await;
        if answer["ok"] == true {
            break answer["message"]["seq"].as_u64().unwrap();
        }
        assert_eq!(answer["error"]["code"], "UNAVAILABLE", "{answer}");
        assert!(
            tokio::time::Instant::now() < deadline,
            "Redis did not come back"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(
        after,
        before.last().unwrap() + 1,
        "no gap, nothing lost numbered"
    );
}
