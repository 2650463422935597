//! Reading a `dialogue!` input into the model.
//!
//! The parser recovers after each mistake: a bad value is reported and the
//! next `key: value` is read, a bad room is reported and the next room is
//! read. Only a broken outline (no app name, no braces) stops it.

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use syn::parse::Parse;
use syn::parse::{ParseStream, Parser};
use syn::{Attribute, Ident, Lit, LitBool, LitInt, LitStr, Token, Type, Visibility, braced};

use super::model::{AppDef, Claim, EventList, RoomDef, SyncHistory};
use crate::docs::doc_text;
use crate::errors::Errors;

/// Every key a room takes, in the order the docs list them.
const ROOM_KEYS: [&str; 10] = [
    "id",
    "name",
    "description",
    "events",
    "server_events",
    "default_subscriptions",
    "max_size",
    "sync_history_on_join",
    "required_claims",
    "presence",
];

/// Parses the whole input; `None` when its outline is unreadable (the reason
/// is in `errors`).
pub(crate) fn parse(input: TokenStream, errors: &mut Errors) -> Option<AppDef> {
    let parser = |stream: ParseStream| parse_app(stream, errors);
    match parser.parse2(input) {
        Ok(app) => Some(app),
        Err(error) => {
            errors.push(error);
            None
        }
    }
}

fn parse_app(input: ParseStream, errors: &mut Errors) -> syn::Result<AppDef> {
    let attrs = input.call(Attribute::parse_outer)?;
    let vis: Visibility = input.parse()?;
    if input.peek(Token![struct]) {
        let token: Token![struct] = input.parse()?;
        errors.at(
            token,
            "write the application without `struct`: `dialogue! { pub ChatApp { ... } }`",
        );
    }
    let ident: Ident = input.parse().map_err(|e| {
        syn::Error::new(
            e.span(),
            "expected the application's type name: `dialogue! { pub ChatApp { room: { ... }, ... } }`",
        )
    })?;
    let body;
    braced!(body in input);
    let mut rooms = Vec::new();
    let mut requests: Option<Vec<Type>> = None;
    let mut presence: Option<Type> = None;
    while !body.is_empty() {
        if starts_presence(&body) {
            body.call(Attribute::parse_outer)?;
            let key: Ident = body.parse()?;
            body.parse::<Token![:]>()?;
            let ty: Type = body.parse()?;
            if presence.is_some() {
                errors.at(&key, "`presence` is given more than once; the application has one presence info type");
            }
            presence.get_or_insert(ty);
        } else if starts_requests(&body) {
            // Doc comments on the list are allowed, and say nothing more.
            body.call(Attribute::parse_outer)?;
            let key: Ident = body.parse()?;
            body.parse::<Token![:]>()?;
            let list;
            syn::bracketed!(list in body);
            let types = list.parse_terminated(Type::parse, Token![,])?;
            if requests.is_some() {
                errors.at(&key, "`requests` is listed more than once; list every request in one `requests: [...]`");
            }
            requests.get_or_insert_with(Vec::new).extend(types);
        } else if let Some(room) = parse_room(&body, errors) {
            rooms.push(room);
        }
        if !body.is_empty()
            && let Err(error) = body.parse::<Token![,]>()
        {
            errors.push(syn::Error::new(error.span(), "expected `,` between rooms"));
            skip_past_comma(&body);
        }
    }
    if !input.is_empty() {
        errors.push(input.error("unexpected tokens after the application's closing brace"));
    }
    Ok(AppDef {
        attrs,
        vis,
        ident,
        rooms,
        requests: requests.unwrap_or_default(),
        presence,
    })
}

/// `presence: Type` (not a braced room) names the presence info type.
fn starts_presence(input: ParseStream) -> bool {
    let fork = input.fork();
    if fork.call(Attribute::parse_outer).is_err() {
        return false;
    }
    let Ok(key) = fork.parse::<Ident>() else {
        return false;
    };
    key == "presence" && fork.parse::<Token![:]>().is_ok() && !fork.peek(syn::token::Brace)
}

/// `requests: [` starts the list of requests (a room's value is braced).
fn starts_requests(input: ParseStream) -> bool {
    let fork = input.fork();
    if fork.call(Attribute::parse_outer).is_err() {
        return false;
    }
    let Ok(key) = fork.parse::<Ident>() else {
        return false;
    };
    key == "requests" && fork.parse::<Token![:]>().is_ok() && fork.peek(syn::token::Bracket)
}

