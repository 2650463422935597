//! Authentication on a live connection (PROTOCOL.md "Authentication on a
//! live connection"): a connection whose token expires gets TOKEN_EXPIRED
//! and is dropped with its session held; `dialogue:auth` with a fresh token
//! of the same user keeps it; WebSocket upgrades from an origin the CORS
//! setting does not allow are refused with 403.

use std::time::Duration;

use dialogue_client::{DisconnectReason, Transport};
use dialogue_runtime::{Cors, JwtAuth};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::harness::{FORMS, Server, TRANSPORTS, WAIT, assert_usable, builder, refused};
use crate::token::{hs256, now};

const SECRET: &[u8] = b"the live authentication secret of the suite";

fn token(sub: &str, expires_in: i64) -> String {
    hs256(&json!({ "sub": sub, "exp": now() + expires_in }), SECRET)
}

#[tokio::test]
async fn an_expiring_token_ends_the_connection_with_token_expired_and_a_held_session() {
    let server = Server::start(builder().jwt(JwtAuth::hs256(SECRET).leeway(Duration::ZERO))).await;
    for transport in TRANSPORTS {
        let (client, hello) = server
            .connect_with(json!({ "token": token("alice", 2) }), transport)
            .await;
        let error = client
            .expect_event("dialogue:error", Duration::from_secs(5))
            .await
            .expect("TOKEN_EXPIRED before the drop");
        assert_eq!(error.args[0]["code"], "TOKEN_EXPIRED", "{:?}", error.args);
        let reason = client.wait_disconnected(WAIT).await.expect("dropped");
        assert_ne!(
            reason,
            DisconnectReason::ServerDisconnect,
            "a transport drop, not a goodbye"
        );
        // The session is held: a fresh token resumes it.
        let resume = hello["resumeToken"].as_str().unwrap();
        let (again, greeting) = server
            .connect_with(
                json!({ "token": token("alice", 3600), "resume": resume }),
                transport,
            )
            .await;
        assert_eq!(greeting["resumed"], true, "{greeting}");
        again.disconnect().await;
        server.only_client_gone("alice").await;
    }
}

#[tokio::test]
async fn a_fresh_token_of_the_same_user_keeps_the_connection() {
    let server = Server::start(builder().jwt(JwtAuth::hs256(SECRET).leeway(Duration::ZERO))).await;
    for transport in TRANSPORTS {
        let (client, _) = server
            .connect_with(json!({ "token": token("bob", 2) }), transport)
            .await;
        let fresh_exp = now() + 3600;
        let fresh = hs256(&json!({ "sub": "bob", "exp": fresh_exp }), SECRET);
        let answer =
            crate::support::wire::ask_ok(&client, "dialogue:auth", json!({ "token": fresh })).await;
        assert_eq!(answer["expiresAt"], fresh_exp * 1000, "{answer}");
        // Past the first token's expiry: still connected and usable.
        tokio::time::sleep(Duration::from_secs(3)).await;
        assert_usable(&client).await;
        assert!(client.disconnect_reason().is_none());
        // Refusals, in both forms; the connection goes on.
        for form in FORMS {
            let other = token("mallory", 3600);
            refused(
                &client,
                form,
                "PERMISSION_DENIED",
                "dialogue:auth",
                json!({ "token": other }),
            )
            .await;
            refused(
                &client,
                form,
                "UNAUTHORIZED",
                "dialogue:auth",
                json!({ "token": "garbage" }),
            )
            .await;
            let expired = token("bob", -3600);
            refused(
                &client,
                form,
                "UNAUTHORIZED",
                "dialogue:auth",
                json!({ "token": expired }),
            )
            .await;
            refused(&client, form, "INVALID_REQUEST", "dialogue:auth", json!({})).await;
        }
        // The event form answers nothing on success.
        client
            .emit("dialogue:auth", json!({ "token": token("bob", 3600) }))
            .unwrap();
        crate::support::wire::assert_none_queued(&client, "dialogue:error").await;
        client.disconnect().await;
        server.only_client_gone("bob").await;
    }
}

#[tokio::test]
async fn without_authentication_there_is_no_token_to_replace() {
    let server = Server::start(builder()).await;
    let client = server.connect("carol", Transport::WebSocket).await;
    for form in FORMS {
        refused(
            &client,
            form,
            "INVALID_REQUEST",
            "dialogue:auth",
            json!({ "token": "t" }),
        )
        .await;
    }
}

/// The status of a WebSocket upgrade of the Socket.IO endpoint, sent with
/// `origin` (none for `None`).
async fn upgrade_status(url: &str, origin: Option<&str>) -> u16 {
    let address = url.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let origin = origin
        .map(|o| format!("Origin: {o}\r\n"))
        .unwrap_or_default();
    let request = format!(
        "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: {address}\r\n\
         Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n{origin}\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut head = vec![0u8; 64];
    let read = tokio::time::timeout(WAIT, stream.read(&mut head))
        .await
        .unwrap()
        .unwrap();
    let line = String::from_utf8_lossy(&head[..read]).into_owned();
    line.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn a_websocket_upgrade_from_an_origin_not_allowed_is_refused() {
    let server = Server::start(builder().cors(Cors::origins(["https://good.example"]))).await;
    assert_eq!(
        upgrade_status(&server.url, Some("https://good.example")).await,
        101
    );
    assert_eq!(
        upgrade_status(&server.url, Some("https://evil.example")).await,
        403
    );
    assert_eq!(
        upgrade_status(&server.url, None).await,
        101,
        "no Origin: not a browser"
    );
    // The server's own origin (what a page it served sends).
    assert_eq!(
        upgrade_status(&server.url, Some(&server.url)).await,
        101,
        "same origin"
    );
    // Any origin by default.
    let open = Server::start(builder()).await;
    assert_eq!(
        upgrade_status(&open.url, Some("https://evil.example")).await,
        101
    );
}
