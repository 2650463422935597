//! Writing the application: its type, one handle type per room, the
//! compile-time membership impls (`Accepts` for the server, `ClientTriggers`
//! for clients) and the spec. Expansion reports
//! no user errors itself; the checks it emits are for the compiler to run.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Type, Visibility};

use super::check::{event_index, type_text};
use super::model::{App, Events, HistoryOnJoin, Room, Subscriptions};

pub(crate) fn expand(app: &App<'_>) -> TokenStream {
    let private = crate::private_path();
    let def = app.def;
    let (attrs, vis, ident, module) = (&def.attrs, &def.vis, &def.ident, &app.module);

    let room_types = app.rooms.iter().map(|room| room_type(app, room));
    let handles = app.rooms.iter().map(|room| handle(app, room));
    let room_impls = app.rooms.iter().map(|room| room_impls(app, room));
    let event_checks = event_checks(app);
    let spec = spec(app);
    let presence_impl = def.presence.as_ref().map(|ty| {
        let private = crate::private_path_at(ty.span());
        quote_spanned! {ty.span()=>
            #[automatically_derived]
            impl #private::HasPresence for #ident {
                type Info = #ty;
            }
        }
    });
    let module_doc = format!("The typed room handles of [`{ident}`](super::{ident}).");

    quote! {
        #(#attrs)*
        #[derive(
            ::core::fmt::Debug, ::core::clone::Clone, ::core::marker::Copy,
            ::core::cmp::PartialEq, ::core::cmp::Eq, ::core::hash::Hash,
            ::core::default::Default,
        )]
        #vis struct #ident;

        #[doc = #module_doc]
        #[allow(unreachable_pub, reason = "the room types are public as the app is; the crate may not re-export them")]
        #vis mod #module {
            #(#room_types)*
        }

        #[allow(dead_code, reason = "an application uses some of its room handles only")]
        impl #ident {
            #(#handles)*
        }

        #[doc(hidden)]
        const _: () = {
            #(#room_impls)*
            #event_checks

            #presence_impl

            #[automatically_derived]
            impl #private::DialogueApp for #ident {
                fn spec() -> &'static #private::AppSpec {
                    static SPEC: ::std::sync::OnceLock<#private::AppSpec> =
                        ::std::sync::OnceLock::new();
                    SPEC.get_or_init(|| #spec)
                }
            }
        };
    }
}

fn room_summary(room: &Room<'_>) -> String {
    let mut text = format!("The room `{}` (\"{}\")", room.id, room.name);
    if let Some(description) = &room.description {
        text.push_str(": ");
        text.push_str(description);
    }
    text
}

