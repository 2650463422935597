//! Zod 4 schemas of an application's payloads: one per event, request and
//! the presence info, each accepting exactly what the server's JSON Schema
//! accepts (`translate`), typed with the payload's generated TypeScript type.
//!
//! Three forms of one module: TypeScript beside `dialogue.ts` (`--zod`), and
//! JavaScript with its declarations in the npm package (`--package`).

use std::collections::BTreeSet;
use std::fmt::Write as _;

use dialogue_core::spec::AppSpec;
use serde_json::Value;

mod translate;

use translate::{Translated, js, translate};

/// The helpers every module holds, in TypeScript.
const HELPERS_TS: &str = r#"/** Whether `n` is a multiple of `step`, as the server judges it. */
function multipleOf(n: number, step: number): boolean {
  const ratio = n / step;
  return Number.isFinite(ratio) && Math.abs(ratio - Math.round(ratio)) <= 1e-9;
}

/** JSON Schema's `oneOf`: exactly one of `options` holds. */
function oneOf(options: z.ZodType[]): z.ZodType {
  return z
    .union(options as [z.ZodType, ...z.ZodType[]])
    .refine((value) => options.filter((option) => option.safeParse(value).success).length === 1, "valid under more than one variant");
}

/** A refinement checking `schema` with the client runtime's JSON Schema check (`$ref`s resolved in `root`). */
function fits(root: JsonSchema, schema: JsonSchema): (value: unknown, ctx: z.RefinementCtx) => void {
  return (value, ctx) => {
    for (const issue of schemaIssues(schema, value, root)) {
      const path = issue.path.split("/").slice(1).map((part) => part.replace(/~1/g, "/").replace(/~0/g, "~"));
      ctx.addIssue({ code: "custom", message: issue.message, path });
    }
  };
}
"#;

/// The same helpers in JavaScript.
const HELPERS_JS: &str = r#"/** Whether `n` is a multiple of `step`, as the server judges it. */
function multipleOf(n, step) {
  const ratio = n / step;
  return Number.isFinite(ratio) && Math.abs(ratio - Math.round(ratio)) <= 1e-9;
}

/** JSON Schema's `oneOf`: exactly one of `options` holds. */
function oneOf(options) {
  return z
    .union(options)
    .refine((value) => options.filter((option) => option.safeParse(value).success).length === 1, "valid under more than one variant");
}

/** A refinement checking `schema` with the client runtime's JSON Schema check (`$ref`s resolved in `root`). */
function fits(root, schema) {
  return (value, ctx) => {
    for (const issue of schemaIssues(schema, value, root)) {
      const path = issue.path.split("/").slice(1).map((part) => part.replace(/~1/g, "/").replace(/~0/g, "~"));
      ctx.addIssue({ code: "custom", message: issue.message, path });
    }
  };
}
"#;

/// Which form of the module to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Form {
    /// `dialogue.zod.ts`, importing from `./dialogue.js`.
    TypeScript,
    /// The package's `zod.js` (ES module).
    EsModule,
    /// The package's `zod.cjs` (CommonJS).
    CommonJs,
    /// The package's `zod.d.ts` / `zod.d.cts`.
    Declarations,
}

/// One schema to write: the exported constant, its TypeScript type, what it
/// describes, its JSON Schema.
struct Item<'a> {
    constant: String,
    type_name: &'a str,
    about: String,
    schema: &'a Value,
}

/// Wire names with the constant of their schema.
type ByName<'a> = Vec<(&'a str, String)>;

/// The payloads of `spec`, each once (events, requests, the presence info),
/// and the events' and requests' constants by wire name.
fn items(spec: &AppSpec) -> (Vec<Item<'_>>, ByName<'_>, ByName<'_>) {
    let mut seen = BTreeSet::new();
    let mut items = Vec::new();
    let mut events = Vec::new();
    for event in &spec.events {
        let type_name = event.typescript.decl.name.as_str();
        let constant = format!("{type_name}Schema");
        if seen.insert(type_name) {
            items.push(Item {
                constant: constant.clone(),
                type_name,
                about: format!("The payload of the event `{}`.", event.name),
                schema: &event.schema,
            });
        }
        events.push((event.name.as_str(), constant));
    }
    let mut requests = Vec::new();
    for request in &spec.requests {
        let type_name = request.typescript.decl.name.as_str();
        let constant = format!("{type_name}Schema");
        if seen.insert(type_name) {
            items.push(Item {
                constant: constant.clone(),
                type_name,
                about: format!("The payload of the request `{}`.", request.name),
                schema: &request.schema,
            });
        }
        requests.push((request.name.as_str(), constant));
    }
    if let Some(presence) = &spec.presence {
        items.push(Item {
            constant: "PresenceInfoSchema".to_owned(),
            type_name: "PresenceInfo",
            about: "What a member of a room with presence shows of itself.".to_owned(),
            schema: &presence.schema,
        });
    }
    (items, events, requests)
}

