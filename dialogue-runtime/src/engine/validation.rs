//! Payload validation: each event's JSON Schema compiled once at start-up,
//! then one call per payload.

use std::collections::HashMap;
use std::num::NonZeroU32;

use serde_json::Value;

use crate::error::BuildError;
use crate::protocol::ValidationIssue;
use crate::spec::AppSpec;

/// At most this many issues are reported for one payload, so that a large
/// invalid payload cannot make an equally large error.
pub const MAX_ISSUES: usize = 20;

/// An issue's message is cut to about this many bytes: the validator quotes
/// the offending value, which may be the whole (large) payload.
pub const MAX_ISSUE_MESSAGE: usize = 200;

/// What the server knows of one declared event at run time.
pub(crate) struct EventRuntime {
    validator: jsonschema::Validator,
    history: Option<NonZeroU32>,
}

impl EventRuntime {
    /// How many events of this type a room keeps.
    pub(crate) fn history(&self) -> Option<NonZeroU32> {
        self.history
    }

    /// Checks `data` against the schema.
    pub(crate) fn validate(&self, data: &Value) -> Result<(), Vec<ValidationIssue>> {
        // `is_valid` stops at the first failure and allocates nothing: the
        // common case, a valid payload, pays only for that.
        if self.validator.is_valid(data) {
            return Ok(());
        }
        Err(self
            .validator
            .iter_errors(data)
            .take(MAX_ISSUES)
            .map(|error| ValidationIssue {
                path: pointer_of(&error),
                message: shorten(error.to_string()),
            })
            .collect())
    }
}

/// Where a failure is, as a JSON pointer into the payload. A missing
/// required property is reported at its own pointer (`/senderId`), as Zod
/// and dialogue-ts report it, not at the object that lacks it.
fn pointer_of(error: &jsonschema::ValidationError<'_>) -> String {
    let mut path = error.instance_path().to_string();
    if let jsonschema::error::ValidationErrorKind::Required {
        property: Value::String(name),
    } = error.kind()
    {
        path.push('/');
        path.push_str(&name.replace('~', "~0").replace('/', "~1"));
    }
    path
}

/// Cuts `message` to [`MAX_ISSUE_MESSAGE`] bytes (at a character boundary),
/// marking the cut.
fn shorten(mut message: String) -> String {
    if message.len() > MAX_ISSUE_MESSAGE {
        let mut cut = MAX_ISSUE_MESSAGE;
        while !message.is_char_boundary(cut) {
            cut -= 1;
        }
        message.truncate(cut);
        message.push('…');
    }
    message
}

/// The declared events by wire name, with compiled validators. Immutable after
/// start-up, so lookups take no lock.
pub(crate) struct EventTable {
    events: HashMap<String, EventRuntime>,
}

impl EventTable {
    /// Compiles every event's schema, with format validation on (`email`,
    /// `uri`, `date-time`, ... are checked, not just annotated).
    pub(crate) fn compile(spec: &AppSpec) -> Result<Self, BuildError> {
        let mut events = HashMap::with_capacity(spec.events.len());
        for event in &spec.events {
            let validator = jsonschema::options()
                .should_validate_formats(true)
                .build(&event.schema)
                .map_err(|error| BuildError::InvalidSchema {
                    event: event.name.clone(),
                    reason: error.to_string(),
                })?;
            events.insert(
                event.name.clone(),
                EventRuntime {
                    validator,
                    history: event.history,
                },
            );
        }
        Ok(Self { events })
    }

    /// The declared event with this name.
    pub(crate) fn get(&self, name: &str) -> Option<&EventRuntime> {
        self.events.get(name)
    }
}

/// A schema compiled once: a request's payload (`engine::handlers`).
pub(crate) fn compile(what: &str, schema: &Value) -> Result<EventRuntime, BuildError> {
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(schema)
        .map_err(|error| BuildError::InvalidSchema {
            event: what.to_owned(),
            reason: error.to_string(),
        })?;
    Ok(EventRuntime {
        validator,
        history: None,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::spec::{EventSpec, TsDecl, TsSpec};

    fn spec(schema: Value) -> AppSpec {
        AppSpec {
            name: "App".into(),
            events: vec![EventSpec {
                name: "message".into(),
                type_name: "Message".into(),
                description: None,
                history: NonZeroU32::new(3),
                schema,
                typescript: TsSpec {
                    decl: TsDecl {
                        name: "Message".into(),
                        declaration: String::new(),
                        docs: None,
                    },
                    dependencies: vec![],
                },
            }],
            rooms: vec![],
            requests: Vec::new(),
            presence: None,
        }
    }

    #[test]
    fn failures_name_the_pointer_and_say_what_is_wrong() {
        let table = EventTable::compile(&spec(json!({
            "type": "object",
            "properties": {
                "text": { "type": "string", "minLength": 1 },
                "email": { "type": "string", "format": "email" }
            },
            "required": ["text"]
        })))
        .unwrap();
        let event = table.get("message").unwrap();
        assert_eq!(event.history(), NonZeroU32::new(3));
        assert!(
            event
                .validate(&json!({ "text": "hi", "email": "a@b.co" }))
                .is_ok()
        );
        let issues = event
            .validate(&json!({ "text": "", "email": "nope" }))
            .unwrap_err();
        let paths: Vec<&str> = issues.iter().map(|i| i.path.as_str()).collect();
        assert_eq!(paths, ["/email", "/text"]);
        assert!(
            issues[1].message.contains("shorter than 1"),
            "{}",
            issues[1].message
        );
        let missing = event.validate(&json!({})).unwrap_err();
        assert_eq!(
            missing[0].path, "/text",
            "at the missing property's own pointer"
        );
        assert!(
            missing[0]
                .message
                .contains("\"text\" is a required property")
        );
    }

    #[test]
    fn issues_are_bounded() {
        let table = EventTable::compile(&spec(json!({
            "type": "array",
            "items": { "type": "string" }
        })))
        .unwrap();
        let many = Value::Array((0..1000).map(|n| json!(n)).collect());
        let issues = table.get("message").unwrap().validate(&many).unwrap_err();
        assert_eq!(issues.len(), MAX_ISSUES);
    }

    #[test]
    fn messages_quoting_large_values_are_cut() {
        let table = EventTable::compile(&spec(json!({ "type": "object" }))).unwrap();
        let big = Value::String("é".repeat(10_000));
        let issues = table.get("message").unwrap().validate(&big).unwrap_err();
        assert!(issues[0].message.len() <= MAX_ISSUE_MESSAGE + '…'.len_utf8());
        assert!(issues[0].message.ends_with('…'));
    }

    #[test]
    fn a_broken_schema_is_a_build_error_naming_the_event() {
        let error = EventTable::compile(&spec(json!({ "type": 12 })))
            .err()
            .expect("refused");
        assert!(matches!(&error, BuildError::InvalidSchema { event, .. } if event == "message"));
    }
}
