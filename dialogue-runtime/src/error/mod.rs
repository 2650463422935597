//! Errors: the leaves shared by several operations, and one enum per
//! operation composed of them. Their mapping to the wire's error codes is in
//! `to_wire` (the [`ToWire`] trait), and nowhere else.

mod to_wire;

pub use to_wire::ToWire;

use crate::protocol::ValidationIssue;
use crate::rules::NameError;

/// Why a server could not be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BuildError {
    /// A schema the validator refuses (a bug in a hand-written `JsonSchema`).
    #[error("the JSON Schema of event `{event}` does not compile: {reason}")]
    InvalidSchema {
        /// The event.
        event: String,
        /// What the validator said.
        reason: String,
    },
    /// A hook that takes one registration was registered twice.
    #[error(
        "the `{hook}` hook may be registered once, but was registered twice{}",
        if *hook == "authenticate" { " (`jwt()` registers one)" } else { "" }
    )]
    HookRegisteredTwice {
        /// The hook's name, e.g. `authenticate`.
        hook: &'static str,
    },
    /// The store cannot be opened (its path and the cause are in the
    /// message).
    #[error("the store cannot be used: {0}")]
    Store(String),
    /// Both `store` and `history_store` were set: they are two ways of
    /// keeping history; pick one.
    #[error(
        "set either `store` (durable, committed before each answer) or `history_store`, not both"
    )]
    TwoStores,
    /// Both Redis and a history store are set: with Redis, Redis keeps the
    /// streams and history of every node.
    #[error(
        "set either `redis` (several nodes: Redis keeps streams and history) or a history file (`store`, `history_store`), not both"
    )]
    RedisAndStore,
    /// The Redis URL does not read.
    #[error("the Redis URL does not read: {0}")]
    Redis(String),
    /// A declared request has no handler (`on_request`).
    #[error(
        "the request `{request}` is declared but has no handler: add `.on_request::<{type_name}, _, _>(...)` to the builder"
    )]
    RequestWithoutHandler {
        /// The request's wire name.
        request: String,
        /// Its Rust type.
        type_name: String,
    },
    /// A handler for a request the application does not declare.
    #[error(
        "`on_request` was given a handler for `{request}`, which the application does not list: add it to `requests: [...]` in `dialogue!`"
    )]
    UndeclaredRequest {
        /// The request's wire name.
        request: String,
    },
    /// Two handlers for one request.
    #[error("the request `{request}` has two handlers; give it one")]
    RequestHandledTwice {
        /// The request's wire name.
        request: String,
    },
}

