//! The client side of the wire-level suites: waits, the two answer forms,
//! requests in the acknowledgement form, and assertions about what a client
//! received. Shared by tests/serve, tests/control and tests/logging; each
//! keeps its own server harness beside it.

use std::time::Duration;

use dialogue_client::{Client, ClientBuilder, ServerEvent, Transport};
use serde_json::{Value, json};

/// How long any wait in these tests may take before it counts as a failure.
pub const WAIT: Duration = Duration::from_secs(5);

/// How long a test listens before concluding that something did not arrive.
/// Always preceded by [`settle`], which makes the absence deterministic for
/// everything the server sent before; the wait is a margin on top.
pub const QUIET: Duration = Duration::from_millis(200);

/// Both transports, for the tests that run on each.
pub const TRANSPORTS: [Transport; 2] = [Transport::WebSocket, Transport::Polling];

/// The two answer forms of a request (docs/protocol.md, "Acknowledgements").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// Emitted without acknowledgement: answers and errors are events.
    Event,
    /// Emitted with an acknowledgement: `{ ok, ... }`, and no error event.
    Ack,
}

/// Both answer forms.
pub const FORMS: [Form; 2] = [Form::Event, Form::Ack];

/// Every combination of transport and answer form.
pub fn cases() -> impl Iterator<Item = (Transport, Form)> {
    TRANSPORTS
        .into_iter()
        .flat_map(|transport| FORMS.into_iter().map(move |form| (transport, form)))
}

/// The first argument of an event.
pub fn arg(event: &ServerEvent) -> &Value {
    &event.args[0]
}

/// `user` (`auth.userId`), connected to the server at `url` over WebSocket
/// and past its `dialogue:connected` greeting: for the suites that run a
/// server of their own (a child process, several nodes).
pub async fn connect_user(url: &str, user: &str) -> Client {
    let client = ClientBuilder::new(url)
        .transport(Transport::WebSocket)
        .auth(json!({ "userId": user }))
        .connect_timeout(WAIT)
        .connect()
        .await
        .unwrap_or_else(|error| panic!("{user} connects to {url}: {error}"));
    let greeting = client
        .expect_event("dialogue:connected", WAIT)
        .await
        .unwrap_or_else(|error| panic!("{user} is greeted: {error}"));
    assert_eq!(greeting.args[0]["userId"], user, "{:?}", greeting.args);
    client
}

/// Emits with an acknowledgement and returns its first argument.
pub async fn ask(client: &Client, event: &str, data: Value) -> Value {
    ask_args(client, event, vec![data]).await
}

/// Emits any arguments (none included) with an acknowledgement and returns
/// the acknowledgement's first argument.
pub async fn ask_args(client: &Client, event: &str, args: Vec<Value>) -> Value {
    let mut args = client
        .emit_args_with_ack(event, args, WAIT)
        .await
        .unwrap_or_else(|error| panic!("{event} acknowledged: {error}"));
    assert_eq!(args.len(), 1, "one acknowledgement argument: {args:?}");
    args.remove(0)
}

/// Asks and expects `{ ok: true, ... }`.
pub async fn ask_ok(client: &Client, event: &str, data: Value) -> Value {
    let answer = ask(client, event, data).await;
    assert_eq!(answer["ok"], true, "{event}: {answer}");
    answer
}

/// Joins `room` (acknowledgement form) and returns the answer.
pub async fn join(client: &Client, room: &str) -> Value {
    ask_ok(client, "dialogue:join", json!({ "roomId": room })).await
}

/// Joins with this request (a `since`, a secret, ...) and expects
/// `{ ok: true, ... }`.
pub async fn join_with(client: &Client, request: Value) -> Value {
    ask_ok(client, "dialogue:join", request).await
}

/// Leaves `room` (acknowledgement form) and returns the answer.
pub async fn leave(client: &Client, room: &str) -> Value {
    ask_ok(client, "dialogue:leave", json!({ "roomId": room })).await
}

