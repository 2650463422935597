//! The one place where each error of each operation gets its protocol code.

use super::{
    AskError, AuthError, CreateRoomError, DeleteRoomError, HistoryError, HostError,
    InvalidEventName, JoinError, LeaveError, NotInRoom, NotJoined, PresenceError, RequestError,
    RoomNotFound, SubscribeError, TriggerError,
};
use crate::protocol::{ErrorCode, WireError};

/// Errors as the wire carries them: the one place where each error of each
/// operation gets its protocol code.
pub trait ToWire {
    /// The wire error.
    fn to_wire(&self) -> WireError;
}

/// The code of each leaf and each operation's own failures.
trait Coded: std::fmt::Display {
    fn code(&self) -> ErrorCode;
}

/// `ToWire` of errors that carry nothing but their code and message.
macro_rules! to_wire_by_code {
    ($($error:ty),+) => {$(
        impl ToWire for $error {
            fn to_wire(&self) -> WireError {
                WireError::new(self.code(), self.to_string())
            }
        }
    )+};
}

to_wire_by_code!(
    RoomNotFound,
    NotInRoom,
    InvalidEventName,
    NotJoined,
    RequestError,
    JoinError,
    LeaveError,
    SubscribeError,
    CreateRoomError,
    DeleteRoomError,
    HostError,
    AuthError
);

impl Coded for AuthError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::NotConfigured => ErrorCode::InvalidRequest,
            Self::Invalid(_) => ErrorCode::Unauthorized,
            Self::OtherUser => ErrorCode::PermissionDenied,
            Self::Failed => ErrorCode::Internal,
        }
    }
}

impl ToWire for PresenceError {
    fn to_wire(&self) -> WireError {
        let mut wire = WireError::new(self.code(), self.to_string());
        if let Self::Validation { issues } = self {
            wire.details = Some(issues.clone());
        }
        wire
    }
}

impl Coded for PresenceError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::RoomNotFound(e) => e.code(),
            Self::NotInRoom(e) => e.code(),
            Self::NoPresence(_) | Self::NotAnObject => ErrorCode::InvalidRequest,
            Self::Validation { .. } => ErrorCode::ValidationFailed,
        }
    }
}

impl Coded for HostError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::RoomNotFound(e) => e.code(),
            Self::NotHost(_) => ErrorCode::PermissionDenied,
            Self::NotPresent { .. } => ErrorCode::NotInRoom,
        }
    }
}

impl Coded for RoomNotFound {
    fn code(&self) -> ErrorCode {
        ErrorCode::RoomNotFound
    }
}

impl Coded for NotInRoom {
    fn code(&self) -> ErrorCode {
        ErrorCode::NotInRoom
    }
}

impl Coded for InvalidEventName {
    fn code(&self) -> ErrorCode {
        ErrorCode::InvalidRequest
    }
}

impl Coded for NotJoined {
    fn code(&self) -> ErrorCode {
        match self {
            Self::RoomNotFound(e) => e.code(),
            Self::NotInRoom(e) => e.code(),
        }
    }
}

impl Coded for RequestError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::Overloaded => ErrorCode::RateLimited,
            Self::Failed => ErrorCode::Internal,
            Self::Malformed { .. } | Self::Unknown(_) | Self::Binary(_) => {
                ErrorCode::InvalidRequest
            }
        }
    }
}

impl Coded for JoinError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::RoomNotFound(e) => e.code(),
            Self::RoomFull { .. } => ErrorCode::RoomFull,
            Self::Denied { .. } | Self::TooManyRooms(_) => ErrorCode::JoinDenied,
            Self::EventNotAllowed { .. } => ErrorCode::EventNotAllowed,
            Self::InvalidEventName(e) => e.code(),
            Self::Disconnected | Self::HookFailed(_) => ErrorCode::Internal,
            Self::Unavailable(_) => ErrorCode::Unavailable,
        }
    }
}

impl Coded for LeaveError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::RoomNotFound(e) => e.code(),
        }
    }
}

impl Coded for SubscribeError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::RoomNotFound(e) => e.code(),
            Self::NotInRoom(e) => e.code(),
            Self::InvalidEventName(e) => e.code(),
        }
    }
}

