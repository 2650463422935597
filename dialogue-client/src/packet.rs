//! Pure encoding and decoding of Engine.IO v4 and Socket.IO v5 packets.
//!
//! Nothing here does I/O, so the codec can be reused on its own (for instance by a load
//! generator). Two layers:
//!
//! * [`EnginePacket`]: the Engine.IO frame (`0` open, `1` close, `2` ping, `3` pong,
//!   `4` message, `5` upgrade, `6` noop, and `b<base64>` binary on long-polling), plus the
//!   long-polling payload framing ([`encode_payload`], [`decode_payload`]) where packets are
//!   separated by the record separator `\x1e`.
//! * [`Packet`]: the Socket.IO packet carried in an Engine.IO message,
//!   `<type>[<attachments>-][<namespace>,][<ack id>][<JSON>]`, for instance
//!   `2["chat","hi"]`, `21["add",1,2]`, `3/admin,7[true]` or
//!   `451-["file",{"_placeholder":true,"num":0}]`.
//!
//! Decoding never panics: anything malformed becomes [`Error::InvalidPacket`].

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::Error;

/// Standard base64 (RFC 4648), as Engine.IO carries binary messages on HTTP
/// long-polling (`b<base64>`): padded when written, padding optional when
/// read.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The record separator that joins packets in an HTTP long-polling payload.
pub const RECORD_SEPARATOR: char = '\x1e';

/// The default namespace.
pub const DEFAULT_NAMESPACE: &str = "/";

/// The handshake data of an Engine.IO OPEN packet (`0{"sid":...}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OpenPacket {
    /// The Engine.IO session id (distinct from the Socket.IO socket id).
    pub sid: String,
    /// The transports the server would let this session upgrade to.
    #[serde(default)]
    pub upgrades: Vec<String>,
    /// How often the server sends a ping, in milliseconds.
    pub ping_interval: u64,
    /// How long the server waits for the pong, in milliseconds.
    pub ping_timeout: u64,
    /// The largest payload the server accepts, in bytes.
    #[serde(default = "default_max_payload")]
    pub max_payload: u64,
}

fn default_max_payload() -> u64 {
    1_000_000
}

impl OpenPacket {
    /// How long the client may go without hearing from the server before it considers the
    /// connection dead: `pingInterval + pingTimeout`.
    pub fn heartbeat_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.ping_interval.saturating_add(self.ping_timeout))
    }
}

/// An Engine.IO v4 packet.
#[derive(Debug, Clone, PartialEq)]
pub enum EnginePacket {
    /// `0{...}`: the session handshake, sent by the server.
    Open(OpenPacket),
    /// `1`: close the session.
    Close,
    /// `2[data]`: heartbeat ping (sent by the server in v4), with optional data (e.g. `probe`).
    Ping(String),
    /// `3[data]`: heartbeat pong, echoing the ping's data.
    Pong(String),
    /// `4<text>`: a message, here a Socket.IO packet.
    Message(String),
    /// `5`: transport upgrade (unused by this client, which never upgrades).
    Upgrade,
    /// `6`: no-op.
    Noop,
    /// A binary message: a binary WebSocket frame, or `b<base64>` in a long-polling payload.
    Binary(Bytes),
}

impl EnginePacket {
    /// Encodes the packet as text: what goes into a WebSocket text frame or a polling payload.
    ///
    /// [`EnginePacket::Binary`] is encoded as `b<base64>` (the long-polling form); over
    /// WebSocket it is sent as a binary frame instead.
    pub fn encode(&self) -> String {
        match self {
            EnginePacket::Open(open) => {
                // Serialising a struct of strings and integers cannot fail.
                let json = serde_json::to_string(open).unwrap_or_default();
                format!("0{json}")
            }
            EnginePacket::Close => "1".to_owned(),
            EnginePacket::Ping(data) => format!("2{data}"),
            EnginePacket::Pong(data) => format!("3{data}"),
            EnginePacket::Message(text) => format!("4{text}"),
            EnginePacket::Upgrade => "5".to_owned(),
            EnginePacket::Noop => "6".to_owned(),
            EnginePacket::Binary(data) => format!("b{}", BASE64.encode(data)),
        }
    }

