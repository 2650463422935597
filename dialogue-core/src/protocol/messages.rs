//! The protocol's messages as data: every request a client sends and every
//! event the server sends, with its wire name and the types of its payload
//! and answers.
//!
//! The runtime dispatches on [`Request`], so a request it does not handle
//! does not compile; the code generator writes the AsyncAPI document and the
//! TypeScript client's names from these tables; a test checks that every
//! consumer has every entry.

use schemars::{JsonSchema, Schema, SchemaGenerator};

use super::answers::{
    AuthAnswer, Connected, Done, HistoryPage, HistoryPush, Joined, RequestAnswer, RoomAnswer,
    RoomIdPayload, RoomsAnswer, TriggerAnswer,
};
use super::envelope::{EventMessage, RoomInfo};
use super::errors::WireError;
use super::people::{
    HostChanged, KickRequest, Kicked, PresenceDiff, PresencePage, SetPresenceRequest,
    TransferHostRequest,
};
use super::requests::{
    AuthRequest, CreateRoomRequest, HistoryRequest, JoinRequest, RequestCall, RoomRequest,
    SubscribeRequest, TriggerRequest,
};

/// The JSON Schema of `T`, registered with `generator` (a `$ref` for named
/// types).
fn schema_of<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    generator.subschema_for::<T>()
}

/// Declares [`Request`] and its table.
macro_rules! requests {
    ($(
        $(#[doc = $doc:literal])+
        $variant:ident = $wire:literal {
            key: $key:literal,
            payload: [$($payload:ty)?],
            answer: $answer:ty,
            events: [$($event:ident),*],
        }
    )+) => {
        /// A request a client sends (client → server), answered in the
        /// event form or, when the client passes a callback, in one
        /// acknowledgement.
        ///
        /// ```
        /// use dialogue_core::protocol::{Request, ServerEvent};
        ///
        /// let join = Request::from_wire("dialogue:join").unwrap();
        /// assert_eq!(join, Request::Join);
        /// assert_eq!(join.key(), "join");
        /// assert_eq!(join.answers(), [ServerEvent::Joined, ServerEvent::Event, ServerEvent::History]);
        /// ```
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Request {
            $($(#[doc = $doc])+ $variant,)+
        }

        impl Request {
            /// Every request, in the protocol's order.
            pub const ALL: &'static [Request] = &[$(Self::$variant,)+];

            /// The Socket.IO event name, e.g. `dialogue:join`.
            pub const fn wire_name(self) -> &'static str {
                match self { $(Self::$variant => $wire,)+ }
            }

            /// A short name without the prefix, e.g. `join`: the key in the
            /// TypeScript client's `WIRE` table and the AsyncAPI message id.
            pub const fn key(self) -> &'static str {
                match self { $(Self::$variant => $key,)+ }
            }

            /// What the request does.
            pub const fn summary(self) -> &'static str {
                match self { $(Self::$variant => concat!($($doc),+).trim_ascii(),)+ }
            }

            /// The request with this wire name.
            pub fn from_wire(name: &str) -> Option<Self> {
                match name {
                    $($wire => Some(Self::$variant),)+
                    _ => None,
                }
            }

            /// The payload's schema; `None` for a request without one.
            pub fn payload_schema(self, generator: &mut SchemaGenerator) -> Option<Schema> {
                match self {
                    $(Self::$variant => requests!(@payload generator $($payload)?),)+
                }
            }

            /// The schema of the fields a successful acknowledgement adds to
            /// `{ ok: true }`.
            pub fn answer_schema(self, generator: &mut SchemaGenerator) -> Schema {
                match self { $(Self::$variant => schema_of::<$answer>(generator),)+ }
            }

            /// The events that answer it in the event form (none: nothing on
            /// success, errors as `dialogue:error`).
            pub const fn answers(self) -> &'static [ServerEvent] {
                match self { $(Self::$variant => &[$(ServerEvent::$event),*],)+ }
            }
        }
    };
    (@payload $generator:ident $payload:ty) => { Some(schema_of::<$payload>($generator)) };
    (@payload $generator:ident) => { None };
}

