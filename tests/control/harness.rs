//! Starts a [`ControlApp`] server, configured by each test, on a free
//! loopback port; connects real clients; and the helpers the test files
//! share: requests in both answer forms, a log that hooks write to, a gate
//! that holds a hook, and plain HTTP requests.

#![allow(dead_code, reason = "each test file uses part of the harness")]

use std::sync::{Arc, Mutex, PoisonError};

use dialogue_client::{Client, ClientBuilder, Error, Transport};
use dialogue_runtime::{ConnectedClient, Dialogue, DialogueBuilder, ServeError};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::task::JoinHandle;

use crate::app::ControlApp;
pub use crate::support::wire::*;

/// A builder for the test app.
pub fn builder() -> DialogueBuilder<ControlApp> {
    Dialogue::<ControlApp>::builder()
}

/// A running server.
pub struct Server {
    pub dialogue: Dialogue<ControlApp>,
    pub url: String,
    pub serving: JoinHandle<Result<(), ServeError>>,
}

impl Server {
    /// Builds and serves on `127.0.0.1:0`.
    pub async fn start(builder: DialogueBuilder<ControlApp>) -> Self {
        let dialogue = builder.build().expect("builds");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binds");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let serving = dialogue.clone();
        let serving = tokio::spawn(async move { serving.serve_on(listener).await });
        Self {
            dialogue,
            url,
            serving,
        }
    }

    /// A client with `auth.userId = user`, past its greeting.
    pub async fn connect(&self, user: &str, transport: Transport) -> Client {
        let (client, greeting) = self
            .connect_with(json!({ "userId": user }), transport)
            .await;
        assert_eq!(greeting["userId"], user, "{greeting}");
        client
    }

    /// A client with this handshake `auth`, and its greeting (which must be
    /// the first event).
    pub async fn connect_with(&self, auth: Value, transport: Transport) -> (Client, Value) {
        let client = self
            .try_connect(auth, transport)
            .await
            .unwrap_or_else(|error| panic!("connects: {error}"));
        let first = client.recv_timeout(WAIT).await.expect("greeted");
        assert_eq!(first.name, "dialogue:connected", "first event: {first:?}");
        let greeting = arg(&first).clone();
        (client, greeting)
    }

    /// Connecting, as it turns out.
    pub async fn try_connect(&self, auth: Value, transport: Transport) -> Result<Client, Error> {
        connect_to(&self.url, auth, transport).await
    }

    /// Connects with `auth`, which must be refused, and returns the
    /// `connect_error` message.
    pub async fn refused_connect(&self, auth: Value, transport: Transport) -> String {
        refusal(self.try_connect(auth, transport).await)
    }

    /// The server's side of the only connection of `user`.
    pub async fn only_client(&self, user: &str) -> ConnectedClient {
        eventually(&format!("{user} has one connection"), || {
            self.dialogue.get_clients(user).len() == 1
        })
        .await;
        self.dialogue.get_clients(user).remove(0)
    }

    /// Waits until `user` has no connection left.
    pub async fn only_client_gone(&self, user: &str) {
        eventually(&format!("{user} is gone"), || {
            self.dialogue.get_clients(user).is_empty()
        })
        .await;
    }

    /// The number of members of a room.
    pub fn size(&self, room: &str) -> usize {
        self.dialogue
            .room_by_id(room)
            .expect("the room exists")
            .size()
    }
}

/// Connects a client to `url` with `auth`.
pub async fn connect_to(url: &str, auth: Value, transport: Transport) -> Result<Client, Error> {
    ClientBuilder::new(url)
        .transport(transport)
        .connect_timeout(WAIT)
        .auth(auth)
        .connect()
        .await
}

/// The message of a refused connection.
pub fn refusal(result: Result<Client, Error>) -> String {
    match result {
        Err(Error::ConnectRefused { message, .. }) => message,
        Err(other) => panic!("expected a connect_error, got {other}"),
        Ok(client) => panic!("expected a connect_error, but {} connected", client.id()),
    }
}

/// A valid `message` payload.
pub fn message(text: &str) -> Value {
    json!({ "text": text })
}

/// Sends a request that must fail, in `form`, and returns `{ code, message }`
/// after checking the code.
pub async fn refused(client: &Client, form: Form, code: &str, event: &str, data: Value) -> Value {
    let error = match form {
        Form::Event => {
            client.emit(event, data).expect("emits");
            next(client, "dialogue:error").await
        }
        Form::Ack => {
            let answer = ask(client, event, data).await;
            assert_eq!(answer["ok"], false, "{event}: {answer}");
            answer["error"].clone()
        }
    };
    assert_eq!(error["code"], code, "{event}: {error}");
    assert!(
        error["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{event}: {error}"
    );
    error
}

/// What hooks saw, in the order they ran. Cheap to clone into hooks.
#[derive(Clone, Default)]
pub struct Log(Arc<Mutex<Vec<String>>>);

impl Log {
    pub fn push(&self, entry: impl Into<String>) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(entry.into());
    }

    pub fn entries(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The entries that start with `prefix`, in order.
    pub fn starting_with(&self, prefix: &str) -> Vec<String> {
        self.entries()
            .into_iter()
            .filter(|entry| entry.starts_with(prefix))
            .collect()
    }

    pub fn clear(&self) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    /// Waits (bounded) until `entry` is logged.
    pub async fn wait_for(&self, entry: &str) {
        eventually(
            &format!("`{entry}` is logged: {:?}", self.entries()),
            || self.entries().iter().any(|e| e == entry),
        )
        .await;
    }
}

/// Holds a hook until the test lets it go, so the test can see what the
/// client has received while the hook is still running.
#[derive(Clone)]
pub struct Gate(Arc<tokio::sync::Semaphore>);

impl Default for Gate {
    fn default() -> Self {
        Self(Arc::new(tokio::sync::Semaphore::new(0)))
    }
}

impl Gate {
    /// Called in the hook: waits until opened.
    pub async fn pass(&self) {
        self.0.acquire().await.expect("never closed").forget();
    }

    /// Lets one waiting (or the next) hook through.
    pub fn open(&self) {
        self.0.add_permits(1);
    }
}

/// A plain HTTP/1.1 response.
#[derive(Debug)]
pub struct HttpResponse {
    pub status: u16,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl HttpResponse {
    /// The value of a header (the first, by lower-case name).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// Sends one HTTP/1.1 request with `Connection: close` to the server at
/// `url` (`http://host:port`) and reads the whole response. Plain HTTP is
/// all the polling transport is, and all CORS is about.
pub async fn http(url: &str, method: &str, path: &str, headers: &[(&str, &str)]) -> HttpResponse {
    let authority = url.strip_prefix("http://").expect("an http:// url");
    let mut stream = tokio::net::TcpStream::connect(authority)
        .await
        .expect("connects");
    let mut request =
        format!("{method} {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    if method == "POST" {
        request.push_str("Content-Length: 0\r\n");
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await.expect("sends");
    let mut raw = Vec::new();
    tokio::time::timeout(WAIT, stream.read_to_end(&mut raw))
        .await
        .expect("the response ends")
        .expect("reads");
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("a head and a body");
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("a status line: {head}"));
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    HttpResponse {
        status,
        headers,
        body: body.to_owned(),
    }
}
