//! Errors: one enum per operation, and their mapping to the wire's error codes
//! (in [`ToWire`], and nowhere else).

use serde::{Deserialize, Serialize};

use crate::rules::NameError;

/// The error codes of the wire protocol (PROTOCOL.md).
///
/// ```
/// use dialogue_runtime::ErrorCode;
///
/// assert_eq!(ErrorCode::NotInRoom.as_str(), "NOT_IN_ROOM");
/// assert_eq!(serde_json::to_string(&ErrorCode::RoomFull).unwrap(), r#""ROOM_FULL""#);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    /// A request's payload is missing fields or has the wrong types.
    InvalidRequest,
    /// No such room.
    RoomNotFound,
    /// `createRoom` with an id in use.
    RoomExists,
    /// Join past `maxSize`.
    RoomFull,
    /// A `before_join` hook (or a room rule) refused.
    JoinDenied,
    /// Trigger, subscribe or read history in a room not joined.
    NotInRoom,
    /// The room does not accept that event from clients.
    EventNotAllowed,
    /// The payload fails the event's schema.
    ValidationFailed,
    /// E.g. deleting a room one did not create.
    PermissionDenied,
    /// Over a configured rate.
    RateLimited,
    /// Over the configured size.
    PayloadTooLarge,
    /// A hook failed; the message says no more than that.
    Internal,
}

impl ErrorCode {
    /// The code as the wire writes it, e.g. `ROOM_FULL`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "INVALID_REQUEST",
            Self::RoomNotFound => "ROOM_NOT_FOUND",
            Self::RoomExists => "ROOM_EXISTS",
            Self::RoomFull => "ROOM_FULL",
            Self::JoinDenied => "JOIN_DENIED",
            Self::NotInRoom => "NOT_IN_ROOM",
            Self::EventNotAllowed => "EVENT_NOT_ALLOWED",
            Self::ValidationFailed => "VALIDATION_FAILED",
            Self::PermissionDenied => "PERMISSION_DENIED",
            Self::RateLimited => "RATE_LIMITED",
            Self::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            Self::Internal => "INTERNAL",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One way a payload fails its event's schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidationIssue {
    /// A JSON pointer into the payload (`data`), e.g. `/text`; empty for the
    /// payload itself.
    pub path: String,
    /// What is wrong, e.g. `"" is shorter than 1 character`.
    pub message: String,
}

/// An error as the wire carries it: `{ code, message, details? }`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WireError {
    /// The protocol's code.
    pub code: ErrorCode,
    /// A readable message.
    pub message: String,
    /// For `VALIDATION_FAILED`: each failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<Vec<ValidationIssue>>,
}

impl WireError {
    /// An error without details.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            details: None,
        }
    }
}

impl std::fmt::Display for WireError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for WireError {}

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
}

/// Why a join failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum JoinError {
    /// No such room.
    #[error("room `{0}` does not exist")]
    RoomNotFound(String),
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
    /// The client is in as many rooms as one connection may be.
    #[error("a connection may be in at most {0} rooms; leave one first")]
    TooManyRooms(usize),
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
    #[error("room `{0}` does not exist")]
    RoomNotFound(String),
}

/// Why a subscription change failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SubscribeError {
    /// No such room.
    #[error("room `{0}` does not exist")]
    RoomNotFound(String),
    /// The client is not a member.
    #[error("not a member of room `{0}`; join it first")]
    NotInRoom(String),
    /// The event name breaks the naming rule.
    #[error("invalid event name {name:?}: {source}")]
    InvalidEventName {
        /// The name.
        name: String,
        /// The rule it breaks.
        source: NameError,
    },
}

/// Why a trigger failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TriggerError {
    /// No such room.
    #[error("room `{0}` does not exist")]
    RoomNotFound(String),
    /// The client is not a member.
    #[error("not a member of room `{0}`; join it first")]
    NotInRoom(String),
    /// The event name breaks the naming rule.
    #[error("invalid event name {name:?}: {source}")]
    InvalidEventName {
        /// The name.
        name: String,
        /// The rule it breaks.
        source: NameError,
    },
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
    #[error("room `{0}` does not exist")]
    RoomNotFound(String),
    /// The client is not a member.
    #[error("not a member of room `{0}`; join it first")]
    NotInRoom(String),
    /// The event name breaks the naming rule.
    #[error("invalid event name {name:?}: {source}")]
    InvalidEventName {
        /// The name.
        name: String,
        /// The rule it breaks.
        source: NameError,
    },
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
    /// As many rooms exist as may be created at run time.
    #[error("no more rooms can be created: at most {0} exist at once")]
    TooManyRooms(usize),
    /// The user created as many rooms as one user may.
    #[error("you may create at most {0} rooms; delete one first")]
    TooManyRoomsForUser(usize),
}

/// Why a room could not be deleted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DeleteRoomError {
    /// No such room.
    #[error("room `{0}` does not exist")]
    RoomNotFound(String),
    /// Declared rooms are part of the application and stay.
    #[error("room `{0}` is declared by the application and cannot be deleted")]
    Declared(String),
    /// Only the creator of a room may delete it.
    #[error("only the creator of room `{0}` may delete it")]
    NotCreator(String),
}

/// Errors as the wire carries them: the one place where each error of each
/// operation gets its protocol code.
pub trait ToWire {
    /// The wire error.
    fn to_wire(&self) -> WireError;
}

impl ToWire for RequestError {
    fn to_wire(&self) -> WireError {
        let code = match self {
            Self::Overloaded => ErrorCode::RateLimited,
            Self::Malformed { .. } | Self::Unknown(_) | Self::Binary(_) => {
                ErrorCode::InvalidRequest
            }
        };
        WireError::new(code, self.to_string())
    }
}

