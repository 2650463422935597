//! Building the spec model from Rust types: an event's JSON Schema and
//! TypeScript from its derives, and an application from its rooms.

use std::collections::BTreeMap;

use ts_rs::{TS, TypeVisitor};

use crate::event::{Event, PayloadSchema, PayloadTs};
use crate::request::Request;
use crate::rules::{self, NameError};
use crate::spec::{
    AppSpec, EventSpec, PresenceSpec, RequestSpec, RoomEvents, RoomSpec, Subscriptions, TsDecl,
    TsSpec,
};

/// How Rust types become TypeScript, the same everywhere.
///
/// 64-bit integers (`i64`, `u64`, `i128`, `u128`) are `number`: they travel as
/// JSON numbers, which JavaScript parses into `number` whatever the type says,
/// so `bigint` would be a lie. Values past 2^53 lose precision in a browser;
/// send such ids as strings.
pub fn typescript_config() -> ts_rs::Config {
    ts_rs::Config::new().with_large_int("number")
}

impl EventSpec {
    /// The spec of one event type.
    ///
    /// ```
    /// use dialogue_core::spec::EventSpec;
    /// # use dialogue_core::Event;
    /// # fn show<E: Event>() {
    /// let spec = EventSpec::of::<E>();
    /// println!("{} validates against {}", spec.name, spec.schema);
    /// # }
    /// ```
    pub fn of<E: Event>() -> Self {
        Self {
            name: E::NAME.to_owned(),
            type_name: short_type_name(E::TYPE_PATH).to_owned(),
            description: E::DESCRIPTION.map(str::to_owned),
            history: E::HISTORY,
            schema: E::payload_schema(),
            typescript: E::payload_typescript(),
        }
    }
}

impl RequestSpec {
    /// The spec of the request type `R`.
    pub fn of<R: Request>() -> Self {
        let response = R::Response::payload_typescript();
        Self {
            name: R::NAME.to_owned(),
            type_name: short_type_name(R::TYPE_PATH).to_owned(),
            description: R::DESCRIPTION.map(str::to_owned),
            schema: R::payload_schema(),
            typescript: R::payload_typescript(),
            response_type_name: response.decl.name.clone(),
            response_schema: R::Response::payload_schema(),
            response_typescript: response,
        }
    }
}

fn short_type_name(path: &str) -> &str {
    path.rsplit("::").next().unwrap_or(path)
}

/// The TypeScript declaration of `T` and of every declarable type it reaches.
pub(crate) fn typescript_of<T: TS + 'static + ?Sized>(cfg: &ts_rs::Config) -> TsSpec {
    struct Collect<'a> {
        cfg: &'a ts_rs::Config,
        root: String,
        found: BTreeMap<String, TsDecl>,
    }
    impl TypeVisitor for Collect<'_> {
        fn visit<U: TS + 'static + ?Sized>(&mut self) {
            // Only types with a declaration of their own (structs, enums, type
            // aliases) are exported; `Vec`, `String` and friends are inlined.
            if U::output_path().is_none() {
                return;
            }
            let ident = U::ident(self.cfg);
            if ident == self.root || self.found.contains_key(&ident) {
                return;
            }
            self.found.insert(ident.clone(), decl_of::<U>(self.cfg));
            U::visit_dependencies(self);
        }
    }

    let decl = decl_of::<T>(cfg);
    let mut collect = Collect {
        cfg,
        root: decl.name.clone(),
        found: BTreeMap::new(),
    };
    T::visit_dependencies(&mut collect);
    TsSpec {
        decl,
        dependencies: collect.found.into_values().collect(),
    }
}

pub(crate) fn decl_of<U: TS + 'static + ?Sized>(cfg: &ts_rs::Config) -> TsDecl {
    TsDecl {
        name: U::ident(cfg),
        declaration: U::decl(cfg),
        docs: U::docs(),
    }
}

