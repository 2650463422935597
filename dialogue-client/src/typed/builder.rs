//! [`TypedBuilder`]: where a typed client connects, as whom, and how it
//! waits and reconnects.

use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use dialogue_core::DialogueApp;
use serde_json::{Map, Value};

use super::session::{Options, Session};
use super::{ConnectError, TypedClient, dispatch};
use crate::Transport;

/// Options of a [`TypedClient`]; finish with [`connect`](Self::connect).
///
/// ```no_run
/// # use dialogue_runtime::prelude::*;
/// # #[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
/// # pub struct Message { pub text: String }
/// # dialogue! { pub ChatApp { chat: { name: "Chat", events: [Message] } } }
/// use std::time::Duration;
///
/// use dialogue_client::Transport;
/// use dialogue_client::typed::{ConnectError, TypedClient};
/// use serde_json::json;
///
/// # async fn run() -> Result<(), ConnectError> {
/// let client = TypedClient::<ChatApp>::builder("http://127.0.0.1:3000")
///     .auth(json!({ "token": "a JWT" }))
///     .transport(Transport::Polling)
///     .timeout(Duration::from_secs(5))
///     .reconnect_delay(Duration::from_millis(200), Duration::from_secs(2))
///     .connect()
///     .await?;
/// println!("connected as {}", client.user_id());
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct TypedBuilder<A> {
    options: Options,
    auth: Value,
    _app: PhantomData<fn() -> A>,
}

impl<A: DialogueApp> TypedBuilder<A> {
    /// Starts a builder for the server at `url` (`http://host:port`), with
    /// the defaults: WebSocket, no `auth`, 10 s to connect and 10 s per
    /// call, reconnecting after 0.5 s doubled up to 5 s.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            options: Options {
                url: url.into(),
                auth: Map::new(),
                transport: Transport::WebSocket,
                connect_timeout: Duration::from_secs(10),
                call_timeout: Duration::from_secs(10),
                reconnect: true,
                delay_min: Duration::from_millis(500),
                delay_max: Duration::from_secs(5),
            },
            auth: Value::Object(Map::new()),
            _app: PhantomData,
        }
    }

    /// The handshake's `auth` object, e.g. `{ "token": "..." }` or, without
    /// an authenticate step, `{ "userId": "alice" }`. Sent again on every
    /// reconnection, with the session's resume token added.
    pub fn auth(mut self, auth: Value) -> Self {
        self.auth = auth;
        self
    }

    /// The transport: WebSocket (default) or HTTP long-polling.
    pub fn transport(mut self, transport: Transport) -> Self {
        self.options.transport = transport;
        self
    }

    /// How long a connection (and its greeting) may take.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.options.connect_timeout = timeout;
        self
    }

    /// How long a call (join, trigger, request, ...) may take, waiting out
    /// a reconnection included; past it, [`CallError::Timeout`](super::CallError::Timeout).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.options.call_timeout = timeout;
        self
    }

    /// Whether to connect again when the connection is lost (default true).
    /// Without, the client closes with its connection.
    pub fn reconnect(mut self, reconnect: bool) -> Self {
        self.options.reconnect = reconnect;
        self
    }

    /// The wait before the first attempt to connect again, doubled after
    /// each failed one up to `max` (each jittered down by up to half).
    pub fn reconnect_delay(mut self, min: Duration, max: Duration) -> Self {
        self.options.delay_min = min.max(Duration::from_millis(1));
        self.options.delay_max = max.max(self.options.delay_min);
        self
    }

    /// Connects, waits for the server's greeting and returns the client.
    ///
    /// Fails with [`ConnectError::Refused`] when the server refuses the
    /// handshake (a bad token), [`ConnectError::InvalidAuth`] when `auth`
    /// is not an object, and [`ConnectError::Transport`] when the server
    /// cannot be reached in time.
    pub async fn connect(self) -> Result<TypedClient<A>, ConnectError> {
        let mut options = self.options;
        options.auth = match self.auth {
            Value::Object(auth) => auth,
            other => return Err(ConnectError::InvalidAuth(other.to_string())),
        };
        let (client, greeting) = Session::open(&options, None).await?;
        let session = Arc::new(Session::new(options, client.clone(), greeting));
        dispatch::spawn(session.clone(), client);
        Ok(TypedClient::new(session))
    }
}
