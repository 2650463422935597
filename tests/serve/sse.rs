//! Server-sent event streams (`GET /api/rooms/{id}/stream`, PROTOCOL.md
//! "Server-sent events"): the checks of a join without a seat, `id:
//! epoch:seq`, recovery with `Last-Event-ID` or `event: reset`.

use std::time::Duration;

use dialogue_client::Transport;
use serde_json::{Value, json};

use crate::harness::{Server, join, message, trigger};
use crate::support::conformance::ConformanceApp;
use crate::support::http::{SseMessage, open_stream};

const WAIT: Duration = Duration::from_secs(5);

async fn server() -> Server {
    let dialogue = ConformanceApp::server().api_key("k").build().unwrap();
    Server::serve(dialogue).await
}

fn envelope(message: &SseMessage) -> Value {
    serde_json::from_str(&message.data).unwrap_or_else(|e| panic!("{message:?}: {e}"))
}

#[tokio::test]
async fn a_stream_gets_the_rooms_events_with_their_positions_and_recovers() {
    let server = server().await;
    let alice = server.connect("alice", Transport::WebSocket).await;
    join(&alice, "chat").await;
    let url = format!("{}/api/rooms/chat/stream?userId=dashboard", server.url);
    let mut stream = open_stream(&url, &[]).await.expect("a stream");
    let first = trigger(&alice, "chat", "message", message("one")).await;
    // A typing event: not among chat's default subscriptions.
    trigger(&alice, "chat", "typing", json!({ "isTyping": true })).await;
    let second = trigger(&alice, "chat", "message", message("two")).await;
    let got = stream.next(WAIT).await.expect("the first event");
    assert_eq!(envelope(&got), first, "the envelope as members get it");
    let id = got.id.clone().expect("an id");
    let (epoch, seq) = id.rsplit_once(':').expect("epoch:seq");
    assert_eq!(seq, first["seq"].to_string());
    let got = stream.next(WAIT).await.expect("the second event");
    assert_eq!(
        envelope(&got)["data"]["text"],
        "two",
        "typing is not subscribed"
    );
    assert_eq!(
        got.id.as_deref(),
        Some(format!("{epoch}:{}", second["seq"]).as_str())
    );
    drop(stream);

    // Missed while away: replayed from Last-Event-ID, then live.
    let third = trigger(&alice, "chat", "message", message("three")).await;
    let last = format!("{epoch}:{}", first["seq"]);
    let mut stream = open_stream(&url, &[("last-event-id", &last)])
        .await
        .expect("a stream");
    let texts: Vec<Value> = [
        stream.next(WAIT).await.expect("replayed"),
        stream.next(WAIT).await.expect("replayed"),
    ]
    .iter()
    .map(|m| envelope(m)["data"]["text"].clone())
    .collect();
    assert_eq!(texts, [json!("two"), json!("three")]);
    let fourth = trigger(&alice, "chat", "message", message("four")).await;
    let live = stream.next(WAIT).await.expect("live");
    assert_eq!(envelope(&live)["seq"], fourth["seq"]);
    assert_eq!(third["data"]["text"], "three");
    drop(stream);

    // A position the room no longer holds: a reset, then live.
    let mut latest = fourth["seq"].clone();
    for bogus in ["other-epoch:3".to_owned(), "garbage".to_owned()] {
        let mut stream = open_stream(&url, &[("last-event-id", &bogus)])
            .await
            .expect("a stream");
        let reset = stream.next(WAIT).await.expect("a reset");
        assert_eq!(reset.event.as_deref(), Some("reset"), "{reset:?}");
        let data = envelope(&reset);
        assert_eq!(data["roomId"], "chat");
        assert_eq!(data["position"]["seq"], latest);
        assert_eq!(reset.id, Some(format!("{epoch}:{latest}")));
        let next = trigger(&alice, "chat", "message", message("after the reset")).await;
        assert_eq!(
            envelope(&stream.next(WAIT).await.expect("live"))["seq"],
            next["seq"]
        );
        latest = next["seq"].clone();
    }
}

/// A graceful shutdown ends the open streams, and `serve` returns (defect
/// 11 of docs/reliability.md: an endless stream kept its connection, and
/// `serve` with it, past the shutdown).
#[tokio::test]
async fn a_shutdown_ends_the_streams_and_serve_returns() {
    let server = server().await;
    let url = format!("{}/api/rooms/chat/stream?userId=dashboard", server.url);
    let mut stream = open_stream(&url, &[]).await.expect("a stream");
    tokio::time::timeout(WAIT, server.dialogue.shutdown())
        .await
        .expect("the shutdown ends in time");
    tokio::time::timeout(WAIT, server.serving)
        .await
        .expect("serve returns once the streams ended")
        .expect("the task ends well")
        .expect("served without error");
    assert_eq!(stream.next(WAIT).await, None, "the stream ended");
}