/// The visibility inside the app's module that equals the app's own: the
/// handle types must be exactly as visible as the app they name.
fn inner_visibility(vis: &Visibility) -> TokenStream {
    match vis {
        Visibility::Public(_) => quote!(pub),
        Visibility::Inherited => quote!(pub(super)),
        Visibility::Restricted(restricted) => {
            let path = &restricted.path;
            let first = path.segments.first().map(|s| s.ident.to_string());
            match first.as_deref() {
                Some("crate") => quote!(pub(in #path)),
                Some("self") => {
                    let rest = path.segments.iter().skip(1);
                    quote!(pub(in super #(::#rest)*))
                }
                Some("super") => quote!(pub(in super::#path)),
                _ => quote!(pub(super)),
            }
        }
    }
}

fn room_type(app: &App<'_>, room: &Room<'_>) -> TokenStream {
    let ty = &room.type_ident;
    let vis = inner_visibility(&app.def.vis);
    let app_ident = &app.def.ident;
    let doc = format!(
        "{}.\n\nGet it with [`{app_ident}::{}`](super::{app_ident}::{}).",
        room_summary(room),
        room.def.key,
        room.def.key
    );
    quote! {
        #[doc = #doc]
        #[derive(
            ::core::fmt::Debug, ::core::clone::Clone, ::core::marker::Copy,
            ::core::cmp::PartialEq, ::core::cmp::Eq, ::core::hash::Hash,
            ::core::default::Default,
        )]
        #vis struct #ty;
    }
}

fn handle(app: &App<'_>, room: &Room<'_>) -> TokenStream {
    let vis = &app.def.vis;
    let module = &app.module;
    let (key, ty, konst, id) = (&room.def.key, &room.type_ident, &room.const_ident, &room.id);
    let fn_doc = format!("{}: its typed handle.", room_summary(room));
    let const_doc = format!("The id of the room `{}`.", room.id);
    if let Some(param) = &room.template {
        let private = crate::private_path();
        let arg = format_ident!("{}", dialogue_core::rules::to_snake_case(param));
        let fn_doc = format!(
            "{}: the instance for this `{param}`, made on first use.",
            room_summary(room)
        );
        let const_doc = format!("The id pattern of the room template `{}`.", room.id);
        return quote! {
            #[doc = #const_doc]
            #vis const #konst: &'static str = #id;

            #[doc = #fn_doc]
            #[must_use]
            #vis fn #key(#arg: impl ::core::convert::Into<::std::string::String>) -> #private::Instance<#module::#ty> {
                #private::Instance::new(#module::#ty, #arg)
            }
        };
    }
    quote! {
        #[doc = #const_doc]
        #vis const #konst: &'static str = #id;

        #[doc = #fn_doc]
        #[must_use]
        #vis const fn #key() -> #module::#ty {
            #module::#ty
        }
    }
}

/// `DeclaredRoom` for the handle, `Accepts<E>` for each event the server
/// may trigger in the room with a typed call, and `ClientTriggers<E>` for
/// each event a client may.
fn room_impls(app: &App<'_>, room: &Room<'_>) -> TokenStream {
    let private = crate::private_path();
    let (ident, module, ty, id) = (&app.def.ident, &app.module, &room.type_ident, &room.id);
    let handle = quote!(#module::#ty);
    let accepts = match &room.events {
        // `*`: any event. `[]`: clients may trigger nothing, and the server may
        // push any event (docs/protocol.md), so both take every event type.
        Events::Any => accepts_all(&handle),
        Events::Only(list) if list.is_empty() && room.server_events.is_empty() => {
            accepts_all(&handle)
        }
        Events::Only(list) => {
            let typed: Vec<&Type> = list.iter().chain(&room.server_events).copied().collect();
            let mut impls = accepts_each(&handle, &typed);
            impls.extend(quote! {
                #[diagnostic::do_not_recommend]
                impl #private::Accepts<#private::NotAnEvent> for #handle {}
            });
            impls
        }
    };
    let client_triggers = client_triggers(&handle, &room.events);
    // `check` matched subscriptions to events by their tokens; where the
    // match was by last path segment only (`Message`, `crate::Message`), the
    // compiler confirms it is the same type.
    let subscription_checks: TokenStream = match (&room.events, &room.subscriptions) {
        (Events::Only(events), Subscriptions::Only(subs)) => subs
            .iter()
            .filter(|sub| {
                !events
                    .iter()
                    .chain(&room.server_events)
                    .any(|e| type_text(e) == type_text(sub))
            })
            .map(|sub| {
                let private = crate::private_path_at(sub.span());
                quote_spanned! {sub.span()=>
                    #private::assert_accepts::<#handle, #sub>();
                }
            })
            .collect(),
        _ => TokenStream::new(),
    };
    let kind = if room.per_user {
        quote!(#private::PerUserRoom)
    } else if room.template.is_some() {
        quote!(#private::TemplateRoom)
    } else {
        quote!(#private::SharedRoom)
    };
    quote! {
        #[automatically_derived]
        impl #private::DeclaredRoom for #handle {
            type App = #ident;
            const ID: &'static str = #id;
        }
        #[automatically_derived]
        impl #kind for #handle {}
        #accepts
        #client_triggers
        const _: () = {
            #subscription_checks
        };
    }
}

/// `ClientTriggers<E>`: any event for `*`, the listed events for a list
/// (none for `[]`; `server_events` are the server's alone). A list also
/// takes `NotAnEvent`, and an empty one `(NotAnEvent,)` as well, so that no
/// room has exactly one impl or none: with one the compiler would report a
/// wrong trigger as "mismatched types", with none before it knows the event
/// (as "the event `_`").
fn client_triggers(handle: &TokenStream, events: &Events<'_>) -> TokenStream {
    let private = crate::private_path();
    let list = match events {
        Events::Any => {
            return quote! {
                #[automatically_derived]
                impl<E: #private::Event> #private::ClientTriggers<E> for #handle {}
            };
        }
        Events::Only(list) => list,
    };
    let mut impls: TokenStream = list
        .iter()
        .map(|event| {
            let private = crate::private_path_at(event.span());
            quote_spanned! {event.span()=>
                #[automatically_derived]
                impl #private::ClientTriggers<#event> for #handle {}
            }
        })
        .collect();
    impls.extend(quote! {
        #[diagnostic::do_not_recommend]
        impl #private::ClientTriggers<#private::NotAnEvent> for #handle {}
    });
    if list.is_empty() {
        impls.extend(quote! {
            #[diagnostic::do_not_recommend]
            impl #private::ClientTriggers<(#private::NotAnEvent,)> for #handle {}
        });
    }
    impls
}

fn accepts_all(handle: &TokenStream) -> TokenStream {
    let private = crate::private_path();
    quote! {
        #[automatically_derived]
        impl<E: #private::Event> #private::Accepts<E> for #handle {}
    }
}

fn accepts_each(handle: &TokenStream, events: &[&Type]) -> TokenStream {
    events
        .iter()
        .map(|event| {
            let private = crate::private_path_at(event.span());
            quote_spanned! {event.span()=>
                #[automatically_derived]
                impl #private::Accepts<#event> for #handle {}
            }
        })
        .collect()
}

/// The name of the table of every app event's `EventEntry`, in the order of
/// `App::events`. Every use of an event type goes through its entry, so a type
/// that is not an `Event` is reported once, where it is written.
const NAMES: &str = "__DIALOGUE_EVENT_NAMES";

/// The name table, and one check per pair of events that their wire names
/// differ, reported at the later one.
fn event_checks(app: &App<'_>) -> TokenStream {
    let private = crate::private_path();
    let names = format_ident!("{}", NAMES);
    let count = app.events.len();
    let entries = app.events.iter().map(|ty| {
        let private = crate::private_path_at(ty.span());
        quote_spanned! {ty.span()=>
            #private::EventEntry::of::<#ty>()
        }
    });
    let mut checks = quote! {
        const #names: [#private::EventEntry; #count] = [#(#entries),*];
    };
    let requests = &app.def.requests;
    for (j, later) in requests.iter().enumerate() {
        for earlier in &requests[..j] {
            let message = format!(
                "the requests `{}` and `{}` have the same wire name; give one of them \
                 another `#[request(name = \"...\")]`",
                type_text(earlier),
                type_text(later)
            );
            let private = crate::private_path_at(later.span());
            checks.extend(quote_spanned! {later.span()=>
                const _: () = if #private::request_names_clash::<#earlier, #later>() {
                    ::core::panic!(#message)
                };
            });
        }
    }
    for (j, later) in app.events.iter().enumerate() {
        for (i, earlier) in app.events[..j].iter().enumerate() {
            let message = format!(
                "the events `{}` and `{}` have the same wire name; give one of them \
                 another `#[event(name = \"...\")]`",
                type_text(earlier),
                type_text(later)
            );
            checks.extend(quote_spanned! {later.span()=>
                const _: () = if #private::wire_names_clash(&#names[#i], &#names[#j]) {
                    ::core::panic!(#message)
                };
            });
        }
    }
    checks
}

/// The expression that builds the spec.
fn spec(app: &App<'_>) -> TokenStream {
    let private = crate::private_path();
    let name = app.def.ident.to_string();
    let table = format_ident!("{}", NAMES);
    let entries = (0..app.events.len()).map(|i| quote!(&#table[#i]));
    let rooms = app.rooms.iter().map(|room| room_spec(app, room));
    let message = format!(
        "the declaration of `{name}` was checked by `dialogue!` at compile time, \
         so this is a bug in dialogue; please report it"
    );
    let requests = app.def.requests.iter().map(|ty| {
        quote_spanned! {ty.span()=> .request::<#ty>() }
    });
    let presence = app.def.presence.iter().map(|ty| {
        quote_spanned! {ty.span()=> .presence::<#ty>() }
    });
    quote! {
        #private::AppSpec::builder(#name)
            #(.event_entry(#entries))*
            #(.room(#rooms))*
            #(#requests)*
            #(#presence)*
            .build()
            .unwrap_or_else(|error| ::core::panic!("{}: {}", #message, error))
    }
}

fn room_spec(app: &App<'_>, room: &Room<'_>) -> TokenStream {
    let private = crate::private_path();
    let (id, name) = (&room.id, &room.name);
    let description = option_string(room.description.as_deref());
    let events = match &room.events {
        Events::Any => quote!(#private::RoomEvents::Any),
        Events::Only(list) => {
            let names = names(app, list);
            quote!(#private::RoomEvents::Only(::std::vec![#(#names),*]))
        }
    };
    let server_events = names(app, &room.server_events);
    let subscriptions = match &room.subscriptions {
        Subscriptions::All => quote!(#private::Subscriptions::All),
        Subscriptions::Only(list) => {
            let names = names(app, list);
            quote!(#private::Subscriptions::Only(::std::vec![#(#names),*]))
        }
    };
    let max_size = match room.max_size {
        Some(n) => quote!(::core::option::Option::Some(#private::nonzero(#n))),
        None => quote!(::core::option::Option::None),
    };
    let sync = match room.sync_history {
        HistoryOnJoin::Off => quote!(#private::HistorySync::Off),
        HistoryOnJoin::All => quote!(#private::HistorySync::All),
        HistoryOnJoin::Latest(n) => quote!(#private::HistorySync::Latest(#private::nonzero(#n))),
    };
    let claims = room.def.required_claims.iter().flatten().map(|claim| {
        let name = &claim.name;
        let value = &claim.value;
        quote!((::std::string::String::from(#name), #private::serde_json::Value::from(#value)))
    });
    let presence = room.def.presence.as_ref().is_some_and(|flag| flag.value);
    quote! {
        #private::RoomSpec {
            id: ::std::string::String::from(#id),
            name: ::std::string::String::from(#name),
            description: #description,
            events: #events,
            server_events: ::std::vec![#(#server_events),*],
            default_subscriptions: #subscriptions,
            max_size: #max_size,
            sync_history_on_join: #sync,
            required_claims: ::std::collections::BTreeMap::from([#(#claims),*]),
            presence: #presence,
        }
    }
}

/// The wire names of `list`, read from the name table.
fn names(app: &App<'_>, list: &[&Type]) -> Vec<TokenStream> {
    let names = format_ident!("{}", NAMES);
    list.iter()
        .filter_map(|ty| event_index(&app.events, ty))
        .map(|i| quote!(::std::string::String::from(#names[#i].name)))
        .collect()
}

fn option_string(text: Option<&str>) -> TokenStream {
    match text {
        Some(text) => quote!(::core::option::Option::Some(::std::string::String::from(#text))),
        None => quote!(::core::option::Option::None),
    }
}
