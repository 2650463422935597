//! [`JoinedRoom`]: a room the client joined, typed by its handle: trigger
//! the events clients may trigger there, receive the events it carries,
//! read its history, hear how it came back after a reconnect.

use std::marker::PhantomData;
use std::pin::Pin;

use dialogue_core::protocol::{EventMessage, Position, Request as Wire};
use dialogue_core::{Accepts, ClientTriggers, DeclaredRoom, Event, Request};
use serde::Deserialize;
use serde_json::{Value, json};

use super::requests::{self, from_json, to_json, typed};
use super::rooms::{EventSink, JoinAnswer};
use super::{CallError, Events, Feed, Recovery, TypedClient};

/// A joined room. `R` is its handle type, so the compiler knows what the
/// room carries: [`trigger`](Self::trigger) takes only the events clients
/// may trigger there (`R: ClientTriggers<E>`), [`events`](Self::events)
/// only those the room can carry (`R: Accepts<E>`).
///
/// Clones share the membership; [`leave`](Self::leave) ends it for all.
///
/// ```no_run
/// # use dialogue_runtime::prelude::*;
/// # #[derive(Event, Serialize, Deserialize, JsonSchema, TS, Debug)]
/// # pub struct Message { pub text: String }
/// # #[derive(Event, Serialize, Deserialize, JsonSchema, TS, Debug)]
/// # pub struct Typing { pub typing: bool }
/// # dialogue! { pub ChatApp { chat: { name: "Chat", events: [Message, Typing] } } }
/// use dialogue_client::typed::{CallError, TypedClient};
///
/// # async fn run(client: TypedClient<ChatApp>) -> Result<(), CallError> {
/// let chat = client.join(ChatApp::chat()).await?;
/// // Typed handlers: each `Typing` of the room, as the Rust type.
/// chat.on(|typing: EventMessage<Typing>| async move {
///     println!("{} typing: {}", typing.from, typing.data.typing);
/// })
/// .await?;
/// let sent = chat.trigger(Message { text: "hi".into() }).await?;
/// println!("sent as #{}", sent.seq);
/// # Ok(())
/// # }
/// ```
pub struct JoinedRoom<R: DeclaredRoom> {
    client: TypedClient<R::App>,
    id: String,
    name: String,
    history: Vec<EventMessage>,
    _room: PhantomData<fn() -> R>,
}

impl<R: DeclaredRoom> Clone for JoinedRoom<R> {
    fn clone(&self) -> Self {
        Self {
            client: self.client.clone(),
            id: self.id.clone(),
            name: self.name.clone(),
            history: self.history.clone(),
            _room: PhantomData,
        }
    }
}

impl<R: DeclaredRoom> std::fmt::Debug for JoinedRoom<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JoinedRoom")
            .field("id", &self.id)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// The future of [`JoinedRoom::trigger`]: the event as everyone received it.
pub type Trigger<'a, E> =
    Pin<Box<dyn Future<Output = Result<EventMessage<E>, CallError>> + Send + 'a>>;

/// A page of `dialogue:getHistory`'s answer.
#[derive(Deserialize)]
struct Page {
    #[serde(default)]
    events: Vec<EventMessage>,
}

impl<R: DeclaredRoom> JoinedRoom<R> {
    pub(crate) fn new(client: TypedClient<R::App>, id: String, answer: JoinAnswer) -> Self {
        Self {
            client,
            id,
            name: answer.room_name,
            history: answer.history,
            _room: PhantomData,
        }
    }

    /// The room id, e.g. `chat` or `doc:readme`.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The room's name, as the server answered the join.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The client this room was joined with.
    pub fn client(&self) -> &TypedClient<R::App> {
        &self.client
    }

    /// Whether the client is still a member: false after
    /// [`leave`](Self::leave), a kick, the room's deletion or the client's
    /// closing.
    pub fn is_joined(&self) -> bool {
        self.client.session().rooms().contains(&self.id)
    }

    /// The client's position in the room's stream: the seq of the last
    /// event it received there (or the room's when it joined).
    pub fn position(&self) -> Option<Position> {
        self.client.session().rooms().position(&self.id)
    }

    /// The events of type `E` the room sent on join (for a room that syncs
    /// history on join), newest first.
    pub fn history<E: Event>(&self) -> Vec<EventMessage<E>>
    where
        R: Accepts<E>,
    {
        self.history
            .iter()
            .filter(|message| message.event == E::NAME)
            .filter_map(|message| typed(message).ok())
            .collect()
    }

    /// Triggers `event` in the room and returns it as everyone received it
    /// (stamped with `from`, `timestamp` and `seq`).
    ///
    /// Only the events clients may trigger in the room compile (its `events`
    /// list; any for `*`; none for `events: []`). Each trigger carries an
    /// id, so one whose answer was lost in a cut is sent again on the next
    /// connection and still delivered once. Refusals carry the protocol's
    /// code: `VALIDATION_FAILED` (with details), `RATE_LIMITED`, ...
    pub fn trigger<E: Event>(&self, event: E) -> Trigger<'_, E>
    where
        R: ClientTriggers<E>,
    {
        // Boxed, so that the bound is checked at the call only: a trigger
        // the room does not take is one error, not one per use of the future.
        Box::pin(self.send(event))
    }