    /// Decodes one text-encoded Engine.IO packet (a WebSocket text frame or one record of a
    /// long-polling payload).
    pub fn decode(text: &str) -> Result<Self, Error> {
        let mut chars = text.chars();
        let Some(kind) = chars.next() else {
            return Err(Error::invalid_packet("empty engine.io packet", text));
        };
        let rest = chars.as_str();
        Ok(match kind {
            '0' => match serde_json::from_str::<OpenPacket>(rest) {
                Ok(open) => EnginePacket::Open(open),
                Err(err) => {
                    return Err(Error::invalid_packet(
                        format!("bad engine.io open packet: {err}"),
                        text,
                    ));
                }
            },
            '1' => EnginePacket::Close,
            '2' => EnginePacket::Ping(rest.to_owned()),
            '3' => EnginePacket::Pong(rest.to_owned()),
            '4' => EnginePacket::Message(rest.to_owned()),
            '5' => EnginePacket::Upgrade,
            '6' => EnginePacket::Noop,
            'b' => match BASE64.decode(rest) {
                Ok(data) => EnginePacket::Binary(Bytes::from(data)),
                Err(_) => return Err(Error::invalid_packet("bad base64 in binary packet", text)),
            },
            _ => return Err(Error::invalid_packet("unknown engine.io packet type", text)),
        })
    }
}

/// Joins packets into one HTTP long-polling payload, separated by `\x1e`.
pub fn encode_payload(packets: &[EnginePacket]) -> String {
    let mut payload = String::new();
    for (i, packet) in packets.iter().enumerate() {
        if i > 0 {
            payload.push(RECORD_SEPARATOR);
        }
        payload.push_str(&packet.encode());
    }
    payload
}

/// Splits an HTTP long-polling payload into its packets. An empty payload has no packets.
pub fn decode_payload(payload: &str) -> Result<Vec<EnginePacket>, Error> {
    if payload.is_empty() {
        return Ok(Vec::new());
    }
    payload
        .split(RECORD_SEPARATOR)
        .map(EnginePacket::decode)
        .collect()
}

/// The type of a Socket.IO packet (its first character).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PacketType {
    /// `0`: connect to a namespace (client → server with auth, server → client with the sid).
    Connect,
    /// `1`: leave a namespace.
    Disconnect,
    /// `2`: an event, `["name", ...args]`.
    Event,
    /// `3`: an acknowledgement, `[...args]`, with an ack id.
    Ack,
    /// `4`: the namespace connection was refused, `{"message": ..., "data": ...}`.
    ConnectError,
    /// `5`: an event with binary attachments following it.
    BinaryEvent,
    /// `6`: an acknowledgement with binary attachments following it.
    BinaryAck,
}

impl PacketType {
    /// The digit that starts the encoded packet.
    pub fn as_char(self) -> char {
        match self {
            PacketType::Connect => '0',
            PacketType::Disconnect => '1',
            PacketType::Event => '2',
            PacketType::Ack => '3',
            PacketType::ConnectError => '4',
            PacketType::BinaryEvent => '5',
            PacketType::BinaryAck => '6',
        }
    }

    /// Parses the leading digit of a packet.
    pub fn from_char(c: char) -> Option<Self> {
        Some(match c {
            '0' => PacketType::Connect,
            '1' => PacketType::Disconnect,
            '2' => PacketType::Event,
            '3' => PacketType::Ack,
            '4' => PacketType::ConnectError,
            '5' => PacketType::BinaryEvent,
            '6' => PacketType::BinaryAck,
            _ => return None,
        })
    }

    /// Whether packets of this type announce binary attachments (`5` and `6`).
    pub fn is_binary(self) -> bool {
        matches!(self, PacketType::BinaryEvent | PacketType::BinaryAck)
    }
}

/// A Socket.IO v5 packet, as carried in an Engine.IO message.
///
/// Binary attachments are not part of the packet text: for [`PacketType::BinaryEvent`] and
/// [`PacketType::BinaryAck`] the JSON holds placeholders (see [`placeholder`]) and
/// `attachments` says how many binary Engine.IO messages follow.
#[derive(Debug, Clone, PartialEq)]
pub struct Packet {
    /// The packet type.
    pub kind: PacketType,
    /// The namespace, `/` by default (omitted from the encoded form).
    pub namespace: String,
    /// The number of binary attachments that follow (binary packet types only).
    pub attachments: usize,
    /// The acknowledgement id: asked for on an event, answered on an ack.
    pub ack_id: Option<u64>,
    /// The JSON payload, if any.
    pub data: Option<Value>,
}