impl ToWire for TriggerError {
    fn to_wire(&self) -> WireError {
        let code = match self {
            Self::RoomNotFound(e) => e.code(),
            Self::NotInRoom(e) => e.code(),
            Self::InvalidEventName(e) => e.code(),
            Self::EventNotAllowed { .. } | Self::Refused(_) => ErrorCode::EventNotAllowed,
            Self::Validation { .. } => ErrorCode::ValidationFailed,
            Self::RateLimited(_) => ErrorCode::RateLimited,
            Self::PayloadTooLarge { .. } => ErrorCode::PayloadTooLarge,
            Self::Serialize { .. } | Self::HookFailed(_) => ErrorCode::Internal,
            Self::Unavailable(_) => ErrorCode::Unavailable,
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

impl ToWire for AskError {
    /// A handler's refusal carries the application's own code, which no
    /// `ErrorCode` is: the wire answers it with that code as it is
    /// (`wire::reply::Reply::refuse`); here it reads as `INTERNAL`.
    fn to_wire(&self) -> WireError {
        let code = match self {
            Self::Unknown(_) => ErrorCode::UnknownRequest,
            Self::RoomNotFound(e) => e.code(),
            Self::NotInRoom(e) => e.code(),
            Self::Invalid { .. } => ErrorCode::ValidationFailed,
            Self::Refused { .. } | Self::Failed => ErrorCode::Internal,
        };
        let details = match self {
            Self::Invalid { issues, .. } => Some(issues.clone()),
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
            Self::RoomNotFound(e) => e.code(),
            Self::NotInRoom(e) => e.code(),
            Self::InvalidEventName(e) => e.code(),
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

impl Coded for CreateRoomError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::InvalidId { .. } | Self::InvalidName => ErrorCode::InvalidRequest,
            Self::Exists(_) => ErrorCode::RoomExists,
            Self::Reserved(_) | Self::TooManyRooms(_) | Self::TooManyRoomsForUser(_) => {
                ErrorCode::PermissionDenied
            }
            Self::Unavailable(_) => ErrorCode::Unavailable,
        }
    }
}

impl Coded for DeleteRoomError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::RoomNotFound(e) => e.code(),
            Self::Declared(_) | Self::NotCreator(_) => ErrorCode::PermissionDenied,
            Self::Unavailable(_) => ErrorCode::Unavailable,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::ValidationIssue;

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
                    message: "not an object".into(),
                },
            ],
        };
        let wire = error.to_wire();
        assert_eq!(wire.code, ErrorCode::ValidationFailed);
        assert_eq!(
            wire.message,
            "`message` payload is invalid: /text: too short; not an object"
        );
        assert_eq!(wire.details.as_ref().map(Vec::len), Some(2));
        let json = serde_json::to_value(&wire).unwrap();
        assert_eq!(json["details"][0]["path"], "/text");
    }

    #[test]
    fn a_leaf_keeps_its_code_and_message_in_every_operation() {
        let leaf = RoomNotFound("x".into());
        let wires = [
            leaf.to_wire(),
            JoinError::from(leaf.clone()).to_wire(),
            TriggerError::from(leaf.clone()).to_wire(),
            HistoryError::from(leaf.clone()).to_wire(),
            DeleteRoomError::from(leaf.clone()).to_wire(),
            SubscribeError::from(NotJoined::from(leaf.clone())).to_wire(),
        ];
        for wire in wires {
            assert_eq!(
                wire,
                WireError::new(ErrorCode::RoomNotFound, "room `x` does not exist")
            );
        }
        let not_in = TriggerError::from(NotJoined::NotInRoom(NotInRoom("chat".into())));
        assert_eq!(not_in.to_wire().code, ErrorCode::NotInRoom);
    }

    #[test]
    fn store_failures_do_not_leak_their_message() {
        let wire = HistoryError::Store("disk /var/db/secret.sqlite is full".into()).to_wire();
        assert_eq!(wire.code, ErrorCode::Internal);
        assert!(!wire.message.contains("secret"));
        let no_details = serde_json::to_value(RoomNotFound("x".into()).to_wire()).unwrap();
        assert!(no_details.get("details").is_none());
    }
}
