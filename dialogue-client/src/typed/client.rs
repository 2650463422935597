//! [`TypedClient`]: a connection to a Dialogue server that knows the
//! application's declaration, and keeps itself connected.

use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use dialogue_core::rules::RoomPattern;
use dialogue_core::{DeclaredRoom, DialogueApp, Instance, Request, TemplateRoom};

use super::rooms::Subscribed;
use super::session::{Link, Session};
use super::{CallError, JoinedRoom, TypedBuilder, requests};

/// A client of a server of the application `A`, typed by its declaration:
/// the rooms it joins are `A`'s room handles, the events it triggers and
/// receives their Rust types.
///
/// It keeps itself connected: when the connection is lost it connects
/// again, resumes its session and gets every event missed meanwhile
/// (docs/recovery.md); calls made meanwhile wait for it, within the call
/// timeout. Clones share one connection; dropping the last clone closes it.
///
/// ```no_run
/// # use dialogue_runtime::prelude::*;
/// # #[derive(Event, Serialize, Deserialize, JsonSchema, TS, Debug)]
/// # pub struct Message { pub text: String }
/// # dialogue! { pub ChatApp { chat: { name: "Chat", events: [Message] } } }
/// use dialogue_client::typed::TypedClient;
/// use serde_json::json;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let client = TypedClient::<ChatApp>::builder("http://127.0.0.1:3000")
///     .auth(json!({ "userId": "alice" }))
///     .connect()
///     .await?;
/// let chat = client.join(ChatApp::chat()).await?;
/// let mut messages = chat.events::<Message>().await?;
/// chat.trigger(Message { text: "hello".into() }).await?;
/// while let Some(message) = messages.recv().await {
///     println!("{}: {}", message.from, message.data.text);
/// }
/// # Ok(())
/// # }
/// ```
pub struct TypedClient<A> {
    owner: Arc<Owner>,
    _app: PhantomData<fn() -> A>,
}

/// Closes the session when the last clone goes.
struct Owner {
    session: Arc<Session>,
}

impl Drop for Owner {
    fn drop(&mut self) {
        if let Some(client) = self.session.close()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            runtime.spawn(async move { client.disconnect().await });
        }
    }
}

impl<A> Clone for TypedClient<A> {
    fn clone(&self) -> Self {
        Self {
            owner: self.owner.clone(),
            _app: PhantomData,
        }
    }
}

impl<A> std::fmt::Debug for TypedClient<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let greeting = self.owner.session.greeting();
        f.debug_struct("TypedClient")
            .field("user_id", &greeting.user_id)
            .field("client_id", &greeting.client_id)
            .finish_non_exhaustive()
    }
}

/// Whether a [`TypedClient`] is connected.
///
/// ```no_run
/// # use dialogue_runtime::prelude::*;
/// # #[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
/// # pub struct Message { pub text: String }
/// # dialogue! { pub ChatApp { chat: { name: "Chat", events: [Message] } } }
/// use std::time::Duration;
///
/// use dialogue_client::typed::{CallError, ConnectionState, TypedClient};
///
/// # async fn run(client: TypedClient<ChatApp>) -> Result<(), CallError> {
/// if client.state() == ConnectionState::Reconnecting {
///     client.wait_connected(Duration::from_secs(30)).await?;
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionState {
    /// Connected: calls go out at once.
    Connected,
    /// The connection was lost and is being made again: calls wait.
    Reconnecting,
    /// Closed for good: calls fail with [`CallError::Closed`].
    Closed,
}

impl<A: DialogueApp> TypedClient<A> {
    /// Shorthand for [`TypedBuilder::new`].
    pub fn builder(url: impl Into<String>) -> TypedBuilder<A> {
        TypedBuilder::new(url)
    }

    pub(crate) fn new(session: Arc<Session>) -> Self {
        Self {
            owner: Arc::new(Owner { session }),
            _app: PhantomData,
        }
    }

    pub(crate) fn session(&self) -> &Session {
        &self.owner.session
    }

