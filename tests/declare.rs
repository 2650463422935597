//! Behaviour of what `#[derive(Event)]` and `dialogue!` expand to: handles,
//! ids, the spec model, and payloads whose JSON, JSON Schema and TypeScript
//! agree.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::num::NonZeroU32;

use dialogue_runtime::spec::{HistorySync, RoomEvents, Subscriptions};
use dialogue_runtime::{Accepts, DeclaredRoom, DialogueApp, Event};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use support::conformance::{self, ConformanceApp, Message, OrderUpdated, Typing};
use support::shapes::*;

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn room_handles_constants_and_ids_agree() {
    assert_eq!(ConformanceApp::CHAT, "chat");
    assert_eq!(ConformanceApp::chat().id(), ConformanceApp::CHAT);
    assert_eq!(
        <conformance::conformance_app::Small as DeclaredRoom>::ID,
        "small"
    );
    assert_eq!(
        ShapesApp::LOBBY,
        "game:lobby",
        "`id` overrides the key on the wire"
    );
    assert_eq!(ShapesApp::lobby().id(), "game:lobby");
    let ids: Vec<&str> = ConformanceApp::spec()
        .rooms
        .iter()
        .map(|r| r.id.as_str())
        .collect();
    assert_eq!(
        ids,
        [
            "chat",
            "small",
            "sandbox",
            "readonly",
            "orders",
            "lobby",
            "doc:{docId}"
        ]
    );
}

#[test]
fn event_options_come_from_attributes_then_docs_then_the_type_name() {
    assert_eq!(Message::NAME, "message");
    assert_eq!(Message::HISTORY, NonZeroU32::new(100));
    assert_eq!(Message::DESCRIPTION, Some("Chat message sent by a user."));
    assert_eq!(Typing::HISTORY, None);
    assert_eq!(OrderUpdated::NAME, "order:updated");
    // No `name`: the type's words, joined by `:`.
    assert_eq!(Ping::NAME, "ping");
    assert_eq!(Shape::NAME, "shape");
    assert_eq!(Score::NAME, "score");
    // An explicit description wins over the doc comment.
    assert_eq!(Profile::DESCRIPTION, Some("A user changed their profile."));
    // A multi-line doc comment keeps its lines.
    let doc = support::shapes::ShapesApp::spec().room("all").unwrap();
    assert_eq!(doc.description.as_deref(), Some("Everything, validated."));
}

#[test]
fn rooms_keep_every_declared_option() {
    let spec = ShapesApp::spec();
    let all = spec.room("all").unwrap();
    assert_eq!(
        all.events,
        RoomEvents::Only(names(&[
            "ping",
            "score",
            "point",
            "shape",
            "command",
            "envelope",
            "reading",
            "profile:updated"
        ]))
    );
    assert_eq!(all.default_subscriptions, Subscriptions::All);
    assert_eq!(all.sync_history_on_join, HistorySync::All);
    assert_eq!(all.max_size, None);

    let lobby = spec.room("game:lobby").unwrap();
    assert_eq!(lobby.name, "Lobby");
    assert_eq!(lobby.max_size, NonZeroU32::new(8));
    assert_eq!(
        lobby.default_subscriptions,
        Subscriptions::Only(names(&["command", "score"]))
    );
    assert_eq!(lobby.server_events, names(&["score"]));

    let any = spec.room("any").unwrap();
    assert_eq!(any.events, RoomEvents::Any);
    assert_eq!(
        any.default_subscriptions,
        Subscriptions::Only(names(&["ping"]))
    );

    let quiet = spec.room("quiet").unwrap();
    assert_eq!(quiet.events, RoomEvents::Only(vec![]));
    assert_eq!(
        quiet.default_subscriptions,
        Subscriptions::Only(vec![]),
        "left out, the subscriptions are all of the room's events: here none"
    );

    let chat = ConformanceApp::spec().room("chat").unwrap();
    assert_eq!(chat.description.as_deref(), Some("General chat"));
    assert_eq!(
        chat.sync_history_on_join,
        HistorySync::Latest(NonZeroU32::new(50).unwrap())
    );
    assert_eq!(
        ConformanceApp::spec().room("small").unwrap().max_size,
        NonZeroU32::new(2)
    );
}

#[test]
fn the_app_lists_each_event_once_in_order_of_appearance() {
    let spec = ConformanceApp::spec();
    let events: Vec<&str> = spec.events.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(events, ["message", "typing", "order:updated"]);
    assert_eq!(ShapesApp::spec().events.len(), 8);
    assert!(
        std::ptr::eq(ConformanceApp::spec(), ConformanceApp::spec()),
        "built once"
    );
}

