//! One JSON Schema (draft 2020-12, as schemars writes it) as a Zod 4
//! expression that accepts exactly the values the server's validator accepts.
//!
//! The keywords serde's types produce become plain Zod (`z.looseObject`,
//! `z.union`, `z.tuple`, `.regex`, `.gte`, ...), so form libraries can read
//! them. The few a derive rarely writes (`not`, `if`, `uniqueItems`,
//! `patternProperties`, ...) are checked by the client runtime's own JSON
//! Schema check (`schemaIssues`) in a refinement: the verdict stays the
//! server's, whatever the schema.
//!
//! Two differences from Zod's defaults are deliberate: string lengths count
//! code points (JSON Schema's rule; Zod counts UTF-16 units), and integers
//! are any whole number (Zod's `.int()` stops at 2^53).

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// Formats the server checks; the others are annotations (`int32`, `uint8`).
const CHECKED_FORMATS: &[&str] = &[
    "email",
    "uri",
    "hostname",
    "ipv4",
    "uuid",
    "date",
    "date-time",
];

/// Keywords the server checks that have no plain Zod translation here: a
/// node holding one is checked by `schemaIssues` as a whole.
const CHECKED_ELSEWHERE: &[&str] = &[
    "not",
    "if",
    "uniqueItems",
    "contains",
    "patternProperties",
    "propertyNames",
    "minProperties",
    "maxProperties",
    "dependentRequired",
    "dependentSchemas",
    "unevaluatedProperties",
    "unevaluatedItems",
    "$dynamicRef",
];

/// Keywords that apply to one JSON type only.
const STRING_KEYWORDS: &[&str] = &["minLength", "maxLength", "pattern", "format"];
const NUMBER_KEYWORDS: &[&str] = &[
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
];
const ARRAY_KEYWORDS: &[&str] = &["items", "prefixItems", "minItems", "maxItems"];
const OBJECT_KEYWORDS: &[&str] = &["properties", "required", "additionalProperties"];

/// A translated schema.
#[derive(Debug, Clone)]
pub(crate) struct Expr {
    /// The Zod expression.
    pub(crate) code: String,
    /// Whether it accepts `undefined`: an object then checks that a required
    /// property it types so is present.
    maybe_absent: bool,
}

impl Expr {
    fn new(code: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            maybe_absent: false,
        }
    }

    fn absent_ok(code: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            maybe_absent: true,
        }
    }
}

/// One root schema translated: its definitions (constants, in an order
/// where each refers only to earlier ones, or lazily) and its expression.
#[derive(Debug, Clone)]
pub(crate) struct Translated {
    /// `(constant name, expression)` per `$defs` entry used.
    pub(crate) defs: Vec<(String, String)>,
    /// The root's expression.
    pub(crate) expr: String,
    /// The root schema as a JS literal, when a refinement needs it to
    /// resolve `$ref`s (`schemaIssues`); its constant is `root_name`.
    pub(crate) root: Option<(String, String)>,
}

enum DefState {
    InProgress(String),
    Done(String, bool),
}

struct Translator<'a> {
    root: &'a Value,
    /// Prefix of the constants of this root, e.g. `Profile`.
    prefix: &'a str,
    defs: Vec<(String, String)>,
    states: BTreeMap<String, DefState>,
    needs_root: bool,
}

/// Translates `schema`; `prefix` names its constants (`{prefix}$Address`,
/// `{prefix}$$root`).
pub(crate) fn translate(schema: &Value, prefix: &str) -> Translated {
    let mut translator = Translator {
        root: schema,
        prefix,
        defs: Vec::new(),
        states: BTreeMap::new(),
        needs_root: false,
    };
    let expr = translator.node(schema).code;
    let root = translator
        .needs_root
        .then(|| (root_name(prefix), js(schema)));
    Translated {
        defs: translator.defs,
        expr,
        root,
    }
}

/// The constant holding the root schema of `prefix`.
pub(crate) fn root_name(prefix: &str) -> String {
    format!("{prefix}$$root")
}

/// A JSON value as a JS literal.
pub(crate) fn js(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
}

