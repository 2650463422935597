//! Built-in JWT authentication over the wire: HS256 with a secret, RS256 and
//! ES256 with public keys (the tokens in `keys/` were signed offline with
//! the private keys beside them). `sub` becomes the user id and the claims
//! `client.auth()`; every bad token is a `connect_error` saying why, and the
//! socket never counts as connected.

use std::time::Duration;

use dialogue_client::Transport;
use dialogue_runtime::{JwtAuth, JwtError};
use serde_json::{Value, json};

use crate::harness::{Server, TRANSPORTS, assert_usable, builder};
use crate::token::{self, claims, hs256, key_file, now, signed, unsigned, with_claims};

const SECRET: &[u8] = b"an HS256 secret of the control suite";

fn claims_with(sub: &str, extra: Value) -> Value {
    let mut claims = claims(sub);
    for (key, value) in extra.as_object().expect("an object") {
        claims[key] = value.clone();
    }
    claims
}

#[tokio::test]
async fn a_valid_hs256_token_connects_as_its_subject_with_its_claims() {
    let server = Server::start(builder().jwt(JwtAuth::hs256(SECRET))).await;
    for transport in TRANSPORTS {
        let claims = claims_with("alice", json!({ "role": "admin", "name": "Alice" }));
        let token = hs256(&claims, SECRET);
        // `auth.userId` is ignored: the token decides who this is.
        let (client, greeting) = server
            .connect_with(json!({ "token": token, "userId": "mallory" }), transport)
            .await;
        assert_eq!(greeting["userId"], "alice");
        let alice = server.only_client("alice").await;
        assert_eq!(alice.auth(), Some(&claims));
        assert_eq!(alice.id(), greeting["clientId"]);
        assert!(server.dialogue.get_clients("mallory").is_empty());
        assert_usable(&client).await;
        client.disconnect().await;
        server.only_client_gone("alice").await;
    }
}

#[tokio::test]
async fn bad_hs256_tokens_are_refused_with_the_reason() {
    let server = Server::start(builder().jwt(JwtAuth::hs256(SECRET))).await;
    let good = hs256(&claims("alice"), SECRET);
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "no token",
            json!({ "userId": "alice" }),
            "authentication required: send a JWT as auth.token",
        ),
        (
            "a token that is not a string",
            json!({ "token": 42 }),
            "authentication required: send a JWT as auth.token",
        ),
        (
            "expired (past the 30 s leeway)",
            json!({ "token": hs256(&json!({ "sub": "alice", "exp": now() - 120 }), SECRET) }),
            "token expired",
        ),
        (
            "not yet valid",
            json!({ "token": hs256(&claims_with("alice", json!({ "nbf": now() + 3600 })), SECRET) }),
            "token not yet valid",
        ),
        (
            "signed with another secret",
            json!({ "token": hs256(&claims("alice"), b"another secret") }),
            "invalid token: bad signature",
        ),
        (
            "claims changed after signing",
            json!({ "token": with_claims(&good, &claims("root")) }),
            "invalid token: bad signature",
        ),
        (
            "alg none",
            json!({ "token": unsigned(&claims("alice")) }),
            "invalid token: wrong algorithm",
        ),
        (
            "alg None, signed anyway",
            json!({ "token": signed(&json!({ "alg": "None" }), &claims("alice"), SECRET) }),
            "invalid token: wrong algorithm",
        ),
        (
            "another algorithm (RS256)",
            json!({ "token": key_file("rs256-valid.jwt") }),
            "invalid token: wrong algorithm",
        ),
        (
            "no exp",
            json!({ "token": hs256(&json!({ "sub": "alice" }), SECRET) }),
            "invalid token: claim `exp` is missing or invalid",
        ),
        (
            "no sub",
            json!({ "token": hs256(&json!({ "exp": now() + 60 }), SECRET) }),
            "invalid token: claim `sub` is missing or invalid",
        ),
        (
            "an empty sub",
            json!({ "token": hs256(&json!({ "sub": "", "exp": now() + 60 }), SECRET) }),
            "invalid token: claim `sub` is missing or invalid",
        ),
        (
            "not a JWT",
            json!({ "token": "not.a.jwt" }),
            "invalid token",
        ),
    ];
    for transport in TRANSPORTS {
        for (case, auth, reason) in &cases {
            let message = server.refused_connect(auth.clone(), transport).await;
            assert_eq!(message, *reason, "{case} over {transport:?}");
        }
    }
    assert!(server.dialogue.get_all_clients().is_empty());
    // The good token still connects afterwards.
    let (_client, greeting) = server
        .connect_with(json!({ "token": good }), Transport::WebSocket)
        .await;
    assert_eq!(greeting["userId"], "alice");
}

