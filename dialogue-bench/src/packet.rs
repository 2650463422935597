//! Engine.IO v4 and Socket.IO v5 text packets: as much of them as the load
//! generator reads and writes over WebSocket (one packet per text frame).
//!
//! Engine.IO: `0{open}`, `1` close, `2` ping, `3` pong, `4…` message, `6` noop.
//! Socket.IO inside a message: `0{auth}` connect, `1` disconnect,
//! `2[event…]` event, `3N[…]` ack, `4{err}` connect error; an optional
//! namespace `/ns,` and ack id digits come before the JSON.

use std::fmt::Write as _;

/// An Engine.IO packet, borrowing its payload from the frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EioPacket<'a> {
    /// `0{...}`: the handshake (JSON with `sid`, `pingInterval`, ...).
    Open(&'a str),
    /// `1`: the server closes.
    Close,
    /// `2`: a heartbeat to answer with `3`.
    Ping,
    /// `3`: the answer to a ping.
    Pong,
    /// `4...`: a Socket.IO packet.
    Message(SioPacket<'a>),
    /// `6`: nothing.
    Noop,
}

/// A Socket.IO packet, borrowing its JSON from the frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SioPacket<'a> {
    /// `0{...}`: connected, with the server's `{ sid }`.
    Connect(&'a str),
    /// `1`: the namespace was left.
    Disconnect,
    /// `2[...]`: an event, with the ack id it asks for.
    Event {
        /// The acknowledgement id, when the sender wants one.
        ack: Option<u64>,
        /// The JSON array `["name", args...]`.
        payload: &'a str,
    },
    /// `3N[...]`: the answer to an event sent with ack id `N`.
    Ack {
        /// The id.
        id: u64,
        /// The JSON array of answers.
        payload: &'a str,
    },
    /// `4{...}`: the connection was refused.
    ConnectError(&'a str),
}

/// Why a frame is not a packet this client understands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PacketError {
    /// An empty frame.
    Empty,
    /// An Engine.IO type that is not 0 to 6.
    EngineType(char),
    /// A Socket.IO type that this client does not handle (binary ones).
    SocketType(char),
    /// An ack packet without its id.
    MissingAckId,
}

impl std::fmt::Display for PacketError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Empty => f.write_str("empty frame"),
            Self::EngineType(c) => write!(f, "unknown Engine.IO packet type {c:?}"),
            Self::SocketType(c) => write!(f, "unsupported Socket.IO packet type {c:?}"),
            Self::MissingAckId => f.write_str("ack packet without an id"),
        }
    }
}

impl std::error::Error for PacketError {}

/// Reads one text frame.
pub fn parse(frame: &str) -> Result<EioPacket<'_>, PacketError> {
    let mut chars = frame.chars();
    let kind = chars.next().ok_or(PacketError::Empty)?;
    let rest = chars.as_str();
    Ok(match kind {
        '0' => EioPacket::Open(rest),
        '1' => EioPacket::Close,
        '2' => EioPacket::Ping,
        '3' => EioPacket::Pong,
        '4' => EioPacket::Message(parse_socket(rest)?),
        '6' => EioPacket::Noop,
        other => return Err(PacketError::EngineType(other)),
    })
}

/// Reads the Socket.IO packet inside an Engine.IO message.
fn parse_socket(packet: &str) -> Result<SioPacket<'_>, PacketError> {
    let mut chars = packet.chars();
    let kind = chars.next().ok_or(PacketError::Empty)?;
    let mut rest = chars.as_str();
    // A namespace other than `/` comes first, up to a comma.
    if rest.starts_with('/') {
        rest = rest.find(',').map_or("", |comma| &rest[comma + 1..]);
    }
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let id = rest[..digits].parse::<u64>().ok();
    let json = &rest[digits..];
    Ok(match kind {
        '0' => SioPacket::Connect(json),
        '1' => SioPacket::Disconnect,
        '2' => SioPacket::Event {
            ack: id,
            payload: json,
        },
        '3' => SioPacket::Ack {
            id: id.ok_or(PacketError::MissingAckId)?,
            payload: json,
        },
        '4' => SioPacket::ConnectError(json),
        other => return Err(PacketError::SocketType(other)),
    })
}

/// The event name of an event payload `["name", ...]`, and the JSON after
/// it (starting at the comma, or `]`). Names with escapes are not read.
pub fn event_name(payload: &str) -> Option<(&str, &str)> {
    let body = payload.strip_prefix("[\"")?;
    let end = body.find('"')?;
    let name = &body[..end];
    if name.contains('\\') {
        return None;
    }
    Some((name, &body[end + 1..]))
}

/// The Socket.IO connect packet carrying `auth` (a JSON object).
pub fn connect(auth_json: &str) -> String {
    format!("40{auth_json}")
}

/// An event packet `42[N]["name",data]`.
pub fn event(name: &str, data_json: &str, ack: Option<u64>) -> String {
    let mut out = String::with_capacity(8 + name.len() + data_json.len());
    out.push_str("42");
    if let Some(id) = ack {
        let _ = write!(out, "{id}");
    }
    out.push_str("[\"");
    out.push_str(name);
    out.push_str("\",");
    out.push_str(data_json);
    out.push(']');
    out
}

/// Writes `s` as a JSON string literal (with quotes).
pub fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The probe a published message carries in its `text`: who sent it, its
/// sequence number and when, in microseconds of the load generator's clock.
/// Written as `b P S T` (then padding), which any `message` schema accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Probe {
    /// The publisher's index.
    pub publisher: u32,
    /// Its sequence number, from 0 per publisher.
    pub seq: u64,
    /// When it was sent, microseconds since the load generator started.
    pub sent_us: u64,
}

