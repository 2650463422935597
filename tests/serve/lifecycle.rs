//! Lifecycle: disconnection, the router next to the application's own
//! routes, and shutdown.

use axum::Router;
use axum::routing::get;
use dialogue_client::{ClientBuilder, Transport};
use dialogue_runtime::ServeError;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::harness::{
    Server, TRANSPORTS, WAIT, assert_usable, eventually, join, message, next, trigger,
};
use crate::support::conformance::ConformanceApp;

#[tokio::test]
async fn a_disconnecting_client_leaves_its_rooms() {
    let server = Server::start().await;
    let chat = server.dialogue.room(ConformanceApp::chat());
    let small = server.dialogue.room(ConformanceApp::small());
    for transport in TRANSPORTS {
        let alice = server.connect("alice", transport).await;
        let bob = server.connect("bob", transport).await;
        for client in [&alice, &bob] {
            join(client, "chat").await;
            join(client, "small").await;
        }
        assert_eq!((chat.size(), small.size()), (2, 2));
        alice.disconnect().await;
        eventually("alice's rooms shrink and she is forgotten", || {
            chat.size() == 1 && small.size() == 1 && server.dialogue.get_clients("alice").is_empty()
        })
        .await;
        let members: Vec<String> = chat
            .participants()
            .iter()
            .map(|c| c.user_id().to_owned())
            .collect();
        assert_eq!(members, ["bob"]);
        // The room is usable, and small has room again.
        trigger(&bob, "chat", "message", message("alone")).await;
        let carol = server.connect("carol", transport).await;
        join(&carol, "small").await;
        for client in [bob, carol] {
            client.disconnect().await;
        }
        eventually("everyone is gone", || chat.size() == 0 && small.size() == 0).await;
    }
}

#[tokio::test]
async fn a_dropped_client_keeps_its_seat_for_the_grace_period_then_leaves() {
    let grace = std::time::Duration::from_millis(400);
    let dialogue = ConformanceApp::server()
        .resume_grace(grace)
        .build()
        .unwrap();
    let server = Server::serve(dialogue).await;
    let chat = server.dialogue.room(ConformanceApp::chat());
    for transport in TRANSPORTS {
        let alice = server.connect("alice", transport).await;
        join(&alice, "chat").await;
        assert_eq!(chat.size(), 1);
        // No goodbye: the connection just goes.
        drop(alice);
        eventually("the dropped connection is gone", || {
            server.dialogue.get_all_clients().is_empty()
        })
        .await;
        assert_eq!(chat.size(), 1, "its session, held, keeps the seat");
        eventually("the held session ends with the grace period", || {
            chat.size() == 0
        })
        .await;
    }
}

#[tokio::test]
async fn a_client_that_says_goodbye_leaves_at_once() {
    let server = Server::start().await;
    let chat = server.dialogue.room(ConformanceApp::chat());
    for transport in TRANSPORTS {
        let alice = server.connect("alice", transport).await;
        join(&alice, "chat").await;
        assert_eq!(chat.size(), 1);
        alice.disconnect().await;
        eventually("the client and its seat are gone", || {
            chat.size() == 0 && server.dialogue.get_all_clients().is_empty()
        })
        .await;
    }
}

