//! The rules a `dialogue!` declaration must follow, one function each.
//!
//! Rules that need the event types themselves (is it an `Event`? do two
//! events share a wire name?) cannot be decided on tokens; `expand` turns them
//! into type and constant checks that the compiler reports at the same tokens.

use dialogue_core::rules::{self, NameError};
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::{Ident, LitInt, Type};

use super::model::{
    App, AppDef, EventList, Events, HistoryOnJoin, Room, RoomDef, Subscriptions, SyncHistory,
};
use crate::errors::Errors;

/// Checks every room and the app as a whole; the result is only expanded when
/// `errors` stays empty.
pub(crate) fn check<'a>(def: &'a AppDef, errors: &mut Errors) -> App<'a> {
    check_unique_ids(&def.rooms, errors);
    check_unique_requests(&def.requests, errors);
    let rooms: Vec<Room<'a>> = def
        .rooms
        .iter()
        .filter_map(|room| check_room(room, errors))
        .collect();
    check_unique_type_names(&rooms, errors);
    let events = app_events(&rooms);
    App {
        def,
        rooms,
        events,
        module: module_ident(&def.ident),
    }
}

/// `chat_app` for `ChatApp`; `crate_rooms` for `Crate`, whose snake_case name
/// is a keyword.
fn module_ident(app: &Ident) -> Ident {
    let name = rules::to_snake_case(&app.to_string());
    match syn::parse_str::<Ident>(&name) {
        Ok(_) => Ident::new(&name, app.span()),
        Err(_) => Ident::new(&format!("{name}_rooms"), app.span()),
    }
}

fn check_room<'a>(def: &'a RoomDef, errors: &mut Errors) -> Option<Room<'a>> {
    let key = def.key.to_string();
    let key_ok = check_key(&def.key, errors);
    let id = room_id(def, errors);
    let name = required_name(def, errors);
    let events = room_events(def, errors);
    let server_events = match &events {
        Some(events) => server_events(def, events, errors),
        None => None,
    };
    let subscriptions = match (&events, &server_events) {
        (Some(events), Some(server)) => default_subscriptions(def, events, server, errors),
        _ => None,
    };
    let max_size = max_size(def, errors);
    let sync_history = sync_history(def, errors);
    let claims_ok = check_claims(def, errors);
    let pattern = id.as_deref().and_then(rules::RoomPattern::parse);
    let per_user = pattern.is_some_and(|p| p.is_per_user());
    let template = pattern
        .filter(|p| !p.is_per_user())
        .map(|p| p.param.to_owned());
    let description = def
        .description
        .as_ref()
        .map(|d| d.value())
        .or_else(|| def.docs.clone());
    let raw = key.strip_prefix("r#").unwrap_or(&key);
    Some(Room {
        def,
        id: id?,
        name: name?,
        description,
        events: events?,
        server_events: server_events?,
        subscriptions: subscriptions?,
        max_size: max_size.ok()?,
        sync_history: sync_history?,
        per_user: claims_ok.then_some(per_user)?,
        template,
        type_ident: key_ok.then(|| Ident::new(&rules::to_pascal_case(raw), def.key.span()))?,
        const_ident: Ident::new(&rules::to_shouty_snake_case(raw), def.key.span()),
    })
}

/// Room keys are Rust names in snake_case: they become a method, a constant
/// and a type.
fn check_key(key: &Ident, errors: &mut Errors) -> bool {
    let text = key.to_string();
    if rules::is_snake_case(&text) {
        return true;
    }
    let snake = rules::to_snake_case(&text);
    let suggestion = if rules::is_snake_case(&snake) {
        format!("write `{snake}: {{ id: \"{text}\", ... }}` to keep the id {text:?}")
    } else {
        "set the wire id with `id: \"...\"`".to_owned()
    };
    errors.at(
        key,
        format_args!(
            "a room key is a Rust name in snake_case (it names the room's handle); {suggestion}"
        ),
    );
    false
}

