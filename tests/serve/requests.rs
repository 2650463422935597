//! Application requests (`dialogue:request`, docs/requests.md): typed
//! request/response, checked in the protocol's order, on both transports,
//! against the conformance server's `add` and `fail`.

use dialogue_client::Transport;
use serde_json::{Value, json};

use crate::harness::{Form, Server, TRANSPORTS, ask, ask_ok, join, refused, refused_with, settle};

fn add(a: i64, b: i64) -> Value {
    json!({ "name": "add", "data": { "a": a, "b": b } })
}

#[tokio::test]
async fn a_request_is_answered_with_its_handlers_response() {
    let server = Server::start().await;
    for transport in TRANSPORTS {
        let alice = server.connect("alice", transport).await;
        let answer = ask_ok(&alice, "dialogue:request", add(2, 40)).await;
        assert_eq!(answer["data"], json!({ "sum": 42 }), "{answer}");
        // Exactly at the limit is allowed ("over" means strictly greater).
        let answer = ask_ok(&alice, "dialogue:request", add(1_000_000_000, -1)).await;
        assert_eq!(answer["data"]["sum"], 999_999_999);
        // With a room the caller is a member of.
        join(&alice, "chat").await;
        let mut with_room = add(1, 1);
        with_room["roomId"] = json!("chat");
        let answer = ask_ok(&alice, "dialogue:request", with_room).await;
        assert_eq!(answer["data"]["sum"], 2);
    }
}

#[tokio::test]
async fn a_handlers_refusal_reaches_the_client_with_its_own_code() {
    let server = Server::start().await;
    for transport in TRANSPORTS {
        let alice = server.connect("alice", transport).await;
        let error = refused(&alice, Form::Ack, "dialogue:request", add(1_000_000_001, 1)).await;
        assert_eq!(error["code"], "TOO_BIG", "{error}");
        assert_eq!(error["message"], "a and b may be at most 1,000,000,000");
        assert!(error.get("details").is_none(), "{error}");
        // The connection goes on.
        assert_eq!(
            ask_ok(&alice, "dialogue:request", add(1, 2)).await["data"]["sum"],
            3
        );
    }
}

#[tokio::test]
async fn a_panicking_handler_is_internal_and_the_connection_goes_on() {
    let server = Server::start().await;
    for transport in TRANSPORTS {
        let alice = server.connect("alice", transport).await;
        let error = refused_with(
            &alice,
            Form::Ack,
            "INTERNAL",
            "dialogue:request",
            json!({ "name": "fail", "data": {} }),
        )
        .await;
        // Nothing of the panic reaches the client.
        assert!(
            !error["message"].as_str().unwrap().contains("always fails"),
            "{error}"
        );
        assert_eq!(
            ask_ok(&alice, "dialogue:request", add(2, 2)).await["data"]["sum"],
            4
        );
    }
}

#[tokio::test]
async fn checks_come_in_the_protocols_order() {
    let server = Server::start().await;
    for transport in TRANSPORTS {
        let alice = server.connect("alice", transport).await;
        // An unknown name, even with a bad room and bad data.
        let error = refused_with(
            &alice,
            Form::Ack,
            "UNKNOWN_REQUEST",
            "dialogue:request",
            json!({ "name": "multiply", "roomId": "nowhere", "data": "nonsense" }),
        )
        .await;
        assert!(
            error["message"].as_str().unwrap().contains("multiply"),
            "{error}"
        );
        // A room that does not exist, before the data.
        refused_with(
            &alice,
            Form::Ack,
            "ROOM_NOT_FOUND",
            "dialogue:request",
            json!({ "name": "add", "roomId": "nowhere", "data": "nonsense" }),
        )
        .await;
        // A room the caller is not in, before the data.
        refused_with(
            &alice,
            Form::Ack,
            "NOT_IN_ROOM",
            "dialogue:request",
            json!({ "name": "add", "roomId": "chat", "data": "nonsense" }),
        )
        .await;
        // Then the data, with the paths of what is wrong.
        let error = refused_with(
            &alice,
            Form::Ack,
            "VALIDATION_FAILED",
            "dialogue:request",
            json!({ "name": "add", "data": { "a": "one" } }),
        )
        .await;
        let paths: Vec<&str> = error["details"]
            .as_array()
            .expect("details")
            .iter()
            .filter_map(|issue| issue["path"].as_str())
            .collect();
        assert!(paths.contains(&"/a"), "{error}");
        assert!(paths.contains(&"/b"), "{error}");
        // No data at all is `null`, which `add` does not take.
        refused_with(
            &alice,
            Form::Ack,
            "VALIDATION_FAILED",
            "dialogue:request",
            json!({ "name": "add" }),
        )
        .await;
    }
}