impl Translator<'_> {
    fn node(&mut self, schema: &Value) -> Expr {
        match schema {
            Value::Bool(true) => Expr::absent_ok("z.unknown()"),
            Value::Bool(false) => Expr::new("z.never()"),
            Value::Object(map) => self.object_node(schema, map),
            // Not a schema: the server's check treats it as one that holds.
            _ => Expr::absent_ok("z.unknown()"),
        }
    }

    /// The whole node through `schemaIssues`.
    fn fallback(&mut self, schema: &Value) -> Expr {
        self.needs_root = true;
        Expr::absent_ok(format!(
            "z.unknown().superRefine(fits({}, {}))",
            root_name(self.prefix),
            js(schema)
        ))
    }

    fn object_node(&mut self, schema: &Value, map: &Map<String, Value>) -> Expr {
        if CHECKED_ELSEWHERE.iter().any(|k| map.contains_key(*k)) {
            return self.fallback(schema);
        }
        let types: Option<Vec<&str>> = match map.get("type") {
            None => None,
            Some(Value::String(t)) => Some(vec![t.as_str()]),
            Some(Value::Array(ts)) => {
                let names: Option<Vec<&str>> = ts.iter().map(Value::as_str).collect();
                match names {
                    Some(names) => Some(names),
                    None => return self.fallback(schema),
                }
            }
            Some(_) => return self.fallback(schema),
        };
        let has_typed_keyword = [
            STRING_KEYWORDS,
            NUMBER_KEYWORDS,
            ARRAY_KEYWORDS,
            OBJECT_KEYWORDS,
        ]
        .iter()
        .any(|keys| keys.iter().any(|k| map.contains_key(*k)));

        let mut parts: Vec<Expr> = Vec::new();
        if let Some(reference) = map.get("$ref") {
            match reference.as_str().and_then(|r| self.reference(r)) {
                Some(expr) => parts.push(expr),
                None => return self.fallback(schema),
            }
        }
        let literals = match (map.get("const"), map.get("enum")) {
            (Some(value), _) => Some(vec![value]),
            (None, Some(Value::Array(values))) => Some(values.iter().collect()),
            (None, Some(_)) => return self.fallback(schema),
            (None, None) => None,
        };
        if let Some(values) = literals {
            // A literal implies its type; other constraints beside it are
            // left to the runtime's check.
            if has_typed_keyword {
                return self.fallback(schema);
            }
            let kept: Vec<&Value> = values
                .into_iter()
                .filter(|v| {
                    types
                        .as_ref()
                        .is_none_or(|ts| ts.iter().any(|t| has_type(v, t)))
                })
                .collect();
            match literal(&kept) {
                Some(expr) => parts.push(expr),
                None => return self.fallback(schema),
            }
        } else if let Some(types) = &types {
            let mut alternatives = Vec::new();
            for t in types {
                match self.typed(t, map) {
                    Some(expr) => alternatives.push(expr),
                    None => return self.fallback(schema),
                }
            }
            parts.push(union(alternatives));
        } else if has_typed_keyword {
            // Constraints that apply only when the value has their type.
            return self.fallback(schema);
        }
        if let Some(Value::Array(subs)) = map.get("anyOf") {
            let options: Vec<Expr> = subs.iter().map(|s| self.node(s)).collect();
            parts.push(union(options));
        }
        if let Some(Value::Array(subs)) = map.get("oneOf") {
            let options: Vec<Expr> = subs.iter().map(|s| self.node(s)).collect();
            let maybe_absent = options.iter().any(|o| o.maybe_absent);
            let list: Vec<String> = options.into_iter().map(|o| o.code).collect();
            parts.push(Expr {
                code: format!("oneOf([{}])", list.join(", ")),
                maybe_absent,
            });
        }
        if let Some(Value::Array(subs)) = map.get("allOf") {
            for sub in subs {
                let expr = self.node(sub);
                parts.push(expr);
            }
        }
        intersection(parts)
    }

    /// A `$ref` into the root's `$defs` (or `definitions`).
    fn reference(&mut self, reference: &str) -> Option<Expr> {
        let (section, name) = reference
            .strip_prefix("#/$defs/")
            .map(|n| ("$defs", n))
            .or_else(|| {
                reference
                    .strip_prefix("#/definitions/")
                    .map(|n| ("definitions", n))
            })?;
        if name.contains('/') || name.contains('~') || name.contains('%') {
            return None;
        }
        let key = format!("{section}/{name}");
        match self.states.get(&key) {
            Some(DefState::Done(constant, maybe_absent)) => {
                return Some(Expr {
                    code: constant.clone(),
                    maybe_absent: *maybe_absent,
                });
            }
            // A cycle: the constant is defined by the time it is parsed.
            Some(DefState::InProgress(constant)) => {
                return Some(Expr::absent_ok(format!("z.lazy(() => {constant})")));
            }
            None => {}
        }
        let target = self.root.get(section)?.get(name)?;
        let constant = format!("{}${}", self.prefix, identifier(name));
        self.states
            .insert(key.clone(), DefState::InProgress(constant.clone()));
        let expr = self.node(target);
        self.defs.push((constant.clone(), expr.code));
        self.states
            .insert(key, DefState::Done(constant.clone(), expr.maybe_absent));
        Some(Expr {
            code: constant,
            maybe_absent: expr.maybe_absent,
        })
    }

    /// The node's constraints for values of JSON type `t`; `None` when they
    /// need the runtime's check.
    fn typed(&mut self, t: &str, map: &Map<String, Value>) -> Option<Expr> {
        let number = |key: &str| map.get(key).filter(|v| v.is_number()).map(js);
        let count = |key: &str| map.get(key).and_then(Value::as_u64);
        let code = match t {
            "null" => "z.null()".to_owned(),
            "boolean" => "z.boolean()".to_owned(),
            "string" => {
                let mut code = "z.string()".to_owned();
                if let Some(pattern) = map.get("pattern") {
                    let pattern = pattern.as_str()?;
                    code.push_str(&format!(
                        ".regex(new RegExp({}, \"u\"))",
                        js(&pattern.into())
                    ));
                }
                if let Some(min) = count("minLength") {
                    code.push_str(&format!(
                        ".refine((s) => [...s].length >= {min}, \"at least {min} character{}\")",
                        plural(min)
                    ));
                }
                if let Some(max) = count("maxLength") {
                    code.push_str(&format!(
                        ".refine((s) => [...s].length <= {max}, \"at most {max} character{}\")",
                        plural(max)
                    ));
                }
                if let Some(format) = map.get("format").and_then(Value::as_str)
                    && CHECKED_FORMATS.contains(&format)
                {
                    let name = js(&format.into());
                    code.push_str(&format!(
                        ".refine((s) => checkFormat({name}, s), \"not a valid {format}\")"
                    ));
                }
                code
            }
            "number" | "integer" => {
                let mut code = "z.number()".to_owned();
                for (key, method) in [
                    ("minimum", "gte"),
                    ("maximum", "lte"),
                    ("exclusiveMinimum", "gt"),
                    ("exclusiveMaximum", "lt"),
                ] {
                    if let Some(limit) = number(key) {
                        code.push_str(&format!(".{method}({limit})"));
                    }
                }
                if t == "integer" {
                    code.push_str(".refine(Number.isInteger, \"expected an integer\")");
                }
                if let Some(step) = number("multipleOf") {
                    code.push_str(&format!(
                        ".refine((n) => multipleOf(n, {step}), \"not a multiple of {step}\")"
                    ));
                }
                code
            }
            "array" => self.array(map)?,
            "object" => self.object(map)?,
            _ => return None,
        };
        Some(Expr::new(code))
    }

    fn array(&mut self, map: &Map<String, Value>) -> Option<String> {
        let min = map.get("minItems").and_then(Value::as_u64);
        let max = map.get("maxItems").and_then(Value::as_u64);
        let items = map.get("items");
        let mut code = match map.get("prefixItems") {
            Some(Value::Array(prefix)) => {
                // `z.tuple` needs every prefix item: right only when
                // `minItems` asks for them all (serde's tuples do).
                if min.unwrap_or(0) < prefix.len() as u64 {
                    return None;
                }
                let elements: Vec<String> = prefix.iter().map(|s| self.node(s).code).collect();
                let rest = match items {
                    // No element past the prefix: a tuple of exactly it.
                    _ if max.is_some_and(|max| max <= prefix.len() as u64) => None,
                    Some(Value::Bool(false)) => None,
                    Some(schema) => Some(self.node(schema).code),
                    None => Some("z.unknown()".to_owned()),
                };
                match rest {
                    Some(rest) => format!("z.tuple([{}], {rest})", elements.join(", ")),
                    None => format!("z.tuple([{}])", elements.join(", ")),
                }
            }
            Some(_) => return None,
            None => {
                let item = items.map_or_else(|| "z.unknown()".to_owned(), |s| self.node(s).code);
                format!("z.array({item})")
            }
        };
        // A tuple has at least its prefix already.
        let implied = match map.get("prefixItems") {
            Some(Value::Array(prefix)) => prefix.len() as u64,
            _ => 0,
        };
        if let Some(min) = min.filter(|min| *min > implied) {
            code.push_str(&format!(
                ".refine((a) => a.length >= {min}, \"at least {min} item{}\")",
                plural(min)
            ));
        }
        if let Some(max) = max.filter(|max| implied == 0 || *max > implied) {
            code.push_str(&format!(
                ".refine((a) => a.length <= {max}, \"at most {max} item{}\")",
                plural(max)
            ));
        }
        Some(code)
    }

    fn object(&mut self, map: &Map<String, Value>) -> Option<String> {
        let required: Vec<&str> = match map.get("required") {
            None => Vec::new(),
            Some(Value::Array(names)) => names.iter().map(Value::as_str).collect::<Option<_>>()?,
            Some(_) => return None,
        };
        let properties = match map.get("properties") {
            None => Map::new(),
            Some(Value::Object(properties)) => properties.clone(),
            Some(_) => return None,
        };
        let mut shape = Vec::new();
        let mut must_be_present = Vec::new();
        for (name, sub) in &properties {
            let expr = self.node(sub);
            let is_required = required.contains(&name.as_str());
            if is_required && expr.maybe_absent {
                must_be_present.push(name.as_str());
            }
            let optional = if is_required { "" } else { ".optional()" };
            shape.push(format!(
                "{}: {}{optional}",
                js(&name.as_str().into()),
                expr.code
            ));
        }
        for name in &required {
            if !properties.contains_key(*name) {
                must_be_present.push(name);
            }
        }
        let shape = if shape.is_empty() {
            "{}".to_owned()
        } else {
            format!("{{ {} }}", shape.join(", "))
        };
        let mut code = match map.get("additionalProperties") {
            None | Some(Value::Bool(true)) => format!("z.looseObject({shape})"),
            Some(Value::Bool(false)) => format!("z.strictObject({shape})"),
            Some(other) => {
                let rest = self.node(other).code;
                format!("z.object({shape}).catchall({rest})")
            }
        };
        for name in must_be_present {
            let name = js(&name.into());
            code.push_str(&format!(
                ".refine((o) => Object.prototype.hasOwnProperty.call(o, {name}), {{ message: \"required\", path: [{name}] }})"
            ));
        }
        Some(code)
    }
}