/// The id as written: `id: "..."`, else the key; and the token it came from.
fn written_id(def: &RoomDef) -> (String, &dyn ToTokens) {
    match &def.id {
        Some(lit) => (lit.value(), lit),
        None => (def.key.unraw().to_string(), &def.key),
    }
}

/// `id: "..."`, else the key.
fn room_id(def: &RoomDef, errors: &mut Errors) -> Option<String> {
    let (id, at) = written_id(def);
    if let Some((_, rest)) = rules::user_room_pattern(&id)
        && rest.contains(rules::USER_PLACEHOLDER)
    {
        errors.at(
            at,
            format_args!(
                "`{}` may appear once in a room id: it stands for the one user the room belongs to",
                rules::USER_PLACEHOLDER
            ),
        );
        return None;
    }
    let braces = id.contains('{') || id.contains('}');
    let one_parameter = rules::RoomPattern::parse(&id).is_some_and(|p| {
        !p.suffix.contains('{') && !p.suffix.contains('}') && !p.prefix.contains('}')
    });
    if braces && !one_parameter {
        errors.at(
            at,
            format_args!(
                "invalid room template {id:?}: a template id holds one `{{parameter}}` named like a Rust identifier, e.g. \"doc:{{docId}}\""
            ),
        );
        return None;
    }
    match rules::check_room_id(&id) {
        Ok(()) => Some(id),
        Err(error) => {
            let hint = match error {
                NameError::Reserved => "choose another id, e.g. \"all\"".to_owned(),
                _ => format!(
                    "a room id is 1 to {} characters without whitespace, e.g. \"game:lobby\"",
                    rules::MAX_NAME_LEN
                ),
            };
            errors.at(at, format_args!("invalid room id {id:?}: {error}; {hint}"));
            None
        }
    }
}

fn required_name(def: &RoomDef, errors: &mut Errors) -> Option<String> {
    match &def.name {
        Some(lit) if lit.value().trim().is_empty() => {
            errors.at(
                lit,
                "a room's `name` cannot be empty; write e.g. `name: \"Chat Room\"`",
            );
            None
        }
        Some(lit) => Some(lit.value()),
        None => {
            errors.at(
                &def.key,
                format_args!(
                    "room `{}` has no `name`: add `name: \"...\"`, the name people see",
                    def.key
                ),
            );
            None
        }
    }
}

fn room_events<'a>(def: &'a RoomDef, errors: &mut Errors) -> Option<Events<'a>> {
    match &def.events {
        None => {
            errors.at(
                &def.key,
                format_args!(
                    "room `{}` has no `events`: add `events: [Message, ...]` (the event types \
                     it accepts), `events: *` (any event) or `events: []` (none)",
                    def.key
                ),
            );
            None
        }
        Some(EventList::Any) => Some(Events::Any),
        Some(EventList::List(items)) => {
            check_no_repeats(items, "events", errors);
            Some(Events::Only(items.iter().collect()))
        }
    }
}

fn check_no_repeats(items: &[Type], key: &str, errors: &mut Errors) {
    for (i, item) in items.iter().enumerate() {
        let text = type_text(item);
        if items[..i].iter().any(|earlier| type_text(earlier) == text) {
            errors.at(item, format_args!("`{text}` is listed twice in `{key}`"));
        }
    }
}

/// `server_events`: a list, none of the room's client events, and not in a
/// room that takes any event (clients could send them there).
fn server_events<'a>(
    def: &'a RoomDef,
    events: &Events<'a>,
    errors: &mut Errors,
) -> Option<Vec<&'a Type>> {
    match (&def.server_events, events) {
        (None, _) => Some(Vec::new()),
        (Some(EventList::Any), _) => {
            errors.at(
                &def.key,
                "`server_events` lists the event types only the server triggers; `*` is not allowed there",
            );
            None
        }
        (Some(EventList::List(_)), Events::Any) => {
            errors.at(
                &def.key,
                format_args!(
                    "room `{}` takes any event from clients (`events: *`), so it cannot keep events \
                     for the server; list the client events instead, or use another room",
                    def.key
                ),
            );
            None
        }
        (Some(EventList::List(items)), Events::Only(client)) => {
            check_no_repeats(items, "server_events", errors);
            let mut ok = true;
            for item in items {
                if client.iter().any(|event| same_event(event, item)) {
                    errors.at(
                        item,
                        format_args!(
                            "`{}` is in both `events` and `server_events`; clients may trigger what \
                             `events` lists, only the server what `server_events` lists",
                            type_text(item)
                        ),
                    );
                    ok = false;
                }
            }
            ok.then(|| items.iter().collect())
        }
    }
}

