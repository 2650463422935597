//! The builder's settings beyond the protocol's core: the presence info an
//! arriving member shows, how long an empty client room lives, the HTTP
//! API and the health probes, the shutdown bound, and admission caps.

use std::sync::Arc;
use std::time::Duration;

use super::DialogueBuilder;
use crate::api::client::ConnectedClient;
use crate::api::room::Room;
use crate::{DialogueApp, HasPresence};

/// How long a room a client created may stay empty before it is deleted,
/// by default.
pub const DEFAULT_EMPTY_ROOM: Duration = Duration::from_secs(300);

/// The longest a shutdown waits for the transports to close, by default.
pub const DEFAULT_SHUTDOWN: Duration = Duration::from_secs(10);

/// How long a connection has to send an HTTP request's head, by default
/// ([`DialogueBuilder::request_head_timeout`]).
pub const DEFAULT_HEAD_TIMEOUT: Duration = Duration::from_secs(10);

impl<A: DialogueApp> DialogueBuilder<A> {
    /// Gives each user arriving in a room with presence its first `info`
    /// (the application's presence info type, declared with `presence:
    /// Info` in `dialogue!`); `None` shows none. Called once per user and
    /// room, on its first connection's join; a user's later `setPresence`
    /// replaces it. Without it members show no info until they set some.
    ///
    /// ```
    /// use dialogue_runtime::prelude::*;
    ///
    /// #[derive(Serialize, Deserialize, JsonSchema, TS)]
    /// pub struct MemberInfo {
    ///     pub name: String,
    /// }
    /// # #[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
    /// # pub struct Message { pub text: String }
    /// dialogue! {
    ///     pub ChatApp {
    ///         presence: MemberInfo,
    ///         lobby: { name: "Lobby", events: [Message], presence: true },
    ///     }
    /// }
    ///
    /// let builder = Dialogue::<ChatApp>::builder().presence_info(|client, _room| {
    ///     let name = client.meta().get("name")?.as_str()?.to_owned();
    ///     Some(MemberInfo { name })
    /// });
    /// ```
    pub fn presence_info<F>(mut self, info: F) -> Self
    where
        A: HasPresence,
        F: Fn(&ConnectedClient, &Room) -> Option<A::Info> + Send + Sync + 'static,
    {
        let wrapped: Arc<crate::engine::people::InfoFn> = Arc::new(move |engine, client, room| {
            let client = ConnectedClient::new(client.clone(), engine.clone());
            let room = Room::new(room.clone(), engine.clone());
            let info = info(&client, &room)?;
            match serde_json::to_value(info) {
                Ok(value) => Some(value),
                Err(error) => {
                    tracing::error!(%error, "the presence info does not serialize");
                    None
                }
            }
        });
        self.presence_info = Some(wrapped);
        self
    }

    /// Serves the HTTP API for backends (docs/http-api.md) under `/api`,
    /// for requests that carry `Authorization: Bearer <key>` (compared in
    /// constant time); its OpenAPI document is at `/api/openapi.json`
    /// without the key. [`Dialogue::router`](crate::Dialogue::router)
    /// includes it.
    ///
    /// ```
    /// # use dialogue_runtime::prelude::*;
    /// # #[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
    /// # pub struct Message { pub text: String }
    /// # dialogue! { pub ChatApp { chat: { name: "Chat Room", events: [Message] } } }
    /// let builder = Dialogue::<ChatApp>::builder().api_key("change-me");
    /// ```
    pub fn api_key(mut self, key: &str) -> Self {
        self.api_key = Some(crate::ApiKey::new(key));
        self
    }

    /// Serves the HTTP API under `path` (default `/api`) instead, so that it
    /// never collides with the application's own routes. Needs
    /// [`api_key`](Self::api_key).
    pub fn api_path(mut self, path: &str) -> Self {
        self.api_path = format!("/{}", path.trim_matches('/'));
        self
    }

    /// Where `GET /health` is served (`200 { status: "ok" }` while the
    /// process serves); `None` switches it off, so that it never collides
    /// with a route of the application's.
    pub fn health_path(mut self, path: Option<&str>) -> Self {
        self.probes.health = path.map(|p| format!("/{}", p.trim_matches('/')));
        self
    }

    /// Where `GET /ready` is served (`200 { status: "ready" }`, or `503 {
    /// status: "unavailable", failing }` while the store cannot commit or
    /// the server shuts down); `None` switches it off.
    ///
    /// ```
    /// # use dialogue_runtime::prelude::*;
    /// # #[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
    /// # pub struct Message { pub text: String }
    /// # dialogue! { pub ChatApp { chat: { name: "Chat Room", events: [Message] } } }
    /// let builder = Dialogue::<ChatApp>::builder()
    ///     .health_path(Some("/internal/health"))
    ///     .ready_path(None);
    /// ```
    pub fn ready_path(mut self, path: Option<&str>) -> Self {
        self.probes.ready = path.map(|p| format!("/{}", p.trim_matches('/')));
        self
    }

    /// The longest [`Dialogue::shutdown`](crate::Dialogue::shutdown) waits
    /// for the transports to close (default 10 s; the conformance server's
    /// `DIALOGUE_SHUTDOWN_SECS`).
    pub fn shutdown_timeout(mut self, bound: Duration) -> Self {
        self.shutdown_bound = bound;
        self
    }

