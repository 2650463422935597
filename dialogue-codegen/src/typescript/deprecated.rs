//! `#[deprecated]` travels into TypeScript as `@deprecated` in JSDoc (which
//! editors show struck through): ts-rs drops the attribute, schemars keeps
//! it (`"deprecated": true` on a property or a type), so the JSON Schema
//! says what to mark and this module marks it in ts-rs's declaration.

use dialogue_core::spec::TsDecl;
use serde_json::Value;

/// Marks `decl` deprecated where `schema` (the type's own JSON Schema, or
/// its entry in `$defs`) says so: the type itself, and each field.
pub(crate) fn mark(decl: &TsDecl, schema: Option<&Value>) -> TsDecl {
    let Some(schema) = schema else {
        return decl.clone();
    };
    let mut marked = decl.clone();
    if schema.get("deprecated") == Some(&Value::Bool(true)) {
        marked.docs = Some(tag(decl.docs.as_deref()));
    }
    let fields: Vec<&str> = schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|properties| {
            properties
                .iter()
                .filter(|(_, property)| property.get("deprecated") == Some(&Value::Bool(true)))
                .map(|(name, _)| name.as_str())
                .collect()
        })
        .unwrap_or_default();
    if !fields.is_empty() {
        marked.declaration = mark_fields(&decl.declaration, &fields);
    }
    marked
}

/// A JSDoc block with `@deprecated` added (a new block when there was none).
fn tag(docs: Option<&str>) -> String {
    match docs.map(str::trim_end) {
        Some(docs) if docs.ends_with("*/") => {
            let body = docs[..docs.len() - 2].trim_end();
            format!("{body}\n * @deprecated\n */")
        }
        _ => "/** @deprecated */".to_owned(),
    }
}

/// Adds `@deprecated` to each field named in `fields` of the first object
/// type of `declaration` (`type X = { a: T, /** doc */ b?: U, };`). Splits
/// at top-level commas only, so types with commas of their own (`[A, B]`,
/// `{ [k in K]: V }`) stay whole; anything it cannot read stays as it was.
fn mark_fields(declaration: &str, fields: &[&str]) -> String {
    let Some(open) = declaration.find('{') else {
        return declaration.to_owned();
    };
    let Some(close) = matching_brace(declaration, open) else {
        return declaration.to_owned();
    };
    let body = &declaration[open + 1..close];
    let segments = split_top_level(body);
    let marked: Vec<String> = segments
        .iter()
        .map(|segment| match field_name(segment) {
            Some(name) if fields.contains(&name.as_str()) => mark_segment(segment),
            _ => (*segment).to_owned(),
        })
        .collect();
    format!(
        "{}{}{}",
        &declaration[..=open],
        marked.join(","),
        &declaration[close..]
    )
}

/// The index of the brace that closes the one at `open`.
fn matching_brace(text: &str, open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in text.char_indices().skip_while(|(i, _)| *i < open) {
        match c {
            '{' | '[' | '(' | '<' => depth += 1,
            '}' | ']' | ')' | '>' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 && c == '}' {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// `body` split at the commas outside brackets and comments.
fn split_top_level(body: &str) -> Vec<&str> {
    let mut segments = Vec::new();
    let (mut depth, mut start, mut in_comment) = (0usize, 0usize, false);
    let bytes = body.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if in_comment {
            if bytes[i..].starts_with(b"*/") {
                in_comment = false;
                i += 2;
                continue;
            }
        } else if bytes[i..].starts_with(b"/*") {
            in_comment = true;
            i += 2;
            continue;
        } else {
            match bytes[i] {
                b'{' | b'[' | b'(' | b'<' => depth += 1,
                b'}' | b']' | b')' | b'>' => depth = depth.saturating_sub(1),
                b',' if depth == 0 => {
                    segments.push(&body[start..i]);
                    start = i + 1;
                }
                _ => {}
            }
        }
        i += 1;
    }
    segments.push(&body[start..]);
    segments
}

/// The field a segment declares (`name` or `"name"`, before `:` or `?:`),
/// after its JSDoc if any.
fn field_name(segment: &str) -> Option<String> {
    let code = match segment.rfind("*/") {
        Some(end) => &segment[end + 2..],
        None => segment,
    };
    let code = code.trim_start();
    let colon = code.find(':')?;
    let name = code[..colon].trim_end().trim_end_matches('?');
    let name = name.trim_matches('"');
    (!name.is_empty()).then(|| name.to_owned())
}

/// A field's segment with `@deprecated` in its JSDoc.
fn mark_segment(segment: &str) -> String {
    match (segment.find("/**"), segment.rfind("*/")) {
        (Some(start), Some(end)) if start < end => {
            let docs = &segment[start..end + 2];
            format!(
                "{}{}{}",
                &segment[..start],
                tag(Some(docs)),
                &segment[end + 2..]
            )
        }
        _ => {
            let code = segment.trim_start();
            let lead = &segment[..segment.len() - code.len()];
            format!("{lead}/** @deprecated */ {code}")
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn decl(declaration: &str, docs: Option<&str>) -> TsDecl {
        TsDecl {
            name: "Move".into(),
            declaration: declaration.into(),
            docs: docs.map(str::to_owned),
        }
    }

    #[test]
    fn fields_with_and_without_docs_are_marked_and_others_stay() {
        let ts = "type Move = {\n/**\n * Where to.\n */\ntoSquare: string,\n/**\n * The old name.\n */\nsquare?: string | null, legacy: boolean, pair: [number, number], };";
        let schema = json!({ "properties": {
            "toSquare": {}, "square": { "deprecated": true },
            "legacy": { "deprecated": true }, "pair": {}
        }});
        let marked = mark(&decl(ts, None), Some(&schema));
        assert_eq!(
            marked.declaration,
            "type Move = {\n/**\n * Where to.\n */\ntoSquare: string,\n/**\n * The old name.\n * @deprecated\n */\nsquare?: string | null, /** @deprecated */ legacy: boolean, pair: [number, number], };"
        );
        assert_eq!(marked.docs, None, "the type itself is not deprecated");
    }

    #[test]
    fn a_deprecated_type_gets_the_tag_in_its_own_docs() {
        let schema = json!({ "deprecated": true, "properties": { "square": {} } });
        let with_docs = mark(
            &decl(
                "type OldMove = { square: string, };",
                Some("/**\n * The old move.\n */"),
            ),
            Some(&schema),
        );
        assert_eq!(
            with_docs.docs.as_deref(),
            Some("/**\n * The old move.\n * @deprecated\n */")
        );
        assert_eq!(with_docs.declaration, "type OldMove = { square: string, };");
        let without = mark(
            &decl("type OldMove = { square: string, };", None),
            Some(&schema),
        );
        assert_eq!(without.docs.as_deref(), Some("/** @deprecated */"));
    }

    #[test]
    fn what_it_cannot_read_stays_as_it_was() {
        let schema = json!({ "properties": { "x": { "deprecated": true } } });
        let union = "type Shape = { \"Circle\": { radius: number, } } | \"Empty\";";
        assert_eq!(mark(&decl(union, None), Some(&schema)).declaration, union);
        let broken = "type X = { x: number";
        assert_eq!(mark(&decl(broken, None), Some(&schema)).declaration, broken);
        assert_eq!(mark(&decl(broken, None), None).declaration, broken);
    }
}