/// `/// docs  key: { entries }`; on a syntax error, reports it and skips to the
/// next room.
fn parse_room(input: ParseStream, errors: &mut Errors) -> Option<RoomDef> {
    let result = (|| -> syn::Result<RoomDef> {
        let attrs = input.call(Attribute::parse_outer)?;
        for attr in attrs.iter().filter(|a| !a.path().is_ident("doc")) {
            errors.at(attr, "only doc comments are allowed on a room");
        }
        let key: Ident = input.parse().map_err(|e| {
            syn::Error::new(
                e.span(),
                "expected a room: `chat: { name: \"Chat Room\", events: [Message] }`",
            )
        })?;
        input.parse::<Token![:]>().map_err(|e| {
            syn::Error::new(e.span(), format!("expected `:` after the room key `{key}`"))
        })?;
        let body;
        braced!(body in input);
        let mut room = RoomDef {
            docs: doc_text(&attrs),
            key,
            id: None,
            name: None,
            description: None,
            events: None,
            server_events: None,
            default_subscriptions: None,
            max_size: None,
            sync_history_on_join: None,
            required_claims: None,
            presence: None,
        };
        while !body.is_empty() {
            parse_entry(&body, &mut room, errors);
        }
        Ok(room)
    })();
    match result {
        Ok(room) => Some(room),
        Err(error) => {
            errors.push(error);
            skip_to_comma(input);
            None
        }
    }
}

/// One `key: value,` inside a room.
fn parse_entry(input: ParseStream, room: &mut RoomDef, errors: &mut Errors) {
    let key: Ident = match input.parse() {
        Ok(key) => key,
        Err(error) => {
            errors.push(syn::Error::new(
                error.span(),
                format!("expected a key: {}", key_list()),
            ));
            skip_past_comma(input);
            return;
        }
    };
    if let Err(error) = input.parse::<Token![:]>() {
        errors.push(syn::Error::new(
            error.span(),
            format!("expected `:` after `{key}`"),
        ));
        skip_past_comma(input);
        return;
    }
    let value = take_until_comma(input);
    let _ = input.parse::<Option<Token![,]>>();
    if value.is_empty() {
        errors.at(&key, format_args!("`{key}` has no value"));
        return;
    }
    let name = key.to_string();
    match name.as_str() {
        "id" => set(
            &mut room.id,
            literal::<LitStr>(value, &key, "id: \"game:lobby\"", errors),
            &key,
            errors,
        ),
        "name" => set(
            &mut room.name,
            literal::<LitStr>(value, &key, "name: \"Chat Room\"", errors),
            &key,
            errors,
        ),
        "description" => set(
            &mut room.description,
            literal::<LitStr>(value, &key, "description: \"General chat\"", errors),
            &key,
            errors,
        ),
        "events" => set(
            &mut room.events,
            event_list(value, &key, errors),
            &key,
            errors,
        ),
        "server_events" => set(
            &mut room.server_events,
            event_list(value, &key, errors),
            &key,
            errors,
        ),
        "default_subscriptions" => set(
            &mut room.default_subscriptions,
            event_list(value, &key, errors),
            &key,
            errors,
        ),
        "max_size" => set(
            &mut room.max_size,
            literal::<LitInt>(value, &key, "max_size: 50", errors),
            &key,
            errors,
        ),
        "sync_history_on_join" => set(
            &mut room.sync_history_on_join,
            sync_history(value, errors),
            &key,
            errors,
        ),
        "required_claims" => set(
            &mut room.required_claims,
            claims(value, errors),
            &key,
            errors,
        ),
        "presence" => set(
            &mut room.presence,
            literal::<LitBool>(value, &key, "presence: true", errors),
            &key,
            errors,
        ),
        _ => errors.at(&key, unknown_key_message(&name)),
    }
}

fn set<T>(slot: &mut Option<T>, value: Option<T>, key: &Ident, errors: &mut Errors) {
    let Some(value) = value else { return };
    if slot.is_some() {
        errors.at(key, format_args!("`{key}` specified more than once"));
    } else {
        *slot = Some(value);
    }
}

fn key_list() -> String {
    let quoted: Vec<String> = ROOM_KEYS.iter().map(|k| format!("`{k}`")).collect();
    format!("a room takes {}", quoted.join(", "))
}

