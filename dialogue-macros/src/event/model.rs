//! The typed model of one event declaration; every node keeps its tokens so
//! errors can point at them.

use syn::{DeriveInput, Ident, LitInt, LitStr};

/// What `#[event(...)]` and the item say, before checking.
pub(crate) struct EventDef<'a> {
    /// The item the derive is on.
    pub(crate) input: &'a DeriveInput,
    /// `name = "..."`.
    pub(crate) name: Option<LitStr>,
    /// `description = "..."`.
    pub(crate) description: Option<LitStr>,
    /// `history = N`.
    pub(crate) history: Option<LitInt>,
    /// The item's doc comment.
    pub(crate) docs: Option<String>,
}

/// A checked event, ready to expand.
pub(crate) struct Event<'a> {
    /// The type.
    pub(crate) ident: &'a Ident,
    /// The wire name, explicit or derived from the type name.
    pub(crate) name: String,
    /// The description, explicit or from the doc comment.
    pub(crate) description: Option<String>,
    /// History kept per room, if any (never 0).
    pub(crate) history: Option<u32>,
}
