//! `#[derive(JsonSchema)]` and `#[derive(TS)]` as re-exported by
//! dialogue-runtime, so that a user needs neither schemars nor ts-rs as a
//! dependency.
//!
//! Both crates' derives name their crate by an absolute path (`::ts_rs`) or
//! expect it in scope, which a re-export cannot provide. These derives copy the
//! item into a private *shadow* type carrying the same serde, schemars and
//! ts-rs attributes plus a `crate = "..."` pointing through dialogue-runtime,
//! let the real derive implement the trait for the shadow, and implement it for
//! the user's type by delegation. The output is what the real derive would
//! give: same names, same schema ids, same attributes honoured.

mod json_schema;
mod ts;

pub(crate) use json_schema::derive as derive_json_schema;
pub(crate) use ts::derive as derive_ts;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::{Attribute, Data, DeriveInput, Field, Fields, Ident};

/// The shadow type's name, inside the derive's `const _` block.
pub(crate) fn shadow_ident() -> Ident {
    format_ident!("__DialogueShadow")
}

/// Refuses what the shims do not support, with what to do instead.
pub(crate) fn check_supported(
    input: &DeriveInput,
    trait_name: &str,
    krate: &str,
) -> syn::Result<()> {
    if !input.generics.params.is_empty() {
        return Err(syn::Error::new_spanned(
            &input.generics,
            format!(
                "dialogue's `#[derive({trait_name})]` does not support generic types; for this \
                 type derive `{krate}::{trait_name}` (add `{krate}` to your dependencies)"
            ),
        ));
    }
    if let Data::Union(data) = &input.data {
        return Err(syn::Error::new_spanned(
            data.union_token,
            format!("`{trait_name}` cannot be derived for a union; use a struct or an enum"),
        ));
    }
    Ok(())
}

/// The shadow item: `input` renamed, with only the attributes named in `keep`
/// (on the container, its fields and variants).
///
/// `field_extra` may add attributes to a field of the shadow.
pub(crate) fn shadow_item(
    input: &DeriveInput,
    keep: &[&str],
    extra: TokenStream,
    field_extra: &dyn Fn(&Field) -> TokenStream,
) -> TokenStream {
    let ident = shadow_ident();
    let attrs = kept(&input.attrs, keep);
    let body = match &input.data {
        Data::Struct(data) => {
            let fields = fields(&data.fields, keep, field_extra);
            match &data.fields {
                Fields::Named(_) => quote!(struct #ident #fields),
                Fields::Unnamed(_) => quote!(struct #ident #fields;),
                Fields::Unit => quote!(struct #ident;),
            }
        }
        Data::Enum(data) => {
            let variants = data.variants.iter().map(|variant| {
                let attrs = kept(&variant.attrs, keep);
                let name = &variant.ident;
                let fields = fields(&variant.fields, keep, field_extra);
                let discriminant = variant
                    .discriminant
                    .as_ref()
                    .map(|(eq, expr)| quote!(#eq #expr));
                quote!(#(#attrs)* #name #fields #discriminant)
            });
            quote!(enum #ident { #(#variants),* })
        }
        Data::Union(_) => TokenStream::new(),
    };
    let private = crate::private_path();
    quote! {
        #[derive(#private::ShadowAttributes)]
        #extra
        #(#attrs)*
        #[allow(dead_code, non_camel_case_types, clippy::all, reason = "a shadow copy of the user's type, read only by the derives")]
        #body
    }
}

fn fields(
    fields: &Fields,
    keep: &[&str],
    field_extra: &dyn Fn(&Field) -> TokenStream,
) -> TokenStream {
    let each = fields.iter().map(|field| {
        let attrs = kept(&field.attrs, keep);
        let extra = field_extra(field);
        let ty = &field.ty;
        match &field.ident {
            Some(name) => quote!(#(#attrs)* #extra #name: #ty),
            None => quote!(#(#attrs)* #extra #ty),
        }
    });
    match fields {
        Fields::Named(_) => quote!({ #(#each),* }),
        Fields::Unnamed(_) => quote!(( #(#each),* )),
        Fields::Unit => TokenStream::new(),
    }
}

fn kept<'a>(attrs: &'a [Attribute], keep: &[&str]) -> Vec<&'a Attribute> {
    attrs
        .iter()
        .filter(|attr| keep.iter().any(|name| attr.path().is_ident(name)))
        .collect()
}

/// Whether any `#[<attr>(...)]` on the container sets one of `keys` (e.g.
/// `rename`); unreadable attributes count as not setting it, and are left to
/// the real derive to report.
pub(crate) fn container_sets(input: &DeriveInput, attr: &str, keys: &[&str]) -> bool {
    attrs_set(&input.attrs, attr, keys)
}

/// Whether any `#[<attr>(...)]` among `attrs` sets one of `keys`.
pub(crate) fn attrs_set(attrs: &[Attribute], attr: &str, keys: &[&str]) -> bool {
    let mut found = false;
    for a in attrs.iter().filter(|a| a.path().is_ident(attr)) {
        let _ = a.parse_nested_meta(|meta| {
            if keys.iter().any(|key| meta.path.is_ident(key)) {
                found = true;
            }
            if meta.input.peek(syn::Token![=]) {
                meta.value()?.parse::<syn::Expr>()?;
            } else if meta.input.peek(syn::token::Paren) {
                let _content;
                syn::parenthesized!(_content in meta.input);
            }
            Ok(())
        });
    }
    found
}
