//! Application requests (`dialogue:request`), and reading and writing
//! payloads through an event's or a request's own serde impls.

use dialogue_core::protocol::{EventMessage, Request as Wire};
use dialogue_core::{PayloadDeserialize, PayloadSerialize, Request};
use serde_json::{Value, json};

use super::CallError;
use super::session::Session;

/// Sends `request` (about `room` when given) and reads its answer. Sent
/// once: a request's handler may not be safe to run twice.
pub(crate) async fn ask<Q: Request>(
    session: &Session,
    room: Option<&str>,
    request: &Q,
) -> Result<Q::Response, CallError> {
    let mut body = json!({ "name": Q::NAME, "data": to_json(Q::NAME, request)? });
    if let Some(room) = room {
        body["roomId"] = json!(room);
    }
    let mut answer = session.call(Wire::AppRequest, body, false).await?;
    let data = answer.remove("data").unwrap_or(Value::Null);
    from_json(Q::NAME, data)
}

/// A payload as JSON.
pub(crate) fn to_json<T: PayloadSerialize + ?Sized>(
    what: &str,
    payload: &T,
) -> Result<Value, CallError> {
    payload
        .serialize_payload(serde_json::value::Serializer)
        .map_err(|e| CallError::encode(what, e))
}

/// A payload from JSON.
pub(crate) fn from_json<T: PayloadDeserialize>(what: &str, data: Value) -> Result<T, CallError> {
    T::deserialize_payload(data).map_err(|e| CallError::invalid(what, e))
}

/// `message` with its payload read as `T`.
pub(crate) fn typed<T: PayloadDeserialize>(
    message: &EventMessage,
) -> Result<EventMessage<T>, serde_json::Error> {
    Ok(EventMessage {
        data: T::deserialize_payload(&message.data)?,
        event: message.event.clone(),
        room_id: message.room_id.clone(),
        from: message.from.clone(),
        timestamp: message.timestamp,
        seq: message.seq,
        meta: message.meta.clone(),
    })
}