/// Why a set of declarations is not an application.
///
/// `dialogue!` reports each of these at compile time; the builder checks them
/// again for specs assembled by hand.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SpecError {
    /// A room id breaks [`rules::check_room_id`].
    #[error("room id {id:?} is invalid: {source}")]
    InvalidRoomId {
        /// The id.
        id: String,
        /// The rule it breaks.
        source: NameError,
    },
    /// Two rooms share an id.
    #[error("two rooms have the id {id:?}")]
    DuplicateRoom {
        /// The id.
        id: String,
    },
    /// An event name breaks [`rules::check_event_name`].
    #[error("event name {name:?} is invalid: {source}")]
    InvalidEventName {
        /// The name.
        name: String,
        /// The rule it breaks.
        source: NameError,
    },
    /// Two event types share a wire name.
    #[error("the events `{first}` and `{second}` both have the wire name {name:?}")]
    DuplicateEventName {
        /// The wire name.
        name: String,
        /// The type registered first.
        first: String,
        /// The type registered second.
        second: String,
    },
    /// A request name breaks the rules of event names
    /// ([`rules::check_event_name`]).
    #[error("request name {name:?} is invalid: {source}")]
    InvalidRequestName {
        /// The name.
        name: String,
        /// The rule it breaks.
        source: NameError,
    },
    /// Two request types share a wire name.
    #[error("the requests `{first}` and `{second}` both have the wire name {name:?}")]
    DuplicateRequestName {
        /// The wire name.
        name: String,
        /// The type registered first.
        first: String,
        /// The type registered second.
        second: String,
    },
    /// A room lists an event that was not registered with the builder.
    #[error("room {room:?} lists the event {event:?}, which the application does not declare")]
    UnknownEvent {
        /// The room id.
        room: String,
        /// The event name.
        event: String,
    },
    /// A default subscription is not among the room's events.
    #[error("room {room:?} subscribes joiners to {event:?}, which is not among its events")]
    SubscriptionNotInRoom {
        /// The room id.
        room: String,
        /// The event name.
        event: String,
    },
}

