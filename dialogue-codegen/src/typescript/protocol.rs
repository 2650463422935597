//! The protocol's part of `dialogue.ts`, from dialogue-core's protocol
//! module: its version, every event name (`WIRE`), the error codes and the
//! payload types. The client runtime refers to these names only, so a
//! request renamed or reshaped in Rust is a `tsc` error in the runtime.

use std::fmt::Write as _;

use dialogue_core::protocol::{self, ErrorCode, PROTOCOL_VERSION, Request, ServerEvent};

use super::Form;

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
    names.extend(
        [
            "ErrorCode",
            "PROTOCOL_VERSION",
            "WIRE",
            "Ack",
            "TypedTrigger",
            "TypedRequestCall",
            "TypedEventMessage",
            "ServerToClientEvents",
            "ClientToServerEvents",
        ]
        .map(str::to_owned),
    );
    names
}

/// A request's payload and acknowledgement types in TypeScript (`None`: it
/// takes no payload). Exhaustive, so a new request cannot miss its typing.
fn request_types(request: Request) -> (Option<&'static str>, &'static str) {
    match request {
        Request::Join => (Some("JoinRequest"), "Joined"),
        Request::Leave => (Some("RoomRequest"), "Done"),
        Request::Subscribe => (Some("SubscribeRequest"), "Done"),
        Request::SubscribeAll => (Some("RoomRequest"), "Done"),
        Request::Unsubscribe => (Some("SubscribeRequest"), "Done"),
        Request::Trigger => (Some("TypedTrigger"), "TriggerAnswer"),
        Request::GetHistory => (Some("HistoryRequest"), "HistoryPage"),
        Request::ListRooms => (None, "RoomsAnswer"),
        Request::CreateRoom => (Some("CreateRoomRequest"), "RoomAnswer"),
        Request::DeleteRoom => (Some("RoomRequest"), "Done"),
        Request::AppRequest => (Some("TypedRequestCall"), "RequestAnswer"),
        Request::GetPresence => (Some("RoomRequest"), "PresencePage"),
        Request::SetPresence => (Some("SetPresenceRequest"), "Done"),
        Request::Kick => (Some("KickRequest"), "Done"),
        Request::TransferHost => (Some("TransferHostRequest"), "Done"),
        Request::Auth => (Some("AuthRequest"), "AuthAnswer"),
    }
}

/// A server event's payload type in TypeScript. Exhaustive, like
/// [`request_types`].
fn event_type(event: ServerEvent) -> &'static str {
    match event {
        ServerEvent::Connected => "Connected",
        ServerEvent::Joined => "Joined",
        ServerEvent::Left => "RoomIdPayload",
        ServerEvent::Event => "TypedEventMessage",
        ServerEvent::History => "HistoryPush",
        ServerEvent::HistoryResponse => "HistoryPage",
        ServerEvent::Rooms => "RoomInfo[]",
        ServerEvent::RoomCreated => "RoomInfo",
        ServerEvent::RoomDeleted => "RoomIdPayload",
        ServerEvent::Error => "WireError",
        ServerEvent::PresenceResponse => "PresencePage",
        ServerEvent::PresenceDiff => "PresenceDiff",
        ServerEvent::HostChanged => "HostChanged",
        ServerEvent::Kicked => "Kicked",
        ServerEvent::Shutdown => "Done",
    }
}

