use dialogue_client::Transport;
use serde_json::json;

use crate::harness::{Server, WAIT, arg, ask};

#[tokio::test]
async fn join_trigger_and_receive_on_both_transports() {
    let server = Server::start().await;
    for transport in [Transport::WebSocket, Transport::Polling] {
        let alice = server.connect("alice", transport).await;
        let bob = server.connect("bob", transport).await;
        for client in [&alice, &bob] {
            let joined = ask(client, "dialogue:join", json!({ "roomId": "chat" })).await;
            assert_eq!(joined["ok"], true, "{joined}");
        }
        let sent = ask(
            &alice,
            "dialogue:trigger",
            json!({ "roomId": "chat", "event": "message", "data": { "text": "hi", "senderId": "x" } }),
        )
        .await;
        assert_eq!(sent["ok"], true, "{sent}");
        let received = bob.expect_event("dialogue:event", WAIT).await.unwrap();
        assert_eq!(arg(&received)["data"]["text"], "hi");
        assert_eq!(arg(&received)["from"], "alice");
        alice.disconnect().await;
        bob.disconnect().await;
    }
}
