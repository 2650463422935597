//! Reading doc comments off items, for descriptions.

use syn::{Attribute, Expr, ExprLit, Lit, Meta};

/// The text of the `///` comments (or `#[doc = "..."]`) in `attrs`, with the
/// one space after `///` removed and surrounding blank lines trimmed; `None`
/// when there is no text.
pub(crate) fn doc_text(attrs: &[Attribute]) -> Option<String> {
    let lines: Vec<String> = attrs
        .iter()
        .filter_map(|attr| match &attr.meta {
            Meta::NameValue(nv) if nv.path.is_ident("doc") => match &nv.value {
                Expr::Lit(ExprLit {
                    lit: Lit::Str(s), ..
                }) => Some(s.value()),
                _ => None,
            },
            _ => None,
        })
        .flat_map(|chunk| {
            // `split`, not `lines`: an empty `///` line is a paragraph break.
            chunk
                .split('\n')
                .map(|line| line.strip_prefix(' ').unwrap_or(line).trim_end().to_owned())
                .collect::<Vec<_>>()
        })
        .collect();
    let text = lines.join("\n");
    let text = text.trim_matches('\n').trim();
    (!text.is_empty()).then(|| text.to_owned())
}

#[cfg(test)]
mod tests {
    use syn::parse_quote;

    use super::*;

    #[test]
    fn doc_comments_become_trimmed_text() {
        let item: syn::ItemStruct = parse_quote! {
            ///
            /// First line.
            ///   Indented.
            ///
            #[doc = "Last."]
            struct S;
        };
        assert_eq!(
            doc_text(&item.attrs).as_deref(),
            Some("First line.\n  Indented.\n\nLast.")
        );
        let bare: syn::ItemStruct = parse_quote!(
            struct S;
        );
        assert_eq!(doc_text(&bare.attrs), None);
    }
}