/// Why an application's request was not answered with a response.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AskError {
    /// The application declares no request of this name.
    #[error("unknown request `{0}`: the application declares no request of that name")]
    Unknown(String),
    /// The request's room does not exist.
    #[error(transparent)]
    RoomNotFound(#[from] RoomNotFound),
    /// The caller is not a member of the request's room.
    #[error(transparent)]
    NotInRoom(#[from] NotInRoom),
    /// The payload breaks the request's schema.
    #[error("invalid `{request}` payload: {summary}")]
    Invalid {
        /// The request.
        request: String,
        /// The first issue, for the message.
        summary: String,
        /// Every issue (at most `MAX_ISSUES`).
        issues: Vec<crate::protocol::ValidationIssue>,
    },
    /// The handler refused, with the application's code and message.
    #[error("{code}: {message}")]
    Refused {
        /// The application's code.
        code: String,
        /// Its message.
        message: String,
    },
    /// The handler failed, panicked or ran out of time (logged).
    #[error("the request's handler failed")]
    Failed,
}

/// No room has this id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("room `{0}` does not exist")]
pub struct RoomNotFound(pub String);

/// The client is not a member of the room.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a member of room `{0}`; join it first")]
pub struct NotInRoom(pub String);

/// An event name breaks the naming rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid event name {name:?}: {source}")]
pub struct InvalidEventName {
    /// The name.
    pub name: String,
    /// The rule it breaks.
    pub source: NameError,
}

impl InvalidEventName {
    /// Checks `name` with [`crate::rules::check_event_name`].
    pub(crate) fn check(name: &str) -> Result<(), Self> {
        crate::rules::check_event_name(name).map_err(|source| Self {
            name: name.to_owned(),
            source,
        })
    }
}

/// Why a room a client asked about is not one of its rooms: it does not
/// exist, or the client is not in it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotJoined {
    /// No such room.
    #[error(transparent)]
    RoomNotFound(#[from] RoomNotFound),
    /// The client is not a member.
    #[error(transparent)]
    NotInRoom(#[from] NotInRoom),
}

/// A request from a client that could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RequestError {
    /// The payload does not have the request's shape.
    #[error("invalid `{request}` request: {reason}")]
    Malformed {
        /// The request, e.g. `dialogue:join`.
        request: String,
        /// What serde or the check said.
        reason: String,
    },
    /// An event name the protocol does not know.
    #[error("unknown request `{0}`; requests are the `dialogue:*` events of the protocol")]
    Unknown(String),
    /// Binary data where JSON is expected.
    #[error("`{0}` takes JSON, not binary data")]
    Binary(String),
    /// The client sends faster than the server works through its requests.
    #[error("too many requests in flight; wait for answers before sending more")]
    Overloaded,
    /// Handling the request failed on the server (it is logged).
    #[error("the server failed to handle the request")]
    Failed,
}

/// Why a join failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum JoinError {
    /// No such room.
    #[error(transparent)]
    RoomNotFound(#[from] RoomNotFound),
    /// The room holds `max_size` members already.
    #[error("room `{room}` is full ({max_size} members)")]
    RoomFull {
        /// The room id.
        room: String,
        /// Its capacity.
        max_size: u32,
    },
    /// A hook or rule refused.
    #[error("{reason}")]
    Denied {
        /// The room id.
        room: String,
        /// Why, as the hook said.
        reason: String,
    },
    /// The shared state (Redis) could not be reached: nothing changed.
    #[error("the room's state is unavailable now; try again: {0}")]
    Unavailable(String),
    /// The client is in as many rooms as one connection may be.
    #[error("a connection may be in at most {0} rooms; leave one first")]
    TooManyRooms(usize),
    /// A subscription names an event nobody may send in the room.
    #[error("room `{room}` has no event `{event}` to subscribe to")]
    EventNotAllowed {
        /// The room id.
        room: String,
        /// The event name.
        event: String,
    },
    /// A subscription is not an event name or `*`.
    #[error(transparent)]
    InvalidEventName(#[from] InvalidEventName),
    /// A hook failed (it is logged).
    #[error("the server failed to handle the join")]
    HookFailed(&'static str),
    /// The client disconnected meanwhile.
    #[error("the client is disconnected")]
    Disconnected,
}

/// Why a leave failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LeaveError {
    /// No such room.
    #[error(transparent)]
    RoomNotFound(#[from] RoomNotFound),
}

/// Why a subscription change failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SubscribeError {
    /// No such room.
    #[error(transparent)]
    RoomNotFound(#[from] RoomNotFound),
    /// The client is not a member.
    #[error(transparent)]
    NotInRoom(#[from] NotInRoom),
    /// The event name breaks the naming rule.
    #[error(transparent)]
    InvalidEventName(#[from] InvalidEventName),
}

/// Why a trigger failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TriggerError {
    /// No such room.
    #[error(transparent)]
    RoomNotFound(#[from] RoomNotFound),
    /// The client is not a member.
    #[error(transparent)]
    NotInRoom(#[from] NotInRoom),
    /// The event name breaks the naming rule.
    #[error(transparent)]
    InvalidEventName(#[from] InvalidEventName),
    /// The room does not take this event from clients.
    #[error("room `{room}` does not accept the event `{event}`")]
    EventNotAllowed {
        /// The room id.
        room: String,
        /// The event name.
        event: String,
    },
    /// The payload fails the event's schema.
    #[error("`{event}` payload is invalid: {}", summary(issues))]
    Validation {
        /// The event name.
        event: String,
        /// Each failure.
        issues: Vec<ValidationIssue>,
    },
    /// Over the connection's trigger rate.
    #[error("too many triggers: at most {0} per second")]
    RateLimited(u32),
    /// `before_each` refused the event.
    #[error("{0}")]
    Refused(String),
    /// A hook failed (it is logged).
    #[error("the server failed to handle the event")]
    HookFailed(&'static str),
    /// `data` or `meta` over the configured size.
    #[error("the {part} is {size} bytes; at most {max} are accepted")]
    PayloadTooLarge {
        /// `data` or `meta`.
        part: &'static str,
        /// Its size in bytes of JSON.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// A typed payload could not be written as JSON.
    #[error("the `{event}` payload cannot be serialized: {reason}")]
    Serialize {
        /// The event name.
        event: String,
        /// What serde said.
        reason: String,
    },
    /// The store could not commit the event: nothing was accepted.
    #[error("the event could not be stored, nothing was accepted: {0}")]
    Unavailable(String),
}

fn summary(issues: &[ValidationIssue]) -> String {
    let parts: Vec<String> = issues
        .iter()
        .map(|issue| match issue.path.as_str() {
            "" => issue.message.clone(),
            path => format!("{path}: {}", issue.message),
        })
        .collect();
    parts.join("; ")
}

/// Why a history request failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HistoryError {
    /// No such room.
    #[error(transparent)]
    RoomNotFound(#[from] RoomNotFound),
    /// The client is not a member.
    #[error(transparent)]
    NotInRoom(#[from] NotInRoom),
    /// The event name breaks the naming rule.
    #[error(transparent)]
    InvalidEventName(#[from] InvalidEventName),
    /// Over the connection's history request rate.
    #[error("too many history requests: at most {0} per minute")]
    RateLimited(u32),
    /// A hook failed (it is logged).
    #[error("the server failed to load history")]
    HookFailed(&'static str),
    /// The history store failed.
    #[error("the history store failed: {0}")]
    Store(String),
}

/// Why a room could not be created.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CreateRoomError {
    /// The id breaks the naming rule.
    #[error("invalid room id {id:?}: {source}")]
    InvalidId {
        /// The id.
        id: String,
        /// The rule it breaks.
        source: NameError,
    },
    /// The name is empty or too long.
    #[error("a room name is 1 to {max} characters", max = crate::rules::MAX_NAME_LEN)]
    InvalidName,
    /// A room with this id exists.
    #[error("room `{0}` already exists")]
    Exists(String),
    /// The id names an instance of a declared per-user room.
    #[error("room id `{0}` is reserved for a per-user room of the application")]
    Reserved(String),
    /// As many rooms exist as may be created at run time.
    #[error("no more rooms can be created: at most {0} exist at once")]
    TooManyRooms(usize),
    /// The user created as many rooms as one user may.
    #[error("you may create at most {0} rooms; delete one first")]
    TooManyRoomsForUser(usize),
    /// The shared state (Redis) could not be reached: nothing changed.
    #[error("rooms cannot be created now; try again: {0}")]
    Unavailable(String),
}

/// Why a room could not be deleted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DeleteRoomError {
    /// No such room.
    #[error(transparent)]
    RoomNotFound(#[from] RoomNotFound),
    /// Declared rooms are part of the application and stay.
    #[error("room `{0}` is declared by the application and cannot be deleted")]
    Declared(String),
    /// Only the host of a client-created room may delete it (and nobody
    /// over the wire deletes a room no client created).
    #[error("only the host of room `{0}` may delete it")]
    NotCreator(String),
    /// The shared state (Redis) could not be reached: nothing changed.
    #[error("rooms cannot be deleted now; try again: {0}")]
    Unavailable(String),
}

/// Why `dialogue:auth` failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AuthError {
    /// The server authenticates nobody: there is no token to replace.
    #[error("this server does not authenticate connections: no token to replace")]
    NotConfigured,
    /// The token is bad or expired (the reason says which).
    #[error("{0}")]
    Invalid(String),
    /// The token is another user's.
    #[error("the token is another user's: a connection stays its user's")]
    OtherUser,
    /// The authentication step failed (logged).
    #[error("authentication failed: internal error")]
    Failed,
}

/// Why a presence request failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PresenceError {
    /// No such room.
    #[error(transparent)]
    RoomNotFound(#[from] RoomNotFound),
    /// The client is not a member.
    #[error(transparent)]
    NotInRoom(#[from] NotInRoom),
    /// The room has no presence.
    #[error("room `{0}` has no presence")]
    NoPresence(String),
    /// `info` is missing or not an object.
    #[error("`info` must be an object")]
    NotAnObject,
    /// `info` fails the application's presence info schema.
    #[error("presence `info` is invalid: {}", summary(issues))]
    Validation {
        /// What failed, paths inside `info`.
        issues: Vec<ValidationIssue>,
    },
}

/// Why a host's request (kick, transfer) failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HostError {
    /// No such room.
    #[error(transparent)]
    RoomNotFound(#[from] RoomNotFound),
    /// The caller is not the room's host.
    #[error("only the host of room `{0}` may do that")]
    NotHost(String),
    /// The user named is not in the room.
    #[error("user `{user}` is not in room `{room}`")]
    NotPresent {
        /// The room.
        room: String,
        /// The user.
        user: String,
    },
}

macro_rules! from_not_joined {
    ($($error:ident),+) => {$(
        impl From<NotJoined> for $error {
            fn from(error: NotJoined) -> Self {
                match error {
                    NotJoined::RoomNotFound(e) => Self::RoomNotFound(e),
                    NotJoined::NotInRoom(e) => Self::NotInRoom(e),
                }
            }
        }
    )+};
}

from_not_joined!(SubscribeError, TriggerError, HistoryError, PresenceError);