/// What precedes the probe in a delivered envelope.
const PROBE_MARK: &str = "\"text\":\"b ";

impl Probe {
    /// The `text` value (without quotes): the probe, then `pad` bytes of `x`.
    pub fn text(&self, pad: usize) -> String {
        let mut text = format!("b {} {} {}", self.publisher, self.seq, self.sent_us);
        if pad > 0 {
            text.push(' ');
            text.extend(std::iter::repeat_n('x', pad));
        }
        text
    }

    /// Finds the probe in a delivered frame (`"text":"b P S T` anywhere),
    /// without parsing the rest of the JSON.
    pub fn find(frame: &str) -> Option<Self> {
        let at = frame.find(PROBE_MARK)? + PROBE_MARK.len();
        let mut fields = frame[at..].split(|c: char| !c.is_ascii_digit());
        let publisher = fields.next()?.parse().ok()?;
        let seq = fields.next()?.parse().ok()?;
        let sent_us = fields.next()?.parse().ok()?;
        Some(Self {
            publisher,
            seq,
            sent_us,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_packets() {
        assert_eq!(
            parse(r#"0{"sid":"a","pingInterval":25000}"#),
            Ok(EioPacket::Open(r#"{"sid":"a","pingInterval":25000}"#))
        );
        assert_eq!(parse("2"), Ok(EioPacket::Ping));
        assert_eq!(parse("3"), Ok(EioPacket::Pong));
        assert_eq!(parse("1"), Ok(EioPacket::Close));
        assert_eq!(parse("6"), Ok(EioPacket::Noop));
        assert_eq!(parse(""), Err(PacketError::Empty));
        assert_eq!(parse("9"), Err(PacketError::EngineType('9')));
    }

    #[test]
    fn socket_packets() {
        assert_eq!(
            parse(r#"40{"sid":"x"}"#),
            Ok(EioPacket::Message(SioPacket::Connect(r#"{"sid":"x"}"#)))
        );
        assert_eq!(
            parse(r#"42["dialogue:joined",{"roomId":"chat"}]"#),
            Ok(EioPacket::Message(SioPacket::Event {
                ack: None,
                payload: r#"["dialogue:joined",{"roomId":"chat"}]"#
            }))
        );
        assert_eq!(
            parse(r#"4217["dialogue:join",{}]"#),
            Ok(EioPacket::Message(SioPacket::Event {
                ack: Some(17),
                payload: r#"["dialogue:join",{}]"#
            }))
        );
        assert_eq!(
            parse(r#"433[{"ok":true}]"#),
            Ok(EioPacket::Message(SioPacket::Ack {
                id: 3,
                payload: r#"[{"ok":true}]"#
            }))
        );
        assert_eq!(parse("43[]"), Err(PacketError::MissingAckId));
        assert_eq!(
            parse(r#"44{"message":"no"}"#),
            Ok(EioPacket::Message(SioPacket::ConnectError(
                r#"{"message":"no"}"#
            )))
        );
        assert_eq!(
            parse(r#"42/admin,5["x"]"#),
            Ok(EioPacket::Message(SioPacket::Event {
                ack: Some(5),
                payload: r#"["x"]"#
            }))
        );
        assert_eq!(parse("41"), Ok(EioPacket::Message(SioPacket::Disconnect)));
        assert_eq!(parse("45[]"), Err(PacketError::SocketType('5')));
    }

    #[test]
    fn event_names() {
        assert_eq!(
            event_name(r#"["dialogue:event",{"a":1}]"#),
            Some(("dialogue:event", r#",{"a":1}]"#))
        );
        assert_eq!(event_name(r#"["x"]"#), Some(("x", "]")));
        assert_eq!(event_name(r#"[1]"#), None);
        assert_eq!(event_name(r#"["a\"b"]"#), None);
    }

    #[test]
    fn writing_packets() {
        assert_eq!(connect(r#"{"userId":"u1"}"#), r#"40{"userId":"u1"}"#);
        assert_eq!(
            event("dialogue:join", r#"{"roomId":"chat"}"#, None),
            r#"42["dialogue:join",{"roomId":"chat"}]"#
        );
        assert_eq!(event("x", "1", Some(12)), r#"4212["x",1]"#);
        assert_eq!(json_string("a\"b\\c\n"), r#""a\"b\\c\u000a""#);
        // What is written reads back.
        let frame = event("e", "{}", Some(4));
        assert!(matches!(
            parse(&frame),
            Ok(EioPacket::Message(SioPacket::Event { ack: Some(4), .. }))
        ));
    }

    #[test]
    fn probes_round_trip_through_an_envelope() {
        let probe = Probe {
            publisher: 3,
            seq: 42,
            sent_us: 1_234_567,
        };
        assert_eq!(probe.text(0), "b 3 42 1234567");
        assert_eq!(probe.text(3), "b 3 42 1234567 xxx");
        let envelope = format!(
            r#"42["dialogue:event",{{"event":"message","roomId":"chat","data":{{"senderId":"p3","text":"{}"}},"from":"p3","timestamp":1}}]"#,
            probe.text(10)
        );
        assert_eq!(Probe::find(&envelope), Some(probe));
        assert_eq!(Probe::find(r#"{"text":"hello"}"#), None);
        assert_eq!(Probe::find(r#"{"text":"b 1 2"}"#), None);
    }
}
