//! The translation of JSON Schemas into Zod, keyword by keyword.

use serde_json::json;

use super::*;

#[test]
fn serde_shapes_become_plain_zod() {
    let schema = json!({
        "type": "object",
        "properties": {
            "text": { "type": "string", "minLength": 1, "maxLength": 500 },
            "age": { "type": "integer", "minimum": 13 },
            "nick": { "type": ["string", "null"] },
            "theme": { "$ref": "#/$defs/Theme" }
        },
        "required": ["text", "theme"],
        "$defs": { "Theme": { "type": "string", "enum": ["light", "dark"] } }
    });
    let out = translate(&schema, "Profile");
    assert_eq!(
        out.defs,
        [(
            "Profile$Theme".to_owned(),
            "z.literal([\"light\", \"dark\"])".to_owned()
        )]
    );
    assert!(out.root.is_none(), "no refinement needs the root");
    assert!(
        out.expr
            .starts_with("z.looseObject({ \"age\": z.number().gte(13)")
    );
    assert!(
        out.expr
            .contains("\"nick\": z.union([z.string(), z.null()]).optional()")
    );
    assert!(out.expr.contains("\"theme\": Profile$Theme"));
    assert!(out.expr.contains("[...s].length <= 500"));
}

#[test]
fn what_zod_cannot_say_is_checked_by_the_runtime() {
    let schema = json!({ "type": "array", "items": { "type": "integer" }, "uniqueItems": true });
    let out = translate(&schema, "Tags");
    assert!(
        out.expr
            .starts_with("z.unknown().superRefine(fits(Tags$$root, ")
    );
    assert_eq!(
        out.root.map(|(name, _)| name).as_deref(),
        Some("Tags$$root")
    );
}

#[test]
fn a_recursive_definition_is_lazy() {
    let schema = json!({
        "$ref": "#/$defs/Tree",
        "$defs": { "Tree": {
            "type": "object",
            "properties": { "children": { "type": "array", "items": { "$ref": "#/$defs/Tree" } } },
            "required": ["children"]
        } }
    });
    let out = translate(&schema, "T");
    assert_eq!(out.expr, "T$Tree");
    assert!(out.defs[0].1.contains("z.array(z.lazy(() => T$Tree))"));
}

#[test]
fn a_required_property_that_takes_anything_must_be_present() {
    let schema = json!({ "type": "object", "properties": { "data": true }, "required": ["data"] });
    let out = translate(&schema, "E");
    assert!(out.expr.contains("hasOwnProperty.call(o, \"data\")"));
}