#[tokio::test]
async fn the_leeway_issuer_and_audience_are_checked_as_configured() {
    // Expired 5 s ago: inside the default 30 s leeway, outside a zero one.
    let barely = hs256(&json!({ "sub": "late", "exp": now() - 5 }), SECRET);
    let lenient = Server::start(builder().jwt(JwtAuth::hs256(SECRET))).await;
    let (_client, greeting) = lenient
        .connect_with(json!({ "token": barely }), Transport::WebSocket)
        .await;
    assert_eq!(greeting["userId"], "late");
    let strict = Server::start(builder().jwt(JwtAuth::hs256(SECRET).leeway(Duration::ZERO))).await;
    assert_eq!(
        strict
            .refused_connect(json!({ "token": barely }), Transport::WebSocket)
            .await,
        "token expired"
    );

    let issuer = "https://auth.example.com";
    let server =
        Server::start(builder().jwt(JwtAuth::hs256(SECRET).issuer(issuer).audience("chat"))).await;
    let right = claims_with("ida", json!({ "iss": issuer, "aud": "chat" }));
    let (_client, greeting) = server
        .connect_with(
            json!({ "token": hs256(&right, SECRET) }),
            Transport::Polling,
        )
        .await;
    assert_eq!(greeting["userId"], "ida");
    for wrong in [
        json!({ "iss": "https://evil.example.com", "aud": "chat" }),
        json!({ "iss": issuer, "aud": "billing" }),
    ] {
        let token = hs256(&claims_with("ida", wrong.clone()), SECRET);
        assert_eq!(
            server
                .refused_connect(json!({ "token": token }), Transport::Polling)
                .await,
            "invalid token: wrong issuer or audience",
            "{wrong}"
        );
    }
}

#[tokio::test]
async fn rs256_checks_the_signature_with_the_public_key() {
    let public = key_file("rs256-public.pem");
    let server =
        Server::start(builder().jwt(JwtAuth::rs256_pem(public.as_bytes()).expect("reads the key")))
            .await;
    let valid = key_file("rs256-valid.jwt");
    for transport in TRANSPORTS {
        let (client, greeting) = server
            .connect_with(json!({ "token": valid }), transport)
            .await;
        assert_eq!(greeting["userId"], "rsa-user");
        let user = server.only_client("rsa-user").await;
        assert_eq!(
            user.auth().map(|claims| &claims["role"]),
            Some(&json!("admin"))
        );
        client.disconnect().await;
        server.only_client_gone("rsa-user").await;
    }
    let refusals = [
        (key_file("rs256-expired.jwt"), "token expired"),
        (
            with_claims(&valid, &json!({ "sub": "root", "exp": 4102444800u64 })),
            "invalid token: bad signature",
        ),
        // Algorithm confusion: the public key (which anyone has) used as an
        // HMAC secret.
        (
            hs256(&claims("root"), format!("{public}\n").as_bytes()),
            "invalid token: wrong algorithm",
        ),
        (
            hs256(&claims("root"), public.as_bytes()),
            "invalid token: wrong algorithm",
        ),
        (
            key_file("es256-valid.jwt"),
            "invalid token: wrong algorithm",
        ),
        (unsigned(&claims("root")), "invalid token: wrong algorithm"),
    ];
    for (token, reason) in refusals {
        assert_eq!(
            server
                .refused_connect(json!({ "token": token }), Transport::WebSocket)
                .await,
            reason,
            "{token}"
        );
    }
    assert!(server.dialogue.get_all_clients().is_empty());
}

#[tokio::test]
async fn es256_checks_the_signature_with_the_public_key() {
    let public = key_file("es256-public.pem");
    let server =
        Server::start(builder().jwt(JwtAuth::es256_pem(public.as_bytes()).expect("reads the key")))
            .await;
    let valid = key_file("es256-valid.jwt");
    let (_client, greeting) = server
        .connect_with(json!({ "token": valid }), Transport::Polling)
        .await;
    assert_eq!(greeting["userId"], "ec-user");
    let user = server.only_client("ec-user").await;
    assert_eq!(
        user.auth().map(|claims| &claims["role"]),
        Some(&json!("viewer"))
    );
    let refusals = [
        (
            with_claims(&valid, &json!({ "sub": "root", "exp": 4102444800u64 })),
            "invalid token: bad signature",
        ),
        (
            hs256(&claims("root"), public.as_bytes()),
            "invalid token: wrong algorithm",
        ),
        (
            key_file("rs256-valid.jwt"),
            "invalid token: wrong algorithm",
        ),
    ];
    for (token, reason) in refusals {
        assert_eq!(
            server
                .refused_connect(json!({ "token": token }), Transport::WebSocket)
                .await,
            reason,
            "{token}"
        );
    }
}

#[test]
fn keys_of_the_wrong_kind_do_not_read() {
    assert!(JwtAuth::rs256_pem(b"not a key").is_err());
    assert!(JwtAuth::rs256_pem(key_file("es256-public.pem").as_bytes()).is_err());
    assert!(JwtAuth::es256_pem(key_file("rs256-public.pem").as_bytes()).is_err());
    // The same checks are available without a server, with the same reasons.
    let jwt = JwtAuth::hs256(SECRET);
    assert_eq!(
        jwt.verify(&unsigned(&claims("x"))),
        Err(JwtError::WrongAlgorithm)
    );
    let claims = token::claims("x");
    assert_eq!(jwt.verify(&hs256(&claims, SECRET)), Ok(claims));
}
