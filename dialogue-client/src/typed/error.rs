//! The typed client's errors: one for connecting, one for every call on a
//! connection, and the server's refusal with its wire code. Acknowledgements
//! are read into them here and nowhere else.

use std::time::Duration;

use dialogue_core::protocol::{ErrorCode, ValidationIssue};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::Error;

/// Why [`TypedBuilder::connect`](super::TypedBuilder::connect) failed.
///
/// ```
/// use dialogue_client::typed::ConnectError;
///
/// let error = ConnectError::Refused { message: "invalid token".into() };
/// assert_eq!(error.to_string(), "the server refused the connection: invalid token");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// The handshake's `auth` is not a JSON object.
    #[error("the handshake `auth` must be a JSON object, not {0}")]
    InvalidAuth(String),
    /// The server refused the handshake (a Socket.IO `connect_error`): a bad
    /// token, a refused identity, an admission limit.
    #[error("the server refused the connection: {message}")]
    Refused {
        /// The server's reason.
        message: String,
    },
    /// The server's first event was not a valid `dialogue:connected`.
    #[error("the server did not greet with `dialogue:connected`: {0}")]
    Greeting(String),
    /// The server could not be reached, or the connection broke or timed out
    /// while connecting.
    #[error(transparent)]
    Transport(Error),
}

impl From<Error> for ConnectError {
    fn from(error: Error) -> Self {
        match error {
            Error::ConnectRefused { message, .. } => ConnectError::Refused { message },
            other => ConnectError::Transport(other),
        }
    }
}

/// A code the server refused with: one of the protocol's
/// ([`ErrorCode`]), or an application request's own (`TOO_BIG`).
///
/// ```
/// use dialogue_client::typed::{ErrorCode, RefusalCode};
///
/// assert_eq!(RefusalCode::from_wire("NOT_IN_ROOM"), RefusalCode::Protocol(ErrorCode::NotInRoom));
/// assert_eq!(RefusalCode::from_wire("TOO_BIG").as_str(), "TOO_BIG");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RefusalCode {
    /// A code of the protocol's table.
    Protocol(ErrorCode),
    /// A code a request handler chose (UPPER_SNAKE_CASE).
    Application(String),
}

impl RefusalCode {
    /// The code for its wire name.
    pub fn from_wire(code: &str) -> Self {
        match ErrorCode::from_wire(code) {
            Some(code) => RefusalCode::Protocol(code),
            None => RefusalCode::Application(code.to_owned()),
        }
    }

    /// The code as the wire writes it, e.g. `ROOM_FULL`.
    pub fn as_str(&self) -> &str {
        match self {
            RefusalCode::Protocol(code) => code.as_str(),
            RefusalCode::Application(code) => code,
        }
    }
}

impl std::fmt::Display for RefusalCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The server's refusal: `{ code, message, details? }`.
///
/// ```
/// use dialogue_client::typed::{ErrorCode, Refusal, RefusalCode};
///
/// let refusal = Refusal {
///     code: RefusalCode::Protocol(ErrorCode::RoomFull),
///     message: "room `small` is full".into(),
///     details: Vec::new(),
/// };
/// assert_eq!(refusal.to_string(), "ROOM_FULL: room `small` is full");
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct Refusal {
    /// Why, as a code.
    pub code: RefusalCode,
    /// Why, in words.
    pub message: String,
    /// For `VALIDATION_FAILED`: each failure, with its JSON pointer.
    pub details: Vec<ValidationIssue>,
}

/// Why a call on a connection (join, trigger, request, presence, ...)
/// failed.
///
/// ```
/// use dialogue_client::typed::{CallError, ErrorCode, Refusal, RefusalCode};
///
/// let error = CallError::Refused(Refusal {
///     code: RefusalCode::Protocol(ErrorCode::NotInRoom),
///     message: "join the room first".into(),
///     details: Vec::new(),
/// });
/// assert_eq!(error.code(), Some(ErrorCode::NotInRoom));
/// assert_eq!(error.refusal().unwrap().code.as_str(), "NOT_IN_ROOM");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CallError {
    /// The server answered with an error.
    #[error("refused by the server: {0}")]
    Refused(Refusal),
    /// No answer in time (the client's call timeout, reconnection included).
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// The connection ended before the answer came, for a call that is not
    /// sent again on the next connection (an application request).
    #[error("the connection ended before the answer")]
    Disconnected,
    /// The client is closed: [`TypedClient::close`](super::TypedClient::close)
    /// was called, or it will not reconnect (the server ended the session or
    /// refused the new connection).
    #[error("the client is closed")]
    Closed,
    /// The room was left, or the server removed the client from it (a kick,
    /// the room deleted).
    #[error("the room `{0}` is not joined any more")]
    NotJoined(String),
    /// The handle names a room template, which has no room of its own: join
    /// one of its instances with
    /// [`join_instance`](super::TypedClient::join_instance).
    #[error(
        "`{0}` is a room template: join one of its instances, e.g. `join_instance(App::doc(\"readme\"))`"
    )]
    Template(String),
    /// The server's answer does not have the protocol's shape, or its data
    /// does not read as the declared type.
    #[error("unexpected answer to `{what}`: {reason}")]
    InvalidAnswer {
        /// What was asked.
        what: String,
        /// What is wrong with the answer.
        reason: String,
    },
    /// A payload could not be written as JSON.
    #[error("cannot write `{what}` as JSON: {reason}")]
    Encode {
        /// The event or request.
        what: String,
        /// serde's message.
        reason: String,
    },
    /// The transport failed.
    #[error(transparent)]
    Transport(Error),
}

