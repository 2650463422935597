//! The [`Request`] trait, implemented by `#[derive(Request)]`: a question a
//! client asks the server, with a typed answer (docs/requests.md).

use crate::event::{PayloadDeserialize, PayloadSchema, PayloadSerialize, PayloadTs};

/// A request type: a payload with a wire name and the type of its answer.
///
/// Implement it with `#[derive(Request)]` and `#[request(response = T)]`
/// (re-exported by `dialogue-runtime`), list it in `dialogue!` under
/// `requests: [...]`, and give the server one handler for it. Like an event,
/// the request and its response are serialized with serde, validated against
/// their JSON Schemas and declared in TypeScript.
///
/// ```
/// use dialogue_core::Request;
///
/// fn wire_name<R: Request>() -> &'static str {
///     R::NAME
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a Dialogue request",
    label = "not a request type",
    note = "add `#[derive(Request)]` and `#[request(response = YourAnswer)]` to `{Self}` (next to `Serialize, Deserialize, JsonSchema, TS`), or list only request types here"
)]
pub trait Request:
    PayloadSerialize + PayloadDeserialize + PayloadSchema + PayloadTs + Send + Sync + 'static
{
    /// The wire name, e.g. `add`.
    const NAME: &'static str;
    /// The description: `#[request(description = "...")]`, else the doc
    /// comment.
    const DESCRIPTION: Option<&'static str>;
    /// What the handler answers.
    type Response: PayloadSerialize
        + PayloadDeserialize
        + PayloadSchema
        + PayloadTs
        + Send
        + Sync
        + 'static;
    /// The Rust path of the type, to tell two types with one name apart.
    #[doc(hidden)]
    const TYPE_PATH: &'static str;
}
