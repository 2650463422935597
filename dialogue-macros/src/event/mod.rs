//! `#[derive(Event)]`: parse the `#[event(...)]` options, check them, expand
//! to an `Event` impl.

pub(crate) mod check;
mod expand;
mod model;
pub(crate) mod parse;

use proc_macro2::TokenStream;

use crate::errors::Errors;

/// The derive's whole pipeline.
pub(crate) fn derive(input: syn::DeriveInput) -> TokenStream {
    let mut errors = Errors::default();
    let def = parse::parse(&input, &mut errors);
    let checked = check::check(&def, &mut errors);
    match checked {
        Some(event) if errors.is_empty() => expand::expand(&event),
        _ => errors.to_compile_errors(),
    }
}
