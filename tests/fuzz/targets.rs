//! The fuzz targets: what each does with one input and what it checks.
//! Shared by the bounded run inside `cargo test` (tests/fuzz.rs) and the
//! long, coverage-guided run of cargo-fuzz (fuzz/); docs/reliability.md
//! says how each is started.
//!
//! The including crate declares `mod app` (examples/conformance/app.rs)
//! beside this module.
//!
//! - `requests`: a script of what up to four clients do (connect with any
//!   `auth`, send any frame, resume, disconnect) run through the engine of
//!   the conformance application in process (`dialogue_runtime::fuzzing`).
//!   Every answer must be JSON, and every error a documented code.
//! - `packets`: any text and binary frames through the engine.io and
//!   socket.io packet decoders every connection's bytes pass first.

use std::collections::BTreeMap;

use dialogue_runtime::fuzzing::{ACK, Gone, Harness, Sent};
use dialogue_runtime::protocol::ErrorCode;
use serde_json::Value;

use crate::app::ConformanceApp;

/// The codes the conformance application's own request handlers refuse
/// with (`add`: `TOO_BIG`), besides the protocol's.
const APP_CODES: &[&str] = &["TOO_BIG"];

/// How many clients a script may use (slots `0`-`3`).
const SLOTS: usize = 4;

/// The message the conformance application's `fail` handler panics with:
/// the engine catches it and answers `INTERNAL` (tested there), so it is
/// the one panic a target may see.
pub const EXPECTED_PANIC: &str = "`fail` always fails";

/// What a run of the `requests` target saw.
#[derive(Debug, Default, Clone)]
pub struct Seen {
    /// Steps run.
    pub steps: u64,
    /// Answers and events sent to the clients.
    pub sent: u64,
    /// Error codes answered, with how many times.
    pub codes: BTreeMap<String, u64>,
    /// Handshakes refused.
    pub refused: u64,
}

impl Seen {
    /// Adds what another run saw.
    pub fn add(&mut self, other: &Seen) {
        self.steps += other.steps;
        self.sent += other.sent;
        self.refused += other.refused;
        for (code, n) in &other.codes {
            *self.codes.entry(code.clone()).or_default() += n;
        }
    }
}