impl Packet {
    fn new(kind: PacketType, namespace: &str, data: Option<Value>) -> Self {
        Packet {
            kind,
            namespace: namespace.to_owned(),
            attachments: 0,
            ack_id: None,
            data,
        }
    }

    /// A namespace CONNECT, with the optional handshake `auth` object: `40{"token":"x"}`.
    pub fn connect(namespace: &str, auth: Option<Value>) -> Self {
        Packet::new(PacketType::Connect, namespace, auth)
    }

    /// A namespace DISCONNECT: `41`.
    pub fn disconnect(namespace: &str) -> Self {
        Packet::new(PacketType::Disconnect, namespace, None)
    }

    /// An EVENT `["event", ...args]`, asking for an acknowledgement when `ack_id` is set.
    pub fn event(namespace: &str, event: &str, args: Vec<Value>, ack_id: Option<u64>) -> Self {
        let mut packet = Packet::new(PacketType::Event, namespace, Some(event_array(event, args)));
        packet.ack_id = ack_id;
        packet
    }

    /// A BINARY_EVENT `["event", ...args]` announcing `attachments` binary messages; `args`
    /// should hold the matching [`placeholder`]s.
    pub fn binary_event(
        namespace: &str,
        event: &str,
        args: Vec<Value>,
        attachments: usize,
        ack_id: Option<u64>,
    ) -> Self {
        let mut packet = Packet::new(
            PacketType::BinaryEvent,
            namespace,
            Some(event_array(event, args)),
        );
        packet.attachments = attachments;
        packet.ack_id = ack_id;
        packet
    }

    /// An ACK answering `ack_id` with `args`: `3<id>[...args]`.
    pub fn ack(namespace: &str, ack_id: u64, args: Vec<Value>) -> Self {
        let mut packet = Packet::new(PacketType::Ack, namespace, Some(Value::Array(args)));
        packet.ack_id = Some(ack_id);
        packet
    }

    /// A CONNECT_ERROR `{"message": ...}` (what a server sends; useful for tests).
    pub fn connect_error(namespace: &str, message: &str) -> Self {
        let data = serde_json::json!({ "message": message });
        Packet::new(PacketType::ConnectError, namespace, Some(data))
    }

    /// Encodes the packet text (without the Engine.IO `4` prefix).
    pub fn encode(&self) -> String {
        let mut out = String::new();
        out.push(self.kind.as_char());
        if self.kind.is_binary() {
            out.push_str(&self.attachments.to_string());
            out.push('-');
        }
        if !self.namespace.is_empty() && self.namespace != DEFAULT_NAMESPACE {
            if !self.namespace.starts_with('/') {
                out.push('/');
            }
            out.push_str(&self.namespace);
            out.push(',');
        }
        if let Some(id) = self.ack_id {
            out.push_str(&id.to_string());
        }
        if let Some(data) = &self.data {
            out.push_str(&data.to_string());
        }
        out
    }