/// `GET path` over a fresh connection; the status line and the body.
async fn http_get(address: &str, path: &str) -> (String, String) {
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connects");
    let request = format!("GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    tokio::time::timeout(WAIT, stream.read_to_string(&mut response))
        .await
        .expect("answered in time")
        .unwrap();
    let status = response.lines().next().unwrap_or_default().to_owned();
    let body = response
        .split("\r\n\r\n")
        .nth(1)
        .unwrap_or_default()
        .to_owned();
    (status, body)
}

#[tokio::test]
async fn the_router_serves_next_to_the_applications_own_routes() {
    let dialogue = ConformanceApp::server().build().unwrap();
    let app = Router::new()
        .route("/version", get(|| async { "1.0.0" }))
        .merge(dialogue.router());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let serving =
        tokio::spawn(async move { axum::serve(listener, app).await.map_err(ServeError::from) });
    let server = Server {
        dialogue,
        url: format!("http://{address}"),
        serving,
    };

    let (status, body) = http_get(&address, "/version").await;
    assert!(status.contains(" 200 "), "{status}");
    assert_eq!(body, "1.0.0");
    // The built-in probes come with the router.
    let (status, body) = http_get(&address, "/health").await;
    assert!(status.contains(" 200 "), "{status}");
    assert_eq!(body, r#"{"status":"ok"}"#);
    let (status, body) = http_get(&address, "/ready").await;
    assert!(status.contains(" 200 "), "{status}");
    assert_eq!(body, r#"{"status":"ready"}"#);
    let (status, _) = http_get(&address, "/nowhere").await;
    assert!(status.contains(" 404 "), "{status}");

    // Socket.IO through the same listener, on both transports.
    let alice = server.connect("alice", Transport::WebSocket).await;
    let bob = server.connect("bob", Transport::Polling).await;
    join(&alice, "chat").await;
    join(&bob, "chat").await;
    let sent = trigger(&alice, "chat", "message", message("through axum")).await;
    assert_eq!(next(&bob, "dialogue:event").await, sent);
    assert_usable(&bob).await;
    assert!(!server.serving.is_finished());
}

#[tokio::test]
async fn shutdown_disconnects_everyone_and_ends_serve() {
    let server = Server::start().await;
    let alice = server.connect("alice", Transport::WebSocket).await;
    let bob = server.connect("bob", Transport::Polling).await;
    join(&alice, "chat").await;
    join(&bob, "chat").await;
    join(&bob, "small").await;

    tokio::time::timeout(WAIT * 3, server.dialogue.shutdown())
        .await
        .expect("shutdown returns");
    for client in [&alice, &bob] {
        // Told first, on both transports.
        let notice = client
            .expect_event("dialogue:shutdown", WAIT)
            .await
            .expect("dialogue:shutdown before the end");
        assert_eq!(notice.args[0], json!({}));
        client
            .wait_disconnected(WAIT)
            .await
            .expect("the client sees the end");
    }
    assert!(server.dialogue.get_all_clients().is_empty());
    assert_eq!(server.dialogue.room(ConformanceApp::chat()).size(), 0);
    assert_eq!(server.dialogue.room(ConformanceApp::small()).size(), 0);
    let served = tokio::time::timeout(WAIT, server.serving)
        .await
        .expect("serve_on returns");
    assert!(matches!(served, Ok(Ok(()))), "{served:?}");

    // Nobody gets in afterwards.
    for transport in TRANSPORTS {
        let late = ClientBuilder::new(&server.url)
            .transport(transport)
            .auth(json!({ "userId": "late" }))
            .connect_timeout(WAIT)
            .connect()
            .await;
        assert!(late.is_err(), "{late:?}");
    }
    // The server API stays safe to call: nobody is left to hear it.
    let chat = server.dialogue.room(ConformanceApp::chat());
    let pushed = chat
        .trigger(crate::support::conformance::Message {
            text: "after".into(),
            sender_id: "s".into(),
        })
        .await;
    assert!(pushed.is_ok(), "{pushed:?}");
    // A second shutdown does nothing and returns.
    tokio::time::timeout(WAIT, server.dialogue.shutdown())
        .await
        .expect("returns at once");
}

#[tokio::test]
async fn shutdown_with_no_clients_returns_and_ends_serve() {
    let server = Server::start().await;
    tokio::time::timeout(WAIT, server.dialogue.shutdown())
        .await
        .expect("shutdown returns");
    let served = tokio::time::timeout(WAIT, server.serving)
        .await
        .expect("serve_on returns");
    assert!(matches!(served, Ok(Ok(()))), "{served:?}");
}

/// A dropped `Dialogue` is freed (its hooks with it): the Socket.IO
/// handlers once held the engine in a cycle through its own `io`, and every
/// server built and dropped (a test's, a fuzz input's) stayed in memory. A
/// router handed out keeps it alive while it serves.
#[tokio::test]
async fn a_dropped_dialogue_is_freed_and_its_router_serves_until_dropped() {
    let marker = std::sync::Arc::new(());
    let held = marker.clone();
    let dialogue = ConformanceApp::server()
        .on_connect(move |_, _| {
            let _ = &held;
            async {}
        })
        .build()
        .unwrap();
    let router = dialogue.router();
    drop(dialogue);
    assert_eq!(
        std::sync::Arc::strong_count(&marker),
        2,
        "the router keeps the engine"
    );
    // Served alone, it serves.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let serving = tokio::spawn(async move { axum::serve(listener, router).await });
    let client = ClientBuilder::new(format!("http://{address}"))
        .auth(json!({ "userId": "alone" }))
        .connect()
        .await
        .expect("connects");
    join(&client, "chat").await;
    client.disconnect().await;
    serving.abort();
    let _ = serving.await;
    eventually("the engine is freed", || {
        std::sync::Arc::strong_count(&marker) == 1
    })
    .await;
}