/// Typings for a plain socket.io-client `Socket<ServerToClientEvents,
/// ClientToServerEvents>`: every request with its acknowledgement, every
/// server event with its payload, triggers and events typed per declared
/// room and template (docs/codegen.md, "Plain Socket.IO").
fn socket_typings() -> String {
    let mut out = String::from(
        "// ---- Plain Socket.IO typings (for `Socket<ServerToClientEvents, ClientToServerEvents>`) ----\n\n\
/** What an acknowledgement carries: `{ ok: true, ...answer }`, or `{ ok: false, error }`. */\n\
export type Ack<T> = ({ ok: true } & T) | { ok: false; error: WireError };\n\n\
/** A `dialogue:trigger` of a declared room or template instance: its event names, each with its payload. (A room created at run time takes any event: send it as `TriggerRequest`, cast.) */\n\
export type TypedTrigger = {\n\
  [R in (keyof RoomTriggers | keyof TemplateRoomTriggers) & string]: {\n\
    [E in keyof TriggersOf<R> & string]: Omit<TriggerRequest, \"roomId\" | \"event\" | \"data\"> & { roomId: R; event: E; data: TriggersOf<R>[E] };\n\
  }[keyof TriggersOf<R> & string];\n\
}[(keyof RoomTriggers | keyof TemplateRoomTriggers) & string];\n\n\
/** A `dialogue:request` of a declared request, with its payload. */\n\
export type TypedRequestCall = {\n\
  [N in keyof RequestTypes & string]: { name: N; data: RequestTypes[N][\"request\"]; roomId?: string };\n\
}[keyof RequestTypes & string];\n\n\
/** A `dialogue:event` of a declared room or template instance, discriminated by `roomId` and `event`. (Events of rooms created at run time arrive too, as `EventMessage`.) */\n\
export type TypedEventMessage = {\n\
  [R in (keyof RoomReceives | keyof TemplateRoomReceives) & string]: {\n\
    [E in keyof ReceivesOf<R> & string]: EventMessage<ReceivesOf<R>[E], E> & { roomId: R };\n\
  }[keyof ReceivesOf<R> & string];\n\
}[(keyof RoomReceives | keyof TemplateRoomReceives) & string];\n\n",
    );
    out.push_str("/** Every event the server sends, with its payload. */\nexport interface ServerToClientEvents {\n");
    for event in ServerEvent::ALL {
        let _ = writeln!(
            out,
            "  /** {} */\n  {}: (payload: {}) => void;",
            event.summary(),
            quote(event.wire_name()),
            event_type(*event)
        );
    }
    out.push_str("}\n\n");
    out.push_str(
        "/** Every request a client sends, with its payload and, when sent with an acknowledgement, its answer (without one, the answer comes as events). */\nexport interface ClientToServerEvents {\n",
    );
    for request in Request::ALL {
        let (payload, answer) = request_types(*request);
        let ack = format!("ack?: (answer: Ack<{answer}>) => void");
        let params = match payload {
            Some(payload) => format!("payload: {payload}, {ack}"),
            None => ack,
        };
        let _ = writeln!(
            out,
            "  /** {} */\n  {}: ({params}) => void;",
            request.summary(),
            quote(request.wire_name())
        );
    }
    out.push_str("}\n\n");
    out
}

/// The protocol part: in source, or declared (`Form::Declarations`, for the
/// npm package's `app.d.ts`, whose values are in `app.js`).
pub(crate) fn protocol_part(form: Form) -> String {
    let declared = form == Form::Declarations;
    let mut out = String::new();
    out.push_str(
        "// ---- Protocol (from dialogue-core's protocol module; docs/protocol.md) ----\n\n",
    );
    let (version, wire_open, wire_close) = if declared {
        (
            format!("export declare const PROTOCOL_VERSION: {PROTOCOL_VERSION};"),
            "export declare const WIRE: {\n",
            "};\n\n",
        )
    } else {
        (
            format!("export const PROTOCOL_VERSION = {PROTOCOL_VERSION};"),
            "export const WIRE = {\n",
            "} as const;\n\n",
        )
    };
    let _ = writeln!(
        out,
        "/** The protocol version this client speaks (`dialogue:connected` carries the server's). */\n\
         {version}\n"
    );

    out.push_str("/** Every event name of the protocol: requests (client → server), then events (server → client). */\n");
    out.push_str(wire_open);
    for (summary, key, wire) in wire_names() {
        if declared {
            let _ = writeln!(
                out,
                "  /** {summary} */\n  readonly {key}: {};",
                quote(wire)
            );
        } else {
            let _ = writeln!(out, "  /** {summary} */\n  {key}: {},", quote(wire));
        }
    }
    out.push_str(wire_close);

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
    out.push_str(&socket_typings());
    out
}

/// `(summary, key, wire name)` of every request, then every server event.
pub(crate) fn wire_names() -> Vec<(&'static str, &'static str, &'static str)> {
    let requests = Request::ALL
        .iter()
        .map(|request| (request.summary(), request.key(), request.wire_name()));
    let events = ServerEvent::ALL
        .iter()
        .map(|event| (event.summary(), event.key(), event.wire_name()));
    requests.chain(events).collect()
}

fn quote(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_owned())
}