/// Compiles only when the room accepts the event; the negative cases are
/// trybuild tests (`tests/ui/fail/app_room_does_not_accept.rs`).
fn typed_trigger<R: Accepts<E>, E: Event>(_room: R, _event: &E) -> (&'static str, &'static str) {
    (R::ID, E::NAME)
}

#[test]
fn typed_membership_follows_the_rooms_events() {
    let message = Message {
        text: "hi".into(),
        sender_id: "u1".into(),
    };
    assert_eq!(
        typed_trigger(ConformanceApp::chat(), &message),
        ("chat", "message")
    );
    let typing = Typing { is_typing: true };
    assert_eq!(typed_trigger(ConformanceApp::chat(), &typing).1, "typing");
    // `*` accepts any event, even one no room lists.
    assert_eq!(typed_trigger(ConformanceApp::sandbox(), &Ping).0, "sandbox");
    // `[]`: clients trigger nothing, the server may push any event of the app.
    let order = OrderUpdated {
        order_id: "o1".into(),
        status: conformance::OrderStatus::Shipped,
    };
    assert_eq!(
        typed_trigger(ConformanceApp::readonly(), &order).0,
        "readonly"
    );
    assert_eq!(
        typed_trigger(ShapesApp::quiet(), &Point(1.0, 2.0)).0,
        "quiet"
    );
}

fn validator(schema: &Value) -> jsonschema::Validator {
    jsonschema::options()
        .should_validate_formats(true)
        .build(schema)
        .expect("the generated schema compiles")
}

/// Serializes `value`, validates it against the schema of its event, and reads
/// it back.
fn round_trip<E: Event + Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(
    app: &dialogue_runtime::spec::AppSpec,
    value: E,
) -> Value {
    let json = serde_json::to_value(&value).unwrap();
    let schema = &app.event(E::NAME).unwrap().schema;
    let errors: Vec<String> = validator(schema)
        .iter_errors(&json)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{} {json} fails its schema: {errors:?}",
        E::NAME
    );
    let back: E = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(back, value);
    json
}

fn profile() -> Profile {
    Profile {
        user_name: "ada_99".into(),
        email: "ada@example.com".into(),
        homepage: Some("https://example.com/ada".into()),
        age: 36,
        tags: vec!["math".into(), "engines".into()],
        scores: BTreeMap::from([("chess".into(), 1200)]),
        address: Address {
            city: "London".into(),
            country_code: "GB".into(),
        },
        settings: Settings {
            dark_mode: true,
            theme: Theme::HighContrast,
        },
        nickname: None,
        bio: Some("Analyst".into()),
        verified: true,
        visits: 1 << 40,
    }
}

#[test]
fn every_payload_shape_round_trips_through_its_schema() {
    let app = ShapesApp::spec();
    assert_eq!(round_trip(app, Ping), json!(null));
    assert_eq!(round_trip(app, Score(7)), json!(7));
    assert_eq!(round_trip(app, Point(1.5, -2.0)), json!([1.5, -2.0]));
    assert_eq!(
        round_trip(app, Shape::Circle { radius: 2.0 }),
        json!({ "Circle": { "radius": 2.0 } })
    );
    assert_eq!(
        round_trip(app, Shape::Square(3.0)),
        json!({ "Square": 3.0 })
    );
    assert_eq!(round_trip(app, Shape::Empty), json!("Empty"));
    assert_eq!(
        round_trip(app, Command::Move { dx: 1, dy: -1 }),
        json!({ "type": "move", "dx": 1, "dy": -1 })
    );
    assert_eq!(
        round_trip(app, Command::SayHello { to: "bo".into() }),
        json!({ "type": "sayHello", "to": "bo" })
    );
    assert_eq!(round_trip(app, Command::Quit), json!({ "type": "quit" }));
    assert_eq!(
        round_trip(app, Envelope::Text("x".into())),
        json!({ "kind": "text", "payload": "x" })
    );
    assert_eq!(
        round_trip(app, Envelope::Nothing),
        json!({ "kind": "nothing" })
    );
    assert_eq!(round_trip(app, Reading::Number(2.5)), json!(2.5));
    assert_eq!(round_trip(app, Reading::Text("hot".into())), json!("hot"));

    let json = round_trip(app, profile());
    assert_eq!(json["addr"]["city"], "London", "serde `rename` on a field");
    assert_eq!(json["darkMode"], true, "serde `flatten` lifts the fields");
    assert_eq!(json["settings"], Value::Null);
    assert!(json.get("nickname").is_none(), "skip_serializing_if");
    round_trip(
        app,
        Profile {
            nickname: Some("ada".into()),
            homepage: None,
            ..profile()
        },
    );

    let conformance = ConformanceApp::spec();
    round_trip(
        conformance,
        Message {
            text: "é".repeat(1000),
            sender_id: "u".into(),
        },
    );
}