    /// Decodes a packet text (without the Engine.IO `4` prefix), checking that the payload
    /// has the shape its type requires.
    pub fn decode(text: &str) -> Result<Self, Error> {
        let bad = |reason: &str| Error::invalid_packet(reason, text);
        let bytes = text.as_bytes();
        let kind = bytes
            .first()
            .and_then(|b| PacketType::from_char(char::from(*b)))
            .ok_or_else(|| bad("unknown socket.io packet type"))?;
        // Every index below sits right after an ASCII byte, hence on a char boundary.
        let mut pos = 1;

        let mut attachments = 0;
        if kind.is_binary() {
            let start = pos;
            while bytes.get(pos).is_some_and(u8::is_ascii_digit) {
                pos += 1;
            }
            if pos == start || bytes.get(pos) != Some(&b'-') {
                return Err(bad("binary packet without attachment count"));
            }
            attachments = text[start..pos]
                .parse()
                .map_err(|_| bad("attachment count out of range"))?;
            pos += 1;
        }

        let namespace = if bytes.get(pos) == Some(&b'/') {
            match text[pos..].find(',') {
                Some(offset) => {
                    let ns = &text[pos..pos + offset];
                    pos += offset + 1;
                    ns.to_owned()
                }
                None => {
                    let ns = &text[pos..];
                    pos = text.len();
                    ns.to_owned()
                }
            }
        } else {
            DEFAULT_NAMESPACE.to_owned()
        };

        let start = pos;
        while bytes.get(pos).is_some_and(u8::is_ascii_digit) {
            pos += 1;
        }
        let ack_id = if pos > start {
            Some(
                text[start..pos]
                    .parse::<u64>()
                    .map_err(|_| bad("ack id out of range"))?,
            )
        } else {
            None
        };

        let rest = &text[pos..];
        let data = if rest.is_empty() {
            None
        } else {
            Some(
                serde_json::from_str::<Value>(rest)
                    .map_err(|err| bad(&format!("invalid JSON payload: {err}")))?,
            )
        };

        match (kind, &data) {
            (PacketType::Connect, None | Some(Value::Object(_))) => {}
            (PacketType::Connect, _) => return Err(bad("connect payload must be an object")),
            (PacketType::Disconnect, None) => {}
            (PacketType::Disconnect, Some(_)) => return Err(bad("disconnect has no payload")),
            (PacketType::Event | PacketType::BinaryEvent, Some(Value::Array(items)))
                if matches!(items.first(), Some(Value::String(_))) => {}
            (PacketType::Event | PacketType::BinaryEvent, _) => {
                return Err(bad("event payload must be an array starting with the name"));
            }
            (PacketType::Ack | PacketType::BinaryAck, Some(Value::Array(_)))
                if ack_id.is_some() => {}
            (PacketType::Ack | PacketType::BinaryAck, _) => {
                return Err(bad("ack needs an id and an array payload"));
            }
            (PacketType::ConnectError, Some(Value::Object(_) | Value::String(_))) => {}
            (PacketType::ConnectError, _) => {
                return Err(bad("connect error payload must be an object or a string"));
            }
        }

        Ok(Packet {
            kind,
            namespace,
            attachments,
            ack_id,
            data,
        })
    }

    /// For an (binary) event: its name and arguments.
    pub fn into_event(self) -> Option<(String, Vec<Value>)> {
        if !matches!(self.kind, PacketType::Event | PacketType::BinaryEvent) {
            return None;
        }
        let Some(Value::Array(mut items)) = self.data else {
            return None;
        };
        if !matches!(items.first(), Some(Value::String(_))) {
            return None;
        }
        match items.remove(0) {
            Value::String(name) => Some((name, items)),
            _ => None,
        }
    }

    /// For an (binary) ack: the acknowledgement arguments.
    pub fn into_ack_args(self) -> Option<Vec<Value>> {
        match (self.kind, self.data) {
            (PacketType::Ack | PacketType::BinaryAck, Some(Value::Array(items))) => Some(items),
            _ => None,
        }
    }

    /// For a CONNECT_ERROR: the `message` and optional `data` (a bare string payload, as
    /// older servers send, is taken as the message).
    pub fn connect_error_parts(&self) -> Option<(String, Option<Value>)> {
        if self.kind != PacketType::ConnectError {
            return None;
        }
        match &self.data {
            Some(Value::Object(map)) => {
                let message = match map.get("message") {
                    Some(Value::String(s)) => s.clone(),
                    Some(other) => other.to_string(),
                    None => String::new(),
                };
                Some((message, map.get("data").cloned()))
            }
            Some(Value::String(s)) => Some((s.clone(), None)),
            _ => None,
        }
    }

    /// For a server CONNECT: the socket id (`{"sid": "..."}`).
    pub fn connect_sid(&self) -> Option<&str> {
        if self.kind != PacketType::Connect {
            return None;
        }
        self.data.as_ref()?.get("sid")?.as_str()
    }
}

fn event_array(event: &str, args: Vec<Value>) -> Value {
    let mut items = Vec::with_capacity(args.len() + 1);
    items.push(Value::String(event.to_owned()));
    items.extend(args);
    Value::Array(items)
}