    /// The application's user this client is (`dialogue:connected`'s
    /// `userId`).
    pub fn user_id(&self) -> String {
        self.session().greeting().user_id.clone()
    }

    /// The current connection's id; it changes with each reconnection.
    pub fn client_id(&self) -> String {
        self.session().greeting().client_id.clone()
    }

    /// Whether the client is connected, reconnecting or closed.
    pub fn state(&self) -> ConnectionState {
        match self.session().link() {
            Link::Up(client) if client.is_connected() => ConnectionState::Connected,
            Link::Up(_) | Link::Reconnecting => ConnectionState::Reconnecting,
            Link::Closed => ConnectionState::Closed,
        }
    }

    /// Waits until the client is connected (again): [`CallError::Timeout`]
    /// past `timeout`, [`CallError::Closed`] if it closes instead.
    pub async fn wait_connected(&self, timeout: Duration) -> Result<(), CallError> {
        let mut link = self.session().watch_link();
        let settled = link.wait_for(|link| match link {
            Link::Up(client) => client.is_connected(),
            Link::Closed => true,
            Link::Reconnecting => false,
        });
        match tokio::time::timeout(timeout, settled).await {
            Err(_) => Err(CallError::Timeout(timeout)),
            Ok(Ok(link)) if matches!(*link, Link::Up(_)) => Ok(()),
            Ok(_) => Err(CallError::Closed),
        }
    }

    /// Joins a declared room by its handle, e.g. `ChatApp::chat()`; for a
    /// per-user room (`user:{userId}`), this user's own instance.
    ///
    /// The answer comes with the room's position, and the history the room
    /// syncs on join ([`JoinedRoom::history`]). Refusals carry the
    /// protocol's code: `ROOM_FULL`, `JOIN_DENIED`, ...; a template's handle
    /// is [`CallError::Template`].
    pub async fn join<R>(&self, room: R) -> Result<JoinedRoom<R>, CallError>
    where
        R: DeclaredRoom<App = A>,
    {
        let _ = room;
        let id = match RoomPattern::parse(R::ID) {
            None => R::ID.to_owned(),
            Some(pattern) if pattern.is_per_user() => pattern.instance(&self.user_id()),
            Some(_) => return Err(CallError::Template(R::ID.to_owned())),
        };
        self.join_id(id).await
    }

    /// Joins an instance of a room template, e.g. `CollabApp::doc("readme")`
    /// (`doc:readme`), made on first join.
    pub async fn join_instance<R>(&self, instance: Instance<R>) -> Result<JoinedRoom<R>, CallError>
    where
        R: TemplateRoom<App = A>,
    {
        self.join_id(instance.id()).await
    }

    async fn join_id<R: DeclaredRoom<App = A>>(
        &self,
        id: String,
    ) -> Result<JoinedRoom<R>, CallError> {
        let defaults = A::spec()
            .room(R::ID)
            .map(|room| Subscribed::from_spec(&room.default_subscriptions))
            .unwrap_or_else(|| Subscribed::Names(Default::default()));
        let answer = self.session().join(&id, defaults).await?;
        Ok(JoinedRoom::new(self.clone(), id, answer))
    }

    /// Asks one of the application's requests and returns its handler's
    /// answer, typed; a handler's refusal is [`CallError::Refused`] with
    /// its own code ([`RefusalCode::Application`](super::RefusalCode)), a
    /// handler that failed `INTERNAL`.
    ///
    /// A request is not sent twice: when the connection is lost before the
    /// answer, it fails with [`CallError::Disconnected`].
    pub async fn request<Q: Request>(&self, request: Q) -> Result<Q::Response, CallError> {
        requests::ask(self.session(), None, &request).await
    }

    /// Leaves every room and disconnects, ending the session at once (the
    /// server announces the user's departure without a grace period).
    pub async fn close(&self) {
        if let Some(client) = self.session().close() {
            client.disconnect().await;
        }
    }
}