/// Triggers (acknowledgement form) and returns the stamped envelope.
pub async fn trigger(client: &Client, room: &str, event: &str, data: Value) -> Value {
    let answer = ask_ok(
        client,
        "dialogue:trigger",
        json!({ "roomId": room, "event": event, "data": data }),
    )
    .await;
    answer["message"].clone()
}

/// The first argument of the next event called `name`.
pub async fn next(client: &Client, name: &str) -> Value {
    let event = client
        .expect_event(name, WAIT)
        .await
        .unwrap_or_else(|error| panic!("waiting for {name}: {error}"));
    arg(&event).clone()
}

/// A round trip on `client`'s own connection: the server answers a client's
/// requests in order, over one ordered connection, so once this answer is
/// back everything the server sent this client before is in its inbox.
pub async fn settle(client: &Client) {
    ask_ok(client, "dialogue:listRooms", Value::Null).await;
}

/// Asserts that the server sent `client` no event called `name` in answer to
/// its earlier requests: after a [`settle`] round trip, any such event would
/// already be in the inbox, so looking there is enough (no waiting).
pub async fn assert_none_queued(client: &Client, name: &str) {
    settle(client).await;
    if let Ok(event) = client.expect_event(name, Duration::ZERO).await {
        panic!("unexpected {name}: {event:?}");
    }
}

/// Asserts that no event called `name` reaches `client`: nothing that was
/// sent before a [`settle`] round trip, nor within [`QUIET`] after it.
pub async fn assert_silent(client: &Client, name: &str) {
    settle(client).await;
    if let Ok(event) = client.expect_event(name, QUIET).await {
        panic!("unexpected {name}: {event:?}");
    }
}

/// Every `dialogue:event` the client holds now, after a [`settle`] round trip
/// and a [`QUIET`] margin, in arrival order.
pub async fn drain_events(client: &Client) -> Vec<Value> {
    settle(client).await;
    let mut events = Vec::new();
    while let Ok(event) = client.expect_event("dialogue:event", QUIET).await {
        events.push(arg(&event).clone());
    }
    events
}

/// Waits until `done` holds, checking every 10 ms, at most [`WAIT`]: for
/// server state that changes in a task of its own (disconnect handlers).
pub async fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !done() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The `data.text` of each envelope.
pub fn texts(events: &Value) -> Vec<String> {
    events
        .as_array()
        .unwrap_or_else(|| panic!("an array of envelopes: {events}"))
        .iter()
        .map(|event| {
            event["data"]["text"]
                .as_str()
                .expect("a message")
                .to_owned()
        })
        .collect()
}

/// The connection still works: it is up and a request is answered.
pub async fn assert_usable(client: &Client) {
    assert!(client.is_connected(), "still connected");
    let answer = ask_ok(client, "dialogue:listRooms", Value::Null).await;
    assert!(answer["rooms"].is_array(), "{answer}");
}

/// Asserts that `joined` is exactly `{ roomId, roomName, position }` (the
/// event form of `dialogue:joined` for a join without `since`), `position`
/// an epoch and a seq.
pub fn assert_joined(joined: &Value, room: &str, name: &str) {
    let keys: std::collections::BTreeSet<&str> = joined
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        ["position", "roomId", "roomName"].into_iter().collect(),
        "{joined}"
    );
    assert_eq!(joined["roomId"], room, "{joined}");
    assert_eq!(joined["roomName"], name, "{joined}");
    assert_position(&joined["position"]);
}

/// Asserts that `position` is `{ epoch: non-empty string, seq: number }`.
pub fn assert_position(position: &Value) {
    assert!(
        position["epoch"].as_str().is_some_and(|e| !e.is_empty()),
        "{position}"
    );
    assert!(position["seq"].is_u64(), "{position}");
    assert_eq!(position.as_object().map(|o| o.len()), Some(2), "{position}");
}