/// Default subscriptions must be events of the room (client or server ones);
/// left out, they are all of them.
fn default_subscriptions<'a>(
    def: &'a RoomDef,
    events: &Events<'a>,
    server: &[&'a Type],
    errors: &mut Errors,
) -> Option<Subscriptions<'a>> {
    match (&def.default_subscriptions, events) {
        (None, Events::Any) | (Some(EventList::Any), _) => Some(Subscriptions::All),
        (None, Events::Only(events)) => Some(Subscriptions::Only(
            events.iter().chain(server).copied().collect(),
        )),
        (Some(EventList::List(items)), Events::Any) => {
            check_no_repeats(items, "default_subscriptions", errors);
            Some(Subscriptions::Only(items.iter().collect()))
        }
        (Some(EventList::List(items)), Events::Only(events)) => {
            let events: Vec<&Type> = events.iter().chain(server).copied().collect();
            check_no_repeats(items, "default_subscriptions", errors);
            let mut ok = true;
            for item in items {
                if !events.iter().any(|event| same_event(event, item)) {
                    let listed: Vec<String> = events
                        .iter()
                        .map(|e| format!("`{}`", type_text(e)))
                        .collect();
                    let listed = if listed.is_empty() {
                        "it accepts no events".to_owned()
                    } else {
                        format!("its events are {}", listed.join(", "))
                    };
                    errors.at(
                        item,
                        format_args!(
                            "`{}` is not among the events of room `{}` ({listed}); \
                             add it to `events` or remove it here",
                            type_text(item),
                            def.key
                        ),
                    );
                    ok = false;
                }
            }
            ok.then(|| Subscriptions::Only(items.iter().collect()))
        }
    }
}

/// Whether two written types name the same event: the same tokens, or paths
/// with the same last segment (`Message` and `crate::Message`). A wrong guess
/// in the second case is caught by the `Accepts` check in the expansion.
fn same_event(a: &Type, b: &Type) -> bool {
    if type_text(a) == type_text(b) {
        return true;
    }
    match (a, b) {
        (Type::Path(a), Type::Path(b)) => {
            let last = |p: &syn::TypePath| {
                p.path
                    .segments
                    .last()
                    .map(|s| s.to_token_stream().to_string())
            };
            last(a).is_some() && last(a) == last(b)
        }
        _ => false,
    }
}

/// Claim names are unique.
fn check_claims(def: &RoomDef, errors: &mut Errors) -> bool {
    let Some(claims) = &def.required_claims else {
        return true;
    };
    let mut ok = true;
    for (i, claim) in claims.iter().enumerate() {
        if claims[..i].iter().any(|c| c.name == claim.name) {
            errors.push(syn::Error::new(
                claim.span,
                format!("the claim `{}` is required twice", claim.name),
            ));
            ok = false;
        }
    }
    ok
}

/// `max_size: N`, N ≥ 1.
fn max_size(def: &RoomDef, errors: &mut Errors) -> Result<Option<u32>, ()> {
    let Some(lit) = &def.max_size else {
        return Ok(None);
    };
    positive(
        lit,
        "`max_size: 0` would refuse every join; leave `max_size` out for no limit, \
         or give the most members the room holds, e.g. `max_size: 50`",
        "`max_size`",
        errors,
    )
    .map(Some)
}

