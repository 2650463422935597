//! Tests against a scripted WebSocket server, for behaviour a well-behaved server does not
//! show: silence (ping timeout), a dropped connection, and garbage on the wire.

use std::time::Duration;

use dialogue_client::{ClientBuilder, DisconnectReason, Error, Transport};
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::{WebSocketStream, tungstenite::Message};

const WAIT: Duration = Duration::from_secs(3);

/// The open packet of the scripted server: pings every 100 ms, 100 ms timeout.
const OPEN: &str = r#"0{"sid":"engine-sid","upgrades":[],"pingInterval":100,"pingTimeout":100,"maxPayload":100000}"#;

/// Starts a one-connection server; `script` runs once the client has joined `/`.
async fn scripted_server<F, Fut>(script: F) -> String
where
    F: FnOnce(WebSocketStream<TcpStream>) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
        ws.send(Message::text(OPEN)).await.unwrap();
        // Wait for the namespace CONNECT, then accept it.
        loop {
            match ws.next().await {
                Some(Ok(Message::Text(text))) if text.as_str().starts_with("40") => break,
                Some(Ok(_)) => continue,
                _ => return,
            }
        }
        ws.send(Message::text(r#"40{"sid":"socket-sid"}"#))
            .await
            .unwrap();
        script(ws).await;
    });
    format!("http://{addr}")
}

async fn connect(url: &str) -> dialogue_client::Client {
    ClientBuilder::new(url)
        .transport(Transport::WebSocket)
        .connect_timeout(WAIT)
        .connect()
        .await
        .expect("connects to the scripted server")
}

#[tokio::test]
async fn silent_server_is_detected_by_ping_timeout() {
    let url = scripted_server(async |ws| {
        // Keep the connection open but never ping.
        tokio::time::sleep(Duration::from_secs(10)).await;
        drop(ws);
    })
    .await;
    let client = connect(&url).await;
    assert_eq!(client.id(), "socket-sid");
    assert_eq!(client.handshake().sid, "engine-sid");
    let reason = client.wait_disconnected(WAIT).await.unwrap();
    assert_eq!(reason, DisconnectReason::PingTimeout);
}

#[tokio::test]
async fn pings_are_answered_with_pongs() {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let url = scripted_server(async move |mut ws| {
        ws.send(Message::text("2")).await.unwrap();
        while let Some(Ok(message)) = ws.next().await {
            if let Message::Text(text) = message {
                tx.send(text.to_string()).ok();
            }
        }
    })
    .await;
    let _client = connect(&url).await;
    let pong = tokio::time::timeout(WAIT, rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(pong, "3");
}

#[tokio::test]
async fn dropped_connection_is_observed() {
    let url = scripted_server(async |ws| {
        tokio::time::sleep(Duration::from_millis(50)).await;
        // Drop the TCP connection without any closing handshake.
        drop(ws.into_inner());
    })
    .await;
    let client = connect(&url).await;
    let reason = client.wait_disconnected(WAIT).await.unwrap();
    assert!(
        matches!(
            reason,
            DisconnectReason::TransportClose | DisconnectReason::TransportError(_)
        ),
        "{reason:?}"
    );
    assert!(client.recv_timeout(WAIT).await.is_err());
}

#[tokio::test]
async fn garbage_from_the_server_is_ignored() {
    let url = scripted_server(async |mut ws| {
        let garbage = [
            Message::text(""),
            Message::text("x"),
            Message::text("4"),
            Message::text("4é"),
            Message::text("42"),
            Message::text("42{}"),
            Message::text("42[1]"),
            Message::text(r#"42["unterminated"#),
            Message::text("499999999999999999999999"),
            Message::text("b!!!"),
            Message::text(r#"43999["ack nobody waits for"]"#),
            Message::text(r#"42/other,["other namespace"]"#),
            Message::binary(vec![1, 2, 3]),
            // A binary event whose attachment never comes: dropped at the next packet.
            Message::text(r#"451-["lost",{"_placeholder":true,"num":0}]"#),
            Message::text(r#"40{"sid":"again"}"#),
            Message::text(r#"44{"message":"late"}"#),
            Message::text(r#"42["ok",1]"#),
        ];
        for message in garbage {
            ws.send(message).await.unwrap();
        }
        // Keep the connection alive with pings while the client checks.
        let mut ticker = tokio::time::interval(Duration::from_millis(50));
        loop {
            tokio::select! {
                _ = ticker.tick() => {
                    if ws.send(Message::text("2")).await.is_err() {
                        break;
                    }
                }
                message = ws.next() => {
                    if !matches!(message, Some(Ok(_))) {
                        break;
                    }
                }
            }
        }
    })
    .await;
    let client = connect(&url).await;
    let event = client.recv_timeout(WAIT).await.unwrap();
    assert_eq!((event.name.as_str(), event.args), ("ok", vec![json!(1)]));
    // Nothing else came through, and the connection outlives the 200 ms heartbeat window.
    assert!(matches!(
        client.recv_timeout(Duration::from_millis(500)).await,
        Err(Error::Timeout(_))
    ));
    assert!(client.is_connected(), "{:?}", client.disconnect_reason());
}

#[tokio::test]
async fn refused_handshake_is_an_error() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
        ws.send(Message::text("not an open packet")).await.unwrap();
        while let Some(Ok(_)) = ws.next().await {}
    });
    let result = ClientBuilder::new(format!("http://{addr}"))
        .connect_timeout(WAIT)
        .connect()
        .await;
    assert!(
        matches!(result, Err(Error::InvalidPacket { .. })),
        "{result:?}"
    );
}