#[tokio::test]
async fn a_stream_passes_the_checks_of_a_join_but_takes_no_seat() {
    let server = server().await;
    let base = format!("{}/api/rooms", server.url);
    // No seat: a full room still streams.
    let a = server.connect("a", Transport::WebSocket).await;
    let b = server.connect("b", Transport::WebSocket).await;
    join(&a, "small").await;
    join(&b, "small").await;
    let mut stream = open_stream(&format!("{base}/small/stream?userId=watcher"), &[])
        .await
        .expect("a stream into a full room");
    let sent = trigger(&a, "small", "message", message("hi")).await;
    assert_eq!(
        envelope(&stream.next(WAIT).await.unwrap())["seq"],
        sent["seq"]
    );
    assert_eq!(
        server.dialogue.room_by_id("small").unwrap().size(),
        2,
        "no seat taken"
    );
    // Errors: the code in the body, with the status of the code.
    let refused = open_stream(&format!("{base}/nowhere/stream?userId=u"), &[])
        .await
        .err()
        .unwrap();
    assert_eq!(
        (refused.status, refused.json["error"]["code"].clone()),
        (404, json!("ROOM_NOT_FOUND"))
    );
    let refused = open_stream(
        &format!("{base}/chat/stream?userId=u&events=order:updated"),
        &[],
    )
    .await
    .err()
    .unwrap();
    assert_eq!(
        (refused.status, refused.json["error"]["code"].clone()),
        (400, json!("EVENT_NOT_ALLOWED"))
    );
    // A secret, a ban: as a join.
    server
        .dialogue
        .create_room(dialogue_runtime::RoomOptions::new("vault", "Vault").secret("s"))
        .await
        .unwrap();
    let refused = open_stream(&format!("{base}/vault/stream?userId=u"), &[])
        .await
        .err()
        .unwrap();
    assert_eq!(
        (refused.status, refused.json["error"]["code"].clone()),
        (403, json!("JOIN_DENIED"))
    );
    assert!(
        open_stream(&format!("{base}/vault/stream?userId=u&secret=s"), &[])
            .await
            .is_ok()
    );
    server
        .dialogue
        .room_by_id("vault")
        .unwrap()
        .kick("mallory", None, true)
        .await
        .unwrap();
    let refused = open_stream(&format!("{base}/vault/stream?userId=mallory&secret=s"), &[])
        .await
        .err()
        .unwrap();
    assert_eq!(refused.status, 403);
    // Another user's per-user room does not exist here; a template instance
    // is made by its stream.
    assert!(
        open_stream(&format!("{base}/doc:streamed/stream?userId=u"), &[])
            .await
            .is_ok()
    );
    assert!(server.dialogue.room_by_id("doc:streamed").is_some());
}

#[tokio::test]
async fn with_authentication_a_stream_needs_a_valid_token() {
    let dialogue = ConformanceApp::server()
        .api_key("k")
        .jwt(dialogue_runtime::JwtAuth::hs256(
            "a-secret-of-32-bytes-at-least!!!",
        ))
        .build()
        .unwrap();
    let server = Server::serve(dialogue).await;
    let base = format!("{}/api/rooms/chat/stream", server.url);
    for query in ["", "?userId=alice", "?token=not-a-jwt"] {
        let refused = open_stream(&format!("{base}{query}"), &[])
            .await
            .err()
            .unwrap();
        assert_eq!(
            (refused.status, refused.json["error"]["code"].clone()),
            (401, json!("UNAUTHORIZED")),
            "{query}"
        );
    }
}

/// The page of the browser test: an EventSource on `chat`, recording what
/// it receives, how often it opened, failed and was reset.
const PAGE: &str = r#"<!doctype html>
<meta charset="utf-8"><title>stream</title>
<script>
  window.received = []; window.opens = 0; window.errors = 0; window.resets = 0;
  const source = new EventSource("/api/rooms/chat/stream?userId=viewer");
  source.onopen = () => { window.opens += 1; };
  source.onerror = () => { window.errors += 1; };
  source.onmessage = (e) => {
    const m = JSON.parse(e.data);
    window.received.push({ text: m.data.text, seq: m.seq, id: e.lastEventId });
  };
  source.addEventListener("reset", () => { window.resets += 1; });
</script>
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_source_in_chromium_reconnects_by_itself_and_misses_nothing() {
    use std::path::Path;
    use std::sync::Arc;

    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
    assert!(
        Path::new(&chromium).is_file(),
        "{chromium} is missing: install Debian's chromium (.ci/run does)"
    );
    let e2e = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e");
    assert!(
        e2e.join("node_modules/playwright-core").is_dir(),
        "run `npm ci` in tests/e2e (.ci/run does)"
    );
    let dialogue = ConformanceApp::server().api_key("k").build().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let proxy = Arc::new(crate::support::proxy::FaultProxy::start(address).await);
    let cutter = proxy.clone();
    let app = axum::Router::new()
        .route(
            "/sse.html",
            axum::routing::get(|| async { axum::response::Html(PAGE) }),
        )
        .route(
            "/test/cut",
            axum::routing::post(move || {
                cutter.cut();
                async { "cut" }
            }),
        )
        .merge(dialogue.router());
    let serving = dialogue.clone();
    tokio::spawn(async move { serving.serve_router(listener, app).await });

    let server_url = format!("http://{address}");
    let page_url = proxy.url();
    let outcome = tokio::task::spawn_blocking(move || {
        let mut node = std::process::Command::new("node");
        node.args(["--test", "--test-reporter=spec", "sse.browser.mjs"])
            .current_dir(&e2e)
            .env("PAGE_URL", page_url)
            .env("SERVER_URL", server_url)
            .env("API_KEY", "k")
            .env("CHROMIUM", chromium)
            .env("NO_COLOR", "1");
        crate::support::process::run(&mut node, Duration::from_secs(120), "node sse.browser.mjs")
    })
    .await
    .unwrap();
    dialogue.shutdown().await;
    assert!(
        outcome.status.is_some_and(|status| status.success()),
        "the browser test failed:\n{}\n{}",
        outcome.stdout,
        outcome.stderr
    );
}