fn sync_history(def: &RoomDef, errors: &mut Errors) -> Option<HistoryOnJoin> {
    match &def.sync_history_on_join {
        None => Some(HistoryOnJoin::Off),
        Some(SyncHistory::Flag(flag)) => Some(if flag.value {
            HistoryOnJoin::All
        } else {
            HistoryOnJoin::Off
        }),
        Some(SyncHistory::Count(lit)) => positive(
            lit,
            "`sync_history_on_join: 0` sends nothing; write `false` (or leave it out) to send \
             no history, or the number of events per event type, e.g. `50`",
            "`sync_history_on_join`",
            errors,
        )
        .ok()
        .map(HistoryOnJoin::Latest),
    }
}

fn positive(lit: &LitInt, zero_message: &str, what: &str, errors: &mut Errors) -> Result<u32, ()> {
    match lit.base10_parse::<u32>() {
        Ok(0) => {
            errors.at(lit, zero_message);
            Err(())
        }
        Ok(n) => Ok(n),
        Err(_) => {
            errors.at(
                lit,
                format_args!("{what} must be a whole number from 1 to {}", u32::MAX),
            );
            Err(())
        }
    }
}

/// Checked on every room as written, so a room with other mistakes still
/// counts.
fn check_unique_ids(rooms: &[RoomDef], errors: &mut Errors) {
    for (i, room) in rooms.iter().enumerate() {
        let (id, at) = written_id(room);
        if let Some(first) = rooms[..i].iter().find(|r| written_id(r).0 == id) {
            errors.at(
                at,
                format_args!(
                    "the room id {id:?} is already used by room `{}`; room ids must be unique",
                    first.key
                ),
            );
        }
    }
}

/// Two keys that differ only in underscores (`room_2`, `room2`) would name the
/// same handle type.
fn check_unique_type_names(rooms: &[Room<'_>], errors: &mut Errors) {
    for (i, room) in rooms.iter().enumerate() {
        if let Some(first) = rooms[..i]
            .iter()
            .find(|r| r.type_ident == room.type_ident && r.id != room.id)
        {
            errors.at(
                &room.def.key,
                format_args!(
                    "the room keys `{}` and `{}` both name the handle type `{}`; rename one",
                    first.def.key, room.def.key, room.type_ident
                ),
            );
        }
    }
}

/// Every event type a room names (its events, or the subscriptions of a `*`
/// room), once, in order of first appearance.
fn app_events<'a>(rooms: &[Room<'a>]) -> Vec<&'a Type> {
    let mut events: Vec<&'a Type> = Vec::new();
    for room in rooms {
        let named: Vec<&'a Type> = match (&room.events, &room.subscriptions) {
            (Events::Only(list), _) => list.iter().chain(&room.server_events).copied().collect(),
            (Events::Any, Subscriptions::Only(subs)) => subs.clone(),
            (Events::Any, Subscriptions::All) => continue,
        };
        for ty in named {
            if !events.iter().any(|known| type_text(known) == type_text(ty)) {
                events.push(ty);
            }
        }
    }
    events
}

/// The index in `events` of the event `ty` names (see [`same_event`]).
pub(crate) fn event_index(events: &[&Type], ty: &Type) -> Option<usize> {
    events
        .iter()
        .position(|e| type_text(e) == type_text(ty))
        .or_else(|| events.iter().position(|e| same_event(e, ty)))
}

/// A type as written, without spaces: the identity the checks compare.
pub(crate) fn type_text(ty: &Type) -> String {
    ty.to_token_stream().to_string().replace(' ', "")
}

/// A request type is listed once.
fn check_unique_requests(requests: &[syn::Type], errors: &mut Errors) {
    for (i, later) in requests.iter().enumerate() {
        if requests[..i]
            .iter()
            .any(|earlier| type_text(earlier) == type_text(later))
        {
            errors.at(
                later,
                format_args!(
                    "the request `{}` is listed twice in `requests`; list it once",
                    type_text(later)
                ),
            );
        }
    }
}