    async fn send<E: Event>(&self, event: E) -> Result<EventMessage<E>, CallError> {
        if !self.is_joined() {
            return Err(CallError::NotJoined(self.id.clone()));
        }
        let data = to_json(E::NAME, &event)?;
        let session = self.client.session();
        let body = json!({
            "roomId": self.id, "event": E::NAME, "data": data, "id": session.trigger_id(),
        });
        let mut answer = session.call(Wire::Trigger, body, true).await?;
        let message = answer.remove("message").unwrap_or(Value::Null);
        let message: EventMessage = from_json(Wire::Trigger.wire_name(), message)?;
        // What everyone received: a server hook may have changed it.
        let data = E::deserialize_payload(message.data).unwrap_or(event);
        Ok(EventMessage {
            event: message.event,
            room_id: message.room_id,
            data,
            from: message.from,
            timestamp: message.timestamp,
            seq: message.seq,
            meta: message.meta,
        })
    }

    /// The room's events of type `E` from now on, in order, each once,
    /// including those missed during a cut and replayed on reconnecting.
    ///
    /// Subscribes to `E` when the room's subscriptions do not cover it
    /// (subscriptions are kept across reconnects). A payload that does not
    /// read as `E` is logged and skipped.
    pub async fn events<E: Event>(&self) -> Result<Events<E>, CallError>
    where
        R: Accepts<E>,
    {
        let (tx, feed) = Feed::channel();
        let sink: EventSink = Box::new(move |message: &EventMessage| match typed(message) {
            Ok(message) => tx.send(message).is_ok(),
            Err(error) => {
                tracing::warn!(event = E::NAME, %error, "an event that does not read as its type");
                !tx.is_closed()
            }
        });
        let session = self.client.session();
        let (added, subscribe) = {
            let mut rooms = session.rooms();
            let added = rooms.add_events(&self.id, E::NAME, sink);
            (added, added && rooms.subscribe(&self.id, E::NAME))
        };
        if !added {
            return Err(CallError::NotJoined(self.id.clone()));
        }
        if subscribe {
            let body = json!({ "roomId": self.id, "eventName": E::NAME });
            if let Err(error) = session.call(Wire::Subscribe, body, true).await {
                session.rooms().unsubscribe(&self.id, E::NAME);
                return Err(error);
            }
        }
        Ok(feed)
    }

    /// Calls `handler` with each of the room's events of type `E`, in order,
    /// one at a time, on a task of its own (as [`events`](Self::events)):
    /// abort the returned handle to stop.
    pub async fn on<E, F, Fut>(
        &self,
        mut handler: F,
    ) -> Result<tokio::task::JoinHandle<()>, CallError>
    where
        E: Event,
        R: Accepts<E>,
        F: FnMut(EventMessage<E>) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let mut events = self.events::<E>().await?;
        Ok(tokio::spawn(async move {
            while let Some(message) = events.recv().await {
                handler(message).await;
            }
        }))
    }

    /// A page of the room's history of `E`, newest first: indices `start`
    /// to `end` (exclusive; the server caps a page at 100). What to read
    /// when the room came back not [`recovered`](Recovery::recovered).
    pub async fn get_history<E: Event>(
        &self,
        start: u64,
        end: u64,
    ) -> Result<Vec<EventMessage<E>>, CallError>
    where
        R: Accepts<E>,
    {
        let body = json!({ "roomId": self.id, "eventName": E::NAME, "start": start, "end": end });
        let answer = self
            .client
            .session()
            .call(Wire::GetHistory, body, true)
            .await?;
        let what = Wire::GetHistory.wire_name();
        let page: Page = from_json(what, Value::Object(answer))?;
        page.events
            .iter()
            .map(|message| typed(message).map_err(|e| CallError::invalid(what, e)))
            .collect()
    }

    /// Asks one of the application's requests about this room (the server
    /// checks the client is a member, `NOT_IN_ROOM`); see
    /// [`TypedClient::request`].
    pub async fn request<Q: Request>(&self, request: Q) -> Result<Q::Response, CallError> {
        requests::ask(self.client.session(), Some(&self.id), &request).await
    }

    /// How the room comes back each time the connection is lost and made
    /// again (one [`Recovery`] per reconnection).
    pub fn recoveries(&self) -> Feed<Recovery> {
        let (tx, feed) = Feed::channel();
        self.client.session().rooms().add_recoveries(&self.id, tx);
        feed
    }

    /// Leaves the room: its feeds end.
    pub async fn leave(self) -> Result<(), CallError> {
        let body = json!({ "roomId": self.id });
        let session = self.client.session();
        let left = session.call(Wire::Leave, body, true).await.map(drop);
        session.rooms().remove(&self.id);
        left
    }
}
