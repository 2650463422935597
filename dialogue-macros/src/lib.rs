//! The macros of Dialogue for Rust: `#[derive(Event)]` and `dialogue!`, plus
//! `#[derive(JsonSchema)]` and `#[derive(TS)]` that work without schemars or
//! ts-rs as dependencies.
//!
//! Use them through `dialogue-runtime` (`use dialogue_runtime::prelude::*;`):
//! they expand to paths under `::dialogue_runtime::__private`, so that one
//! dependency (plus serde) is all a user writes.
//!
//! Each macro is `parse` → `model` → `check` → `expand`: every mistake is a
//! `syn::Error` on the offending token, all collected and reported together,
//! and the naming rules are ordinary functions in `dialogue_core::rules`.

#![warn(unreachable_pub)]

mod app;
mod docs;
mod errors;
mod event;
mod request;
mod shim;

use proc_macro::TokenStream;
use syn::{DeriveInput, parse_macro_input};

/// The path every expansion names its runtime items by.
pub(crate) fn private_path() -> proc_macro2::TokenStream {
    quote::quote!(::dialogue_runtime::__private)
}

/// [`private_path`] with the span of a user token, so that an error in the
/// code it starts is reported at that token.
pub(crate) fn private_path_at(span: proc_macro2::Span) -> proc_macro2::TokenStream {
    quote::quote_spanned!(span=> ::dialogue_runtime::__private)
}

/// Makes a type an event: a payload with a wire name.
///
/// ```
/// use dialogue_runtime::prelude::*;
///
/// /// Chat message sent by a user.
/// #[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
/// #[event(name = "message", history = 100)]
/// #[serde(rename_all = "camelCase")]
/// pub struct Message {
///     #[schemars(length(min = 1, max = 1000))]
///     pub text: String,
///     pub sender_id: String,
/// }
///
/// assert_eq!(Message::NAME, "message");
/// assert_eq!(Message::DESCRIPTION, Some("Chat message sent by a user."));
/// ```
///
/// # Options: `#[event(...)]`
///
/// | key | value | default |
/// |---|---|---|
/// | `name` | the wire name: 1 to 128 ASCII letters, digits, `:`, `-`, `_`, `.`; `*` is reserved | the words of the type name, lowercased and joined by `:` (`OrderUpdated` → `order:updated`, `Message` → `message`) |
/// | `description` | a string | the type's doc comment |
/// | `history` | how many events of this type each room keeps, at least 1 | none kept |
///
/// # Shapes
///
/// Structs with named fields, newtype and tuple structs, unit structs (an
/// event without payload: its data is `null`) and enums; serde's attributes
/// (`rename`, `rename_all`, `tag`, `content`, `untagged`, `default`,
/// `skip_serializing_if`, `flatten`) decide the JSON shape, and the JSON
/// Schema and TypeScript follow them. Constraints come from schemars
/// attributes: `length`, `range`, `regex`, `email`, `url`, `inner`, `required`.
///
/// The type must also derive `Serialize`, `Deserialize`, `JsonSchema` and
/// `TS`; a missing one is a compile error that says which. Event types cannot
/// be generic.
#[proc_macro_derive(Event, attributes(event))]
pub fn derive_event(input: TokenStream) -> TokenStream {
    event::derive(parse_macro_input!(input as DeriveInput)).into()
}

/// `impl Request`: a question clients ask the server, with a typed answer
/// (docs/requests.md). `#[request(response = T)]` names the answer's type;
/// `name` (default: derived from the type name, like events) and
/// `description` (default: the doc comment) are optional.
///
/// ```
/// use dialogue_runtime::prelude::*;
///
/// /// Adds two numbers.
/// #[derive(Request, Serialize, Deserialize, JsonSchema, TS)]
/// #[request(response = AddResult)]
/// pub struct Add { pub a: i64, pub b: i64 }
///
/// #[derive(Serialize, Deserialize, JsonSchema, TS)]
/// pub struct AddResult { pub sum: i64 }
///
/// assert_eq!(<Add as Request>::NAME, "add");
/// ```
#[proc_macro_derive(Request, attributes(request))]
pub fn derive_request(input: TokenStream) -> TokenStream {
    request::derive(parse_macro_input!(input as DeriveInput)).into()
}

