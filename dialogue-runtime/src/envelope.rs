//! An event as the server stamped it: the envelope written as JSON once, then
//! broadcast, kept in history and sent on join as those same bytes.

use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::protocol::{EventMessage, RawEnvelope};

/// An event the server accepted and stamped: its place in the room's order
/// and its envelope ([`EventMessage`]) written as JSON.
///
/// Writing the envelope once is what keeps a broadcast cheap: every
/// recipient, the history, the join sync and the history store get these
/// bytes.
///
/// ```
/// use dialogue_runtime::StampedEvent;
/// use serde_json::value::RawValue;
///
/// let json = RawValue::from_string(
///     r#"{"event":"message","roomId":"chat","data":{"text":"hi"},"from":"u1","timestamp":1700000000000,"seq":7}"#.to_owned(),
/// ).unwrap();
/// let event = StampedEvent::from_json(0, json).unwrap();
/// assert_eq!((event.seq(), event.event()), (7, "message"));
/// assert_eq!(event.message().unwrap().data["text"], "hi");
/// ```
#[derive(Debug)]
pub struct StampedEvent {
    /// Its place in the room's order: the order the server accepted events.
    seq: u64,
    event: String,
    timestamp: u64,
    json: Box<RawValue>,
}

impl StampedEvent {
    /// Stamps and writes an envelope, borrowing every part.
    pub(crate) fn stamp(
        seq: u64,
        room_id: &str,
        event: &str,
        data: &Value,
        from: &str,
        meta: Option<&Map<String, Value>>,
    ) -> Result<Self, serde_json::Error> {
        // `EventMessage` with borrowed parts, so nothing is cloned to write it.
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Envelope<'a> {
            event: &'a str,
            room_id: &'a str,
            data: &'a Value,
            from: &'a str,
            timestamp: u64,
            seq: u64,
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
            seq,
            meta,
        })?;
        Ok(Self {
            seq,
            event: event.to_owned(),
            timestamp,
            json,
        })
    }

    /// Writes a complete message as it is (its `from`, `timestamp`, `meta`)
    /// with the seq `seq`.
    pub(crate) fn from_message(
        seq: u64,
        message: &EventMessage,
    ) -> Result<Self, serde_json::Error> {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct WithSeq<'a> {
            event: &'a str,
            room_id: &'a str,
            data: &'a Value,
            from: &'a str,
            timestamp: u64,
            seq: u64,
            #[serde(skip_serializing_if = "Option::is_none")]
            meta: Option<&'a Map<String, Value>>,
        }
        let json = serde_json::value::to_raw_value(&WithSeq {
            event: &message.event,
            room_id: &message.room_id,
            data: &message.data,
            from: &message.from,
            timestamp: message.timestamp,
            seq,
            meta: message.meta.as_ref(),
        })?;
        Ok(Self {
            seq,
            event: message.event.clone(),
            timestamp: message.timestamp,
            json,
        })
    }

    /// An envelope already written, e.g. read back from a history store.
    /// Its own `seq`, when it has one, wins over `seq` (written by a server
    /// before positions existed, it has none).
    pub fn from_json(seq: u64, json: Box<RawValue>) -> Result<Self, serde_json::Error> {
        #[derive(Deserialize)]
        struct Head {
            event: String,
            timestamp: u64,
            #[serde(default)]
            seq: Option<u64>,
        }
        let head: Head = serde_json::from_str(json.get())?;
        Ok(Self {
            seq: head.seq.unwrap_or(seq),
            event: head.event,
            timestamp: head.timestamp,
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

    /// The envelope as the wire carries it, to put in an answer.
    pub fn envelope(&self) -> RawEnvelope<'_> {
        RawEnvelope(&self.json)
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
    use crate::protocol::SYSTEM;

    #[test]
    fn a_stamped_envelope_has_every_field_and_reads_back() {
        let meta = json!({ "trace": "t1" });
        let stamped = StampedEvent::stamp(
            7,
            "chat",
            "message",
            &json!({ "text": "hi" }),
            "u1",
            meta.as_object(),
        )
        .unwrap();
        let message = stamped.message().unwrap();
        assert_eq!(message.event, "message");
        assert_eq!(message.room_id, "chat");
        assert_eq!(message.from, "u1");
        assert_eq!(message.data, json!({ "text": "hi" }));
        assert_eq!(message.meta.as_ref().unwrap()["trace"], "t1");
        assert!(message.timestamp > 1_600_000_000_000);
        assert_eq!(stamped.seq(), 7);
        assert_eq!(message.seq, 7, "the envelope carries its seq");
        let again = StampedEvent::from_json(0, stamped.json().to_owned()).unwrap();
        assert_eq!((again.event(), again.seq()), ("message", 7));
        let proposed = EventMessage { seq: 0, ..message };
        let accepted = StampedEvent::from_message(9, &proposed).unwrap();
        assert_eq!(accepted.message().unwrap().seq, 9, "the room's seq wins");
    }

    #[test]
    fn meta_is_left_out_when_absent() {
        let stamped = StampedEvent::stamp(0, "r", "ping", &Value::Null, SYSTEM, None).unwrap();
        let value: Value = serde_json::from_str(stamped.json().get()).unwrap();
        assert!(value.get("meta").is_none());
        assert_eq!(value["data"], Value::Null);
        assert_eq!(value["from"], "system");
    }
}
