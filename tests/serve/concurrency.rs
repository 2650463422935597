//! Concurrency: hundreds of real connections racing for the same room,
//! room ids, and deletions, and many senders at once.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use dialogue_client::{Client, Transport};
use dialogue_runtime::RoomOptions;
use serde_json::{Value, json};
use tokio::task::JoinSet;

use crate::harness::{Server, WAIT, ask, ask_ok, drain_events, eventually, join, message};
use crate::support::conformance::ConformanceApp;

/// How long a whole race may take: generous, since it only bounds a hang.
const RACE: Duration = Duration::from_secs(60);

/// Connects `count` WebSocket clients at once; the `n`th is user `joiner-n`.
async fn crowd(server: &Server, count: usize) -> Vec<Arc<Client>> {
    let mut connecting = JoinSet::new();
    for n in 0..count {
        let url = server.url.clone();
        connecting.spawn(async move {
            let client = dialogue_client::ClientBuilder::new(&url)
                .transport(Transport::WebSocket)
                .auth(json!({ "userId": format!("joiner-{n}") }))
                .connect_timeout(crate::harness::WAIT)
                .connect()
                .await
                .expect("connects");
            let greeting = client
                .expect_event("dialogue:connected", crate::harness::WAIT)
                .await;
            assert!(greeting.is_ok(), "greeted: {greeting:?}");
            (n, Arc::new(client))
        });
    }
    let mut clients = connecting.join_all().await;
    clients.sort_by_key(|(n, _)| *n);
    clients.into_iter().map(|(_, client)| client).collect()
}

/// Every client asks to join `room` at the same moment; returns each
/// answer with the user who got it.
async fn race_to_join(clients: &[Arc<Client>], room: &str) -> Vec<(String, Value)> {
    let start = Arc::new(tokio::sync::Barrier::new(clients.len()));
    let mut joining = JoinSet::new();
    for (n, client) in clients.iter().enumerate() {
        let client = client.clone();
        let start = start.clone();
        let room = room.to_owned();
        joining.spawn(async move {
            start.wait().await;
            let answer = ask(&client, "dialogue:join", json!({ "roomId": room })).await;
            (format!("joiner-{n}"), answer)
        });
    }
    joining.join_all().await
}