/// Zod for a list of JSON literals; `None` when one is not a primitive.
fn literal(values: &[&Value]) -> Option<Expr> {
    let mut nulls = false;
    let mut others = Vec::new();
    for value in values {
        match value {
            Value::Null => nulls = true,
            Value::Bool(_) | Value::Number(_) | Value::String(_) => others.push(js(value)),
            _ => return None,
        }
    }
    let mut options = Vec::new();
    match others.len() {
        0 => {}
        1 => options.push(Expr::new(format!("z.literal({})", others[0]))),
        _ => options.push(Expr::new(format!("z.literal([{}])", others.join(", ")))),
    }
    if nulls {
        options.push(Expr::new("z.null()"));
    }
    if options.is_empty() {
        return Some(Expr::new("z.never()"));
    }
    Some(union(options))
}

fn union(mut options: Vec<Expr>) -> Expr {
    if options.len() == 1 {
        return options.remove(0);
    }
    let maybe_absent = options.iter().any(|o| o.maybe_absent);
    let list: Vec<String> = options.into_iter().map(|o| o.code).collect();
    Expr {
        code: format!("z.union([{}])", list.join(", ")),
        maybe_absent,
    }
}

fn intersection(parts: Vec<Expr>) -> Expr {
    let mut parts = parts.into_iter();
    let Some(first) = parts.next() else {
        return Expr::absent_ok("z.unknown()");
    };
    parts.fold(first, |all, next| Expr {
        code: format!("z.intersection({}, {})", all.code, next.code),
        maybe_absent: all.maybe_absent && next.maybe_absent,
    })
}

/// Whether `value` has JSON type `t`, as the server judges it.
fn has_type(value: &Value, t: &str) -> bool {
    match (t, value) {
        ("null", Value::Null) | ("boolean", Value::Bool(_)) | ("string", Value::String(_)) => true,
        ("number", Value::Number(_)) => true,
        ("integer", Value::Number(n)) => {
            n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)
        }
        ("array", Value::Array(_)) | ("object", Value::Object(_)) => true,
        _ => false,
    }
}

/// A name as part of a JS identifier.
pub(crate) fn identifier(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.starts_with(|c: char| c.is_ascii_digit()) || out.is_empty() {
        out.insert(0, '_');
    }
    out
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
#[path = "translate_tests.rs"]
mod tests;