impl CallError {
    /// The server's refusal, when it refused.
    pub fn refusal(&self) -> Option<&Refusal> {
        match self {
            CallError::Refused(refusal) => Some(refusal),
            _ => None,
        }
    }

    /// The protocol's code of the refusal, when the server refused with one.
    pub fn code(&self) -> Option<ErrorCode> {
        match self.refusal()?.code {
            RefusalCode::Protocol(code) => Some(code),
            RefusalCode::Application(_) => None,
        }
    }

    pub(crate) fn invalid(what: &str, reason: impl std::fmt::Display) -> Self {
        CallError::InvalidAnswer {
            what: what.to_owned(),
            reason: reason.to_string(),
        }
    }

    pub(crate) fn encode(what: &str, reason: impl std::fmt::Display) -> Self {
        CallError::Encode {
            what: what.to_owned(),
            reason: reason.to_string(),
        }
    }
}

/// `error` of a failed acknowledgement, read leniently.
#[derive(Deserialize)]
struct WireRefusal {
    code: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    details: Option<Vec<ValidationIssue>>,
}

/// Reads an acknowledgement's arguments: `{ ok: true, ...answer }` gives the
/// answer's fields, `{ ok: false, error }` the refusal, anything else
/// [`CallError::InvalidAnswer`].
pub(crate) fn read_ack(what: &str, args: Vec<Value>) -> Result<Map<String, Value>, CallError> {
    let Some(Value::Object(mut answer)) = args.into_iter().next() else {
        return Err(CallError::invalid(
            what,
            "the acknowledgement is not an object",
        ));
    };
    match answer.remove("ok") {
        Some(Value::Bool(true)) => Ok(answer),
        Some(Value::Bool(false)) => {
            let error = answer.remove("error").unwrap_or(Value::Null);
            let error: WireRefusal = serde_json::from_value(error)
                .map_err(|e| CallError::invalid(what, format!("a refusal without a code: {e}")))?;
            Err(CallError::Refused(Refusal {
                code: RefusalCode::from_wire(&error.code),
                message: error.message,
                details: error.details.unwrap_or_default(),
            }))
        }
        _ => Err(CallError::invalid(what, "`ok` is not a boolean")),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn acknowledgements_are_read_into_answers_and_refusals() {
        let answer = read_ack("join", vec![json!({ "ok": true, "roomId": "chat" })]).unwrap();
        assert_eq!(answer["roomId"], "chat");
        assert!(!answer.contains_key("ok"));

        let refused = read_ack(
            "trigger",
            vec![json!({ "ok": false, "error": {
                "code": "VALIDATION_FAILED", "message": "bad",
                "details": [{ "path": "/text", "message": "too short" }],
            } })],
        )
        .unwrap_err();
        assert_eq!(refused.code(), Some(ErrorCode::ValidationFailed));
        assert_eq!(refused.refusal().unwrap().details[0].path, "/text");

        let app = read_ack(
            "add",
            vec![json!({ "ok": false, "error": { "code": "TOO_BIG", "message": "m" } })],
        )
        .unwrap_err();
        assert_eq!(app.code(), None);
        assert_eq!(
            app.refusal().unwrap().code,
            RefusalCode::Application("TOO_BIG".into())
        );
    }

    #[test]
    fn malformed_acknowledgements_are_errors_not_panics() {
        for args in [
            vec![],
            vec![json!(null)],
            vec![json!([1])],
            vec![json!({})],
            vec![json!({ "ok": "yes" })],
            vec![json!({ "ok": false })],
            vec![json!({ "ok": false, "error": { "code": 3 } })],
        ] {
            let error = read_ack("x", args.clone()).unwrap_err();
            assert!(
                matches!(error, CallError::InvalidAnswer { .. }),
                "{args:?}: {error}"
            );
        }
    }
}