/// Races 200 joiners into a room of `capacity` and checks that exactly
/// `capacity` got in, and that they are the room's members; returns the
/// clients, still connected.
async fn exactly_capacity_get_in(server: &Server, room: &str, capacity: usize) -> Vec<Arc<Client>> {
    let clients = crowd(server, 200).await;
    let answers = race_to_join(&clients, room).await;
    let admitted = answers.iter().filter(|(_, a)| a["ok"] == true).count();
    let full = answers
        .iter()
        .filter(|(_, a)| a["ok"] == false && a["error"]["code"] == "ROOM_FULL")
        .count();
    assert_eq!(admitted, capacity, "admitted");
    assert_eq!(full, 200 - capacity, "refused with ROOM_FULL");
    let handle = server.dialogue.room_by_id(room).unwrap();
    assert_eq!(handle.size(), capacity);
    let mut admitted: Vec<&str> = answers
        .iter()
        .filter(|(_, a)| a["ok"] == true)
        .map(|(user, _)| user.as_str())
        .collect();
    admitted.sort_unstable();
    let mut participants: Vec<String> = handle
        .participants()
        .iter()
        .map(|c| c.user_id().to_owned())
        .collect();
    participants.sort_unstable();
    assert_eq!(participants, admitted, "the members are those told `ok`");
    let members: usize = server
        .dialogue
        .get_all_clients()
        .iter()
        .filter(|client| client.rooms().iter().any(|r| r == room))
        .count();
    assert_eq!(members, capacity, "clients that count themselves members");
    clients
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_concurrent_joiners_never_overfill_small() {
    let server = Server::start().await;
    let clients = tokio::time::timeout(RACE, exactly_capacity_get_in(&server, "small", 2))
        .await
        .expect("bounded");
    assert_eq!(server.dialogue.room(ConformanceApp::small()).size(), 2);
    for client in &clients {
        client.disconnect().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_concurrent_joiners_fill_a_room_of_fifty_exactly() {
    let server = Server::start().await;
    server
        .dialogue
        .create_room(RoomOptions::new("fifty", "Fifty").max_size(50))
        .await
        .unwrap();
    let clients = tokio::time::timeout(RACE, exactly_capacity_get_in(&server, "fifty", 50))
        .await
        .expect("bounded");
    let fifty = server.dialogue.room_by_id("fifty").unwrap();
    assert!(fifty.is_full());
    // The members' places free up as they go.
    for client in &clients {
        client.disconnect().await;
    }
    eventually("fifty empties", || fifty.size() == 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_creates_of_one_id_admit_exactly_one() {
    let server = Server::start().await;
    let raced = tokio::time::timeout(RACE, async {
        let clients = crowd(&server, 50).await;
        let start = Arc::new(tokio::sync::Barrier::new(clients.len()));
        let mut creating = JoinSet::new();
        for client in &clients {
            let client = client.clone();
            let start = start.clone();
            creating.spawn(async move {
                start.wait().await;
                ask(
                    &client,
                    "dialogue:createRoom",
                    json!({ "id": "contested", "name": "Contested" }),
                )
                .await
            });
        }
        let answers = creating.join_all().await;
        let created: Vec<&Value> = answers.iter().filter(|a| a["ok"] == true).collect();
        assert_eq!(created.len(), 1, "one creator");
        let exists = answers
            .iter()
            .filter(|a| a["error"]["code"] == "ROOM_EXISTS")
            .count();
        assert_eq!(exists, 49);
        let creator = created[0]["room"]["createdById"]
            .as_str()
            .unwrap()
            .to_owned();
        let room = server.dialogue.room_by_id("contested").unwrap();
        assert_eq!(room.created_by(), Some(creator.as_str()));
        // Everyone heard of one creation only.
        for client in &clients {
            let heard = client
                .expect_event("dialogue:roomCreated", WAIT)
                .await
                .unwrap();
            assert_eq!(heard.args[0]["createdById"], creator.as_str());
            assert!(
                client
                    .expect_event("dialogue:roomCreated", Duration::ZERO)
                    .await
                    .is_err()
            );
        }
    })
    .await;
    assert!(raced.is_ok(), "bounded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn joins_racing_a_deletion_leave_no_member_behind() {
    let server = Server::start().await;
    let raced = tokio::time::timeout(RACE, async {
        let clients = crowd(&server, 100).await;
        server
            .dialogue
            .create_room(RoomOptions::new("fleeting", "Fleeting"))
            .await
            .unwrap();
        let start = Arc::new(tokio::sync::Barrier::new(clients.len() + 1));
        let mut joining = JoinSet::new();
        for client in &clients {
            let client = client.clone();
            let start = start.clone();
            joining.spawn(async move {
                start.wait().await;
                ask(&client, "dialogue:join", json!({ "roomId": "fleeting" })).await
            });
        }
        start.wait().await;
        tokio::task::yield_now().await;
        server.dialogue.delete_room("fleeting").await.unwrap();
        let answers = joining.join_all().await;
        for answer in &answers {
            let fine = answer["ok"] == true || answer["error"]["code"] == "ROOM_NOT_FOUND";
            assert!(fine, "{answer}");
        }
        // Whoever got in before the deletion was removed by it.
        for handle in server.dialogue.get_all_clients() {
            assert!(
                handle.rooms().is_empty(),
                "{} kept {:?}",
                handle.user_id(),
                handle.rooms()
            );
        }
        assert!(server.dialogue.room_by_id("fleeting").is_none());
        for client in &clients {
            let deleted = client
                .expect_event("dialogue:roomDeleted", WAIT)
                .await
                .unwrap();
            assert_eq!(deleted.args[0]["roomId"], "fleeting");
        }
        // A room made again under the same id reaches its own members only:
        // no socket of the old room is left in its fan-out keys, even one
        // whose join finished after the deletion left them.
        let again = server
            .dialogue
            .create_room(RoomOptions::new("fleeting", "Fleeting again"))
            .await
            .unwrap();
        let (member, others) = clients.split_first().unwrap();
        ask_ok(member, "dialogue:join", json!({ "roomId": "fleeting" })).await;
        again
            .trigger_json("ping", json!({ "n": 1 }), None)
            .await
            .unwrap();
        let seen = drain_events(member).await;
        assert_eq!(seen.len(), 1, "{seen:?}");
        let mut quiet = JoinSet::new();
        for other in others {
            let other = other.clone();
            quiet.spawn(async move { drain_events(&other).await });
        }
        for events in quiet.join_all().await {
            assert_eq!(events, Vec::<Value>::new());
        }
    })
    .await;
    assert!(raced.is_ok(), "bounded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_senders_at_once_are_all_delivered_once_and_kept_in_order() {
    let server = Server::start().await;
    let raced = tokio::time::timeout(RACE, async {
        let senders = crowd(&server, 20).await;
        let observer = server.connect("observer", Transport::Polling).await;
        join(&observer, "chat").await;
        for sender in &senders {
            join(sender, "chat").await;
        }
        let start = Arc::new(tokio::sync::Barrier::new(senders.len()));
        let mut sending = JoinSet::new();
        for (n, sender) in senders.iter().enumerate() {
            let sender = sender.clone();
            let start = start.clone();
            sending.spawn(async move {
                start.wait().await;
                for k in 0..5 {
                    let data = message(&format!("{n}/{k}"));
                    ask_ok(
                        &sender,
                        "dialogue:trigger",
                        json!({ "roomId": "chat", "event": "message", "data": data }),
                    )
                    .await;
                }
            });
        }
        sending.join_all().await;
        let received = drain_events(&observer).await;
        let mut texts: Vec<String> = received
            .iter()
            .map(|e| e["data"]["text"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(texts.len(), 100, "each once");
        texts.sort();
        texts.dedup();
        assert_eq!(texts.len(), 100, "no duplicates");

        // History holds all of them; each sender's in the order it sent them.
        let page = ask_ok(
            &observer,
            "dialogue:getHistory",
            json!({ "roomId": "chat", "eventName": "message", "start": 0, "end": 100 }),
        )
        .await;
        let mut per_sender: HashMap<String, Vec<u32>> = HashMap::new();
        for event in page["events"].as_array().unwrap().iter().rev() {
            let text = event["data"]["text"].as_str().unwrap();
            let (sender, k) = text.split_once('/').unwrap();
            per_sender
                .entry(sender.to_owned())
                .or_default()
                .push(k.parse().unwrap());
        }
        assert_eq!(per_sender.len(), 20);
        for (sender, order) in per_sender {
            assert_eq!(order, [0, 1, 2, 3, 4], "sender {sender}");
        }
        let stamps: Vec<u64> = page["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["timestamp"].as_u64().unwrap())
            .collect();
        assert!(stamps.windows(2).all(|w| w[0] >= w[1]), "newest first");
        assert_eq!(server.dialogue.room(ConformanceApp::chat()).size(), 21);
    })
    .await;
    assert!(raced.is_ok(), "bounded");
}

/// docs/protocol.md: on success the server emits `dialogue:connected` "before
/// anything else", even while it broadcasts to everyone (`roomCreated` and
/// `roomDeleted` go to every connected client).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_greeting_comes_first_even_amid_broadcasts() {
    let server = Server::start().await;
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let churn = {
        let dialogue = server.dialogue.clone();
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut n = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let id = format!("churn-{n}");
                dialogue
                    .create_room(RoomOptions::new(&id, "Churn"))
                    .await
                    .unwrap();
                dialogue.delete_room(&id).await.unwrap();
                n += 1;
                tokio::task::yield_now().await;
            }
            n
        })
    };
    let raced = tokio::time::timeout(RACE, async {
        let mut connecting = JoinSet::new();
        for n in 0..100 {
            let url = server.url.clone();
            let transport = if n % 2 == 0 {
                Transport::WebSocket
            } else {
                Transport::Polling
            };
            connecting.spawn(async move {
                let client = dialogue_client::ClientBuilder::new(&url)
                    .transport(transport)
                    .auth(json!({ "userId": format!("u{n}") }))
                    .connect_timeout(WAIT)
                    .connect()
                    .await
                    .expect("connects");
                let first = client.recv_timeout(WAIT).await.expect("an event");
                client.disconnect().await;
                (n, first.name)
            });
        }
        connecting.join_all().await
    })
    .await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let broadcasts = churn.await.unwrap();
    let firsts = raced.expect("bounded");
    assert!(broadcasts > 0, "the server broadcast meanwhile");
    let wrong: Vec<&(i32, String)> = firsts
        .iter()
        .filter(|(_, name)| name != "dialogue:connected")
        .collect();
    assert!(wrong.is_empty(), "greeted after something else: {wrong:?}");
}
