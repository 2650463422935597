//! The typed model of a `dialogue!` input. Nodes keep their tokens so that
//! each check can point at the one that is wrong.

use proc_macro2::Span;
use syn::{Attribute, Ident, Lit, LitBool, LitInt, LitStr, Type, Visibility};

/// The application as written.
pub(crate) struct AppDef {
    /// Attributes and doc comments on the application, passed through.
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) vis: Visibility,
    pub(crate) ident: Ident,
    pub(crate) rooms: Vec<RoomDef>,
    /// `requests: [Add, Fail]`: the request types, in order.
    pub(crate) requests: Vec<Type>,
    /// `presence: LobbyInfo`: what members of rooms with presence show.
    pub(crate) presence: Option<Type>,
}

/// One room as written: `key: { ... }`.
pub(crate) struct RoomDef {
    /// The room's doc comment.
    pub(crate) docs: Option<String>,
    /// The Rust name of the room (its handle, constant and type).
    pub(crate) key: Ident,
    pub(crate) id: Option<LitStr>,
    pub(crate) name: Option<LitStr>,
    pub(crate) description: Option<LitStr>,
    pub(crate) events: Option<EventList>,
    pub(crate) server_events: Option<EventList>,
    pub(crate) default_subscriptions: Option<EventList>,
    pub(crate) max_size: Option<LitInt>,
    pub(crate) sync_history_on_join: Option<SyncHistory>,
    pub(crate) required_claims: Option<Vec<Claim>>,
    pub(crate) presence: Option<LitBool>,
}

/// One `name: value` of `required_claims`.
pub(crate) struct Claim {
    pub(crate) name: String,
    pub(crate) span: Span,
    pub(crate) value: Lit,
}

/// `*`, or a bracketed list of event types (possibly empty).
pub(crate) enum EventList {
    Any,
    List(Vec<Type>),
}

/// `sync_history_on_join: true | false | N`.
pub(crate) enum SyncHistory {
    Flag(LitBool),
    Count(LitInt),
}

/// A checked room, ready to expand.
pub(crate) struct Room<'a> {
    pub(crate) def: &'a RoomDef,
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) description: Option<String>,
    pub(crate) events: Events<'a>,
    /// Events only the server triggers here.
    pub(crate) server_events: Vec<&'a Type>,
    pub(crate) subscriptions: Subscriptions<'a>,
    pub(crate) max_size: Option<u32>,
    pub(crate) sync_history: HistoryOnJoin,
    /// The id holds `{userId}`: a per-user room.
    pub(crate) per_user: bool,
    /// The id holds another `{parameter}`: a template, with that parameter.
    pub(crate) template: Option<String>,
    /// `GameLobby` for `game_lobby`.
    pub(crate) type_ident: Ident,
    /// `GAME_LOBBY` for `game_lobby`.
    pub(crate) const_ident: Ident,
}

/// The events a checked room accepts.
pub(crate) enum Events<'a> {
    Any,
    Only(Vec<&'a Type>),
}

/// A checked room's default subscriptions.
pub(crate) enum Subscriptions<'a> {
    All,
    Only(Vec<&'a Type>),
}

/// A checked `sync_history_on_join`.
pub(crate) enum HistoryOnJoin {
    Off,
    All,
    Latest(u32),
}

/// The checked application.
pub(crate) struct App<'a> {
    pub(crate) def: &'a AppDef,
    pub(crate) rooms: Vec<Room<'a>>,
    /// Every event type listed by a room, once, in order of appearance.
    pub(crate) events: Vec<&'a Type>,
    /// `chat_app` for `ChatApp`: the module holding the room handle types.
    pub(crate) module: Ident,
}
