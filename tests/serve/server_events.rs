//! `server_events`: events only the server triggers in a room. Clients
//! receive them (subscribed by default) and may not send them.

use std::time::Duration;

use dialogue_client::Transport;
use dialogue_runtime::prelude::*;
use serde_json::json;

use crate::harness::{WAIT, ask};

/// Said by people.
#[derive(Event, Serialize, Deserialize, JsonSchema, TS, Clone)]
pub struct Said {
    /// 1 or more characters.
    #[schemars(length(min = 1))]
    pub text: String,
}

/// Who is here, from the server.
#[derive(Event, Serialize, Deserialize, JsonSchema, TS, Clone)]
pub struct Here {
    /// Names.
    pub users: Vec<String>,
}

dialogue! {
    /// A room where the server alone announces presence.
    pub PresenceApp {
        hall: { name: "Hall", events: [Said], server_events: [Here] },
    }
}

#[tokio::test]
async fn clients_receive_server_events_but_cannot_send_them() {
    let dialogue = Dialogue::<PresenceApp>::builder().build().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let serving = dialogue.clone();
    tokio::spawn(async move { serving.serve_on(listener).await });

    let spec = dialogue.spec().room("hall").unwrap();
    assert_eq!(spec.server_events, ["here"]);
    assert_eq!(
        spec.default_subscriptions,
        dialogue_runtime::spec::Subscriptions::Only(vec!["said".into(), "here".into()]),
        "joiners are subscribed to server events too"
    );

    for transport in [Transport::WebSocket, Transport::Polling] {
        let client = dialogue_client::ClientBuilder::new(&url)
            .transport(transport)
            .auth(json!({ "userId": "ann" }))
            .connect_timeout(WAIT)
            .connect()
            .await
            .unwrap();
        assert_eq!(
            ask(&client, "dialogue:join", json!({ "roomId": "hall" })).await["ok"],
            true
        );

        let spoof = ask(
            &client,
            "dialogue:trigger",
            json!({ "roomId": "hall", "event": "here", "data": { "users": ["mallory"] } }),
        )
        .await;
        assert_eq!(spoof["error"]["code"], "EVENT_NOT_ALLOWED", "{spoof}");

        // The typed server trigger compiles (`Here` is a server event of the
        // hall) and reaches the subscribed client.
        dialogue
            .room(PresenceApp::hall())
            .trigger(Here {
                users: vec!["ann".into()],
            })
            .await
            .unwrap();
        let event = client
            .expect_event("dialogue:event", Duration::from_secs(5))
            .await
            .unwrap();
        assert_eq!(event.args[0]["event"], "here");
        assert_eq!(event.args[0]["from"], "system");
        assert_eq!(event.args[0]["data"]["users"], json!(["ann"]));
        client.disconnect().await;
    }
    dialogue.shutdown().await;
}
