//! `#[derive(TS)]` through dialogue-runtime (see the module docs).
//!
//! One policy is added to what ts-rs does by default: an `Option` field is
//! optional and nullable in TypeScript (`field?: T | null`), because the
//! server's JSON Schema accepts it missing or `null` and serde writes `null`.
//! Write `#[ts(optional_fields = ...)]` on the type to choose otherwise.
//!
//! And one translation: an `Option<T>` field marked `required` for schemars
//! (`#[schemars(required)]`, or `required` of validator or garde) must be
//! present and not null in the schema, so its TypeScript type is `T`.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{DeriveInput, Field, GenericArgument, PathArguments, Type};

use super::{attrs_set, check_supported, container_sets, shadow_ident, shadow_item};

/// Attributes ts-rs reads.
const KEEP: &[&str] = &["doc", "serde", "ts"];

pub(crate) fn derive(input: DeriveInput) -> TokenStream {
    if let Err(error) = check_supported(&input, "TS", "ts_rs") {
        return error.to_compile_error();
    }
    let private = crate::private_path();
    let krate = format!("{private}::ts_rs").replace(' ', "");
    let ident = &input.ident;
    let name = ident.to_string();
    let renamed =
        container_sets(&input, "serde", &["rename"]) || container_sets(&input, "ts", &["rename"]);
    let rename = (!renamed).then(|| quote!(#[ts(rename = #name)]));
    let optional = (!container_sets(&input, "ts", &["optional_fields", "type", "as"]))
        .then(|| quote!(#[ts(optional_fields = nullable)]));
    let shadow = shadow_ident();
    let item = shadow_item(
        &input,
        KEEP,
        quote! {
            #[derive(#private::ts_rs::TS)]
            #[ts(crate = #krate)]
            #rename
            #optional
        },
        &required_option_as_inner,
    );
    let ts = quote!(#private::ts_rs);
    quote! {
        #[doc(hidden)]
        // A deprecated payload type is still the app's to derive for.
        #[allow(deprecated)]
        const _: () = {
            #item

            #[automatically_derived]
            impl #ts::TS for #ident {
                type WithoutGenerics = Self;
                type OptionInnerType = Self;
                const IS_ENUM: bool = <#shadow as #ts::TS>::IS_ENUM;

                fn docs() -> ::core::option::Option<::std::string::String> {
                    <#shadow as #ts::TS>::docs()
                }
                fn ident(cfg: &#ts::Config) -> ::std::string::String {
                    <#shadow as #ts::TS>::ident(cfg)
                }
                fn decl(cfg: &#ts::Config) -> ::std::string::String {
                    <#shadow as #ts::TS>::decl(cfg)
                }
                fn decl_concrete(cfg: &#ts::Config) -> ::std::string::String {
                    <#shadow as #ts::TS>::decl_concrete(cfg)
                }
                fn name(cfg: &#ts::Config) -> ::std::string::String {
                    <#shadow as #ts::TS>::name(cfg)
                }
                fn inline(cfg: &#ts::Config) -> ::std::string::String {
                    <#shadow as #ts::TS>::inline(cfg)
                }
                fn inline_flattened(cfg: &#ts::Config) -> ::std::string::String {
                    <#shadow as #ts::TS>::inline_flattened(cfg)
                }
                fn visit_dependencies(visitor: &mut impl #ts::TypeVisitor)
                where
                    Self: 'static,
                {
                    <#shadow as #ts::TS>::visit_dependencies(visitor)
                }
                fn visit_generics(visitor: &mut impl #ts::TypeVisitor)
                where
                    Self: 'static,
                {
                    <#shadow as #ts::TS>::visit_generics(visitor)
                }
                fn output_path() -> ::core::option::Option<::std::path::PathBuf> {
                    <#shadow as #ts::TS>::output_path()
                }
            }
        };
    }
}

/// `#[ts(as = "T")]` for a `required` field of type `Option<T>`.
fn required_option_as_inner(field: &Field) -> TokenStream {
    let required = ["schemars", "validate", "garde"]
        .iter()
        .any(|attr| attrs_set(&field.attrs, attr, &["required"]));
    match option_inner(&field.ty) {
        Some(inner) if required && !attrs_set(&field.attrs, "ts", &["as", "type"]) => {
            let inner = quote!(#inner).to_string();
            quote!(#[ts(as = #inner)])
        }
        _ => TokenStream::new(),
    }
}

/// `T` when `ty` is written `Option<T>` (or `std::option::Option<T>`).
fn option_inner(ty: &Type) -> Option<&Type> {
    let Type::Path(path) = ty else { return None };
    let last = path.path.segments.last()?;
    if last.ident != "Option" {
        return None;
    }
    match &last.arguments {
        PathArguments::AngleBracketed(args) if args.args.len() == 1 => match args.args.first()? {
            GenericArgument::Type(inner) => Some(inner),
            _ => None,
        },
        _ => None,
    }
}
