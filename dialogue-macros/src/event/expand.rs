//! Writing the `Event` impl. Expansion never reports user errors: `check`
//! has run.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};

use super::model::Event;

/// `impl Event for T`, plus a check that `T` is a complete payload type.
pub(crate) fn expand(event: &Event<'_>) -> TokenStream {
    let private = crate::private_path();
    let ident = event.ident;
    let name = &event.name;
    let description = match &event.description {
        Some(text) => quote!(::core::option::Option::Some(#text)),
        None => quote!(::core::option::Option::None),
    };
    let history = match event.history {
        Some(n) => quote!(::core::option::Option::Some(#private::nonzero(#n))),
        None => quote!(::core::option::Option::None),
    };
    let type_name = ident.to_string();
    // The impl's self type is spanned at the type name: a missing derive (a
    // `Payload*` supertrait of `Event`) is reported there, once per derive.
    let self_ty = quote_spanned!(ident.span()=> #ident);
    quote! {
        #[doc(hidden)]
        // A deprecated payload type is still the app's to derive for.
        #[allow(deprecated)]
        const _: () = {
            #[automatically_derived]
            impl #private::Event for #self_ty {
                const NAME: &'static str = #name;
                const DESCRIPTION: ::core::option::Option<&'static str> = #description;
                const HISTORY: ::core::option::Option<::core::num::NonZeroU32> = #history;
                const TYPE_PATH: &'static str =
                    ::core::concat!(::core::module_path!(), "::", #type_name);
            }
        };
    }
}