/// Assembles an [`AppSpec`]; `dialogue!` expands to a call of it.
///
/// ```
/// use dialogue_core::spec::{AppSpec, HistorySync, RoomEvents, RoomSpec, Subscriptions};
///
/// let spec = AppSpec::builder("Lobby")
///     .room(RoomSpec {
///         id: "sandbox".into(),
///         name: "Sandbox".into(),
///         description: None,
///         events: RoomEvents::Any,
///         server_events: vec![],
///         default_subscriptions: Subscriptions::All,
///         max_size: None,
///         sync_history_on_join: HistorySync::Off,
///         required_claims: Default::default(),
///         presence: false,
///     })
///     .build()
///     .unwrap();
/// assert_eq!(spec.rooms[0].id, "sandbox");
/// ```
#[derive(Debug)]
pub struct AppSpecBuilder {
    name: String,
    /// Keyed by the type's path, which `Event::TYPE_PATH` makes unique.
    events: Vec<(&'static str, EventSpec)>,
    rooms: Vec<RoomSpec>,
    /// Keyed by the type's path, like events.
    requests: Vec<(&'static str, RequestSpec)>,
    presence: Option<PresenceSpec>,
}

impl AppSpec {
    /// Starts an application named `name`.
    pub fn builder(name: impl Into<String>) -> AppSpecBuilder {
        AppSpecBuilder {
            name: name.into(),
            events: Vec::new(),
            rooms: Vec::new(),
            requests: Vec::new(),
            presence: None,
        }
    }
}

impl AppSpecBuilder {
    /// Registers the event type `E` (once, however often it is called).
    pub fn event<E: Event>(self) -> Self {
        self.event_entry(&crate::__private::EventEntry::of::<E>())
    }

    /// [`event`](Self::event), from what `dialogue!` records of the type.
    #[doc(hidden)]
    pub fn event_entry(mut self, entry: &crate::__private::EventEntry) -> Self {
        if !self
            .events
            .iter()
            .any(|(known, _)| *known == entry.type_path)
        {
            self.events.push((entry.type_path, (entry.spec)()));
        }
        self
    }

    /// Registers the request type `R` (once, however often it is called).
    pub fn request<R: Request>(mut self) -> Self {
        if !self
            .requests
            .iter()
            .any(|(known, _)| *known == R::TYPE_PATH)
        {
            self.requests.push((R::TYPE_PATH, RequestSpec::of::<R>()));
        }
        self
    }

    /// Sets the presence info type `T`: what each member of a room with
    /// presence shows of itself.
    pub fn presence<T: PayloadSchema + PayloadTs>(mut self) -> Self {
        let typescript = T::payload_typescript();
        self.presence = Some(PresenceSpec {
            type_name: typescript.decl.name.clone(),
            schema: T::payload_schema(),
            typescript,
        });
        self
    }

    /// Adds a room.
    pub fn room(mut self, room: RoomSpec) -> Self {
        self.rooms.push(room);
        self
    }

    /// Checks the declarations against each other and returns the spec.
    pub fn build(self) -> Result<AppSpec, SpecError> {
        let events: Vec<EventSpec> = self.events.into_iter().map(|(_, spec)| spec).collect();
        for (i, event) in events.iter().enumerate() {
            rules::check_event_name(&event.name).map_err(|source| SpecError::InvalidEventName {
                name: event.name.clone(),
                source,
            })?;
            if let Some(first) = events[..i].iter().find(|e| e.name == event.name) {
                return Err(SpecError::DuplicateEventName {
                    name: event.name.clone(),
                    first: first.type_name.clone(),
                    second: event.type_name.clone(),
                });
            }
        }
        for (i, room) in self.rooms.iter().enumerate() {
            check_room(room, &events)?;
            if self.rooms[..i].iter().any(|r| r.id == room.id) {
                return Err(SpecError::DuplicateRoom {
                    id: room.id.clone(),
                });
            }
        }
        let requests: Vec<RequestSpec> = self.requests.into_iter().map(|(_, spec)| spec).collect();
        for (i, request) in requests.iter().enumerate() {
            rules::check_event_name(&request.name).map_err(|source| {
                SpecError::InvalidRequestName {
                    name: request.name.clone(),
                    source,
                }
            })?;
            if let Some(first) = requests[..i].iter().find(|r| r.name == request.name) {
                return Err(SpecError::DuplicateRequestName {
                    name: request.name.clone(),
                    first: first.type_name.clone(),
                    second: request.type_name.clone(),
                });
            }
        }
        Ok(AppSpec {
            name: self.name,
            events,
            rooms: self.rooms,
            requests,
            presence: self.presence,
        })
    }
}

fn check_room(room: &RoomSpec, events: &[EventSpec]) -> Result<(), SpecError> {
    rules::check_room_id(&room.id).map_err(|source| SpecError::InvalidRoomId {
        id: room.id.clone(),
        source,
    })?;
    if let Some(pattern) = room.pattern()
        && (pattern.suffix.contains('{') || pattern.suffix.contains('}'))
    {
        return Err(SpecError::InvalidRoomId {
            id: room.id.clone(),
            source: NameError::Reserved,
        });
    }
    if let RoomEvents::Only(names) = &room.events
        && let Some(unknown) = names.iter().find(|n| !events.iter().any(|e| &e.name == *n))
    {
        return Err(SpecError::UnknownEvent {
            room: room.id.clone(),
            event: unknown.clone(),
        });
    }
    if let Some(unknown) = room
        .server_events
        .iter()
        .find(|n| !events.iter().any(|e| &e.name == *n))
    {
        return Err(SpecError::UnknownEvent {
            room: room.id.clone(),
            event: unknown.clone(),
        });
    }
    if let Subscriptions::Only(subscribed) = &room.default_subscriptions
        && let Some(stray) = subscribed
            .iter()
            .find(|s| !room.events.allows(s) && !room.server_events.contains(s))
    {
        return Err(SpecError::SubscriptionNotInRoom {
            room: room.id.clone(),
            event: stray.clone(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroU32;

    use schemars::JsonSchema;
    use serde::{Deserialize, Serialize};
    use serde_json::json;
    use ts_rs::TS;

    use super::*;
    use crate::spec::HistorySync;

    /// A chat line.
    #[derive(Serialize, Deserialize, JsonSchema, TS)]
    #[serde(rename_all = "camelCase")]
    struct Line {
        #[schemars(length(min = 1, max = 10))]
        text: String,
        sent_at: u64,
        author: Author,
    }

    #[derive(Serialize, Deserialize, JsonSchema, TS)]
    struct Author {
        name: String,
        badge: Option<Badge>,
    }

    #[derive(Serialize, Deserialize, JsonSchema, TS)]
    enum Badge {
        Gold,
        Silver,
    }

    impl Event for Line {
        const NAME: &'static str = "line";
        const DESCRIPTION: Option<&'static str> = Some("A chat line.");
        const HISTORY: Option<NonZeroU32> = NonZeroU32::new(5);
        const TYPE_PATH: &'static str = "tests::Line";
    }

    #[derive(Serialize, Deserialize, JsonSchema, TS)]
    struct OtherLine;

    impl Event for OtherLine {
        const NAME: &'static str = "line";
        const DESCRIPTION: Option<&'static str> = None;
        const HISTORY: Option<NonZeroU32> = None;
        const TYPE_PATH: &'static str = "tests::OtherLine";
    }

    fn room(id: &str, events: RoomEvents, subs: Subscriptions) -> RoomSpec {
        RoomSpec {
            id: id.into(),
            name: id.into(),
            description: None,
            events,
            server_events: vec![],
            default_subscriptions: subs,
            max_size: None,
            sync_history_on_join: HistorySync::Off,
            required_claims: Default::default(),
            presence: false,
        }
    }

    fn only(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| (*n).to_owned()).collect()
    }

    #[test]
    fn an_event_spec_carries_schema_typescript_and_options() {
        let spec = EventSpec::of::<Line>();
        assert_eq!(spec.name, "line");
        assert_eq!(spec.type_name, "Line");
        assert_eq!(spec.description.as_deref(), Some("A chat line."));
        assert_eq!(spec.history, NonZeroU32::new(5));
        let text = &spec.schema["properties"]["text"];
        assert_eq!(text["minLength"], json!(1));
        assert_eq!(text["maxLength"], json!(10));
        assert_eq!(
            spec.schema["$schema"],
            json!("https://json-schema.org/draft/2020-12/schema")
        );
        assert_eq!(spec.typescript.decl.name, "Line");
        assert!(
            spec.typescript.decl.declaration.contains("sentAt: number"),
            "64-bit integers are numbers: {}",
            spec.typescript.decl.declaration
        );
        let deps: Vec<&str> = spec
            .typescript
            .dependencies
            .iter()
            .map(|d| d.name.as_str())
            .collect();
        assert_eq!(
            deps,
            ["Author", "Badge"],
            "nested types, sorted, transitively"
        );
    }

    #[test]
    fn the_builder_registers_each_type_once() {
        let spec = AppSpec::builder("App")
            .event::<Line>()
            .event::<Line>()
            .room(room(
                "a",
                RoomEvents::Only(only(&["line"])),
                Subscriptions::All,
            ))
            .build()
            .unwrap();
        assert_eq!(spec.events.len(), 1);
        assert!(spec.event("line").is_some());
        assert!(spec.room("a").is_some());
    }

    #[test]
    fn the_builder_refuses_inconsistent_declarations() {
        let base = || AppSpec::builder("App").event::<Line>();
        let any = || room("a", RoomEvents::Any, Subscriptions::All);

        let clash = base().event::<OtherLine>().build().unwrap_err();
        assert_eq!(
            clash,
            SpecError::DuplicateEventName {
                name: "line".into(),
                first: "Line".into(),
                second: "OtherLine".into()
            }
        );
        let dup = base().room(any()).room(any()).build().unwrap_err();
        assert_eq!(dup, SpecError::DuplicateRoom { id: "a".into() });

        let bad_id = base()
            .room(room("a b", RoomEvents::Any, Subscriptions::All))
            .build()
            .unwrap_err();
        assert!(
            matches!(bad_id, SpecError::InvalidRoomId { .. }),
            "{bad_id}"
        );

        let unknown = base()
            .room(room(
                "a",
                RoomEvents::Only(only(&["nope"])),
                Subscriptions::All,
            ))
            .build()
            .unwrap_err();
        assert!(
            matches!(unknown, SpecError::UnknownEvent { .. }),
            "{unknown}"
        );

        let stray = base()
            .room(room(
                "a",
                RoomEvents::Only(only(&["line"])),
                Subscriptions::Only(only(&["typing"])),
            ))
            .build()
            .unwrap_err();
        assert_eq!(
            stray.to_string(),
            r#"room "a" subscribes joiners to "typing", which is not among its events"#
        );
    }

    #[test]
    fn a_spec_survives_a_json_round_trip() {
        let spec = AppSpec::builder("App")
            .event::<Line>()
            .room(room(
                "a",
                RoomEvents::Only(only(&["line"])),
                Subscriptions::All,
            ))
            .build()
            .unwrap();
        let json = serde_json::to_string(&spec).unwrap();
        let back: AppSpec = serde_json::from_str(&json).unwrap();
        assert_eq!(back, spec);
    }
}
