//! The rules an event declaration must follow, one function each.

use dialogue_core::rules::{self, NameError};
use syn::Data;

use super::model::{Event, EventDef};
use crate::errors::Errors;

/// Checks `def`; returns the event when the options themselves are usable (the
/// caller still refuses to expand if any error was recorded).
pub(crate) fn check<'a>(def: &EventDef<'a>, errors: &mut Errors) -> Option<Event<'a>> {
    check_shape(def, errors);
    let name = wire_name(def, errors);
    let history = history(def, errors);
    let description = match &def.description {
        Some(lit) => Some(lit.value()).filter(|d| !d.trim().is_empty()),
        None => def.docs.clone(),
    };
    Some(Event {
        ident: &def.input.ident,
        name: name?,
        description,
        history: history.ok()?,
    })
}

/// Events are structs or enums without generic parameters.
fn check_shape(def: &EventDef<'_>, errors: &mut Errors) {
    if let Data::Union(data) = &def.input.data {
        errors.at(
            data.union_token,
            "an event cannot be a union; declare a struct or an enum",
        );
    }
    let generics = &def.input.generics;
    if !generics.params.is_empty() {
        errors.at(
            generics,
            "an event type cannot have generic parameters: its wire name and schema must be \
             fixed; declare a concrete type, e.g. `struct MessagePage { items: Vec<Message> }`",
        );
    }
}

/// The explicit name if it is valid, else the one derived from the type name.
fn wire_name(def: &EventDef<'_>, errors: &mut Errors) -> Option<String> {
    match &def.name {
        Some(lit) => {
            let name = lit.value();
            match rules::check_event_name(&name) {
                Ok(()) => Some(name),
                Err(error) => {
                    errors.at(lit, name_error_message(&name, &error));
                    None
                }
            }
        }
        None => {
            let ident = def.input.ident.to_string();
            let name = rules::event_name_for_type(&ident);
            match rules::check_event_name(&name) {
                Ok(()) => Some(name),
                Err(error) => {
                    errors.at(
                        &def.input.ident,
                        format_args!(
                            "the wire name derived from `{ident}`, {name:?}, is invalid ({error}); \
                             name the event yourself: `#[event(name = \"...\")]`"
                        ),
                    );
                    None
                }
            }
        }
    }
}

/// The message for an invalid explicit name, saying what to write instead.
pub(crate) fn name_error_message(name: &str, error: &NameError) -> String {
    match error {
        NameError::Reserved => "`*` is reserved: it means \"any event\" in a room; \
             give this event a name of its own, e.g. `name = \"ping\"`"
            .to_owned(),
        NameError::Empty => "an event name cannot be empty; write e.g. `name = \"message\"`, \
             or leave `name` out to derive it from the type name"
            .to_owned(),
        _ => format!(
            "invalid event name {name:?}: {error}; use 1 to {} ASCII letters, digits, `:`, `-`, \
             `_` or `.`, e.g. `order:updated`",
            rules::MAX_NAME_LEN
        ),
    }
}

/// `history = N` with N ≥ 1.
fn history(def: &EventDef<'_>, errors: &mut Errors) -> Result<Option<u32>, ()> {
    let Some(lit) = &def.history else {
        return Ok(None);
    };
    match lit.base10_parse::<u32>() {
        Ok(0) => {
            errors.at(
                lit,
                "`history = 0` keeps nothing; leave `history` out to keep no history, \
                 or give the number of events each room keeps, e.g. `history = 100`",
            );
            Err(())
        }
        Ok(n) => Ok(Some(n)),
        Err(_) => {
            errors.at(
                lit,
                format_args!(
                    "`history` must be a whole number from 1 to {}, e.g. `history = 100`",
                    u32::MAX
                ),
            );
            Err(())
        }
    }
}
