//! Serving an example on a free port, connecting clients, and the requests
//! every test shares (the acknowledgement form of the protocol).

use dialogue_client::{Client, ClientBuilder, Error};
use dialogue_runtime::{Dialogue, DialogueApp};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};

pub use crate::support::wire::{QUIET, WAIT, ask, ask_ok, join, next, settle, trigger};

/// Serves an axum application (an example's routes merged with its realtime
/// endpoint) on `127.0.0.1:0`; its base URL.
pub async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let url = format!("http://{}", listener.local_addr().expect("an address"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

/// Serves a realtime server alone on `127.0.0.1:0`; its base URL.
pub async fn serve_dialogue<A: DialogueApp>(dialogue: &Dialogue<A>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let url = format!("http://{}", listener.local_addr().expect("an address"));
    let serving = dialogue.clone();
    tokio::spawn(async move { serving.serve_on(listener).await });
    url
}

/// Connects with this handshake `auth`; the client, or why it was refused.
pub async fn try_connect(url: &str, auth: Value) -> Result<(Client, Value), Error> {
    let client = ClientBuilder::new(url)
        .auth(auth)
        .connect_timeout(WAIT)
        .connect()
        .await?;
    let first = client.recv_timeout(WAIT).await?;
    assert_eq!(
        first.name, "dialogue:connected",
        "the first event: {first:?}"
    );
    let greeting = first.args[0].clone();
    Ok((client, greeting))
}

/// Connects with this handshake `auth`, past the greeting; the client.
pub async fn connect(url: &str, auth: Value) -> Client {
    try_connect(url, auth.clone())
        .await
        .unwrap_or_else(|error| panic!("{auth} connects: {error}"))
        .0
}

/// Connects as `user` (`auth.userId`).
pub async fn connect_as(url: &str, user: &str) -> Client {
    connect(url, json!({ "userId": user })).await
}

/// Asks, expecting a refusal; the error `{ code, message, details? }`.
pub async fn ask_refused(client: &Client, event: &str, data: Value) -> Value {
    let answer = ask(client, event, data).await;
    assert_eq!(answer["ok"], false, "{event}: {answer}");
    answer["error"].clone()
}

/// The request of a trigger.
pub fn trigger_request(room: &str, event: &str, data: Value) -> Value {
    json!({ "roomId": room, "event": event, "data": data })
}

/// Triggers what must be refused; the error.
pub async fn trigger_refused(client: &Client, room: &str, event: &str, data: Value) -> Value {
    ask_refused(
        client,
        "dialogue:trigger",
        trigger_request(room, event, data),
    )
    .await
}

/// A page of history, newest first; the envelopes.
pub async fn history(client: &Client, room: &str, event: &str, start: u64, end: u64) -> Vec<Value> {
    let answer = ask_ok(
        client,
        "dialogue:getHistory",
        json!({ "roomId": room, "eventName": event, "start": start, "end": end }),
    )
    .await;
    answer["events"]
        .as_array()
        .cloned()
        .unwrap_or_else(|| panic!("events: {answer}"))
}

/// The next Dialogue event `event` whose envelope satisfies `wanted`; the
/// events before it (of any name) are dropped.
pub async fn event_where(client: &Client, event: &str, wanted: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let received = client
            .expect_event("dialogue:event", left)
            .await
            .unwrap_or_else(|error| panic!("waiting for {event}: {error}"));
        let envelope = &received.args[0];
        if envelope["event"] == event && wanted(envelope) {
            return envelope.clone();
        }
    }
}

/// The next Dialogue event `event`; the events before it are dropped.
pub async fn event(client: &Client, event: &str) -> Value {
    event_where(client, event, |_| true).await
}

/// No Dialogue event `event` reaches `client`: none sent before a round trip,
/// nor within [`QUIET`] after it. Other events are dropped.
pub async fn assert_no_event(client: &Client, event: &str) {
    settle(client).await;
    while let Ok(received) = client.expect_event("dialogue:event", QUIET).await {
        assert_ne!(
            received.args[0]["event"], event,
            "unexpected: {:?}",
            received.args[0]
        );
    }
}

/// An HTTP request to the example's own routes, over a real connection; the
/// status and the body as JSON (`null` when it is not JSON).
pub async fn http(method: &str, url: &str, body: Option<Value>) -> (u16, Value) {
    let uri: hyper::Uri = url.parse().expect("a URL");
    let authority = uri.authority().expect("a host").to_string();
    let stream = tokio::net::TcpStream::connect(&authority)
        .await
        .expect("connects");
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("an HTTP/1 handshake");
    tokio::spawn(connection);
    let mut request = hyper::Request::builder()
        .method(method)
        .uri(uri.path_and_query().map_or("/", |p| p.as_str()))
        .header(hyper::header::HOST, &authority);
    let body = match body {
        Some(body) => {
            request = request.header(hyper::header::CONTENT_TYPE, "application/json");
            Bytes::from(body.to_string())
        }
        None => Bytes::new(),
    };
    let request = request.body(Full::new(body)).expect("a request");
    let response = tokio::time::timeout(WAIT, sender.send_request(request))
        .await
        .expect("answered in time")
        .expect("answered");
    let status = response.status().as_u16();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("a body")
        .to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// The `data.text` of each envelope.
pub fn texts(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| e["data"]["text"].as_str().expect("a text").to_owned())
        .collect()
}