#[tokio::test]
async fn a_request_without_an_acknowledgement_is_an_invalid_request() {
    let server = Server::start().await;
    for transport in TRANSPORTS {
        let alice = server.connect("alice", transport).await;
        let error = refused(&alice, Form::Event, "dialogue:request", add(1, 2)).await;
        assert_eq!(error["code"], "INVALID_REQUEST", "{error}");
        assert!(
            error["message"]
                .as_str()
                .unwrap()
                .contains("acknowledgement"),
            "{error}"
        );
        // Even an unknown name: the acknowledgement is checked first.
        let error = refused(
            &alice,
            Form::Event,
            "dialogue:request",
            json!({ "name": "multiply" }),
        )
        .await;
        assert_eq!(error["code"], "INVALID_REQUEST", "{error}");
    }
}

#[tokio::test]
async fn malformed_requests_are_invalid() {
    let server = Server::start().await;
    let alice = server.connect("alice", Transport::WebSocket).await;
    for bad in [
        json!({}),
        json!({ "name": 7 }),
        json!(["add"]),
        json!("add"),
    ] {
        let answer = ask(&alice, "dialogue:request", bad.clone()).await;
        assert_eq!(answer["ok"], false, "{bad}: {answer}");
        assert_eq!(
            answer["error"]["code"], "INVALID_REQUEST",
            "{bad}: {answer}"
        );
    }
    settle(&alice).await;
    assert_eq!(
        ask_ok(&alice, "dialogue:request", add(5, 5)).await["data"]["sum"],
        10
    );
}

#[tokio::test]
async fn every_declared_request_needs_exactly_one_handler() {
    use dialogue_runtime::{BuildError, Dialogue, Refusal};

    use crate::support::conformance::{Add, AddResult, ConformanceApp, Fail, Nothing};

    let error = Dialogue::<ConformanceApp>::builder().build().unwrap_err();
    assert_eq!(
        error,
        BuildError::RequestWithoutHandler {
            request: "add".into(),
            type_name: "Add".into(),
        }
    );
    assert!(
        error.to_string().contains(".on_request::<Add, _, _>"),
        "{error}"
    );

    let twice = ConformanceApp::server()
        .on_request(|_, _: Add| async { Ok::<_, Refusal>(AddResult { sum: 0 }) })
        .build()
        .unwrap_err();
    assert_eq!(
        twice,
        BuildError::RequestHandledTwice {
            request: "add".into()
        }
    );

    let only_fail = Dialogue::<ConformanceApp>::builder()
        .on_request(|_, _: Fail| async { Ok(Nothing {}) })
        .build()
        .unwrap_err();
    assert!(
        matches!(only_fail, BuildError::RequestWithoutHandler { request, .. } if request == "add")
    );
}

#[tokio::test]
async fn data_past_the_size_limit_is_refused() {
    let server = Server::start().await;
    let alice = server.connect("alice", Transport::WebSocket).await;
    // Past the payload limit (64 KiB by default), as for triggers.
    let big = json!({ "name": "add", "data": { "a": 1, "b": 2, "pad": "x".repeat(70 * 1024) } });
    let answer = ask(&alice, "dialogue:request", big).await;
    assert_eq!(answer["error"]["code"], "PAYLOAD_TOO_LARGE", "{answer}");
    assert_eq!(
        ask_ok(&alice, "dialogue:request", add(1, 1)).await["data"]["sum"],
        2
    );
}
