//! CORS on the polling transport, as dialogue-ts offers it: every origin by
//! default (echoed, with credentials), a list of origins (the others get no
//! CORS headers, so browsers refuse), or disabled. Plain HTTP requests, as a
//! browser's would be.

use dialogue_client::Transport;
use dialogue_runtime::Cors;

use crate::harness::{HttpResponse, Server, assert_usable, builder, http};

const HANDSHAKE: &str = "/socket.io/?EIO=4&transport=polling";

async fn open(server: &Server, origin: &str) -> HttpResponse {
    let response = http(&server.url, "GET", HANDSHAKE, &[("Origin", origin)]).await;
    // Whatever CORS says, the server answers: the Engine.IO open packet.
    assert_eq!(response.status, 200, "{response:?}");
    assert!(response.body.starts_with("0{"), "{response:?}");
    response
}

async fn preflight(server: &Server, origin: &str) -> HttpResponse {
    http(
        &server.url,
        "OPTIONS",
        HANDSHAKE,
        &[
            ("Origin", origin),
            ("Access-Control-Request-Method", "POST"),
            ("Access-Control-Request-Headers", "content-type"),
        ],
    )
    .await
}

#[tokio::test]
async fn by_default_every_origin_is_allowed_with_credentials() {
    let server = Server::start(builder()).await;
    for origin in ["http://localhost:5173", "https://anything.example"] {
        let response = open(&server, origin).await;
        assert_eq!(response.header("access-control-allow-origin"), Some(origin));
        assert_eq!(
            response.header("access-control-allow-credentials"),
            Some("true")
        );
        let response = preflight(&server, origin).await;
        assert!((200..300).contains(&response.status), "{response:?}");
        assert_eq!(response.header("access-control-allow-origin"), Some(origin));
        let methods = response
            .header("access-control-allow-methods")
            .unwrap_or_default();
        assert!(methods.contains("POST"), "{response:?}");
        assert_eq!(
            response.header("access-control-allow-headers"),
            Some("content-type")
        );
    }
}

#[tokio::test]
async fn a_list_allows_its_origins_only() {
    let server = Server::start(builder().cors(Cors::origins([
        "https://app.example.com",
        "https://admin.example.com",
    ])))
    .await;
    for origin in ["https://app.example.com", "https://admin.example.com"] {
        let response = open(&server, origin).await;
        assert_eq!(response.header("access-control-allow-origin"), Some(origin));
        assert_eq!(
            response.header("access-control-allow-credentials"),
            Some("true")
        );
        let response = preflight(&server, origin).await;
        assert_eq!(response.header("access-control-allow-origin"), Some(origin));
    }
    for origin in [
        "https://evil.example.com",
        "https://app.example.com.evil.example",
    ] {
        let response = open(&server, origin).await;
        assert_eq!(
            response.header("access-control-allow-origin"),
            None,
            "{response:?}"
        );
        let response = preflight(&server, origin).await;
        assert_eq!(
            response.header("access-control-allow-origin"),
            None,
            "{response:?}"
        );
    }
}

#[tokio::test]
async fn disabled_sends_no_cors_headers_and_clients_still_connect() {
    let server = Server::start(builder().cors(Cors::Disabled)).await;
    let response = open(&server, "https://app.example.com").await;
    assert!(
        !response
            .headers
            .iter()
            .any(|(name, _)| name.starts_with("access-control-")),
        "{response:?}"
    );
    let response = preflight(&server, "https://app.example.com").await;
    assert_eq!(
        response.header("access-control-allow-origin"),
        None,
        "{response:?}"
    );
    // CORS binds browsers only: a non-browser client still connects.
    let client = server.connect("alice", Transport::Polling).await;
    assert_usable(&client).await;
}
