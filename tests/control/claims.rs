//! Claims decide who may join: `required_claims` in the declaration (the
//! `admin` room needs `role: "admin"`), or `before_join` in code. Claims come
//! from authentication only, never from what a client writes in `auth`.

use dialogue_client::Transport;
use dialogue_runtime::{HookError, JwtAuth};
use serde_json::{Value, json};

use crate::harness::{FORMS, Server, TRANSPORTS, ask, builder, join, refused};
use crate::token::{claims, hs256};

const SECRET: &[u8] = b"claims secret";

fn token(sub: &str, extra: Value) -> Value {
    let mut claims = claims(sub);
    for (key, value) in extra.as_object().expect("an object") {
        claims[key] = value.clone();
    }
    json!({ "token": hs256(&claims, SECRET) })
}

#[tokio::test]
async fn a_required_claim_admits_its_holders_only() {
    let server = Server::start(builder().jwt(JwtAuth::hs256(SECRET))).await;
    for transport in TRANSPORTS {
        let (admin, _) = server
            .connect_with(token("ada", json!({ "role": "admin" })), transport)
            .await;
        let (both, _) = server
            .connect_with(
                token("bea", json!({ "role": ["editor", "admin"] })),
                transport,
            )
            .await;
        join(&admin, "admin").await;
        join(&both, "admin").await;
        assert_eq!(server.size("admin"), 2);
        for (user, extra) in [
            ("uma", json!({ "role": "user" })),
            ("eve", json!({ "role": ["editor"] })),
            ("nia", json!({})),
            ("ria", json!({ "role": "Admin" })),
        ] {
            let (client, _) = server.connect_with(token(user, extra), transport).await;
            for form in FORMS {
                let error = refused(
                    &client,
                    form,
                    "JOIN_DENIED",
                    "dialogue:join",
                    json!({ "roomId": "admin" }),
                )
                .await;
                assert_eq!(
                    error["message"], "room `admin` requires the claim `role` = \"admin\"",
                    "{user}"
                );
            }
            assert_eq!(server.size("admin"), 2, "{user}");
            // Rooms without a requirement are open to them.
            join(&client, "lobby").await;
            client.disconnect().await;
        }
        admin.disconnect().await;
        both.disconnect().await;
        server.only_client_gone("ada").await;
        server.only_client_gone("bea").await;
    }
}

#[tokio::test]
async fn what_a_client_writes_in_auth_is_no_claim() {
    // Without authentication there are no claims at all, whatever `auth` says.
    let server = Server::start(builder()).await;
    let (client, _) = server
        .connect_with(
            json!({ "userId": "sly", "role": "admin" }),
            Transport::WebSocket,
        )
        .await;
    let answer = ask(&client, "dialogue:join", json!({ "roomId": "admin" })).await;
    assert_eq!(answer["error"]["code"], "JOIN_DENIED", "{answer}");
    assert_eq!(server.size("admin"), 0);
}

#[tokio::test]
async fn before_join_checks_claims_in_code() {
    let b = builder()
        .jwt(JwtAuth::hs256(SECRET))
        .before_join(|_, client, room, _| async move {
            let plan = client.auth().and_then(|claims| claims["plan"].as_str());
            if room.id() == "sandbox" && plan != Some("pro") {
                return Err(HookError::refuse("the sandbox needs the pro plan"));
            }
            Ok(())
        });
    let server = Server::start(b).await;
    let (pro, _) = server
        .connect_with(token("pia", json!({ "plan": "pro" })), Transport::Polling)
        .await;
    let (free, _) = server
        .connect_with(token("fay", json!({ "plan": "free" })), Transport::Polling)
        .await;
    join(&pro, "sandbox").await;
    let error = refused(
        &free,
        crate::harness::Form::Ack,
        "JOIN_DENIED",
        "dialogue:join",
        json!({ "roomId": "sandbox" }),
    )
    .await;
    assert_eq!(error["message"], "the sandbox needs the pro plan");
    assert_eq!(server.size("sandbox"), 1);
    // The declaration's requirement is checked before the hook runs.
    let answer = ask(&pro, "dialogue:join", json!({ "roomId": "admin" })).await;
    assert_eq!(
        answer["error"]["message"],
        "room `admin` requires the claim `role` = \"admin\""
    );
}