fn schema_errors<T: Serialize>(
    app: &dialogue_runtime::spec::AppSpec,
    event: &str,
    value: &T,
) -> BTreeSet<String> {
    let json = serde_json::to_value(value).unwrap();
    validator(&app.event(event).unwrap().schema)
        .iter_errors(&json)
        .map(|e| e.instance_path().to_string())
        .collect()
}

#[test]
fn every_constraint_refuses_what_it_should() {
    let app = ShapesApp::spec();
    let mut bad = serde_json::to_value(profile()).unwrap();
    bad["userName"] = json!("Ada Lovelace");
    bad["email"] = json!("not-an-email");
    bad["homepage"] = json!("not a url");
    bad["age"] = json!(5);
    bad["tags"] = json!(["", "way-too-long-tag"]);
    bad["bio"] = Value::Null;
    bad["visits"] = json!(-1);
    let errors = schema_errors(app, "profile:updated", &bad);
    let expected: BTreeSet<String> = [
        "/userName",
        "/email",
        "/homepage",
        "/age",
        "/tags/0",
        "/tags/1",
        "/bio",
        "/visits",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    assert_eq!(errors, expected);

    let mut missing = serde_json::to_value(profile()).unwrap();
    missing.as_object_mut().unwrap().remove("verified");
    assert!(
        schema_errors(app, "profile:updated", &missing).is_empty(),
        "`#[serde(default)]` fields may be left out"
    );
    let back: Profile = serde_json::from_value(missing).unwrap();
    assert!(!back.verified);

    let conformance = ConformanceApp::spec();
    for text in [String::new(), "x".repeat(1001)] {
        let message = json!({ "text": text, "senderId": "u" });
        assert_eq!(
            schema_errors(conformance, "message", &message),
            BTreeSet::from(["/text".to_owned()])
        );
    }
    let order = json!({ "orderId": "o", "status": "lost" });
    assert_eq!(
        schema_errors(conformance, "order:updated", &order),
        BTreeSet::from(["/status".to_owned()])
    );
    assert!(!schema_errors(conformance, "typing", &json!({})).is_empty());
    assert!(!schema_errors(app, "ping", &json!({ "x": 1 })).is_empty());
}

/// Field names in a TypeScript object type, with whether each is optional.
fn ts_fields(declaration: &str) -> BTreeMap<String, bool> {
    let body = &declaration[declaration.find('{').unwrap() + 1..declaration.rfind('}').unwrap()];
    let mut fields = BTreeMap::new();
    let mut depth = 0i32;
    let mut current = String::new();
    let mut in_comment = false;
    let chars: Vec<char> = body.chars().collect();
    for (i, &ch) in chars.iter().enumerate() {
        if in_comment {
            if ch == '/' && i > 0 && chars[i - 1] == '*' {
                in_comment = false;
            }
            continue;
        }
        match ch {
            '/' if chars.get(i + 1) == Some(&'*') => in_comment = true,
            '{' | '<' | '[' => depth += 1,
            '}' | '>' | ']' => depth -= 1,
            ':' if depth == 0 && !current.trim().is_empty() => {
                let name = current.trim();
                let (name, optional) = match name.strip_suffix('?') {
                    Some(name) => (name, true),
                    None => (name, false),
                };
                fields.insert(name.trim_matches('"').to_owned(), optional);
                current.clear();
            }
            ',' if depth == 0 => current.clear(),
            _ if depth == 0 => current.push(ch),
            _ => {}
        }
    }
    fields
}

#[test]
fn serde_attributes_mean_the_same_in_json_schema_and_typescript() {
    let spec = ShapesApp::spec().event("profile:updated").unwrap();
    let json = serde_json::to_value(Profile {
        nickname: Some("n".into()),
        ..profile()
    })
    .unwrap();
    let json_keys: BTreeSet<String> = json.as_object().unwrap().keys().cloned().collect();
    let schema_keys: BTreeSet<String> = spec.schema["properties"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    let ts = ts_fields(&spec.typescript.decl.declaration);
    let ts_keys: BTreeSet<String> = ts.keys().cloned().collect();
    assert_eq!(json_keys, schema_keys, "wire names = schema properties");
    assert_eq!(
        ts_keys, schema_keys,
        "TypeScript fields = schema properties"
    );

    let required: BTreeSet<String> = spec.schema["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    let optional_in_schema: BTreeSet<String> = schema_keys.difference(&required).cloned().collect();
    let optional_in_ts: BTreeSet<String> = ts
        .iter()
        .filter(|(_, optional)| **optional)
        .map(|(k, _)| k.clone())
        .collect();
    assert_eq!(
        optional_in_schema,
        BTreeSet::from(["homepage".into(), "nickname".into(), "verified".into()])
    );
    // `verified` has a default: it may be left out when sent, but the server
    // always writes it, so TypeScript keeps it required.
    assert_eq!(
        optional_in_ts,
        BTreeSet::from(["homepage".into(), "nickname".into()])
    );
}

#[test]
fn typescript_follows_serde_for_every_enum_representation() {
    let spec = ShapesApp::spec();
    let decl = |name: &str| {
        spec.event(name)
            .unwrap()
            .typescript
            .decl
            .declaration
            .clone()
    };
    assert_eq!(decl("ping"), "type Ping = null;");
    assert_eq!(decl("score"), "type Score = number;");
    assert_eq!(decl("point"), "type Point = [number, number];");
    assert_eq!(
        decl("shape"),
        r#"type Shape = { "Circle": { radius: number, } } | { "Square": number } | "Empty";"#
    );
    assert_eq!(
        decl("command"),
        r#"type Command = { "type": "move", dx: number, dy: number, } | { "type": "sayHello", to: string, } | { "type": "quit" };"#
    );
    assert_eq!(
        decl("envelope"),
        r#"type Envelope = { "kind": "text", "payload": string } | { "kind": "count", "payload": number } | { "kind": "nothing" };"#
    );
    assert_eq!(decl("reading"), "type Reading = number | string;");

    let profile = spec.event("profile:updated").unwrap();
    let deps: Vec<&str> = profile
        .typescript
        .dependencies
        .iter()
        .map(|d| d.declaration.as_str())
        .collect();
    assert_eq!(
        deps,
        [
            "type Address = { city: string, country_code: string, };",
            r#"type Theme = "light" | "dark" | "high-contrast";"#,
        ]
    );
    assert!(
        profile.typescript.decl.declaration.contains("bio: string,"),
        "required Option"
    );
    assert!(
        profile
            .typescript
            .decl
            .declaration
            .contains("visits: number,"),
        "u64 is a number"
    );
}

#[test]
fn payload_types_need_no_schemars_or_ts_rs_dependency() {
    // This crate depends on dialogue-runtime and serde only: every derive in
    // the fixtures went through dialogue's shims. Their output must equal what
    // schemars and ts-rs give directly.
    #[derive(
        serde::Serialize,
        serde::Deserialize,
        dialogue_runtime::schemars::JsonSchema,
        dialogue_runtime::ts_rs::TS,
    )]
    #[schemars(crate = "dialogue_runtime::schemars")]
    #[ts(crate = "dialogue_runtime::ts_rs", optional_fields = nullable)]
    #[serde(rename_all = "camelCase")]
    struct Direct {
        user_name: String,
        nickname: Option<String>,
    }
    #[derive(
        serde::Serialize, serde::Deserialize, dialogue_runtime::JsonSchema, dialogue_runtime::TS,
    )]
    #[serde(rename_all = "camelCase")]
    struct Shimmed {
        user_name: String,
        nickname: Option<String>,
    }
    use dialogue_runtime::schemars::{JsonSchema, schema_for};
    use dialogue_runtime::ts_rs::{Config, TS};
    let mut direct = schema_for!(Direct).to_value();
    let mut shimmed = schema_for!(Shimmed).to_value();
    direct["title"] = Value::Null;
    shimmed["title"] = Value::Null;
    assert_eq!(direct, shimmed);
    assert_eq!(Shimmed::schema_name(), "Shimmed");
    let cfg = Config::new();
    assert_eq!(
        Direct::decl(&cfg).replace("Direct", "Shimmed"),
        Shimmed::decl(&cfg)
    );
}
