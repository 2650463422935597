//! The envelope every event travels in, stamped by the server.

use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// An event as clients receive it: the payload with the room, the sender and
/// the time, which the server sets.
///
/// `T` is the payload type; `EventMessage<Value>` holds any payload.
///
/// ```
/// use dialogue_runtime::EventMessage;
///
/// let json = r#"{"event":"typing","roomId":"chat","data":{"isTyping":true},
///                "from":"u1","timestamp":1700000000000}"#;
/// let message: EventMessage = serde_json::from_str(json).unwrap();
/// assert_eq!(message.data["isTyping"], true);
/// assert!(message.meta.is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventMessage<T = Value> {
    /// The event's wire name.
    pub event: String,
    /// The room it was triggered in.
    pub room_id: String,
    /// The validated payload.
    pub data: T,
    /// The sender's user id, or `system` for the server.
    pub from: String,
    /// Unix milliseconds, when the server accepted it.
    pub timestamp: u64,
    /// Passed through as the sender gave it, unvalidated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Map<String, Value>>,
}

/// The sender the server writes when it triggers an event itself.
pub const SYSTEM: &str = "system";

/// An event as the server published it: written as JSON once, then broadcast,
/// kept in history and sent on join as these same bytes.
#[derive(Debug)]
pub struct Published {
    /// Its place in the room's order: the order the server accepted events.
    seq: u64,
    event: String,
    timestamp: u64,
    json: Box<RawValue>,
}

impl Published {
    /// Stamps and writes an envelope.
    pub(crate) fn stamp(
        seq: u64,
        room_id: &str,
        event: &str,
        data: &Value,
        from: &str,
        meta: Option<&Map<String, Value>>,
    ) -> Result<Self, serde_json::Error> {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Envelope<'a> {
            event: &'a str,
            room_id: &'a str,
            data: &'a Value,
            from: &'a str,
            timestamp: u64,
            #[serde(skip_serializing_if = "Option::is_none")]
            meta: Option<&'a Map<String, Value>>,
        }
        let timestamp = now_millis();
        let json = serde_json::value::to_raw_value(&Envelope {
            event,
            room_id,
            data,
            from,
            timestamp,
            meta,
        })?;
        Ok(Self {
            seq,
            event: event.to_owned(),
            timestamp,
            json,
        })
    }

    /// Writes a complete message as it is (its `from`, `timestamp`, `meta`).
    pub(crate) fn from_message(
        seq: u64,
        message: &EventMessage,
    ) -> Result<Self, serde_json::Error> {
        Ok(Self {
            seq,
            event: message.event.clone(),
            timestamp: message.timestamp,
            json: serde_json::value::to_raw_value(message)?,
        })
    }

    /// An already written envelope, e.g. read back from a history store.
    pub fn from_json(seq: u64, json: Box<RawValue>) -> Result<Self, serde_json::Error> {
        #[derive(Deserialize)]
        struct Head {
            event: String,
            timestamp: u64,
        }
        let Head { event, timestamp } = serde_json::from_str(json.get())?;
        Ok(Self {
            seq,
            event,
            timestamp,
            json,
        })
    }

    /// The sequence number within the room.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// The event's wire name.
    pub fn event(&self) -> &str {
        &self.event
    }

    /// When the server accepted it, in Unix milliseconds.
    pub fn timestamp(&self) -> u64 {
        self.timestamp
    }

    /// The envelope as JSON.
    pub fn json(&self) -> &RawValue {
        &self.json
    }

    /// The envelope, read back.
    pub fn message(&self) -> Result<EventMessage, serde_json::Error> {
        serde_json::from_str(self.json.get())
    }
}

/// Unix time in milliseconds (0 before 1970, which no clock here is).
pub(crate) fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_stamped_envelope_has_every_field_and_reads_back() {
        let meta = json!({ "trace": "t1" });
        let published = Published::stamp(
            7,
            "chat",
            "message",
            &json!({ "text": "hi" }),
            "u1",
            meta.as_object(),
        )
        .unwrap();
        let message = published.message().unwrap();
        assert_eq!(message.event, "message");
        assert_eq!(message.room_id, "chat");
        assert_eq!(message.from, "u1");
        assert_eq!(message.data, json!({ "text": "hi" }));
        assert_eq!(message.meta.unwrap()["trace"], "t1");
        assert!(message.timestamp > 1_600_000_000_000);
        assert_eq!(published.seq(), 7);
        let again = Published::from_json(7, published.json().to_owned()).unwrap();
        assert_eq!(again.event(), "message");
    }

    #[test]
    fn meta_is_left_out_when_absent() {
        let published = Published::stamp(0, "r", "ping", &Value::Null, SYSTEM, None).unwrap();
        let value: Value = serde_json::from_str(published.json().get()).unwrap();
        assert!(value.get("meta").is_none());
        assert_eq!(value["data"], Value::Null);
        assert_eq!(value["from"], "system");
    }
}
