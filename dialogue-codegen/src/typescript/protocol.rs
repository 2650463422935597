//! The protocol's part of `dialogue.ts`, from dialogue-core's protocol
//! module: its version, every event name (`WIRE`), the error codes and the
//! payload types. The client runtime refers to these names only, so a
//! request renamed or reshaped in Rust is a `tsc` error in the runtime.

use std::fmt::Write as _;

use dialogue_core::protocol::{self, ErrorCode, PROTOCOL_VERSION, Request, ServerEvent};

/// Error codes of the client's own, besides the protocol's.
pub(crate) const CLIENT_ERROR_CODES: &[(&str, &str)] = &[
    ("TIMEOUT", "No answer within the client's `timeout`."),
    (
        "CONNECT_FAILED",
        "The server refused the connection or could not be reached.",
    ),
    (
        "DISCONNECTED",
        "`disconnect()` was called while connecting.",
    ),
];

/// Names the protocol part declares (a payload type may not take one).
pub(crate) fn declared_names() -> Vec<String> {
    let mut names: Vec<String> = protocol::typescript_declarations()
        .into_iter()
        .map(|decl| decl.name)
        .collect();
    names.extend(["ErrorCode", "PROTOCOL_VERSION", "WIRE"].map(str::to_owned));
    names
}

/// The protocol part.
pub(crate) fn protocol_part() -> String {
    let mut out = String::new();
    out.push_str(
        "// ---- Protocol (from dialogue-core's protocol module; docs/protocol.md) ----\n\n",
    );
    let _ = writeln!(
        out,
        "/** The protocol version this client speaks (`dialogue:connected` carries the server's). */\n\
         export const PROTOCOL_VERSION = {PROTOCOL_VERSION};\n"
    );

    out.push_str("/** Every event name of the protocol: requests (client → server), then events (server → client). */\n");
    out.push_str("export const WIRE = {\n");
    for request in Request::ALL {
        let _ = writeln!(
            out,
            "  /** {} */\n  {}: {},",
            request.summary(),
            request.key(),
            quote(request.wire_name())
        );
    }
    for event in ServerEvent::ALL {
        let _ = writeln!(
            out,
            "  /** {} */\n  {}: {},",
            event.summary(),
            event.key(),
            quote(event.wire_name())
        );
    }
    out.push_str("} as const;\n\n");

    out.push_str(
        "/** Why a request failed: the protocol's codes (docs/protocol.md), then the client's own. */\n\
         export type ErrorCode =\n",
    );
    let codes: Vec<(&str, &str)> = ErrorCode::ALL
        .iter()
        .map(|code| (code.as_str(), code.meaning()))
        .chain(CLIENT_ERROR_CODES.iter().copied())
        .collect();
    for (i, (code, meaning)) in codes.iter().enumerate() {
        let end = if i + 1 == codes.len() { ";" } else { "" };
        let _ = writeln!(out, "  /** {meaning} */\n  | {}{end}", quote(code));
    }
    out.push('\n');

    for decl in protocol::typescript_declarations() {
        if let Some(docs) = &decl.docs {
            out.push_str(&crate::prose::without_examples(docs));
            out.push('\n');
        }
        let declaration: Vec<&str> = decl.declaration.lines().map(str::trim_end).collect();
        let _ = writeln!(out, "export {}\n", declaration.join("\n"));
    }
    out
}

fn quote(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_owned())
}
