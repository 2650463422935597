//! Presence, hosts, kicks and bans on several nodes (docs/scaling.md): one
//! roster per room in Redis, each change told to the members on every
//! node, and a dead node's users leaving presence after the grace period.

mod support;

use std::time::{Duration, Instant};

use dialogue_client::{Client, ClientBuilder, Transport};
use serde_json::{Value, json};
use support::redis_server::{Persistence, RedisServer};
use support::server_process::ServerProcess;
use support::wire::{ask, ask_ok, assert_silent, connect_user, join_with, next};

const WAIT: Duration = Duration::from_secs(10);

fn node(redis: &RedisServer, grace_secs: &str) -> ServerProcess {
    ServerProcess::start(&[
        ("DIALOGUE_REDIS_URL", &redis.url()),
        ("DIALOGUE_RESUME_SECS", grace_secs),
    ])
}

/// `user`, showing `name` in presence.
async fn named(url: &str, user: &str, name: &str) -> Client {
    let client = ClientBuilder::new(url)
        .transport(Transport::WebSocket)
        .auth(json!({ "userId": user, "name": name }))
        .connect_timeout(WAIT)
        .connect()
        .await
        .expect("connects");
    client
        .expect_event("dialogue:connected", WAIT)
        .await
        .expect("greeted");
    client
}

