//! The [`Event`] trait, implemented by `#[derive(Event)]`, and what a payload
//! type must also be.

use std::num::NonZeroU32;

use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde::de::DeserializeOwned;
use serde::{Deserializer, Serialize, Serializer};
use ts_rs::TS;

use crate::spec::TsSpec;

/// An event type: a payload with a wire name.
///
/// Implement it with `#[derive(Event)]` (re-exported by `dialogue-runtime`);
/// the derive checks the name and the options at compile time. A payload is
/// serialized with serde, validated against its JSON Schema (schemars) and
/// declared in TypeScript (ts-rs), so it must implement those traits too.
///
/// They are required through the `Payload*` traits below rather than
/// directly, so that a missing derive is one error that names it. Generic code
/// over `E: Event` reaches serde through [`PayloadSerialize::serialize_payload`]
/// and [`PayloadDeserialize::deserialize_payload`], or adds `E: Serialize`.
///
/// ```
/// use dialogue_core::Event;
///
/// fn wire_name<E: Event>() -> &'static str {
///     E::NAME
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a Dialogue event",
    label = "not an event type",
    note = "add `#[derive(Event)]` to `{Self}` (next to `Serialize, Deserialize, JsonSchema, TS`), or list only event types here"
)]
pub trait Event:
    PayloadSerialize + PayloadDeserialize + PayloadSchema + PayloadTs + Send + Sync + 'static
{
    /// The wire name, e.g. `order:updated`.
    const NAME: &'static str;
    /// The description: `#[event(description = "...")]`, else the doc comment.
    const DESCRIPTION: Option<&'static str>;
    /// How many events of this type each room keeps (`#[event(history = N)]`).
    const HISTORY: Option<NonZeroU32>;
    /// The Rust path of the type, to tell two types with one name apart when
    /// `dialogue!` checks wire names for clashes at compile time.
    #[doc(hidden)]
    const TYPE_PATH: &'static str;
}

/// A payload that serde can write. Implemented for every `Serialize` type.
///
/// This and the three traits after it have no supertraits and an impl the
/// compiler does not look through (`#[diagnostic::do_not_recommend]`), so a
/// type without the derive is reported with this trait's message, which says
/// what to add.
#[diagnostic::on_unimplemented(
    message = "the event payload `{Self}` does not implement `Serialize`",
    label = "add `Serialize` to the derives of `{Self}`",
    note = "an event is written as `#[derive(Event, Serialize, Deserialize, JsonSchema, TS)]`"
)]
pub trait PayloadSerialize {
    /// `Serialize::serialize`.
    fn serialize_payload<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error>;
}

#[diagnostic::do_not_recommend]
impl<T: Serialize + ?Sized> PayloadSerialize for T {
    fn serialize_payload<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.serialize(serializer)
    }
}

/// A payload that serde can read. Implemented for every `DeserializeOwned` type.
#[diagnostic::on_unimplemented(
    message = "the event payload `{Self}` does not implement `Deserialize`",
    label = "add `Deserialize` to the derives of `{Self}`",
    note = "an event is written as `#[derive(Event, Serialize, Deserialize, JsonSchema, TS)]`"
)]
pub trait PayloadDeserialize: Sized {
    /// `Deserialize::deserialize`.
    fn deserialize_payload<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error>;
}

#[diagnostic::do_not_recommend]
impl<T: DeserializeOwned> PayloadDeserialize for T {
    fn deserialize_payload<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize(deserializer)
    }
}

/// A payload with a JSON Schema. Implemented for every `JsonSchema` type.
#[diagnostic::on_unimplemented(
    message = "the event payload `{Self}` does not implement `JsonSchema`",
    label = "add `JsonSchema` to the derives of `{Self}`",
    note = "an event is written as `#[derive(Event, Serialize, Deserialize, JsonSchema, TS)]`; types inside it need `JsonSchema` too"
)]
pub trait PayloadSchema {
    /// The type's root JSON Schema (draft 2020-12), as the server validates.
    fn payload_schema() -> serde_json::Value;
}

#[diagnostic::do_not_recommend]
impl<T: JsonSchema + ?Sized> PayloadSchema for T {
    fn payload_schema() -> serde_json::Value {
        SchemaSettings::draft2020_12()
            .into_generator()
            .into_root_schema_for::<T>()
            .to_value()
    }
}

/// A payload with a TypeScript declaration. Implemented for every `TS` type.
#[diagnostic::on_unimplemented(
    message = "the event payload `{Self}` does not implement `TS`",
    label = "add `TS` to the derives of `{Self}`",
    note = "an event is written as `#[derive(Event, Serialize, Deserialize, JsonSchema, TS)]`; types inside it need `TS` too"
)]
pub trait PayloadTs {
    /// The type's TypeScript declaration and those of the types it reaches.
    fn payload_typescript() -> TsSpec;
}

#[diagnostic::do_not_recommend]
impl<T: TS + 'static + ?Sized> PayloadTs for T {
    fn payload_typescript() -> TsSpec {
        crate::build::typescript_of::<T>(&crate::build::typescript_config())
    }
}