requests! {
    /// Join a room (or replay what was missed since a position); its
    /// default subscriptions apply unless the join names others.
    Join = "dialogue:join" {
        key: "join",
        payload: [JoinRequest],
        answer: Joined<'static>,
        events: [Joined, Event, History],
    }
    /// Leave a room.
    Leave = "dialogue:leave" {
        key: "leave",
        payload: [RoomRequest],
        answer: Done,
        events: [Left],
    }
    /// Subscribe to an event (or `*`) in a joined room.
    Subscribe = "dialogue:subscribe" {
        key: "subscribe",
        payload: [SubscribeRequest],
        answer: Done,
        events: [],
    }
    /// Subscribe to every event of a joined room.
    SubscribeAll = "dialogue:subscribeAll" {
        key: "subscribeAll",
        payload: [RoomRequest],
        answer: Done,
        events: [],
    }
    /// Unsubscribe from an event (or `*`) in a joined room.
    Unsubscribe = "dialogue:unsubscribe" {
        key: "unsubscribe",
        payload: [SubscribeRequest],
        answer: Done,
        events: [],
    }
    /// Trigger an event in a joined room.
    Trigger = "dialogue:trigger" {
        key: "trigger",
        payload: [TriggerRequest<'static>],
        answer: TriggerAnswer<'static>,
        events: [],
    }
    /// Read a page of a joined room's history of one event, newest first.
    GetHistory = "dialogue:getHistory" {
        key: "getHistory",
        payload: [HistoryRequest],
        answer: HistoryPage<'static>,
        events: [HistoryResponse],
    }
    /// List the rooms.
    ListRooms = "dialogue:listRooms" {
        key: "listRooms",
        payload: [],
        answer: RoomsAnswer<'static>,
        events: [Rooms],
    }
    /// Create a room; everyone is told with `dialogue:roomCreated`.
    CreateRoom = "dialogue:createRoom" {
        key: "createRoom",
        payload: [CreateRoomRequest],
        answer: RoomAnswer<'static>,
        events: [],
    }
    /// Delete a room one may delete; everyone is told with `dialogue:roomDeleted`.
    DeleteRoom = "dialogue:deleteRoom" {
        key: "deleteRoom",
        payload: [RoomRequest],
        answer: Done,
        events: [],
    }
    /// Ask one of the application's requests; the answer carries what its
    /// handler returned.
    AppRequest = "dialogue:request" {
        key: "request",
        payload: [RequestCall<'static>],
        answer: RequestAnswer<'static>,
        events: [],
    }
    /// Read who is present in a joined room with presence, one entry per user.
    GetPresence = "dialogue:getPresence" {
        key: "getPresence",
        payload: [RoomRequest],
        answer: PresencePage<'static>,
        events: [PresenceResponse],
    }
    /// Replace one's own presence `info` in a joined room with presence;
    /// announced as `updated`.
    SetPresence = "dialogue:setPresence" {
        key: "setPresence",
        payload: [SetPresenceRequest],
        answer: Done,
        events: [],
    }
    /// The host removes every connection of a user from the room, and may
    /// ban the user from joining again.
    Kick = "dialogue:kick" {
        key: "kick",
        payload: [KickRequest],
        answer: Done,
        events: [],
    }
    /// The host hands the room to another member.
    TransferHost = "dialogue:transferHost" {
        key: "transferHost",
        payload: [TransferHostRequest],
        answer: Done,
        events: [],
    }
    /// Replace the connection's token with a fresh one of the same user,
    /// before it expires.
    Auth = "dialogue:auth" {
        key: "auth",
        payload: [AuthRequest],
        answer: AuthAnswer,
        events: [],
    }
}

/// Declares [`ServerEvent`] and its table.
macro_rules! server_events {
    ($(
        $(#[doc = $doc:literal])+
        $variant:ident = $wire:literal { key: $key:literal, payload: $payload:ty, to: $to:ident, }
    )+) => {
        /// An event the server sends (server → client).
        ///
        /// ```
        /// use dialogue_core::protocol::{Audience, ServerEvent};
        ///
        /// assert_eq!(ServerEvent::RoomCreated.wire_name(), "dialogue:roomCreated");
        /// assert_eq!(ServerEvent::RoomCreated.audience(), Audience::Everyone);
        /// ```
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum ServerEvent {
            $($(#[doc = $doc])+ $variant,)+
        }

        impl ServerEvent {
            /// Every server event, in the protocol's order.
            pub const ALL: &'static [ServerEvent] = &[$(Self::$variant,)+];

            /// The Socket.IO event name, e.g. `dialogue:joined`.
            pub const fn wire_name(self) -> &'static str {
                match self { $(Self::$variant => $wire,)+ }
            }

            /// A short name without the prefix, e.g. `joined`.
            pub const fn key(self) -> &'static str {
                match self { $(Self::$variant => $key,)+ }
            }

            /// What the event says.
            pub const fn summary(self) -> &'static str {
                match self { $(Self::$variant => concat!($($doc),+).trim_ascii(),)+ }
            }

            /// Who receives it.
            pub const fn audience(self) -> Audience {
                match self { $(Self::$variant => Audience::$to,)+ }
            }

            /// The event with this wire name.
            pub fn from_wire(name: &str) -> Option<Self> {
                match name {
                    $($wire => Some(Self::$variant),)+
                    _ => None,
                }
            }

            /// The payload's schema.
            pub fn payload_schema(self, generator: &mut SchemaGenerator) -> Schema {
                match self { $(Self::$variant => schema_of::<$payload>(generator),)+ }
            }
        }
    };
}

/// Who receives a server event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Audience {
    /// The client it concerns (a greeting, an answer).
    Client,
    /// The members of a room subscribed to the event.
    Subscribers,
    /// Every member of a room, whatever it subscribes to.
    Members,
    /// Every connected client.
    Everyone,
}

server_events! {
    /// The greeting, before anything else: `{ clientId, userId, protocol }`.
    Connected = "dialogue:connected" { key: "connected", payload: Connected<'static>, to: Client, }
    /// A join succeeded: `{ roomId, roomName }`.
    Joined = "dialogue:joined" { key: "joined", payload: Joined<'static>, to: Client, }
    /// A leave succeeded: `{ roomId }`.
    Left = "dialogue:left" { key: "left", payload: RoomIdPayload<'static>, to: Client, }
    /// An event of a room the client subscribes to: an `EventMessage`.
    Event = "dialogue:event" { key: "event", payload: EventMessage, to: Subscribers, }
    /// After a join, the room's latest events, newest first.
    History = "dialogue:history" { key: "history", payload: HistoryPush<'static>, to: Client, }
    /// A page of history, answering `dialogue:getHistory`.
    HistoryResponse = "dialogue:historyResponse" { key: "historyResponse", payload: HistoryPage<'static>, to: Client, }
    /// The rooms, answering `dialogue:listRooms`.
    Rooms = "dialogue:rooms" { key: "rooms", payload: Vec<RoomInfo>, to: Client, }
    /// A room was created.
    RoomCreated = "dialogue:roomCreated" { key: "roomCreated", payload: RoomInfo, to: Everyone, }
    /// A room was deleted (its members were removed).
    RoomDeleted = "dialogue:roomDeleted" { key: "roomDeleted", payload: RoomIdPayload<'static>, to: Everyone, }
    /// A request failed (in the event form): `{ code, message, details? }`.
    Error = "dialogue:error" { key: "error", payload: WireError, to: Client, }
    /// Who is present, answering `dialogue:getPresence`.
    PresenceResponse = "dialogue:presenceResponse" { key: "presenceResponse", payload: PresencePage<'static>, to: Client, }
    /// Users arrived, departed or changed their `info` in a room with presence.
    PresenceDiff = "dialogue:presenceDiff" { key: "presenceDiff", payload: PresenceDiff<'static>, to: Members, }
    /// The room has a new host.
    HostChanged = "dialogue:hostChanged" { key: "hostChanged", payload: HostChanged<'static>, to: Members, }
    /// The host removed this user from the room (no `dialogue:left` follows).
    Kicked = "dialogue:kicked" { key: "kicked", payload: Kicked<'static>, to: Client, }
    /// The server is shutting down: the transport closes next, and the
    /// client reconnects (to another node) and resumes its session.
    Shutdown = "dialogue:shutdown" { key: "shutdown", payload: Done, to: Everyone, }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn names_and_keys_are_unique_and_read_back() {
        let mut wire = HashSet::new();
        let mut keys = HashSet::new();
        for &request in Request::ALL {
            assert!(wire.insert(request.wire_name()), "{request:?}");
            assert!(keys.insert(request.key()), "{request:?}");
            assert_eq!(Request::from_wire(request.wire_name()), Some(request));
            assert_eq!(request.wire_name(), format!("dialogue:{}", request.key()));
        }
        for &event in ServerEvent::ALL {
            assert!(wire.insert(event.wire_name()), "{event:?}");
            assert!(keys.insert(event.key()), "{event:?}");
            assert_eq!(ServerEvent::from_wire(event.wire_name()), Some(event));
            assert_eq!(event.wire_name(), format!("dialogue:{}", event.key()));
        }
        assert_eq!(Request::from_wire("dialogue:joined"), None);
    }

    #[test]
    fn every_message_has_a_schema() {
        let mut generator = SchemaGenerator::default();
        for &request in Request::ALL {
            let payload = request.payload_schema(&mut generator);
            assert_eq!(
                payload.is_none(),
                request == Request::ListRooms,
                "{request:?}"
            );
            request.answer_schema(&mut generator);
        }
        for &event in ServerEvent::ALL {
            event.payload_schema(&mut generator);
        }
        let definitions = generator.take_definitions(true);
        for name in [
            "JoinRequest",
            "TriggerRequest",
            "Joined",
            "EventMessage",
            "WireError",
        ] {
            assert!(
                definitions.contains_key(name),
                "{name}: {:?}",
                definitions.keys()
            );
        }
    }
}
