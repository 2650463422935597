//! Rooms created at run time on several nodes (docs/scaling.md): made or
//! deleted on one node, they exist or vanish on all, every client hears of
//! each change once, one creation of an id wins across nodes, and a node
//! started later knows the rooms made before it.

mod support;

use serde_json::{Value, json};
use support::redis_server::{Persistence, RedisServer};
use support::server_process::ServerProcess;
use support::wire::{ask, ask_ok, assert_none_queued, connect_user, join_with, next, settle};

fn node(redis: &RedisServer) -> ServerProcess {
    ServerProcess::start(&[("DIALOGUE_REDIS_URL", &redis.url())])
}

fn room_ids(rooms: &Value) -> Vec<String> {
    rooms["rooms"]
        .as_array()
        .expect("a room list")
        .iter()
        .map(|room| room["id"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rooms_made_or_deleted_on_one_node_exist_or_vanish_on_all() {
    let redis = RedisServer::start(Persistence::Off);
    let (a, b) = (node(&redis), node(&redis));
    let maker = connect_user(&a.url, "maker").await;
    let guest = connect_user(&b.url, "guest").await;
    let watcher = connect_user(&b.url, "watcher").await;
    let made = ask_ok(
        &maker,
        "dialogue:createRoom",
        json!({ "id": "game", "name": "Game", "maxSize": 3 }),
    )
    .await;
    assert_eq!(made["room"]["id"], "game", "{made}");
    // At once on B, before B may have heard of it: the join finds it.
    let joined = join_with(&guest, json!({ "roomId": "game" })).await;
    assert_eq!(joined["roomId"], "game");
    // Every client hears of it once, on either node.
    for client in [&maker, &guest, &watcher] {
        let created = next(client, "dialogue:roomCreated").await;
        assert_eq!(created["id"], "game", "{created}");
        assert_eq!(created["maxSize"], 3, "{created}");
        assert_none_queued(client, "dialogue:roomCreated").await;
    }
    let listed = ask_ok(&watcher, "dialogue:listRooms", Value::Null).await;
    assert!(room_ids(&listed).contains(&"game".to_owned()), "{listed}");
    // One room: an event sent on B reaches its member on A.
    join_with(&maker, json!({ "roomId": "game" })).await;
    let sent = ask(
        &guest,
        "dialogue:trigger",
        json!({ "roomId": "game", "event": "move", "data": { "x": 1 } }),
    )
    .await;
    assert_eq!(sent["ok"], true, "{sent}");
    let event = next(&maker, "dialogue:event").await;
    assert_eq!(event["data"]["x"], 1, "{event}");

    // Deleted on A by its creator: gone on B, its member there removed.
    let deleted = ask(&maker, "dialogue:deleteRoom", json!({ "roomId": "game" })).await;
    assert_eq!(deleted["ok"], true, "{deleted}");
    for client in [&maker, &guest, &watcher] {
        let gone = next(client, "dialogue:roomDeleted").await;
        assert_eq!(gone["roomId"], "game", "{gone}");
        assert_none_queued(client, "dialogue:roomDeleted").await;
    }
    let refused = ask(
        &guest,
        "dialogue:trigger",
        json!({ "roomId": "game", "event": "move", "data": { "x": 2 } }),
    )
    .await;
    assert_eq!(refused["error"]["code"], "ROOM_NOT_FOUND", "{refused}");
    let listed = ask_ok(&watcher, "dialogue:listRooms", Value::Null).await;
    assert!(!room_ids(&listed).contains(&"game".to_owned()), "{listed}");
    // The id is free again, on any node.
    let again = ask_ok(
        &guest,
        "dialogue:createRoom",
        json!({ "id": "game", "name": "Game again" }),
    )
    .await;
    assert_eq!(again["room"]["name"], "Game again", "{again}");
    // And at once open to joins on every node: the deleted room's closed
    // mark is not the new room's.
    for client in [&maker, &watcher] {
        let joined = join_with(client, json!({ "roomId": "game" })).await;
        assert_eq!(joined["roomId"], "game");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_creation_of_an_id_wins_across_nodes() {
    let redis = RedisServer::start(Persistence::Off);
    let (a, b) = (node(&redis), node(&redis));
    let mut clients = Vec::new();
    for n in 0..10 {
        clients.push(connect_user(&a.url, &format!("a{n}")).await);
        clients.push(connect_user(&b.url, &format!("b{n}")).await);
    }
    let answers = futures_util::future::join_all(clients.iter().map(|client| {
        ask(
            client,
            "dialogue:createRoom",
            json!({ "id": "contested", "name": "Contested" }),
        )
    }))
    .await;
    let made = answers.iter().filter(|a| a["ok"] == true).count();
    let exists = answers
        .iter()
        .filter(|a| a["error"]["code"] == "ROOM_EXISTS")
        .count();
    assert_eq!((made, exists), (1, 19), "{answers:?}");
    for client in &clients {
        settle(client).await;
        let created = next(client, "dialogue:roomCreated").await;
        assert_eq!(created["id"], "contested");
        assert_none_queued(client, "dialogue:roomCreated").await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_started_later_knows_the_rooms_made_before_it() {
    let redis = RedisServer::start(Persistence::Off);
    let a = node(&redis);
    let maker = connect_user(&a.url, "maker").await;
    ask_ok(
        &maker,
        "dialogue:createRoom",
        json!({ "id": "early", "name": "Early", "maxSize": 1 }),
    )
    .await;
    join_with(&maker, json!({ "roomId": "early" })).await;
    let b = node(&redis);
    let late = connect_user(&b.url, "late").await;
    let listed = ask_ok(&late, "dialogue:listRooms", Value::Null).await;
    assert!(room_ids(&listed).contains(&"early".to_owned()), "{listed}");
    // With its options: `maxSize` 1 holds across nodes.
    let full = ask(&late, "dialogue:join", json!({ "roomId": "early" })).await;
    assert_eq!(full["error"]["code"], "ROOM_FULL", "{full}");
}
