//! `#[derive(JsonSchema)]` through dialogue-runtime (see the module docs).

use proc_macro2::TokenStream;
use quote::quote;
use syn::DeriveInput;

use super::{check_supported, container_sets, shadow_ident, shadow_item};

/// Attributes schemars reads (`deprecated` becomes `"deprecated": true`,
/// which the TypeScript generator turns into `@deprecated`).
const KEEP: &[&str] = &[
    "doc",
    "serde",
    "schemars",
    "validate",
    "garde",
    "deprecated",
];

pub(crate) fn derive(input: DeriveInput) -> TokenStream {
    if let Err(error) = check_supported(&input, "JsonSchema", "schemars") {
        return error.to_compile_error();
    }
    let private = crate::private_path();
    let krate = format!("{private}::schemars").replace(' ', "");
    let ident = &input.ident;
    let name = ident.to_string();
    let renamed = container_sets(&input, "serde", &["rename"])
        || container_sets(&input, "schemars", &["rename"]);
    let rename = (!renamed).then(|| quote!(#[schemars(rename = #name)]));
    let shadow = shadow_ident();
    let item = shadow_item(
        &input,
        KEEP,
        quote! {
            #[derive(#private::schemars::JsonSchema)]
            #[schemars(crate = #krate)]
            #rename
        },
        &|_| TokenStream::new(),
    );
    let schemars = quote!(#private::schemars);
    quote! {
        #[doc(hidden)]
        // A deprecated payload type is still the app's to derive for.
        #[allow(deprecated)]
        const _: () = {
            #item

            #[automatically_derived]
            impl #schemars::JsonSchema for #ident {
                fn inline_schema() -> bool {
                    <#shadow as #schemars::JsonSchema>::inline_schema()
                }
                fn schema_name() -> ::std::borrow::Cow<'static, str> {
                    <#shadow as #schemars::JsonSchema>::schema_name()
                }
                fn schema_id() -> ::std::borrow::Cow<'static, str> {
                    <#shadow as #schemars::JsonSchema>::schema_id()
                }
                fn json_schema(generator: &mut #schemars::SchemaGenerator) -> #schemars::Schema {
                    <#shadow as #schemars::JsonSchema>::json_schema(generator)
                }
            }
        };
    }
}
