//! The wire protocol as one description: every event name, every request and
//! answer payload, the error codes, the envelope and positions.
//!
//! The runtime parses requests and writes answers with these types; the code
//! generator takes the AsyncAPI document's messages and schemas and the
//! TypeScript client's names and payload types from them. So a request added
//! here is added everywhere, and a test fails when a consumer lacks it. The
//! protocol's prose lives in `docs/protocol.md`.
//!
//! - [`Request`] and [`ServerEvent`]: the messages, with their wire names and
//!   payload types;
//! - the payloads: [`requests`](JoinRequest) clients send,
//!   [`answers`](Joined) the server sends;
//! - [`ErrorCode`], [`WireError`], [`ValidationIssue`];
//! - [`EventMessage`] (and [`RawEnvelope`], the same written as JSON),
//!   [`Position`], [`RoomInfo`].
//!
//! ```
//! use dialogue_core::protocol::{ErrorCode, Request};
//!
//! assert_eq!(Request::Trigger.wire_name(), "dialogue:trigger");
//! assert!(ErrorCode::ALL.contains(&ErrorCode::NotInRoom));
//! ```

mod answers;
mod envelope;
mod errors;
mod http;
mod messages;
mod people;
mod requests;

pub use answers::{
    AckError, AckOk, AckRefusal, AuthAnswer, Connected, Done, HistoryPage, HistoryPush, Joined,
    PROTOCOL_VERSION, RequestAnswer, RoomAnswer, RoomIdPayload, RoomsAnswer, TriggerAnswer,
};
pub use envelope::{EventMessage, Position, RawEnvelope, RawJson, RoomInfo, SYSTEM};
pub use errors::{ErrorCode, ValidationIssue, WireError};
pub use http::{HttpCreateRoom, HttpError, HttpKick, HttpPublish};
pub use messages::{Audience, Request, ServerEvent};
pub use people::{
    HostChanged, KickRequest, Kicked, Member, PresenceDiff, PresencePage, SetPresenceRequest,
    TransferHostRequest,
};
pub use requests::{
    AuthRequest, CreateRoomRequest, HistoryRequest, JoinRequest, MAX_TRIGGER_ID_LEN, RequestCall,
    RoomRequest, SubscribeRequest, TriggerRequest,
};

use crate::spec::TsDecl;

/// `getHistory`'s `end` when the request gives none.
pub const DEFAULT_HISTORY_END: u64 = 50;

/// The largest page a `getHistory` returns; a request for more is cut to
/// this and the answer's `end` says where it stopped.
pub const MAX_HISTORY_PAGE: u64 = 100;

/// The TypeScript declarations of the protocol's payload types (from ts-rs),
/// sorted by name. `EventMessage` is not among them: the client declares it
/// generic in the event's payload and name, and a test checks that its
/// fields agree with [`EventMessage`]'s.
pub fn typescript_declarations() -> Vec<TsDecl> {
    use crate::build::decl_of;
    let cfg = crate::build::typescript_config();
    let mut decls = vec![
        decl_of::<Position>(&cfg),
        decl_of::<RoomInfo>(&cfg),
        decl_of::<ValidationIssue>(&cfg),
        decl_of::<WireError>(&cfg),
        decl_of::<JoinRequest>(&cfg),
        decl_of::<RoomRequest>(&cfg),
        decl_of::<SubscribeRequest>(&cfg),
        decl_of::<TriggerRequest<'static>>(&cfg),
        decl_of::<HistoryRequest>(&cfg),
        decl_of::<CreateRoomRequest>(&cfg),
        decl_of::<RequestCall<'static>>(&cfg),
        decl_of::<Connected<'static>>(&cfg),
        decl_of::<Joined<'static>>(&cfg),
        decl_of::<RoomIdPayload<'static>>(&cfg),
        decl_of::<HistoryPush<'static>>(&cfg),
        decl_of::<HistoryPage<'static>>(&cfg),
        decl_of::<RoomsAnswer<'static>>(&cfg),
        decl_of::<RoomAnswer<'static>>(&cfg),
        decl_of::<TriggerAnswer<'static>>(&cfg),
        decl_of::<RequestAnswer<'static>>(&cfg),
        decl_of::<Done>(&cfg),
        decl_of::<AuthRequest>(&cfg),
        decl_of::<AuthAnswer>(&cfg),
        decl_of::<Member>(&cfg),
        decl_of::<PresencePage<'static>>(&cfg),
        decl_of::<PresenceDiff<'static>>(&cfg),
        decl_of::<SetPresenceRequest>(&cfg),
        decl_of::<KickRequest>(&cfg),
        decl_of::<TransferHostRequest>(&cfg),
        decl_of::<HostChanged<'static>>(&cfg),
        decl_of::<Kicked<'static>>(&cfg),
    ];
    decls.sort_by(|a, b| a.name.cmp(&b.name));
    decls
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typescript_declarations_are_plain_and_named_once() {
        let decls = typescript_declarations();
        let mut names: Vec<&str> = decls.iter().map(|d| d.name.as_str()).collect();
        names.dedup();
        assert_eq!(names.len(), decls.len());
        let joined = decls.iter().find(|d| d.name == "Joined").unwrap();
        assert!(
            joined.declaration.contains("roomId: string"),
            "{}",
            joined.declaration
        );
        assert!(
            joined.declaration.contains("history?: Array<EventMessage>"),
            "{}",
            joined.declaration
        );
        let connected = decls.iter().find(|d| d.name == "Connected").unwrap();
        assert!(
            connected.declaration.contains("protocol: number"),
            "{}",
            connected.declaration
        );
    }
}
