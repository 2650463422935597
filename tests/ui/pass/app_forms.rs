//! Accepted forms that are easy to get wrong: paths, raw identifiers, `id`
//! overrides, private apps, doc comments as descriptions, trailing commas
//! (or none), subscriptions written with another path than the event.

use dialogue_runtime::prelude::*;

pub mod events {
    use dialogue_runtime::prelude::*;

    /// Chat message.
    #[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
    pub struct Message {
        pub text: String,
    }

    /// Keep-alive.
    #[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
    #[event(name = "sys.ping-v2")]
    pub struct Ping;
}

use events::Message;

dialogue! {
    /// A public app with every form.
    #[allow(dead_code, reason = "attributes on the app pass through; the app is never served")]
    pub Public {
        /// The room's doc comment is its description.
        r#type: { name: "Type", events: [events::Message, events::Ping], default_subscriptions: [Message] },
        lobby: { id: "game:lobby", name: "Lobby", events: [Message], max_size: 1, sync_history_on_join: true },
        open: { name: "Open", events: *, default_subscriptions: [events::Ping] },
        closed: { name: "Closed", events: [], sync_history_on_join: false }
    }
}

dialogue! {
    Private {}
}

dialogue! {
    /// Per-user rooms and required claims.
    pub Guarded {
        inbox: { id: "user:{userId}", name: "Inbox", events: [Message] },
        admin: {
            name: "Admin",
            events: [Message],
            required_claims: { role: "admin", "org-id": 42, verified: true },
        },
    }
}

dialogue! {
    pub(crate) Crate {
        room2: { name: "Two", events: [crate::events::Ping], }
    }
}

fn trigger<R: Accepts<E>, E: Event>(_room: R, _event: E) -> &'static str {
    R::ID
}

fn main() {
    assert_eq!(Public::TYPE, "type");
    assert_eq!(Public::r#type().id(), "type");
    assert_eq!(trigger(Public::lobby(), Message { text: String::new() }), "game:lobby");
    assert_eq!(trigger(Public::open(), events::Ping), "open");
    assert_eq!(trigger(Public::closed(), events::Ping), "closed");
    let spec = Public::spec();
    assert_eq!(
        spec.room("type").unwrap().description.as_deref(),
        Some("The room's doc comment is its description.")
    );
    assert_eq!(spec.event("sys.ping-v2").unwrap().type_name, "Ping");
    assert!(Private::spec().rooms.is_empty());
    assert_eq!(Crate::ROOM2, "room2");
    assert_eq!(Guarded::INBOX, "user:{userId}");
    let admin = Guarded::spec().room("admin").unwrap();
    assert_eq!(admin.required_claims["role"], "admin");
    assert_eq!(admin.required_claims["org-id"], 42);
    assert_eq!(admin.required_claims["verified"], true);
    assert_eq!(Guarded::spec().room("user:{userId}").unwrap().user_pattern(), Some(("user:", "")));
}