/// The module in `form`; `from` is the module the client runtime and the
/// types come from (`./dialogue.js`, `./index.js`, `./index.cjs`).
pub(crate) fn module(spec: &AppSpec, form: Form, from: &str, header: &str) -> String {
    let (items, events, requests) = items(spec);
    let mut out = String::new();
    out.push_str(header);
    let types: Vec<&str> = items.iter().map(|item| item.type_name).collect();
    let type_list = types.join(", ");
    match form {
        Form::TypeScript => {
            let _ = writeln!(out, "import {{ z }} from \"zod\";");
            let _ = writeln!(
                out,
                "import {{ checkFormat, schemaIssues, type JsonSchema }} from \"{from}\";"
            );
            if !types.is_empty() {
                let _ = writeln!(out, "import type {{ {type_list} }} from \"{from}\";");
            }
            out.push('\n');
            out.push_str(HELPERS_TS);
        }
        Form::EsModule => {
            let _ = writeln!(out, "import {{ z }} from \"zod\";");
            let _ = writeln!(
                out,
                "import {{ checkFormat, schemaIssues }} from \"{from}\";\n"
            );
            out.push_str(HELPERS_JS);
        }
        Form::CommonJs => {
            out.push_str("\"use strict\";\n");
            let _ = writeln!(out, "const {{ z }} = require(\"zod\");");
            let _ = writeln!(
                out,
                "const {{ checkFormat, schemaIssues }} = require(\"{from}\");\n"
            );
            out.push_str(HELPERS_JS);
        }
        Form::Declarations => {
            let _ = writeln!(out, "import type {{ z }} from \"zod\";");
            if !types.is_empty() {
                let _ = writeln!(out, "import type {{ {type_list} }} from \"{from}\";");
            }
        }
    }

    let export = if form == Form::CommonJs {
        ""
    } else {
        "export "
    };
    let mut exported = Vec::new();
    for item in &items {
        let _ = writeln!(out, "\n// ---- {} ----\n", item.type_name);
        if form == Form::Declarations {
            let _ = writeln!(
                out,
                "/** {} */\nexport declare const {}: z.ZodType<{}>;",
                item.about, item.constant, item.type_name
            );
            continue;
        }
        let Translated { defs, expr, root } = translate(item.schema, item.type_name);
        if let Some((name, literal)) = root {
            let annotation = if form == Form::TypeScript {
                ": JsonSchema"
            } else {
                ""
            };
            let _ = writeln!(out, "const {name}{annotation} = {literal};");
        }
        for (name, def) in defs {
            let annotation = if form == Form::TypeScript {
                ": z.ZodType"
            } else {
                ""
            };
            let _ = writeln!(out, "const {name}{annotation} = {def};");
        }
        let cast = if form == Form::TypeScript {
            format!(" as z.ZodType<{}>", item.type_name)
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "/** {} */\n{export}const {} = {expr}{cast};",
            item.about, item.constant
        );
        exported.push(item.constant.clone());
    }

    // The maps by wire name.
    let map = |entries: &ByName<'_>, typed: bool| -> String {
        if entries.is_empty() {
            return "{}".to_owned();
        }
        let lines: Vec<String> = entries
            .iter()
            .map(|(name, constant)| {
                let key = js(&(*name).into());
                if typed {
                    let type_name = items
                        .iter()
                        .find(|item| &item.constant == constant)
                        .map_or("unknown", |item| item.type_name);
                    format!("  readonly {key}: z.ZodType<{type_name}>;")
                } else {
                    format!("  {key}: {constant},")
                }
            })
            .collect();
        format!("{{\n{}\n}}", lines.join("\n"))
    };
    out.push_str("\n// ---- By wire name ----\n\n");
    for (name, entries, what) in [
        ("eventSchemas", &events, "event"),
        ("requestSchemas", &requests, "request"),
    ] {
        let doc = format!("/** The schema of each {what}'s payload, by its wire name. */");
        match form {
            Form::Declarations => {
                let _ = writeln!(
                    out,
                    "{doc}\nexport declare const {name}: {};",
                    map(entries, true)
                );
            }
            Form::TypeScript => {
                let _ = writeln!(
                    out,
                    "{doc}\nexport const {name} = {} as const;",
                    map(entries, false)
                );
            }
            Form::EsModule | Form::CommonJs => {
                let _ = writeln!(
                    out,
                    "{doc}\n{export}const {name} = {};",
                    map(entries, false)
                );
            }
        }
        exported.push(name.to_owned());
    }
    if form == Form::CommonJs {
        let _ = writeln!(out, "\nmodule.exports = {{ {} }};", exported.join(", "));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_app_without_payloads_still_has_its_maps() {
        let spec = AppSpec::builder("Empty").build().unwrap();
        let ts = module(&spec, Form::TypeScript, "./dialogue.js", "");
        assert!(ts.contains("export const eventSchemas = {} as const;"));
        let cjs = module(&spec, Form::CommonJs, "./index.cjs", "");
        assert!(cjs.ends_with("module.exports = { eventSchemas, requestSchemas };\n"));
    }
}