fn diff(joined: Value, left: Value, updated: Value) -> Value {
    json!({ "roomId": "lobby", "joined": joined, "left": left, "updated": updated })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presence_is_one_list_told_to_members_on_every_node() {
    let redis = RedisServer::start(Persistence::Off);
    let (a, b) = (node(&redis, "60"), node(&redis, "60"));
    let alice = named(&a.url, "alice", "Alice").await;
    let bob = named(&b.url, "bob", "Bob").await;
    join_with(&alice, json!({ "roomId": "lobby" })).await;
    join_with(&bob, json!({ "roomId": "lobby" })).await;
    let bob_member = json!({ "userId": "bob", "info": { "name": "Bob" } });
    let alice_member = json!({ "userId": "alice", "info": { "name": "Alice" } });
    // Each is told of its own arrival first, alice then of bob's.
    assert_eq!(
        next(&alice, "dialogue:presenceDiff").await,
        diff(json!([alice_member]), json!([]), json!([]))
    );
    assert_eq!(
        next(&bob, "dialogue:presenceDiff").await,
        diff(json!([bob_member]), json!([]), json!([]))
    );
    assert_eq!(
        next(&alice, "dialogue:presenceDiff").await,
        diff(json!([bob_member]), json!([]), json!([]))
    );
    // One list, in arrival order, whichever node answers.
    for client in [&alice, &bob] {
        let page = ask_ok(client, "dialogue:getPresence", json!({ "roomId": "lobby" })).await;
        assert_eq!(page["count"], 2, "{page}");
        assert_eq!(
            page["members"],
            json!([{ "userId": "alice", "info": { "name": "Alice" } }, bob_member]),
            "{page}"
        );
    }
    // A second connection of alice, on B: no arrival anywhere.
    let alice2 = named(&b.url, "alice", "Alice").await;
    join_with(&alice2, json!({ "roomId": "lobby" })).await;
    assert_silent(&bob, "dialogue:presenceDiff").await;
    // Bob's status changes on B: alice on A is told.
    let info = json!({ "name": "Bob", "status": "away" });
    ask_ok(
        &bob,
        "dialogue:setPresence",
        json!({ "roomId": "lobby", "info": info }),
    )
    .await;
    for client in [&alice, &bob] {
        assert_eq!(
            next(client, "dialogue:presenceDiff").await,
            diff(
                json!([]),
                json!([]),
                json!([{ "userId": "bob", "info": info }])
            )
        );
    }
    // Alice's connection on A leaves: she is still present (on B).
    ask_ok(&alice, "dialogue:leave", json!({ "roomId": "lobby" })).await;
    assert_silent(&bob, "dialogue:presenceDiff").await;
    ask_ok(&alice2, "dialogue:leave", json!({ "roomId": "lobby" })).await;
    assert_eq!(
        next(&bob, "dialogue:presenceDiff").await,
        diff(
            json!([]),
            json!([{ "userId": "alice", "info": { "name": "Alice" } }]),
            json!([])
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_on_one_node_kicks_and_bans_a_member_on_another() {
    let redis = RedisServer::start(Persistence::Off);
    let (a, b) = (node(&redis, "60"), node(&redis, "60"));
    let maker = connect_user(&a.url, "maker").await;
    ask_ok(
        &maker,
        "dialogue:createRoom",
        json!({ "id": "party", "name": "Party" }),
    )
    .await;
    join_with(&maker, json!({ "roomId": "party" })).await;
    let guest = connect_user(&b.url, "guest").await;
    let other = connect_user(&b.url, "other").await;
    join_with(&guest, json!({ "roomId": "party" })).await;
    join_with(&other, json!({ "roomId": "party" })).await;
    // Only the host (maker, on A) may kick; B knows who the host is.
    let refused = ask(
        &other,
        "dialogue:kick",
        json!({ "roomId": "party", "userId": "guest" }),
    )
    .await;
    assert_eq!(refused["error"]["code"], "PERMISSION_DENIED", "{refused}");
    let kicked = ask(
        &maker,
        "dialogue:kick",
        json!({ "roomId": "party", "userId": "guest", "reason": "rude", "ban": true }),
    )
    .await;
    assert_eq!(kicked["ok"], true, "{kicked}");
    let notice = next(&guest, "dialogue:kicked").await;
    assert_eq!(notice, json!({ "roomId": "party", "reason": "rude" }));
    let gone = ask(
        &guest,
        "dialogue:trigger",
        json!({ "roomId": "party", "event": "x", "data": {} }),
    )
    .await;
    assert_eq!(gone["error"]["code"], "NOT_IN_ROOM", "{gone}");
    // Banned on every node.
    for url in [&a.url, &b.url] {
        let again = connect_user(url, "guest").await;
        let denied = ask(&again, "dialogue:join", json!({ "roomId": "party" })).await;
        assert_eq!(denied["error"]["code"], "JOIN_DENIED", "{denied}");
    }
    // The host passes to a member on B, who is told and may kick.
    ask_ok(
        &maker,
        "dialogue:transferHost",
        json!({ "roomId": "party", "userId": "other" }),
    )
    .await;
    let changed = next(&other, "dialogue:hostChanged").await;
    assert_eq!(changed, json!({ "roomId": "party", "hostId": "other" }));
    let kicked = ask(
        &other,
        "dialogue:kick",
        json!({ "roomId": "party", "userId": "maker" }),
    )
    .await;
    assert_eq!(kicked["ok"], true, "{kicked}");
    assert_eq!(next(&maker, "dialogue:kicked").await["roomId"], "party");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_nodes_users_leave_presence_after_the_grace_period() {
    let redis = RedisServer::start(Persistence::Off);
    let a = node(&redis, "1");
    let b = node(&redis, "1");
    let doomed = named(&a.url, "doomed", "Doomed").await;
    join_with(&doomed, json!({ "roomId": "lobby" })).await;
    let watcher = named(&b.url, "watcher", "Watcher").await;
    join_with(&watcher, json!({ "roomId": "lobby" })).await;
    let own = next(&watcher, "dialogue:presenceDiff").await;
    assert_eq!(own["joined"][0]["userId"], "watcher", "{own}");
    let killed_at = Instant::now();
    a.kill();
    let left = watcher
        .expect_event("dialogue:presenceDiff", Duration::from_secs(20))
        .await
        .expect("the dead node's user leaves presence");
    let waited = killed_at.elapsed();
    assert_eq!(
        left.args[0],
        diff(
            json!([]),
            json!([{ "userId": "doomed", "info": { "name": "Doomed" } }]),
            json!([])
        )
    );
    // Its last beat came up to 1 s before the kill: 5 s of silence and
    // the 1 s grace count from there.
    assert!(
        waited >= Duration::from_secs(5),
        "not before the node counts as dead and its grace ran out: {waited:?}"
    );
    let page = ask_ok(
        &watcher,
        "dialogue:getPresence",
        json!({ "roomId": "lobby" }),
    )
    .await;
    assert_eq!(page["count"], 1, "{page}");
}

/// The HTTP API on one node acts on what another node holds (defects 9 and
/// 10 of docs/reliability.md, found by the model-based test on two nodes):
/// an instance's presence and kick where its members are on the other node
/// (not in this node's memory: made and read from Redis before answering),
/// and closing a user's connections on every node.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backend_on_one_node_acts_on_members_and_connections_of_another() {
    const KEY: &str = "people-key";
    let redis = RedisServer::start(Persistence::Off);
    let start = || {
        ServerProcess::start(&[
            ("DIALOGUE_REDIS_URL", &redis.url()),
            ("DIALOGUE_API_KEY", KEY),
        ])
    };
    let (a, b) = (start(), start());
    let api = |method: &'static str, path: String, body: Option<Value>| {
        let url = format!("{}/api{path}", a.url);
        async move { support::http::send(method, &url, Some(KEY), body.as_ref()).await }
    };
    let writer = connect_user(&b.url, "writer").await;
    let reader = connect_user(&b.url, "reader").await;
    join_with(&writer, json!({ "roomId": "doc:plan" })).await;
    join_with(&reader, json!({ "roomId": "doc:plan" })).await;

    // A has never held doc:plan: its presence is read from Redis.
    let presence = api("GET", "/rooms/doc:plan/presence".into(), None).await;
    assert_eq!(presence.status, 200, "{}", presence.text);
    assert_eq!(presence.json["count"], 2, "{}", presence.text);

    // A kick there reaches the member on B.
    let kicked = api(
        "POST",
        "/rooms/doc:plan/kick".into(),
        Some(json!({ "userId": "reader" })),
    )
    .await;
    assert_eq!(kicked.status, 204, "{}", kicked.text);
    assert_eq!(next(&reader, "dialogue:kicked").await["roomId"], "doc:plan");

    // Closing the writer's connections on A closes the one on B.
    let closed = api("DELETE", "/users/writer/connections".into(), None).await;
    assert_eq!(closed.status, 204, "{}", closed.text);
    writer
        .wait_disconnected(WAIT)
        .await
        .expect("the writer's connection on the other node is closed");
    let presence = api("GET", "/rooms/doc:plan/presence".into(), None).await;
    let deadline = Instant::now() + WAIT;
    let mut presence = presence;
    while presence.json["count"] != 0 {
        assert!(Instant::now() < deadline, "{}", presence.text);
        tokio::time::sleep(Duration::from_millis(20)).await;
        presence = api("GET", "/rooms/doc:plan/presence".into(), None).await;
    }
    // The reader, not named, is still connected.
    ask_ok(&reader, "dialogue:listRooms", Value::Null).await;
}
