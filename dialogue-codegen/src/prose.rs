//! Documentation carried from Rust into other languages: the Rust examples
//! (fenced code blocks) of the protocol's doc comments say nothing to a
//! TypeScript or AsyncAPI reader, so they are left out.

use serde_json::Value;

/// `text` without its fenced code blocks, and without the blank lines they
/// leave at the end. Works on plain text and on `/** ... */` comments (whose
/// lines start with ` * `).
pub(crate) fn without_examples(text: &str) -> String {
    let mut lines: Vec<&str> = Vec::new();
    let mut in_example = false;
    for line in text.trim_end().lines() {
        let bare = line.trim_start().trim_start_matches('*').trim();
        if bare.starts_with("```") {
            in_example = !in_example;
            continue;
        }
        if !in_example {
            lines.push(line);
        }
    }
    let closing = lines.last().is_some_and(|line| line.trim() == "*/");
    let blank = |line: &str| {
        let bare = line.trim();
        bare.is_empty() || bare == "*"
    };
    let keep_last = usize::from(closing);
    while lines.len() > 1 + keep_last && blank(lines[lines.len() - 1 - keep_last]) {
        lines.remove(lines.len() - 1 - keep_last);
    }
    lines.join("\n")
}

/// Every `description` in a JSON Schema without its examples.
pub(crate) fn clean_descriptions(value: &mut Value) {
    match value {
        Value::Object(object) => {
            for (key, child) in object.iter_mut() {
                match child {
                    Value::String(text) if key == "description" => {
                        *text = without_examples(text);
                    }
                    _ => clean_descriptions(child),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(clean_descriptions),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn examples_leave_comments_and_descriptions() {
        let comment = "/**\n * Says hello.\n *\n * ```\n * let x = 1;\n * ```\n */";
        assert_eq!(without_examples(comment), "/**\n * Says hello.\n */");
        let mut schema = json!({
            "description": "Says hello.\n\n```\nlet x = 1;\n```",
            "properties": { "a": { "description": "Plain." } }
        });
        clean_descriptions(&mut schema);
        assert_eq!(schema["description"], "Says hello.");
        assert_eq!(schema["properties"]["a"]["description"], "Plain.");
    }
}