/// `unknown key`, with a suggestion when the key is a known one in another
/// case (dialogue-ts's `maxSize`, `defaultSubscriptions`, ...).
fn unknown_key_message(key: &str) -> String {
    let squash = |s: &str| s.replace('_', "").to_lowercase();
    match ROOM_KEYS.iter().find(|known| squash(known) == squash(key)) {
        Some(known) => {
            format!("unknown key `{key}`; did you mean `{known}`? (keys are snake_case)")
        }
        None => format!("unknown key `{key}`; {}", key_list()),
    }
}

/// A literal of type `L`, or an error showing `example`.
fn literal<L: syn::parse::Parse>(
    value: TokenStream,
    key: &Ident,
    example: &str,
    errors: &mut Errors,
) -> Option<L> {
    match syn::parse2::<L>(value.clone()) {
        Ok(lit) => Some(lit),
        Err(_) => {
            errors.at(value, format_args!("`{key}` takes a literal: `{example}`"));
            None
        }
    }
}

/// `*`, `[]` or `[Type, ...]`.
fn event_list(value: TokenStream, key: &Ident, errors: &mut Errors) -> Option<EventList> {
    let tokens: Vec<TokenTree> = value.clone().into_iter().collect();
    match tokens.as_slice() {
        [TokenTree::Punct(p)] if p.as_char() == '*' => Some(EventList::Any),
        [TokenTree::Group(group)] if group.delimiter() == Delimiter::Bracket => {
            let mut items = Vec::new();
            let mut ok = true;
            for item in split_commas(group.stream()) {
                if is_star(&item) {
                    errors.at(
                        item,
                        format_args!(
                            "`*` stands alone: write `{key}: *` for every event, \
                             or list event types without `*`"
                        ),
                    );
                    ok = false;
                    continue;
                }
                match syn::parse2::<Type>(item.clone()) {
                    Ok(ty) => items.push(ty),
                    Err(_) => {
                        errors.at(item, "expected an event type, e.g. `Message`");
                        ok = false;
                    }
                }
            }
            ok.then(|| EventList::List(items))
        }
        _ => {
            errors.at(
                value,
                format_args!(
                    "expected a list of event types, `*` or `[]`: `{key}: [Message, Typing]`"
                ),
            );
            None
        }
    }
}

fn is_star(tokens: &TokenStream) -> bool {
    let mut iter = tokens.clone().into_iter();
    matches!((iter.next(), iter.next()), (Some(TokenTree::Punct(p)), None) if p.as_char() == '*')
}

/// `true`, `false` or a count.
fn sync_history(value: TokenStream, errors: &mut Errors) -> Option<SyncHistory> {
    if let Ok(flag) = syn::parse2::<LitBool>(value.clone()) {
        return Some(SyncHistory::Flag(flag));
    }
    if let Ok(count) = syn::parse2::<LitInt>(value.clone()) {
        return Some(SyncHistory::Count(count));
    }
    errors.at(
        value,
        "`sync_history_on_join` takes `true` (everything kept), `false` or a number of \
         events per event type, e.g. `sync_history_on_join: 50`",
    );
    None
}

/// `{ name: value, ... }` with literal values.
fn claims(value: TokenStream, errors: &mut Errors) -> Option<Vec<Claim>> {
    const EXAMPLE: &str = "`required_claims: { role: \"admin\", verified: true }`";
    let tokens: Vec<TokenTree> = value.clone().into_iter().collect();
    let [TokenTree::Group(group)] = tokens.as_slice() else {
        errors.at(value, format_args!("expected claims in braces: {EXAMPLE}"));
        return None;
    };
    if group.delimiter() != Delimiter::Brace {
        errors.at(value, format_args!("expected claims in braces: {EXAMPLE}"));
        return None;
    }
    let mut claims = Vec::new();
    let mut ok = true;
    for item in split_commas(group.stream()) {
        let parsed = (|input: ParseStream| {
            let name = if input.peek(LitStr) {
                let lit: LitStr = input.parse()?;
                (lit.value(), lit.span())
            } else {
                let ident = input.call(<Ident as syn::ext::IdentExt>::parse_any)?;
                (ident.to_string(), ident.span())
            };
            input.parse::<Token![:]>()?;
            let value: Lit = input.parse()?;
            Ok(Claim {
                name: name.0,
                span: name.1,
                value,
            })
        })
        .parse2(item.clone());
        match parsed {
            Ok(claim)
                if matches!(
                    claim.value,
                    Lit::Str(_) | Lit::Bool(_) | Lit::Int(_) | Lit::Float(_)
                ) =>
            {
                claims.push(claim)
            }
            _ => {
                errors.at(
                    item,
                    format_args!(
                        "expected `name: value` with a string, number or boolean value: {EXAMPLE}"
                    ),
                );
                ok = false;
            }
        }
    }
    ok.then_some(claims)
}