/// Declares an application: its type and its rooms.
///
/// ```
/// use dialogue_runtime::prelude::*;
///
/// #[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
/// #[serde(rename_all = "camelCase")]
/// pub struct Message {
///     pub text: String,
/// }
///
/// #[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
/// pub struct Typing {
///     pub is_typing: bool,
/// }
///
/// dialogue! {
///     /// The chat server.
///     pub ChatApp {
///         /// General chat.
///         chat: {
///             name: "Chat Room",
///             events: [Message, Typing],
///             default_subscriptions: [Message],
///             sync_history_on_join: 50,
///         },
///         lobby: { id: "game:lobby", name: "Lobby", events: [Message], max_size: 8 },
///         sandbox: { name: "Sandbox", events: * },
///         announcements: { name: "Announcements", events: [] },
///     }
/// }
///
/// assert_eq!(ChatApp::CHAT, "chat");
/// assert_eq!(ChatApp::lobby().id(), "game:lobby");
/// let spec = ChatApp::spec();
/// assert_eq!(spec.rooms.len(), 4);
/// assert_eq!(spec.events.len(), 2);
/// ```
///
/// # What it generates
///
/// - the unit struct `ChatApp`, implementing `DialogueApp` (its spec model:
///   rooms, events, JSON Schemas, TypeScript);
/// - a module `chat_app` (the app's name in snake_case, `_rooms` added when
///   that is a keyword) with one handle type per room (`chat_app::Chat`);
/// - on `ChatApp`, per room, a constant with its id (`ChatApp::CHAT`) and a
///   function returning its handle (`ChatApp::chat()`);
/// - `Accepts<E>` for each room handle and each event the server may
///   trigger there, so a typed trigger of an event the room does not carry
///   does not compile.
///
/// # Room keys
///
/// A room is `key: { ... }`, the key a snake_case Rust name. Keys:
///
/// | key | value | default |
/// |---|---|---|
/// | `id` | the room id on the wire | the key |
/// | `name` | the name people see | required |
/// | `description` | a string | the room's doc comment |
/// | `events` | `[Type, ...]`, `*` (any event, unvalidated) or `[]` (clients trigger nothing; the server may push any event) | required |
/// | `server_events` | `[Type, ...]`: events only the server triggers here (clients receive them, cannot send them) | none |
/// | `required_claims` | `{ name: value, ... }`: claims a client's authentication must carry to join | none |
/// | `default_subscriptions` | `[Type, ...]` among `events` and `server_events`, or `*` | all of them |
/// | `max_size` | the most members at once, at least 1 | unbounded |
/// | `sync_history_on_join` | `true` (all kept), `false`, or N per event type | `false` |
#[proc_macro]
pub fn dialogue(input: TokenStream) -> TokenStream {
    app::dialogue(input.into()).into()
}

/// `schemars::JsonSchema`, derived through dialogue-runtime so the user needs
/// no `schemars` dependency. Honours every `#[serde]`, `#[schemars]`,
/// `#[validate]` and `#[garde]` attribute the real derive reads. Not for
/// generic types (derive `schemars::JsonSchema` there).
///
/// ```
/// use dialogue_runtime::prelude::*;
///
/// #[derive(Serialize, Deserialize, JsonSchema, TS)]
/// pub struct Point {
///     #[schemars(range(min = 0.0))]
///     pub x: f64,
///     pub y: f64,
/// }
/// ```
#[proc_macro_derive(JsonSchema, attributes(schemars, serde, validate, garde))]
pub fn derive_json_schema(input: TokenStream) -> TokenStream {
    shim::derive_json_schema(parse_macro_input!(input as DeriveInput)).into()
}

/// `ts_rs::TS`, derived through dialogue-runtime so the user needs no `ts-rs`
/// dependency. Honours every `#[serde]` and `#[ts]` attribute the real derive
/// reads, and makes `Option` fields optional (`field?: T | null`) unless the
/// type says `#[ts(optional_fields = ...)]`. Not for generic types (derive
/// `ts_rs::TS` there).
///
/// ```
/// use dialogue_runtime::prelude::*;
///
/// #[derive(Serialize, Deserialize, JsonSchema, TS)]
/// pub struct Reply {
///     pub text: String,
///     pub reply_to: Option<String>,
/// }
/// ```
#[proc_macro_derive(TS, attributes(ts))]
pub fn derive_ts(input: TokenStream) -> TokenStream {
    shim::derive_ts(parse_macro_input!(input as DeriveInput)).into()
}

/// Registers the helper attributes of serde, schemars and ts-rs on the shadow
/// types of the `JsonSchema` and `TS` derives, whose real derives do not all
/// register them. Expands to nothing.
#[doc(hidden)]
#[proc_macro_derive(ShadowAttributes, attributes(serde, schemars, validate, garde, ts))]
pub fn derive_shadow_attributes(_input: TokenStream) -> TokenStream {
    TokenStream::new()
}
