//! `dialogue! { ... }`: parse the application, check its rooms, expand to the
//! app type, its room handles and its spec.

mod check;
mod expand;
mod model;
mod parse;

use proc_macro2::TokenStream;

use crate::errors::Errors;

/// The macro's whole pipeline.
pub(crate) fn dialogue(input: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let Some(def) = parse::parse(input, &mut errors) else {
        return errors.to_compile_errors();
    };
    let app = check::check(&def, &mut errors);
    if errors.is_empty() {
        expand::expand(&app)
    } else {
        errors.to_compile_errors()
    }
}
