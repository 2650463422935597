//! The traits `dialogue!` implements: [`DialogueApp`] for the application and
//! [`DeclaredRoom`] / [`Accepts`] / [`ClientTriggers`] for each room's typed
//! handle.

use crate::spec::AppSpec;

/// An application declared with `dialogue!`.
///
/// ```
/// use dialogue_core::DialogueApp;
///
/// fn room_ids<A: DialogueApp>() -> Vec<&'static str> {
///     A::spec().rooms.iter().map(|room| room.id.as_str()).collect()
/// }
/// ```
pub trait DialogueApp: Copy + Send + Sync + 'static {
    /// The application's spec model, built on first use and then shared.
    fn spec() -> &'static AppSpec;
}

/// The typed handle of one declared room, e.g. `ChatApp::chat()`.
///
/// Handles are zero-sized: they carry the room's id and application in their
/// type, so the compiler knows which events the room accepts.
pub trait DeclaredRoom: Copy + Send + Sync + 'static {
    /// The application the room belongs to.
    type App: DialogueApp;
    /// The room id.
    const ID: &'static str;

    /// The room id.
    fn id(self) -> &'static str {
        Self::ID
    }
}

/// Implemented by a room handle for each event the server may trigger in it
/// with a typed call: the events of its `events` list; any event for `*`; and
/// any event for a room with `events: []`, where clients may trigger nothing
/// and the server may push anything (docs/protocol.md).
///
/// The trait has no `E: Event` bound of its own, so that a non-event type in
/// a room's `events` is reported once, where the expansion reads its name;
/// every function that triggers requires `E: Event` itself.
///
/// ```
/// use dialogue_core::{Accepts, Event};
///
/// // A typed trigger requires the room to accept the event.
/// fn trigger<R: Accepts<E>, E: Event>(_room: R, _event: E) {}
/// ```
#[diagnostic::on_unimplemented(
    message = "the room `{Self}` does not accept the event `{E}`",
    label = "`{E}` is not in this room's `events`",
    note = "add `{E}` to the room's `events: [...]` in `dialogue!`, or trigger it in a room that lists it"
)]
pub trait Accepts<E>: DeclaredRoom {}

/// Implemented by a room handle for each event a client may trigger in it:
/// the events of its `events` list; any event for `*`; none for
/// `events: []` (docs/protocol.md, "Rules"). Events the room lists under
/// `server_events` are the server's alone: clients receive them but do not
/// trigger them.
///
/// This is the typed Rust client's rule, where [`Accepts`] is the server's:
/// a client's trigger of an event its room does not take is a compile error
/// rather than an `EVENT_NOT_ALLOWED` at run time.
///
/// ```
/// use dialogue_core::{ClientTriggers, Event};
///
/// // A client's typed trigger requires the room to take the event from clients.
/// fn trigger<R: ClientTriggers<E>, E: Event>(_room: R, _event: E) {}
/// ```
#[diagnostic::on_unimplemented(
    message = "clients may not trigger the event `{E}` in the room `{Self}`",
    label = "`{E}` is not in this room's `events`",
    note = "clients trigger only the events of a room's `events: [...]` (any for `*`, none for `[]`): add `{E}` there in `dialogue!`, or trigger it in a room that lists it; events under `server_events` come from the server only"
)]
pub trait ClientTriggers<E>: DeclaredRoom {}

/// A room with one instance for everyone (most rooms): the server reaches it
/// with `dialogue.room(handle)`.
#[diagnostic::on_unimplemented(
    message = "the room `{Self}` is not one room: it has an instance per user or per value",
    label = "a per-user room or a room template",
    note = "a per-user room: name the user, `dialogue.user_room(handle, user_id)`; a template: name the instance, `dialogue.instance(App::doc(\"readme\"))`"
)]
pub trait SharedRoom: DeclaredRoom {}

/// A per-user room (its id holds `{userId}`): one instance per user, which
/// only that user may join; the server reaches it with
/// `dialogue.user_room(handle, user_id)`.
#[diagnostic::on_unimplemented(
    message = "the room `{Self}` is not a per-user room",
    label = "it has one instance for everyone",
    note = "use `dialogue.room(handle)`, or give the room an id with `{{userId}}`, e.g. `id: \"user:{{userId}}\"`"
)]
pub trait PerUserRoom: DeclaredRoom {}

/// A room template (its id holds one `{parameter}` other than `{userId}`,
/// e.g. `doc:{docId}`): an instance per value, made when first joined or
/// pushed to; the server reaches one with `dialogue.instance(App::doc("readme"))`.
#[diagnostic::on_unimplemented(
    message = "the room `{Self}` is not a room template",
    label = "it has no `{{parameter}}` in its id",
    note = "give the room an id with one parameter, e.g. `id: \"doc:{{docId}}\"`"
)]
pub trait TemplateRoom: DeclaredRoom {}

/// One instance of a room template: the template's handle and the value of
/// its parameter. `dialogue!` writes a function per template that makes it,
/// e.g. `CollabApp::doc("readme")`.
///
/// ```
/// use dialogue_core::{DeclaredRoom, DialogueApp, Instance};
/// # #[derive(Clone, Copy)] struct App;
/// # impl DialogueApp for App { fn spec() -> &'static dialogue_core::spec::AppSpec { unimplemented!() } }
/// #[derive(Clone, Copy)]
/// struct Doc;
/// impl DeclaredRoom for Doc {
///     type App = App;
///     const ID: &'static str = "doc:{docId}";
/// }
/// assert_eq!(Instance::new(Doc, "readme").id(), "doc:readme");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Instance<R> {
    /// The template.
    pub room: R,
    /// The value of its parameter.
    pub value: String,
}

impl<R: DeclaredRoom> Instance<R> {
    /// The instance of `room` for `value`.
    pub fn new(room: R, value: impl Into<String>) -> Self {
        Self {
            room,
            value: value.into(),
        }
    }

    /// The instance's room id, e.g. `doc:readme`.
    pub fn id(&self) -> String {
        match crate::rules::RoomPattern::parse(R::ID) {
            Some(pattern) => pattern.instance(&self.value),
            None => R::ID.to_owned(),
        }
    }
}

/// An application that declares a presence info type (`presence: Info` in
/// `dialogue!`): what each member of a room with presence shows of itself.
#[diagnostic::on_unimplemented(
    message = "the application `{Self}` declares no presence info type",
    label = "no `presence: ...` in its `dialogue!`",
    note = "add `presence: MemberInfo,` to the application in `dialogue!`, with `MemberInfo` a `Serialize + JsonSchema + TS` type"
)]
pub trait HasPresence: DialogueApp {
    /// The info type.
    type Info: serde::Serialize + Send + Sync + 'static;
}
