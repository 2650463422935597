//! Connecting: the `dialogue:connected` greeting and where the user id comes
//! from (docs/protocol.md "Connecting", docs/conformance.md "Identity").

use std::collections::HashSet;

use dialogue_client::{ClientBuilder, Error};
use serde_json::{Value, json};

use crate::harness::{Server, TRANSPORTS, WAIT, eventually};

/// The greeting holds exactly a non-empty `clientId`, the `userId`, the
/// protocol's version and a resume token.
fn assert_greeting_shape(greeting: &Value) {
    let keys: HashSet<&str> = greeting
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        HashSet::from(["clientId", "userId", "protocol", "resumeToken"]),
        "{greeting}"
    );
    assert_eq!(greeting["protocol"], 2, "{greeting}");
    assert!(
        greeting["resumeToken"]
            .as_str()
            .is_some_and(|token| token.len() >= 22),
        "128 random bits at least: {greeting}"
    );
    assert!(
        greeting["clientId"]
            .as_str()
            .is_some_and(|id| !id.is_empty()),
        "{greeting}"
    );
    assert!(
        greeting["userId"].as_str().is_some_and(|id| !id.is_empty()),
        "{greeting}"
    );
}

#[tokio::test]
async fn greeting_comes_first_with_the_auth_user_id() {
    let server = Server::start().await;
    for transport in TRANSPORTS {
        let (client, greeting) = server
            .connect_with(
                Some(json!({ "userId": "alice", "role": "admin" })),
                transport,
            )
            .await;
        assert_greeting_shape(&greeting);
        assert_eq!(greeting["userId"], "alice");
        let id = greeting["clientId"].as_str().unwrap();
        // Registration may trail the greeting by a moment.
        eventually("the server knows the connection", || {
            server.dialogue.get_client(id).is_some()
        })
        .await;
        let known = server
            .dialogue
            .get_client(greeting["clientId"].as_str().unwrap())
            .expect("the server knows the connection by its clientId");
        assert_eq!(known.user_id(), "alice");
        assert_eq!(known.meta().get("role"), Some(&json!("admin")));
        assert!(
            known.meta().get("userId").is_none(),
            "meta is auth without userId"
        );
        client.disconnect().await;
    }
}

#[tokio::test]
async fn without_a_user_id_the_user_id_is_generated() {
    let server = Server::start().await;
    for transport in TRANSPORTS {
        let mut user_ids = HashSet::new();
        // No auth at all, an empty one, a userId that is not a string, an
        // empty userId: none of them names a user.
        for auth in [
            None,
            Some(json!({})),
            Some(json!({ "userId": 7 })),
            Some(json!({ "userId": "" })),
        ] {
            let (client, greeting) = server.connect_with(auth.clone(), transport).await;
            assert_greeting_shape(&greeting);
            let user = greeting["userId"].as_str().unwrap();
            // The connection's own id (docs/protocol.md: "else the clientId").
            assert_eq!(
                greeting["userId"], greeting["clientId"],
                "{auth:?}: {greeting}"
            );
            // Neither the Socket.IO socket id nor the Engine.IO session id,
            // which is a credential of the polling transport.
            assert_ne!(user, client.id(), "{auth:?}");
            assert_ne!(user, client.handshake().sid, "{auth:?}");
            assert!(user_ids.insert(user.to_owned()), "{user} given twice");
            client.disconnect().await;
        }
    }
}

#[tokio::test]
async fn the_token_never_becomes_the_user_id() {
    let server = Server::start().await;
    for transport in TRANSPORTS {
        let (client, greeting) = server
            .connect_with(Some(json!({ "token": "s3cret" })), transport)
            .await;
        assert_ne!(greeting["userId"], "s3cret");
        assert_eq!(greeting["userId"], greeting["clientId"]);
        client.disconnect().await;

        let (client, greeting) = server
            .connect_with(
                Some(json!({ "token": "s3cret", "userId": "bob" })),
                transport,
            )
            .await;
        assert_eq!(greeting["userId"], "bob");
        client.disconnect().await;
    }
}

#[tokio::test]
async fn two_connections_of_one_user_have_distinct_client_ids() {
    let server = Server::start().await;
    for transport in TRANSPORTS {
        let (first, one) = server
            .connect_with(Some(json!({ "userId": "ada" })), transport)
            .await;
        let (second, two) = server
            .connect_with(Some(json!({ "userId": "ada" })), transport)
            .await;
        assert_eq!(one["userId"], "ada");
        assert_eq!(two["userId"], "ada");
        assert_ne!(one["clientId"], two["clientId"]);
        eventually("both are registered", || {
            server.dialogue.get_clients("ada").len() == 2
        })
        .await;
        let mut ids: Vec<String> = server
            .dialogue
            .get_clients("ada")
            .iter()
            .map(|client| client.id().to_owned())
            .collect();
        ids.sort();
        let mut expected = vec![
            one["clientId"].as_str().unwrap().to_owned(),
            two["clientId"].as_str().unwrap().to_owned(),
        ];
        expected.sort();
        assert_eq!(ids, expected);
        first.disconnect().await;
        second.disconnect().await;
        eventually("ada is forgotten", || {
            server.dialogue.get_clients("ada").is_empty()
        })
        .await;
    }
}

/// docs/server.md: a user id is at most 128 bytes; a longer one is refused
/// at the handshake with `connect_error`.
#[tokio::test]
async fn an_overlong_user_id_is_refused_at_the_handshake() {
    let server = Server::start().await;
    for transport in TRANSPORTS {
        let refused = ClientBuilder::new(&server.url)
            .transport(transport)
            .auth(json!({ "userId": "u".repeat(129) }))
            .connect_timeout(WAIT)
            .connect()
            .await;
        match refused {
            Err(Error::ConnectRefused { message, .. }) => assert!(!message.is_empty()),
            other => panic!("expected connect_error, got {other:?}"),
        }
        assert!(
            server.dialogue.get_clients(&"u".repeat(129)).is_empty(),
            "never counted as connected"
        );
        // 128 bytes is still a user id.
        let longest = "u".repeat(128);
        let client = server.connect(&longest, transport).await;
        client.disconnect().await;
    }
}
