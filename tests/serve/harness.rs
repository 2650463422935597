//! Starts the conformance app in-process on a free loopback port, connects
//! clients to it; the client-side helpers are `support::wire`, re-exported.

use dialogue_client::{Client, ClientBuilder, Transport};
use dialogue_runtime::{ConnectedClient, Dialogue, ServeError};
use serde_json::{Value, json};
use tokio::task::JoinHandle;

use crate::support::conformance::ConformanceApp;
pub use crate::support::wire::*;

/// Two servers in this process, nodes `a` and `b` of one cluster on a
/// `redis-server` of their own; [`TwoNodes::stop`] shuts both down, then
/// the Redis server.
pub struct TwoNodes {
    pub a: Server,
    pub b: Server,
    redis: crate::support::redis_server::RedisServer,
}

impl TwoNodes {
    /// Starts a `redis-server` (off the runtime's threads) and two nodes on it.
    pub async fn start() -> Self {
        use crate::support::redis_server::{Persistence, RedisServer};
        let redis = tokio::task::spawn_blocking(|| RedisServer::start(Persistence::Off))
            .await
            .expect("redis-server starts");
        let node = |name: &str| {
            ConformanceApp::server()
                .redis(redis.url())
                .node_id(name)
                .build()
                .expect("builds")
        };
        let (a, b) = (node("a"), node("b"));
        Self {
            a: Server::serve(a).await,
            b: Server::serve(b).await,
            redis,
        }
    }

    /// Shuts both nodes down, then stops the Redis server.
    pub async fn stop(self) {
        self.a.dialogue.shutdown().await;
        self.b.dialogue.shutdown().await;
        let redis = self.redis;
        let _ = tokio::task::spawn_blocking(move || drop(redis)).await;
    }
}

/// A running server.
pub struct Server {
    pub dialogue: Dialogue<ConformanceApp>,
    pub url: String,
    /// The task running `serve_on`: it ends when the server shuts down.
    pub serving: JoinHandle<Result<(), ServeError>>,
}

impl Server {
    /// The conformance app on `127.0.0.1:0`.
    pub async fn start() -> Self {
        let dialogue = ConformanceApp::server().build().expect("builds");
        Self::serve(dialogue).await
    }

    /// Serves a prepared server on a free port.
    pub async fn serve(dialogue: Dialogue<ConformanceApp>) -> Self {
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

    /// A client with `auth.userId = user`, over `transport`, past its
    /// `dialogue:connected` greeting.
    pub async fn connect(&self, user: &str, transport: Transport) -> Client {
        let (client, greeting) = self
            .connect_with(Some(json!({ "userId": user })), transport)
            .await;
        assert_eq!(greeting["userId"], user, "{greeting}");
        client
    }

    /// A client with this handshake `auth` (none for `None`), and its
    /// greeting, which must be the first event it receives.
    pub async fn connect_with(&self, auth: Option<Value>, transport: Transport) -> (Client, Value) {
        let mut builder = ClientBuilder::new(&self.url)
            .transport(transport)
            .connect_timeout(WAIT);
        if let Some(auth) = auth {
            builder = builder.auth(auth);
        }
        let client = builder.connect().await.expect("connects");
        let first = client.recv_timeout(WAIT).await.expect("greeted");
        assert_eq!(
            first.name, "dialogue:connected",
            "the first event: {first:?}"
        );
        let greeting = arg(&first).clone();
        (client, greeting)
    }

    /// The server's side of the only connection of `user` (waiting, bounded,
    /// for earlier connections of that user to be forgotten).
    pub async fn only_client(&self, user: &str) -> ConnectedClient {
        eventually(&format!("{user} has one connection"), || {
            self.dialogue.get_clients(user).len() == 1
        })
        .await;
        self.dialogue.get_clients(user).remove(0)
    }
}

/// A valid `message` payload.
pub fn message(text: &str) -> Value {
    json!({ "text": text, "senderId": "s" })
}

/// Sends a request that must fail, in `form`, and returns the wire error
/// `{ code, message, details? }`.
pub async fn refused(client: &Client, form: Form, event: &str, data: Value) -> Value {
    refused_args(client, form, event, vec![data]).await
}

/// Like [`refused`] with any arguments (none included).
pub async fn refused_args(client: &Client, form: Form, event: &str, args: Vec<Value>) -> Value {
    let error = match form {
        Form::Event => {
            client.emit_args(event, args).expect("emits");
            next(client, "dialogue:error").await
        }
        Form::Ack => {
            let answer = ask_args(client, event, args).await;
            assert_eq!(answer["ok"], false, "{event}: {answer}");
            let error = answer["error"].clone();
            // The acknowledgement is the whole answer: no error event as well.
            assert_none_queued(client, "dialogue:error").await;
            error
        }
    };
    assert!(error["code"].is_string(), "{event}: {error}");
    assert!(
        error["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{event}: {error}"
    );
    error
}

/// Like [`refused`], checking the code.
pub async fn refused_with(
    client: &Client,
    form: Form,
    code: &str,
    event: &str,
    data: Value,
) -> Value {
    let error = refused(client, form, event, data).await;
    assert_eq!(error["code"], code, "{event}: {error}");
    error
}

/// `"0"`, `"1"`, ... as strings, in the order given.
pub fn numbered(range: impl Iterator<Item = usize>) -> Vec<String> {
    range.map(|n| n.to_string()).collect()
}
