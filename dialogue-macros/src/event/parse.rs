//! Reading `#[event(name = "...", description = "...", history = N)]`.

use syn::meta::ParseNestedMeta;
use syn::{Expr, ExprLit, Lit, LitInt, LitStr};

use super::model::EventDef;
use crate::docs::doc_text;
use crate::errors::Errors;

const KEYS: &str = "`name`, `description` or `history`";

/// Reads every `#[event(...)]` attribute on the item; mistakes go to `errors`
/// and parsing goes on, so all of them are reported.
pub(crate) fn parse<'a>(input: &'a syn::DeriveInput, errors: &mut Errors) -> EventDef<'a> {
    let mut def = EventDef {
        input,
        name: None,
        description: None,
        history: None,
        docs: doc_text(&input.attrs),
    };
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("event")) {
        let result = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("name") {
                let value = string_value(&meta, "name = \"order:updated\"", errors)?;
                set_once(&mut def.name, value, &meta, errors);
            } else if meta.path.is_ident("description") {
                let value = string_value(&meta, "description = \"What happened\"", errors)?;
                set_once(&mut def.description, value, &meta, errors);
            } else if meta.path.is_ident("history") {
                let value = int_value(&meta, errors)?;
                set_once(&mut def.history, value, &meta, errors);
            } else {
                errors.at(
                    &meta.path,
                    format_args!(
                        "unknown key `{}` in `#[event(...)]`; expected {KEYS}",
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
    def
}

pub(crate) fn set_once<T>(
    slot: &mut Option<T>,
    value: Option<T>,
    meta: &ParseNestedMeta,
    errors: &mut Errors,
) {
    let Some(value) = value else { return };
    if slot.is_some() {
        errors.at(
            &meta.path,
            format_args!("`{}` specified more than once", path_text(&meta.path)),
        );
    } else {
        *slot = Some(value);
    }
}

/// `key = "literal"`; any other value is reported with an example.
pub(crate) fn string_value(
    meta: &ParseNestedMeta,
    example: &str,
    errors: &mut Errors,
) -> syn::Result<Option<LitStr>> {
    match meta.value()?.parse::<Expr>()? {
        Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) => Ok(Some(s)),
        other => {
            errors.at(
                other,
                format_args!("expected a string literal: `{example}`"),
            );
            Ok(None)
        }
    }
}

/// `history = N`.
fn int_value(meta: &ParseNestedMeta, errors: &mut Errors) -> syn::Result<Option<LitInt>> {
    match meta.value()?.parse::<Expr>()? {
        Expr::Lit(ExprLit {
            lit: Lit::Int(n), ..
        }) => Ok(Some(n)),
        other => {
            errors.at(
                other,
                "expected a whole number of events to keep per room: `history = 100`",
            );
            Ok(None)
        }
    }
}

/// Consumes whatever follows an unknown key so the keys after it are still read.
pub(crate) fn skip_value(meta: &ParseNestedMeta) -> syn::Result<()> {
    if meta.input.peek(syn::Token![=]) {
        meta.value()?.parse::<Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        let _content;
        syn::parenthesized!(_content in meta.input);
    }
    Ok(())
}

pub(crate) fn path_text(path: &syn::Path) -> String {
    quote::ToTokens::to_token_stream(path)
        .to_string()
        .replace(' ', "")
}