/// One step of a script: a line `<slot><op><rest>`.
///
/// | line | step |
/// |---|---|
/// | `0>["dialogue:join",{"roomId":"chat"}]` | client 0 sends that frame (connecting as `user0` first if needed) |
/// | `1+{"userId":"bo"}` | client 1 connects with that `auth` (invalid JSON: `{}`) |
/// | `1^{"chat":{"epoch":"e","seq":3}}` | client 1 resumes its last session, with those positions |
/// | `0?["dialogue:request",{...}]` | the same with an acknowledgement (the answer is checked the same way) |
/// | `2#["dialogue:trigger",{...}]` | client 2 sends the frame with a binary attachment |
/// | `2-` / `2~` | client 2 disconnects / its transport drops (session held) |
///
/// Any other line is a frame client 0 sends, so that random bytes still
/// reach the request decoder.
enum Step<'a> {
    Send(usize, &'a str),
    Acked(usize, &'a str),
    Binary(usize, &'a str),
    Connect(usize, &'a str),
    Resume(usize, &'a str),
    Disconnect(usize, Gone),
}

fn parse(line: &str) -> Step<'_> {
    let bytes = line.as_bytes();
    if bytes.len() >= 2 && (b'0'..b'0' + SLOTS as u8).contains(&bytes[0]) {
        let slot = usize::from(bytes[0] - b'0');
        // `get`: the second byte may start a character of several bytes.
        let rest = line.get(2..).unwrap_or_default();
        match bytes[1] {
            b'>' => return Step::Send(slot, rest),
            b'?' => return Step::Acked(slot, rest),
            b'#' => return Step::Binary(slot, rest),
            b'+' => return Step::Connect(slot, rest),
            b'^' => return Step::Resume(slot, rest),
            b'-' => return Step::Disconnect(slot, Gone::Ended),
            b'~' => return Step::Disconnect(slot, Gone::Dropped),
            _ => {}
        }
    }
    Step::Send(0, line)
}

/// The most steps one input runs (a bigger input is cut there).
const MAX_STEPS: usize = 64;

/// Runs one `requests` input; panics on what must never happen.
pub fn requests(input: &[u8]) -> Seen {
    let Ok(text) = std::str::from_utf8(input) else {
        // Frames are text: the transport refuses invalid UTF-8 before here
        // (the `packets` target feeds it to the decoders).
        return Seen::default();
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(run_script(text))
}

async fn run_script(text: &str) -> Seen {
    let dialogue = ConformanceApp::server()
        .max_rooms_per_connection(100)
        .max_created_rooms_per_user(20)
        .build()
        .expect("the conformance server builds");
    let mut harness = Harness::new(&dialogue);
    let mut seen = Seen::default();
    for line in text.split('\n').take(MAX_STEPS) {
        seen.steps += 1;
        let sent = match parse(line) {
            Step::Send(slot, frame) => {
                let mut sent = ensure_connected(&mut harness, slot, &mut seen).await;
                sent.extend(harness.send(slot, frame).await);
                sent
            }
            Step::Acked(slot, frame) => {
                let mut sent = ensure_connected(&mut harness, slot, &mut seen).await;
                sent.extend(harness.send_acked(slot, frame).await);
                sent
            }
            Step::Binary(slot, frame) => {
                let mut sent = ensure_connected(&mut harness, slot, &mut seen).await;
                sent.extend(
                    harness
                        .send_with_binary(slot, frame, vec![b"\x00\x01binary".to_vec()])
                        .await,
                );
                sent
            }
            Step::Connect(slot, auth) => {
                let auth = serde_json::from_str(auth).unwrap_or_else(|_| serde_json::json!({}));
                connect(&mut harness, slot, auth, &mut seen).await
            }
            Step::Resume(slot, positions) => {
                let positions = serde_json::from_str(positions).unwrap_or(Value::Null);
                let user = format!("user{slot}");
                match harness.resume(slot, Some(&user), positions).await {
                    Ok(sent) => sent,
                    Err(_) => {
                        seen.refused += 1;
                        Vec::new()
                    }
                }
            }
            Step::Disconnect(slot, how) => {
                harness.disconnect(slot, how).await;
                Vec::new()
            }
        };
        check(&sent, &mut seen);
    }
    for slot in 0..SLOTS {
        harness.disconnect(slot, Gone::Ended).await;
    }
    seen
}

async fn ensure_connected(harness: &mut Harness, slot: usize, seen: &mut Seen) -> Vec<Sent> {
    if harness.is_connected(slot) {
        return Vec::new();
    }
    let auth =
        serde_json::json!({ "userId": format!("user{slot}"), "name": format!("User {slot}") });
    connect(harness, slot, auth, seen).await
}

async fn connect(harness: &mut Harness, slot: usize, auth: Value, seen: &mut Seen) -> Vec<Sent> {
    match harness.connect(slot, auth).await {
        Ok(sent) => {
            assert!(
                sent.first()
                    .is_some_and(|first| first.event == "dialogue:connected"),
                "a connection is greeted first: {sent:?}"
            );
            sent
        }
        Err(refusal) => {
            assert!(!refusal.is_empty(), "a refusal says why");
            seen.refused += 1;
            Vec::new()
        }
    }
}

/// What every answer must be: JSON, and an error only with a documented
/// code and a message.
fn check(sent: &[Sent], seen: &mut Seen) {
    for packet in sent {
        seen.sent += 1;
        let payload: Value = serde_json::from_str(&packet.payload).unwrap_or_else(|e| {
            panic!("{} sent something not JSON ({e}): {packet:?}", packet.event)
        });
        let error = match packet.event.as_str() {
            "dialogue:error" => &payload,
            // An acknowledgement: `{ ok: true, ... }` or `{ ok: false, error }`.
            ACK => match payload["ok"].as_bool() {
                Some(true) => continue,
                Some(false) => &payload["error"],
                None => panic!("an acknowledgement without `ok`: {payload}"),
            },
            _ => continue,
        };
        let payload = error;
        let code = payload["code"]
            .as_str()
            .unwrap_or_else(|| panic!("an error without a code: {payload}"));
        assert!(
            ErrorCode::from_wire(code).is_some() || APP_CODES.contains(&code),
            "an undocumented error code {code}: {payload}"
        );
        assert!(
            payload["message"].as_str().is_some_and(|m| !m.is_empty()),
            "an error without a message: {payload}"
        );
        *seen.codes.entry(code.to_owned()).or_default() += 1;
    }
}

/// Runs one `packets` input: its first byte says how the rest is cut into
/// frames (text, then binary attachments), which go through the engine.io
/// packet parser and the socket.io decoder as a connection's frames would.
/// Decoding may fail (with an error); it must not panic.
pub fn packets(input: &[u8]) {
    use socketioxide_core::parser::{Parse, ParseConfig, ParserState};
    use socketioxide_parser_common::CommonParser;

    let Some((&cut, rest)) = input.split_first() else {
        return;
    };
    let cut = usize::from(cut).max(1);
    let mut frames: Vec<&[u8]> = rest.chunks(cut).collect();
    if frames.is_empty() {
        frames.push(b"");
    }
    let config = ParseConfig::default();
    let state = ParserState::default();
    let parser = CommonParser;
    for (n, frame) in frames.into_iter().enumerate() {
        let text = String::from_utf8_lossy(frame).into_owned();
        // The engine.io layer: each WebSocket text frame is one packet.
        let _ =
            engineioxide_core::Packet::parse(engineioxide_core::ProtocolVersion::V4, text.clone());
        if n == 0
            || state
                .partial_bin_packet
                .lock()
                .map(|p| p.is_none())
                .unwrap_or(true)
        {
            let _ = parser.decode_str(&config, &state, text.into());
        } else {
            let _ = parser.decode_bin(&config, &state, bytes::Bytes::copy_from_slice(frame));
        }
    }
}
