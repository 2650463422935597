//! Errors as the wire carries them: the codes, the error payload and its
//! validation details.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Declares [`ErrorCode`] with its wire names and meanings, so that the list
/// of codes, their strings and their documentation live in one table.
macro_rules! error_codes {
    ($($(#[doc = $doc:literal])+ $variant:ident = $wire:literal,)+) => {
        /// The error codes of the wire protocol (docs/protocol.md, "Error
        /// codes").
        ///
        /// ```
        /// use dialogue_core::protocol::ErrorCode;
        ///
        /// assert_eq!(ErrorCode::NotInRoom.as_str(), "NOT_IN_ROOM");
        /// assert_eq!(serde_json::to_string(&ErrorCode::RoomFull).unwrap(), r#""ROOM_FULL""#);
        /// assert_eq!(ErrorCode::from_wire("ROOM_FULL"), Some(ErrorCode::RoomFull));
        /// ```
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
        pub enum ErrorCode {
            $($(#[doc = $doc])+ #[serde(rename = $wire)] $variant,)+
        }

        impl ErrorCode {
            /// Every code, in the order of the protocol's table.
            pub const ALL: &'static [ErrorCode] = &[$(Self::$variant,)+];

            /// The code as the wire writes it, e.g. `ROOM_FULL`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $wire,)+
                }
            }

            /// When the code is sent, as the protocol says.
            pub const fn meaning(self) -> &'static str {
                match self {
                    $(Self::$variant => concat!($($doc),+).trim_ascii(),)+
                }
            }

            /// The code with this wire name.
            pub fn from_wire(name: &str) -> Option<Self> {
                match name {
                    $($wire => Some(Self::$variant),)+
                    _ => None,
                }
            }
        }
    };
}

error_codes! {
    /// A request's payload is missing fields or has the wrong types.
    InvalidRequest = "INVALID_REQUEST",
    /// No such room.
    RoomNotFound = "ROOM_NOT_FOUND",
    /// `createRoom` with an id in use.
    RoomExists = "ROOM_EXISTS",
    /// A join past the room's `maxSize`.
    RoomFull = "ROOM_FULL",
    /// `before_join` (or a room rule) refused the join.
    JoinDenied = "JOIN_DENIED",
    /// Trigger, subscribe or read history in a room not joined.
    NotInRoom = "NOT_IN_ROOM",
    /// The room does not accept that event from clients.
    EventNotAllowed = "EVENT_NOT_ALLOWED",
    /// The payload fails the event's schema.
    ValidationFailed = "VALIDATION_FAILED",
    /// Not allowed for this user, e.g. deleting a room one did not create.
    PermissionDenied = "PERMISSION_DENIED",
    /// Over a configured rate.
    RateLimited = "RATE_LIMITED",
    /// Over the configured size.
    PayloadTooLarge = "PAYLOAD_TOO_LARGE",
    /// A hook failed; the message says no more than that.
    Internal = "INTERNAL",
    /// An application request with a name the application does not declare.
    UnknownRequest = "UNKNOWN_REQUEST",
    /// The connection's token expired (sent just before the disconnect).
    TokenExpired = "TOKEN_EXPIRED",
    /// Missing or wrong credentials.
    Unauthorized = "UNAUTHORIZED",
    /// The broker or the history store cannot be reached; nothing was accepted.
    Unavailable = "UNAVAILABLE",
}

impl ErrorCode {
    /// The HTTP status the HTTP API answers this code with (docs/http-api.md).
    ///
    /// ```
    /// use dialogue_core::protocol::ErrorCode;
    ///
    /// assert_eq!(ErrorCode::ValidationFailed.http_status(), 422);
    /// assert_eq!(ErrorCode::RoomNotFound.http_status(), 404);
    /// ```
    pub const fn http_status(self) -> u16 {
        match self {
            Self::InvalidRequest | Self::EventNotAllowed | Self::UnknownRequest => 400,
            Self::Unauthorized | Self::TokenExpired => 401,
            Self::PermissionDenied | Self::JoinDenied => 403,
            Self::RoomNotFound | Self::NotInRoom => 404,
            Self::RoomExists | Self::RoomFull => 409,
            Self::PayloadTooLarge => 413,
            Self::ValidationFailed => 422,
            Self::RateLimited => 429,
            Self::Internal => 500,
            Self::Unavailable => 503,
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One way a payload fails its event's schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, TS)]
pub struct ValidationIssue {
    /// A JSON pointer into the payload (`data`), e.g. `/text`; empty for the
    /// payload itself. A missing required property is reported at its own
    /// pointer (`/senderId`).
    pub path: String,
    /// What is wrong, e.g. `"" is shorter than 1 character`.
    pub message: String,
}

/// An error as the wire carries it: `{ code, message, details? }`.
///
/// ```
/// use dialogue_core::protocol::{ErrorCode, WireError};
///
/// let error = WireError::new(ErrorCode::RoomFull, "room `small` is full (2 members)");
/// assert_eq!(
///     serde_json::to_value(&error).unwrap(),
///     serde_json::json!({ "code": "ROOM_FULL", "message": "room `small` is full (2 members)" })
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, TS)]
pub struct WireError {
    /// The protocol's code.
    #[ts(type = "ErrorCode")]
    pub code: ErrorCode,
    /// A readable message.
    pub message: String,
    /// For `VALIDATION_FAILED`: each failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_serializes_as_its_wire_name_and_reads_back() {
        for &code in ErrorCode::ALL {
            let json = serde_json::to_value(code).unwrap();
            assert_eq!(json, code.as_str());
            assert_eq!(serde_json::from_value::<ErrorCode>(json).unwrap(), code);
            assert_eq!(ErrorCode::from_wire(code.as_str()), Some(code));
            assert!(!code.meaning().is_empty());
            let upper_snake = code
                .as_str()
                .chars()
                .all(|c| c.is_ascii_uppercase() || c == '_');
            assert!(upper_snake, "{code}");
        }
        assert_eq!(ErrorCode::from_wire("NOPE"), None);
    }
}
