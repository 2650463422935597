//! `#[derive(Request)]`: reads `#[request(response = T, name = "...",
//! description = "...")]`, checks it, and expands to a `Request` impl.

use dialogue_core::rules;
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::{Data, DeriveInput, LitStr, Type};

use crate::docs::doc_text;
use crate::errors::Errors;
use crate::event::check::name_error_message;
use crate::event::parse::{path_text, set_once, skip_value, string_value};

const KEYS: &str = "`response`, `name` or `description`";

/// The derive's whole pipeline.
pub(crate) fn derive(input: DeriveInput) -> TokenStream {
    let mut errors = Errors::default();
    let mut name: Option<LitStr> = None;
    let mut description: Option<LitStr> = None;
    let mut response: Option<Type> = None;
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("request")) {
        let result = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("name") {
                let value = string_value(&meta, "name = \"add\"", &mut errors)?;
                set_once(&mut name, value, &meta, &mut errors);
            } else if meta.path.is_ident("description") {
                let value = string_value(&meta, "description = \"Adds two numbers\"", &mut errors)?;
                set_once(&mut description, value, &meta, &mut errors);
            } else if meta.path.is_ident("response") {
                let value: Type = meta.value()?.parse()?;
                set_once(&mut response, Some(value), &meta, &mut errors);
            } else {
                errors.at(
                    &meta.path,
                    format_args!(
                        "unknown key `{}` in `#[request(...)]`; expected {KEYS}",
                        path_text(&meta.path)
                    ),
                );
                skip_value(&meta)?;
            }
            Ok(())
        });
        if let Err(error) = result {
            errors.push(error);
        }
    }
    if let Data::Union(data) = &input.data {
        errors.at(
            data.union_token,
            "a request cannot be a union; declare a struct or an enum",
        );
    }
    if !input.generics.params.is_empty() {
        errors.at(
            &input.generics,
            "a request type cannot have generic parameters: its wire name and schema must be \
             fixed; declare a concrete type",
        );
    }
    let Some(response) = response else {
        errors.at(
            &input.ident,
            format_args!(
                "say what the handler of `{}` answers: `#[request(response = {}Result)]`, a type \
                 with `Serialize, Deserialize, JsonSchema, TS`",
                input.ident, input.ident
            ),
        );
        return errors.to_compile_errors();
    };
    let wire = match &name {
        Some(lit) => {
            let value = lit.value();
            match rules::check_event_name(&value) {
                Ok(()) => Some(value),
                Err(error) => {
                    errors.at(
                        lit,
                        name_error_message(&value, &error).replace("event", "request"),
                    );
                    None
                }
            }
        }
        None => {
            let ident = input.ident.to_string();
            let derived = rules::event_name_for_type(&ident);
            match rules::check_event_name(&derived) {
                Ok(()) => Some(derived),
                Err(error) => {
                    errors.at(
                        &input.ident,
                        format_args!(
                            "the wire name derived from `{ident}`, {derived:?}, is invalid \
                             ({error}); name the request yourself: `#[request(name = \"...\")]`"
                        ),
                    );
                    None
                }
            }
        }
    };
    let Some(wire) = wire else {
        return errors.to_compile_errors();
    };
    if !errors.is_empty() {
        return errors.to_compile_errors();
    }
    let description = description
        .map(|lit| lit.value())
        .filter(|d| !d.trim().is_empty())
        .or_else(|| doc_text(&input.attrs));
    let description = match description {
        Some(text) => quote!(::core::option::Option::Some(#text)),
        None => quote!(::core::option::Option::None),
    };
    let private = crate::private_path();
    let ident = &input.ident;
    let type_name = ident.to_string();
    let self_ty = quote_spanned!(ident.span()=> #ident);
    let response_ty = quote_spanned!(syn::spanned::Spanned::span(&response)=> #response);
    quote! {
        #[doc(hidden)]
        // A deprecated payload type is still the app's to derive for.
        #[allow(deprecated)]
        const _: () = {
            #[automatically_derived]
            impl #private::Request for #self_ty {
                const NAME: &'static str = #wire;
                const DESCRIPTION: ::core::option::Option<&'static str> = #description;
                type Response = #response_ty;
                const TYPE_PATH: &'static str =
                    ::core::concat!(::core::module_path!(), "::", #type_name);
            }
        };
    }
}