/// The JSON placeholder standing for binary attachment number `num`:
/// `{"_placeholder":true,"num":0}`.
pub fn placeholder(num: usize) -> Value {
    serde_json::json!({ "_placeholder": true, "num": num })
}

/// Whether a JSON value is a binary attachment placeholder, and if so its number.
pub fn placeholder_num(value: &Value) -> Option<usize> {
    let map = value.as_object()?;
    if map.get("_placeholder")? != &Value::Bool(true) {
        return None;
    }
    usize::try_from(map.get("num")?.as_u64()?).ok()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn roundtrip(packet: &Packet, text: &str) {
        assert_eq!(packet.encode(), text);
        assert_eq!(&Packet::decode(text).expect("decodes"), packet);
    }

    #[test]
    fn engine_packets_encode() {
        assert_eq!(EnginePacket::Close.encode(), "1");
        assert_eq!(EnginePacket::Ping(String::new()).encode(), "2");
        assert_eq!(EnginePacket::Pong("probe".into()).encode(), "3probe");
        assert_eq!(EnginePacket::Message("40".into()).encode(), "440");
        assert_eq!(EnginePacket::Upgrade.encode(), "5");
        assert_eq!(EnginePacket::Noop.encode(), "6");
        assert_eq!(
            EnginePacket::Binary(Bytes::from_static(&[1, 2, 3, 4])).encode(),
            "bAQIDBA=="
        );
    }

    #[test]
    fn engine_packets_decode() {
        assert_eq!(EnginePacket::decode("1").unwrap(), EnginePacket::Close);
        assert_eq!(
            EnginePacket::decode("2").unwrap(),
            EnginePacket::Ping(String::new())
        );
        assert_eq!(
            EnginePacket::decode("2probe").unwrap(),
            EnginePacket::Ping("probe".into())
        );
        assert_eq!(
            EnginePacket::decode("3").unwrap(),
            EnginePacket::Pong(String::new())
        );
        assert_eq!(
            EnginePacket::decode("42[\"a\"]").unwrap(),
            EnginePacket::Message("2[\"a\"]".into())
        );
        assert_eq!(EnginePacket::decode("5").unwrap(), EnginePacket::Upgrade);
        assert_eq!(EnginePacket::decode("6").unwrap(), EnginePacket::Noop);
        assert_eq!(
            EnginePacket::decode("bAQID").unwrap(),
            EnginePacket::Binary(Bytes::from_static(&[1, 2, 3]))
        );
    }

    #[test]
    fn engine_open_packet() {
        let text = r#"0{"sid":"abc","upgrades":["websocket"],"pingInterval":300,"pingTimeout":200,"maxPayload":100000}"#;
        let EnginePacket::Open(open) = EnginePacket::decode(text).unwrap() else {
            panic!("not an open packet");
        };
        assert_eq!(open.sid, "abc");
        assert_eq!(open.upgrades, vec!["websocket".to_owned()]);
        assert_eq!(open.ping_interval, 300);
        assert_eq!(open.ping_timeout, 200);
        assert_eq!(open.max_payload, 100_000);
        assert_eq!(
            open.heartbeat_timeout(),
            std::time::Duration::from_millis(500)
        );
        // and back
        assert_eq!(
            EnginePacket::decode(&EnginePacket::Open(open.clone()).encode()).unwrap(),
            EnginePacket::Open(open)
        );
    }

    #[test]
    fn engine_open_packet_defaults_and_errors() {
        let EnginePacket::Open(open) =
            EnginePacket::decode(r#"0{"sid":"x","pingInterval":1,"pingTimeout":2}"#).unwrap()
        else {
            panic!("not an open packet");
        };
        assert!(open.upgrades.is_empty());
        assert_eq!(open.max_payload, 1_000_000);
        assert!(EnginePacket::decode("0{").is_err());
        assert!(EnginePacket::decode("0").is_err());
    }

    #[test]
    fn engine_decode_errors() {
        for bad in ["", "7", "x", "é", "b!!!!", "bA", "b====="] {
            let err = EnginePacket::decode(bad).expect_err(bad);
            assert!(matches!(err, Error::InvalidPacket { .. }), "{bad}: {err}");
        }
    }

    #[test]
    fn polling_payload_framing() {
        let packets = vec![
            EnginePacket::Message("40".into()),
            EnginePacket::Pong(String::new()),
            EnginePacket::Binary(Bytes::from_static(b"hi")),
        ];
        let payload = encode_payload(&packets);
        assert_eq!(payload, "440\x1e3\x1ebaGk=");
        assert_eq!(decode_payload(&payload).unwrap(), packets);
        assert_eq!(decode_payload("").unwrap(), Vec::<EnginePacket>::new());
        assert_eq!(encode_payload(&[]), "");
        assert_eq!(
            decode_payload("2").unwrap(),
            vec![EnginePacket::Ping(String::new())]
        );
        // An empty record in the middle is an error, not a panic.
        assert!(decode_payload("2\x1e\x1e3").is_err());
        // Multi-byte text survives the split.
        assert_eq!(
            decode_payload("42[\"é\"]\x1e6").unwrap(),
            vec![EnginePacket::Message("2[\"é\"]".into()), EnginePacket::Noop]
        );
    }

    #[test]
    fn connect_packets() {
        roundtrip(&Packet::connect("/", None), "0");
        roundtrip(
            &Packet::connect("/", Some(json!({"token": "abc"}))),
            r#"0{"token":"abc"}"#,
        );
        roundtrip(
            &Packet::connect("/admin", Some(json!({"a": 1}))),
            r#"0/admin,{"a":1}"#,
        );
        roundtrip(&Packet::connect("/admin", None), "0/admin,");
        let server = Packet::decode(r#"0{"sid":"s1"}"#).unwrap();
        assert_eq!(server.connect_sid(), Some("s1"));
        assert_eq!(Packet::decode("0").unwrap().connect_sid(), None);
        assert_eq!(
            Packet::decode(r#"0/x,{"sid":"s2"}"#).unwrap().connect_sid(),
            Some("s2")
        );
    }

    #[test]
    fn namespace_without_leading_slash_is_encoded_with_one() {
        assert_eq!(Packet::disconnect("admin").encode(), "1/admin,");
        assert_eq!(Packet::disconnect("").encode(), "1");
    }

    #[test]
    fn namespace_without_trailing_comma() {
        let packet = Packet::decode("1/custom").unwrap();
        assert_eq!(packet.kind, PacketType::Disconnect);
        assert_eq!(packet.namespace, "/custom");
    }

    #[test]
    fn disconnect_packets() {
        roundtrip(&Packet::disconnect("/"), "1");
        roundtrip(&Packet::disconnect("/chat"), "1/chat,");
    }

    #[test]
    fn event_packets() {
        roundtrip(
            &Packet::event("/", "hello", vec![json!(1), json!("two")], None),
            r#"2["hello",1,"two"]"#,
        );
        roundtrip(&Packet::event("/", "e", vec![], Some(12)), r#"212["e"]"#);
        roundtrip(
            &Packet::event("/admin", "e", vec![json!({"k": [1, 2]})], Some(0)),
            r#"2/admin,0["e",{"k":[1,2]}]"#,
        );
        let (name, args) = Packet::decode(r#"2["n",null,true]"#)
            .unwrap()
            .into_event()
            .unwrap();
        assert_eq!(name, "n");
        assert_eq!(args, vec![Value::Null, Value::Bool(true)]);
    }

    #[test]
    fn ack_packets() {
        roundtrip(
            &Packet::ack("/", 3, vec![json!("ok"), json!(2)]),
            r#"33["ok",2]"#,
        );
        roundtrip(&Packet::ack("/a", 0, vec![]), "3/a,0[]");
        let args = Packet::decode(r#"37[{"x":1}]"#)
            .unwrap()
            .into_ack_args()
            .unwrap();
        assert_eq!(args, vec![json!({"x": 1})]);
        assert_eq!(Packet::decode(r#"2["e"]"#).unwrap().into_ack_args(), None);
    }

    #[test]
    fn connect_error_packets() {
        let packet = Packet::decode(r#"4{"message":"not allowed","data":{"code":7}}"#).unwrap();
        assert_eq!(
            packet.connect_error_parts(),
            Some(("not allowed".to_owned(), Some(json!({"code": 7}))))
        );
        let packet = Packet::decode(r#"4/admin,{"message":"Invalid namespace"}"#).unwrap();
        assert_eq!(packet.namespace, "/admin");
        assert_eq!(
            packet.connect_error_parts(),
            Some(("Invalid namespace".to_owned(), None))
        );
        let packet = Packet::decode(r#"4"legacy""#).unwrap();
        assert_eq!(
            packet.connect_error_parts(),
            Some(("legacy".to_owned(), None))
        );
        roundtrip(
            &Packet::connect_error("/", "nope"),
            r#"4{"message":"nope"}"#,
        );
    }

    #[test]
    fn binary_packets() {
        let packet = Packet::binary_event("/", "file", vec![placeholder(0)], 1, None);
        roundtrip(&packet, r#"51-["file",{"_placeholder":true,"num":0}]"#);
        let packet =
            Packet::binary_event("/ns", "f", vec![placeholder(0), placeholder(1)], 2, Some(4));
        roundtrip(
            &packet,
            r#"52-/ns,4["f",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#,
        );
        let ack = Packet::decode(r#"61-5[{"_placeholder":true,"num":0}]"#).unwrap();
        assert_eq!(ack.kind, PacketType::BinaryAck);
        assert_eq!(ack.attachments, 1);
        assert_eq!(ack.ack_id, Some(5));
        let args = ack.into_ack_args().unwrap();
        assert_eq!(placeholder_num(&args[0]), Some(0));
        assert_eq!(placeholder_num(&json!({"num": 0})), None);
        assert_eq!(
            placeholder_num(&json!({"_placeholder": false, "num": 0})),
            None
        );
        assert_eq!(placeholder_num(&json!("x")), None);
    }

    #[test]
    fn decode_rejects_malformed_packets() {
        let cases = [
            "",
            "7",
            "x[]",
            "é",
            "2",                // event without payload
            "2{}",              // event payload not an array
            "2[]",              // event without name
            "2[1]",             // event name not a string
            "2[\"a\"",          // truncated JSON
            "2[\"a\"]trailing", // trailing garbage
            "3[1]",             // ack without id
            "31",               // ack without payload
            "0[1]",             // connect payload not an object
            "1[]",              // disconnect with payload
            "4",                // connect error without payload
            "5[\"a\"]",         // binary event without attachment count
            "5-[\"a\"]",        // binary event with empty count
            "599999999999999999999999-[\"a\"]",
            "299999999999999999999999[\"a\"]", // ack id overflow
            "2/é",
            "2/é,1é",
            "51é",
        ];
        for case in cases {
            let err = Packet::decode(case).expect_err(case);
            assert!(matches!(err, Error::InvalidPacket { .. }), "{case}: {err}");
        }
    }

    #[test]
    fn decode_accepts_multibyte_namespaces_and_payloads() {
        let packet = Packet::decode("2/é,[\"é\"]").unwrap();
        assert_eq!(packet.namespace, "/é");
        assert_eq!(packet.into_event().unwrap().0, "é");
    }

    #[test]
    fn invalid_packet_error_truncates_long_input() {
        let long = format!("9{}", "a".repeat(10_000));
        let Error::InvalidPacket { packet, .. } = Packet::decode(&long).unwrap_err() else {
            panic!("wrong error");
        };
        assert!(packet.chars().count() <= 301);
    }

    #[test]
    fn binary_on_polling_is_standard_base64_with_optional_padding() {
        let cases: [(&[u8], &str); 7] = [
            (b"", ""),
            (b"f", "Zg=="),
            (b"fo", "Zm8="),
            (b"foo", "Zm9v"),
            (b"foob", "Zm9vYg=="),
            (b"fooba", "Zm9vYmE="),
            (b"foobar", "Zm9vYmFy"),
        ];
        for (raw, encoded) in cases {
            assert_eq!(BASE64.encode(raw), encoded);
            assert_eq!(BASE64.decode(encoded).as_deref().ok(), Some(raw));
        }
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(BASE64.decode(BASE64.encode(&all)).ok(), Some(all));
        assert_eq!(BASE64.decode("Zm9vYg").ok(), Some(b"foob".to_vec()));
        for bad in ["Z", "Zm=v", "Zg===", "Zm9v\n"] {
            assert!(BASE64.decode(bad).is_err(), "{bad:?}");
        }
    }
}