    /// At most `max` rooms created by one user's clients that still exist;
    /// past it a `createRoom` is `PERMISSION_DENIED` (the conformance
    /// server: `DIALOGUE_MAX_CREATED_ROOMS`, default 20). Unlike
    /// [`max_dynamic_rooms`](Self::max_dynamic_rooms), no cap on all rooms.
    pub fn max_created_rooms_per_user(mut self, max: usize) -> Self {
        self.limits.dynamic_rooms_per_user = Some(max);
        self
    }

    /// Counts deliveries (each event handed to each recipient socket) for
    /// [`Dialogue::stats`](crate::Dialogue::stats) and the
    /// `dialogue_deliveries_total` metric. Off by default: counting costs a
    /// walk over each event's recipients, about what
    /// [`after_each`](Self::after_each) pays for its count.
    pub fn count_deliveries(mut self, on: bool) -> Self {
        self.count_deliveries = on;
        self
    }

    /// At most `max` template instances in memory that clients' joins (and
    /// event streams) may open (default 100,000); past it opening one more
    /// is `JOIN_DENIED`, while open ones stay joinable and the server's own
    /// pushes are not limited.
    pub fn max_room_instances(mut self, max: usize) -> Self {
        self.limits.max_room_instances = Some(max);
        self
    }

    /// At most `max` connections held by this process at once; past it a
    /// handshake is refused with a `connect_error` saying the server is full
    /// (the conformance server: `DIALOGUE_MAX_CONNECTIONS`, default 19,000).
    pub fn max_connections(mut self, max: usize) -> Self {
        self.limits.max_connections = Some(max);
        self
    }

    /// At most `max` connections from one address at once (behind trusted
    /// proxies, the address they forward); past it a handshake is refused
    /// with a `connect_error` saying why.
    ///
    /// ```
    /// # use dialogue_runtime::prelude::*;
    /// # #[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
    /// # pub struct Message { pub text: String }
    /// # dialogue! { pub ChatApp { chat: { name: "Chat Room", events: [Message] } } }
    /// let builder = Dialogue::<ChatApp>::builder()
    ///     .max_connections(19_000)
    ///     .max_connections_per_ip(50);
    /// ```
    pub fn max_connections_per_ip(mut self, max: usize) -> Self {
        self.limits.max_connections_per_ip = Some(max);
        self
    }

    /// How long a TCP connection has to send each HTTP request's head
    /// (default [`DEFAULT_HEAD_TIMEOUT`], 10 s), the first one and each next
    /// one on a kept-alive connection; past it the connection is closed. A
    /// connection that never speaks, or speaks a byte at a time, holds a
    /// descriptor only this long. Applies to [`serve`](crate::Dialogue::serve)
    /// and its siblings; serving the router with `axum::serve` yourself, no
    /// such bound applies.
    ///
    /// ```
    /// # use dialogue_runtime::prelude::*;
    /// # #[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
    /// # pub struct Message { pub text: String }
    /// # dialogue! { pub ChatApp { chat: { name: "Chat Room", events: [Message] } } }
    /// let builder = Dialogue::<ChatApp>::builder()
    ///     .request_head_timeout(std::time::Duration::from_secs(5));
    /// ```
    pub fn request_head_timeout(mut self, timeout: Duration) -> Self {
        self.head_timeout = timeout;
        self
    }

    /// How long a client has, once its transport is open, to send the
    /// Socket.IO handshake (socketioxide's default: 45 s); past it the
    /// transport closes. Shorter on a public server, so that half-open
    /// connections do not hold places.
    pub fn handshake_timeout(mut self, timeout: Duration) -> Self {
        self.handshake_timeout = Some(timeout);
        self
    }

    /// How long an instance of a template (a per-user room's, `user:{userId}`,
    /// or another's, `doc:{docId}`)
    /// stays in memory once nobody uses it (default 60 s): no member, no
    /// held session, no listener, no handle held by the application, and
    /// not looked up for that long. With a durable store (`store`) its
    /// events stay in the file and it comes back from there, in the same
    /// epoch; without one, its history goes with it and it comes back
    /// empty, in a new epoch. Pushing into an instance that is not in
    /// memory makes it again. Instances are swept when another one is made,
    /// so memory follows the users of the last minutes, not every user
    /// ever seen.
    ///
    /// ```
    /// # use dialogue_runtime::prelude::*;
    /// # #[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
    /// # pub struct Note { pub text: String }
    /// # dialogue! { pub App { inbox: { id: "user:{userId}", name: "Inbox", events: [Note] } } }
    /// let builder = Dialogue::<App>::builder()
    ///     .drop_unused_user_rooms_after(std::time::Duration::from_secs(600));
    /// # let _ = builder;
    /// ```
    pub fn drop_unused_user_rooms_after(mut self, idle: Duration) -> Self {
        self.instance_idle = idle;
        self
    }

    /// How long a room a client created may stay empty before it is
    /// deleted (default 300 s): everyone gets `dialogue:roomDeleted`.
    /// Rooms the server or the HTTP API created stay until deleted.
    pub fn delete_empty_rooms_after(mut self, empty: Duration) -> Self {
        self.empty_room = empty;
        self
    }
}