/// The tokens up to (not including) the next top-level `,`.
fn take_until_comma(input: ParseStream) -> TokenStream {
    let mut tokens = TokenStream::new();
    while !input.is_empty() && !input.peek(Token![,]) {
        match input.parse::<TokenTree>() {
            Ok(tt) => tokens.extend([tt]),
            Err(_) => break,
        }
    }
    tokens
}

fn skip_to_comma(input: ParseStream) {
    take_until_comma(input);
}

fn skip_past_comma(input: ParseStream) {
    take_until_comma(input);
    let _ = input.parse::<Option<Token![,]>>();
}

/// Splits a token stream at its top-level commas, dropping empty pieces (a
/// trailing comma).
fn split_commas(stream: TokenStream) -> Vec<TokenStream> {
    let mut pieces = vec![TokenStream::new()];
    let mut angle_depth = 0usize;
    for tt in stream {
        match &tt {
            // `HashMap<K, V>`-like generics hold commas that do not split items.
            TokenTree::Punct(p) if p.as_char() == '<' => angle_depth += 1,
            TokenTree::Punct(p) if p.as_char() == '>' => {
                angle_depth = angle_depth.saturating_sub(1)
            }
            TokenTree::Punct(p) if p.as_char() == ',' && angle_depth == 0 => {
                pieces.push(TokenStream::new());
                continue;
            }
            _ => {}
        }
        if let Some(last) = pieces.last_mut() {
            last.extend([tt]);
        }
    }
    pieces.retain(|p| !p.is_empty());
    pieces
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::*;

    fn texts(pieces: Vec<TokenStream>) -> Vec<String> {
        pieces
            .iter()
            .map(|p| p.to_string().replace(' ', ""))
            .collect()
    }

    #[test]
    fn commas_split_items_but_not_generic_arguments() {
        let pieces = split_commas(quote!(Message, a::Typing, Wrapper<A, B>, ));
        assert_eq!(texts(pieces), ["Message", "a::Typing", "Wrapper<A,B>"]);
        assert!(split_commas(TokenStream::new()).is_empty());
    }

    #[test]
    fn unknown_keys_suggest_the_snake_case_key() {
        assert!(unknown_key_message("maxSize").contains("did you mean `max_size`?"));
        assert!(
            unknown_key_message("syncHistoryOnJoin")
                .contains("did you mean `sync_history_on_join`?")
        );
        let plain = unknown_key_message("colour");
        assert!(
            plain.starts_with("unknown key `colour`; a room takes `id`,"),
            "{plain}"
        );
    }

    #[test]
    fn a_whole_app_parses_into_the_model() {
        let mut errors = Errors::default();
        let app = parse(
            quote! {
                /// Docs.
                pub App {
                    /// Room docs.
                    chat: { name: "Chat", events: [Message, Typing], max_size: 2 },
                    any: { name: "Any", events: *, sync_history_on_join: true }
                }
            },
            &mut errors,
        )
        .unwrap();
        assert!(errors.is_empty());
        assert_eq!(app.ident, "App");
        assert_eq!(app.rooms.len(), 2);
        let chat = &app.rooms[0];
        assert_eq!(chat.docs.as_deref(), Some("Room docs."));
        assert!(matches!(&chat.events, Some(EventList::List(items)) if items.len() == 2));
        assert_eq!(chat.max_size.as_ref().unwrap().base10_digits(), "2");
        assert!(matches!(app.rooms[1].events, Some(EventList::Any)));
        assert!(matches!(
            app.rooms[1].sync_history_on_join,
            Some(SyncHistory::Flag(ref flag)) if flag.value
        ));
    }

    #[test]
    fn parsing_goes_on_after_each_mistake() {
        let mut errors = Errors::default();
        let app = parse(
            quote! {
                App {
                    a: { name: 1, events: [X, *], bogus: 2 },
                    b { name: "B" },
                    c: { name: "C", events: [] },
                }
            },
            &mut errors,
        )
        .unwrap();
        let rooms: Vec<String> = app.rooms.iter().map(|r| r.key.to_string()).collect();
        assert_eq!(
            rooms,
            ["a", "c"],
            "the broken room is skipped, the next one read"
        );
        assert_eq!(errors.len(), 4, "name, `*`, bogus key, missing colon");
    }
}