impl ToWire for JoinError {
    fn to_wire(&self) -> WireError {
        let code = match self {
            Self::RoomNotFound(_) => ErrorCode::RoomNotFound,
            Self::RoomFull { .. } => ErrorCode::RoomFull,
            Self::Denied { .. } | Self::TooManyRooms(_) => ErrorCode::JoinDenied,
            Self::Disconnected | Self::HookFailed(_) => ErrorCode::Internal,
        };
        WireError::new(code, self.to_string())
    }
}

impl ToWire for LeaveError {
    fn to_wire(&self) -> WireError {
        match self {
            Self::RoomNotFound(_) => WireError::new(ErrorCode::RoomNotFound, self.to_string()),
        }
    }
}

impl ToWire for SubscribeError {
    fn to_wire(&self) -> WireError {
        let code = match self {
            Self::RoomNotFound(_) => ErrorCode::RoomNotFound,
            Self::NotInRoom(_) => ErrorCode::NotInRoom,
            Self::InvalidEventName { .. } => ErrorCode::InvalidRequest,
        };
        WireError::new(code, self.to_string())
    }
}

impl ToWire for TriggerError {
    fn to_wire(&self) -> WireError {
        let code = match self {
            Self::RoomNotFound(_) => ErrorCode::RoomNotFound,
            Self::NotInRoom(_) => ErrorCode::NotInRoom,
            Self::InvalidEventName { .. } => ErrorCode::InvalidRequest,
            Self::EventNotAllowed { .. } => ErrorCode::EventNotAllowed,
            Self::Validation { .. } => ErrorCode::ValidationFailed,
            Self::RateLimited(_) => ErrorCode::RateLimited,
            Self::PayloadTooLarge { .. } => ErrorCode::PayloadTooLarge,
            Self::Refused(_) => ErrorCode::EventNotAllowed,
            Self::Serialize { .. } | Self::HookFailed(_) => ErrorCode::Internal,
        };
        let details = match self {
            Self::Validation { issues, .. } => Some(issues.clone()),
            _ => None,
        };
        WireError {
            code,
            message: self.to_string(),
            details,
        }
    }
}

impl ToWire for HistoryError {
    fn to_wire(&self) -> WireError {
        let code = match self {
            Self::RoomNotFound(_) => ErrorCode::RoomNotFound,
            Self::NotInRoom(_) => ErrorCode::NotInRoom,
            Self::InvalidEventName { .. } => ErrorCode::InvalidRequest,
            Self::RateLimited(_) => ErrorCode::RateLimited,
            Self::Store(_) | Self::HookFailed(_) => ErrorCode::Internal,
        };
        // A store's own message may say more than a client should know.
        let message = match self {
            Self::Store(_) => "the history store failed".to_owned(),
            _ => self.to_string(),
        };
        WireError::new(code, message)
    }
}

impl ToWire for CreateRoomError {
    fn to_wire(&self) -> WireError {
        let code = match self {
            Self::InvalidId { .. } | Self::InvalidName => ErrorCode::InvalidRequest,
            Self::Exists(_) => ErrorCode::RoomExists,
            Self::TooManyRooms(_) | Self::TooManyRoomsForUser(_) => ErrorCode::PermissionDenied,
        };
        WireError::new(code, self.to_string())
    }
}

impl ToWire for DeleteRoomError {
    fn to_wire(&self) -> WireError {
        let code = match self {
            Self::RoomNotFound(_) => ErrorCode::RoomNotFound,
            Self::Declared(_) | Self::NotCreator(_) => ErrorCode::PermissionDenied,
        };
        WireError::new(code, self.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_serializes_as_its_wire_name() {
        let codes = [
            ErrorCode::InvalidRequest,
            ErrorCode::RoomNotFound,
            ErrorCode::RoomExists,
            ErrorCode::RoomFull,
            ErrorCode::JoinDenied,
            ErrorCode::NotInRoom,
            ErrorCode::EventNotAllowed,
            ErrorCode::ValidationFailed,
            ErrorCode::PermissionDenied,
            ErrorCode::RateLimited,
            ErrorCode::PayloadTooLarge,
            ErrorCode::Internal,
        ];
        for code in codes {
            let json = serde_json::to_value(code).unwrap();
            assert_eq!(json, code.as_str());
            assert_eq!(serde_json::from_value::<ErrorCode>(json).unwrap(), code);
        }
    }

    #[test]
    fn validation_errors_carry_details_and_a_readable_summary() {
        let error = TriggerError::Validation {
            event: "message".into(),
            issues: vec![
                ValidationIssue {
                    path: "/text".into(),
                    message: "too short".into(),
                },
                ValidationIssue {
                    path: String::new(),
                    message: "missing senderId".into(),
                },
            ],
        };
        let wire = error.to_wire();
        assert_eq!(wire.code, ErrorCode::ValidationFailed);
        assert_eq!(
            wire.message,
            "`message` payload is invalid: /text: too short; missing senderId"
        );
        assert_eq!(wire.details.as_ref().map(Vec::len), Some(2));
        let json = serde_json::to_value(&wire).unwrap();
        assert_eq!(json["details"][0]["path"], "/text");
    }

    #[test]
    fn store_failures_do_not_leak_their_message() {
        let wire = HistoryError::Store("disk /var/db/secret.sqlite is full".into()).to_wire();
        assert_eq!(wire.code, ErrorCode::Internal);
        assert!(!wire.message.contains("secret"));
        let no_details =
            serde_json::to_value(JoinError::RoomNotFound("x".into()).to_wire()).unwrap();
        assert!(no_details.get("details").is_none());
    }
}
