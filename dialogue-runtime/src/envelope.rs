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

/// An event's envelope before it has its seq: its parts, borrowed.
///
/// A stream in memory writes the envelope once it has numbered the event
/// ([`stamp`](Self::stamp)). A shared stream numbers it elsewhere (Redis,
/// in one script with the append), so it writes everything but the seq
/// first ([`Stamp::head`]) and the seq is appended to those bytes there and
/// here alike ([`Head::finish`]).
pub(crate) enum Stamp<'a> {
    /// The parts of a trigger: stamped with the server's clock.
    Parts {
        room_id: &'a str,
        event: &'a str,
        data: &'a Value,
        from: &'a str,
        meta: Option<&'a Map<String, Value>>,
    },
    /// A complete message (a hook's), written as it is.
    Message(&'a EventMessage),
}

/// An envelope written but for its seq: the JSON object without its
/// closing brace, to which `,"seq":N}` is appended.
#[derive(Debug, Clone)]
#[cfg_attr(not(feature = "redis"), allow(dead_code))]
pub(crate) struct Head {
    pub(crate) event: String,
    pub(crate) timestamp: u64,
    pub(crate) json: String,
}

impl Stamp<'_> {
    /// Writes the envelope with the seq `seq`.
    pub(crate) fn stamp(self, seq: u64) -> Result<StampedEvent, serde_json::Error> {
        match self {
            Stamp::Parts {
                room_id,
                event,
                data,
                from,
                meta,
            } => StampedEvent::stamp(seq, room_id, event, data, from, meta),
            Stamp::Message(message) => StampedEvent::from_message(seq, message),
        }
    }

    /// Writes everything but the seq (which goes last).
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn head(&self) -> Result<Head, serde_json::Error> {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct NoSeq<'a> {
            event: &'a str,
            room_id: &'a str,
            data: &'a Value,
            from: &'a str,
            timestamp: u64,
            #[serde(skip_serializing_if = "Option::is_none")]
            meta: Option<&'a Map<String, Value>>,
        }
        let envelope = match *self {
            Stamp::Parts {
                room_id,
                event,
                data,
                from,
                meta,
            } => NoSeq {
                event,
                room_id,
                data,
                from,
                timestamp: now_millis(),
                meta,
            },
            Stamp::Message(message) => NoSeq {
                event: &message.event,
                room_id: &message.room_id,
                data: &message.data,
                from: &message.from,
                timestamp: message.timestamp,
                meta: message.meta.as_ref(),
            },
        };
        let mut json = serde_json::to_string(&envelope)?;
        // A struct is written as an object: its last byte is the brace.
        json.pop();
        Ok(Head {
            event: envelope.event.to_owned(),
            timestamp: envelope.timestamp,
            json,
        })
    }
}

#[cfg_attr(not(feature = "redis"), allow(dead_code))]
impl Head {
    /// The bytes a shared stream appends to the head for `seq`, the same
    /// on every node (and in the Redis script).
    pub(crate) fn suffix(seq: u64) -> String {
        format!(",\"seq\":{seq}}}")
    }

    /// The envelope with the seq `seq`.
    pub(crate) fn finish(self, seq: u64) -> Result<StampedEvent, serde_json::Error> {
        let mut json = self.json;
        json.push_str(&Self::suffix(seq));
        // `from_string` scans the bytes once more (serde_json has no
        // unchecked constructor): once per event, never per recipient.
        Ok(StampedEvent {
            seq,
            event: self.event,
            timestamp: self.timestamp,
            json: RawValue::from_string(json)?,
        })
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

    #[test]
    fn a_head_finished_with_a_seq_reads_back_like_a_stamped_envelope() {
        let data = json!({ "text": "hi" });
        let meta = json!({ "trace": "t1" });
        let stamp = Stamp::Parts {
            room_id: "chat",
            event: "message",
            data: &data,
            from: "u1",
            meta: meta.as_object(),
        };
        let head = stamp.head().unwrap();
        // The object without its closing brace (which comes with the seq).
        let closed: Value = serde_json::from_str(&format!("{}}}", head.json)).unwrap();
        assert_eq!(closed["meta"]["trace"], "t1");
        assert!(closed.get("seq").is_none());
        assert!(!head.json.contains("\"seq\""));
        let finished = head.clone().finish(9).unwrap();
        assert!(finished.json().get().ends_with(",\"seq\":9}"));
        assert_eq!((finished.seq(), finished.event()), (9, "message"));
        assert_eq!(finished.timestamp(), head.timestamp);
        let message = finished.message().unwrap();
        assert_eq!(message.seq, 9);
        assert_eq!(message.data, data);
        assert_eq!(message.meta.as_ref().unwrap()["trace"], "t1");
        let stamped = Stamp::Parts {
            room_id: "chat",
            event: "message",
            data: &data,
            from: "u1",
            meta: meta.as_object(),
        }
        .stamp(9)
        .unwrap()
        .message()
        .unwrap();
        assert_eq!(
            (stamped.event, stamped.room_id, stamped.from, stamped.seq),
            (message.event, message.room_id, message.from, message.seq)
        );
    }
}
