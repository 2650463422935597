//! `on_cleanup` receives history as memory drops it, one event at a time,
//! oldest first; `on_load` answers the pages past memory, its indices
//! counting from the newest event not in memory (docs/hooks.md, "History
//! past memory"). `message` keeps 3 per room in memory.

use std::sync::{Arc, Mutex, PoisonError};

use dialogue_client::Transport;
use dialogue_runtime::{EventMessage, HookError};
use serde_json::json;

use crate::app::ControlApp;
use crate::harness::{
    FORMS, Log, Server, ask, ask_ok, builder, eventually, join, message, refused, texts, trigger,
};
use crate::support::redis_server::{Persistence, RedisServer};
use dialogue_runtime::DialogueBuilder;

/// What `on_cleanup` stored, oldest first: the "database".
type Archive = Arc<Mutex<Vec<EventMessage>>>;

fn stored(archive: &Archive) -> Vec<EventMessage> {
    archive
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone()
}

async fn archiving_server(log: &Log, archive: &Archive) -> Server {
    archiving_server_on(builder(), log, archive).await
}

/// `builder` with the archive's `on_cleanup` and `on_load`.
async fn archiving_server_on(
    builder: DialogueBuilder<ControlApp>,
    log: &Log,
    archive: &Archive,
) -> Server {
    let (l, a) = (log.clone(), archive.clone());
    let b = builder.on_cleanup(move |_, evicted| {
        let (l, a) = (l.clone(), a.clone());
        async move {
            for event in &evicted.events {
                l.push(format!(
                    "on_cleanup:{}:{}:{}:{}",
                    evicted.room_id,
                    evicted.event_name,
                    evicted.events.len(),
                    event.data["text"].as_str().unwrap_or_default()
                ));
            }
            a.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .extend(evicted.events);
        }
    });
    let (l, a) = (log.clone(), archive.clone());
    let b = b.on_load(move |_, request| {
        let (l, a) = (l.clone(), a.clone());
        async move {
            l.push(format!(
                "on_load:{}:{}:{}:{}",
                request.room_id, request.event_name, request.start, request.end
            ));
            let archive = a.lock().unwrap_or_else(PoisonError::into_inner).clone();
            if request.room_id == "sandbox" {
                return Err(HookError::fail("the archive is offline"));
            }
            // Newest first, from `start` to `end`.
            Ok(archive
                .iter()
                .rev()
                .skip(request.start as usize)
                .take((request.end - request.start) as usize)
                .cloned()
                .collect())
        }
    });
    Server::start(b).await
}

fn page(start: u64, end: u64) -> serde_json::Value {
    json!({ "roomId": "lobby", "eventName": "message", "start": start, "end": end })
}

#[tokio::test]
async fn cleanup_gets_what_memory_drops_and_load_pages_past_it() {
    let log = Log::default();
    let archive = Archive::default();
    let server = archiving_server(&log, &archive).await;
    cleanup_and_load(&server, &log, &archive).await;
}

/// The same with history in Redis (several nodes): what Redis drops from
/// an event's history reaches `on_cleanup`, and `on_load` pages past it.
#[tokio::test]
async fn cleanup_and_load_work_the_same_with_history_in_redis() {
    let redis = RedisServer::start(Persistence::Off);
    let log = Log::default();
    let archive = Archive::default();
    let server = archiving_server_on(builder().redis(redis.url()), &log, &archive).await;
    cleanup_and_load(&server, &log, &archive).await;
}

/// 7 messages into `lobby`, which keeps 3: the 4 oldest reach `on_cleanup`
/// one at a time, and pages past the 3 come from `on_load`.
async fn cleanup_and_load(server: &Server, log: &Log, archive: &Archive) {
    let alice = server.connect("alice", Transport::WebSocket).await;
    join(&alice, "lobby").await;
    for n in 0..7 {
        trigger(&alice, "lobby", "message", message(&format!("m{n}"))).await;
    }
    // 7 sent, 3 kept: m0 to m3 were evicted, in order, one per call.
    eventually("four events are archived", || stored(archive).len() == 4).await;
    assert_eq!(
        log.entries(),
        [
            "on_cleanup:lobby:message:1:m0",
            "on_cleanup:lobby:message:1:m1",
            "on_cleanup:lobby:message:1:m2",
            "on_cleanup:lobby:message:1:m3",
        ]
    );
    assert!(
        stored(archive)
            .iter()
            .all(|e| e.from == "alice" && e.room_id == "lobby")
    );
    log.clear();

    // Within memory: no on_load.
    let answer = ask_ok(&alice, "dialogue:getHistory", page(0, 3)).await;
    assert_eq!(texts(&answer["events"]), ["m6", "m5", "m4"]);
    assert_eq!(log.entries(), Vec::<String>::new());

    // Across memory and the archive.
    let answer = ask_ok(&alice, "dialogue:getHistory", page(0, 10)).await;
    assert_eq!(
        texts(&answer["events"]),
        ["m6", "m5", "m4", "m3", "m2", "m1", "m0"]
    );
    assert_eq!(
        (answer["start"].as_u64(), answer["end"].as_u64()),
        (Some(0), Some(10))
    );
    // Entirely past memory, indices counted from the newest evicted event.
    let answer = ask_ok(&alice, "dialogue:getHistory", page(4, 6)).await;
    assert_eq!(texts(&answer["events"]), ["m2", "m1"]);
    assert_eq!(
        log.entries(),
        ["on_load:lobby:message:0:7", "on_load:lobby:message:1:3"]
    );
    // The envelopes come back as they were sent.
    assert_eq!(answer["events"][0]["from"], "alice");
    assert_eq!(answer["events"][0]["roomId"], "lobby");
}

#[tokio::test]
async fn a_failing_on_load_is_internal_and_memory_still_answers() {
    let log = Log::default();
    let archive = Archive::default();
    let server = archiving_server(&log, &archive).await;
    let alice = server.connect("alice", Transport::Polling).await;
    join(&alice, "sandbox").await;
    for n in 0..5 {
        trigger(&alice, "sandbox", "message", message(&format!("s{n}"))).await;
    }
    eventually("two events are archived", || stored(&archive).len() == 2).await;
    let past = json!({ "roomId": "sandbox", "eventName": "message", "start": 0, "end": 5 });
    for form in FORMS {
        let error = refused(
            &alice,
            form,
            "INTERNAL",
            "dialogue:getHistory",
            past.clone(),
        )
        .await;
        assert!(
            !error["message"].as_str().unwrap().contains("offline"),
            "{error}"
        );
    }
    let recent = json!({ "roomId": "sandbox", "eventName": "message", "start": 0, "end": 3 });
    let answer = ask(&alice, "dialogue:getHistory", recent).await;
    assert_eq!(texts(&answer["events"]), ["s4", "s3", "s2"]);
}
