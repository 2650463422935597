//! The generated client's schema check (`validatePayload` of `dialogue.ts`),
//! the generated Zod schemas (`eventSchemas` of `dialogue.zod.ts`) and the
//! server's (the `jsonschema` crate, formats checked) agree.
//!
//! A property test with a fixed-seed generator: for every event of the
//! conformance app and of the fixture with every payload shape, values of the
//! Rust payload type, serialized, must pass both (the server's side is
//! `Dialogue::validate`, exactly what a trigger gets); mutations of them (a field
//! removed, added, retyped, stretched, out of range) and random JSON must get
//! the same verdict from all three, and the same JSON pointers from the
//! client's check and the server's when invalid. All the cases go through one
//! node process.
//!
//! Needs Node.js 20+ and `npm ci` in `tests/e2e`:
//!
//! ```text
//! (cd tests/e2e && npm ci) && cargo test --test validators_agree
//! ```
//!
//! `DIALOGUE_PROPTEST_SEED=N` runs another seed; `DIALOGUE_PROPTEST_CASES=N`
//! changes the number of values per event.

#[path = "codegen_ts/node.rs"]
mod node;
mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;
use std::time::Duration;

use dialogue_runtime::spec::AppSpec;
use dialogue_runtime::{Dialogue, DialogueApp};
use serde::Serialize;
use serde_json::{Value, json};
use support::conformance::{self, ConformanceApp};
use support::shapes::{self, ShapesApp};

/// Values per event (each also mutated a few times).
const DEFAULT_CASES: usize = 150;
/// Mutations of each value.
const MUTATIONS: usize = 3;

// ---- A small deterministic generator (SplitMix64) ----

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// A number in `low..=high`.
    fn range(&mut self, low: i64, high: i64) -> i64 {
        low + self.below((high - low + 1) as u64) as i64
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// A string of `len` characters (code points) from `alphabet`.
    fn string_of(&mut self, alphabet: &[char], len: usize) -> String {
        (0..len).map(|_| *self.pick(alphabet)).collect()
    }

    /// Text of 0 to `max` characters, with multi-byte characters, emoji
    /// (two UTF-16 units: the client must count code points) and escapes.
    fn text(&mut self, max: usize) -> String {
        let len = self.below(max as u64 + 1) as usize;
        self.string_of(TEXT, len)
    }

    fn float(&mut self) -> f64 {
        match self.below(5) {
            0 => 0.0,
            1 => self.range(-1000, 1000) as f64,
            2 => self.range(-1_000_000, 1_000_000) as f64 / 1000.0,
            3 => (self.next() >> 11) as f64 / (1u64 << 53) as f64,
            _ => self.range(-50, 50) as f64 * 1e10,
        }
    }
}

const TEXT: &[char] = &[
    'a', 'b', 'z', 'A', 'Q', '0', '9', ' ', '_', '-', '.', '"', '\\', '/', '\n', 'é', 'ß', 'ж',
    '中', '😀', '🎉', '\u{301}', '\u{0}', '~',
];
const LOWER: &[char] = &['a', 'b', 'c', 'm', 'x', 'y', 'z', '0', '1', '5', '9', '_'];

// ---- Values of the payload types ----

fn message(rng: &mut Rng) -> conformance::Message {
    let max = if rng.chance(10) { 1000 } else { 40 };
    let len = rng.range(1, max) as usize;
    conformance::Message {
        text: rng.string_of(TEXT, len),
        sender_id: rng.text(12),
    }
}

fn order_status(rng: &mut Rng) -> conformance::OrderStatus {
    use conformance::OrderStatus::*;
    *rng.pick(&[Pending, Processing, Shipped, Delivered])
}

fn email(rng: &mut Rng) -> String {
    let len = rng.range(1, 8) as usize;
    let local = rng.string_of(&['a', 'b', 'x', '0', '7'], len);
    let local = match rng.below(4) {
        0 => format!("{local}.{local}"),
        1 => format!("{local}+tag"),
        _ => local,
    };
    let domain = rng.pick(&[
        "example.com",
        "b.co",
        "mail.example.org",
        "x-y.io",
        "a1.b2.c3",
    ]);
    format!("{local}@{domain}")
}

fn homepage(rng: &mut Rng) -> String {
    rng.pick(&[
        "https://example.com",
        "http://example.com/a/b?c=d#e",
        "https://x.io/%20space",
        "mailto:ada@example.com",
        "urn:isbn:0451450523",
        "ftp://ftp.example.org/file.txt",
        "http://127.0.0.1:8080/",
        "https://example.com/path_with-chars~!$&'()*+,;=:@",
    ])
    .to_string()
}

fn profile(rng: &mut Rng) -> shapes::Profile {
    let user_name_len = rng.range(3, 20) as usize;
    shapes::Profile {
        user_name: rng.string_of(LOWER, user_name_len),
        email: email(rng),
        homepage: rng.chance(60).then(|| homepage(rng)),
        age: rng.range(13, 150) as u8,
        tags: (0..rng.below(4))
            .map(|_| {
                let len = rng.range(1, 10) as usize;
                rng.string_of(TEXT, len)
            })
            .collect(),
        scores: (0..rng.below(4))
            .map(|_| (rng.text(6), rng.range(-1_000_000, 1_000_000)))
            .collect::<BTreeMap<_, _>>(),
        address: shapes::Address {
            city: rng.text(10),
            country_code: rng.string_of(&['G', 'B', 'F', 'R'], 2),
        },
        settings: shapes::Settings {
            dark_mode: rng.chance(50),
            theme: *rng.pick(&[
                shapes::Theme::Light,
                shapes::Theme::Dark,
                shapes::Theme::HighContrast,
            ]),
        },
        nickname: rng.chance(50).then(|| rng.text(8)),
        bio: Some(rng.text(20)),
        verified: rng.chance(50),
        visits: if rng.chance(20) {
            rng.next() >> 12
        } else {
            rng.below(1000)
        },
    }
}

fn shape(rng: &mut Rng) -> shapes::Shape {
    match rng.below(3) {
        0 => shapes::Shape::Circle {
            radius: rng.float(),
        },
        1 => shapes::Shape::Square(rng.float()),
        _ => shapes::Shape::Empty,
    }
}

fn command(rng: &mut Rng) -> shapes::Command {
    match rng.below(3) {
        0 => shapes::Command::Move {
            dx: rng.range(i32::MIN.into(), i32::MAX.into()) as i32,
            dy: rng.range(-10, 10) as i32,
        },
        1 => shapes::Command::SayHello { to: rng.text(8) },
        _ => shapes::Command::Quit,
    }
}

fn envelope(rng: &mut Rng) -> shapes::Envelope {
    match rng.below(3) {
        0 => shapes::Envelope::Text(rng.text(8)),
        1 => shapes::Envelope::Count(rng.next() >> rng.below(64)),
        _ => shapes::Envelope::Nothing,
    }
}

fn reading(rng: &mut Rng) -> shapes::Reading {
    if rng.chance(50) {
        shapes::Reading::Number(rng.float())
    } else {
        shapes::Reading::Text(rng.text(8))
    }
}

fn to_json<T: Serialize>(value: T) -> Value {
    serde_json::to_value(value).expect("a payload serializes")
}

/// A value of the payload type of `event`, serialized.
fn valid_value(event: &str, rng: &mut Rng) -> Value {
    match event {
        "message" => to_json(message(rng)),
        "typing" => to_json(conformance::Typing {
            is_typing: rng.chance(50),
        }),
        "order:updated" => to_json(conformance::OrderUpdated {
            order_id: rng.text(10),
            status: order_status(rng),
        }),
        "ping" => to_json(shapes::Ping),
        "score" => to_json(shapes::Score(rng.next() as u32)),
        "point" => to_json(shapes::Point(rng.float(), rng.float())),
        "shape" => to_json(shape(rng)),
        "command" => to_json(command(rng)),
        "envelope" => to_json(envelope(rng)),
        "reading" => to_json(reading(rng)),
        "profile:updated" => to_json(profile(rng)),
        other => panic!("no generator for event `{other}`: add one to validators_agree.rs"),
    }
}

// ---- Invalid (or not) variations ----

/// Any JSON value, small.
fn random_json(rng: &mut Rng, depth: u32) -> Value {
    match rng.below(if depth == 0 { 6 } else { 8 }) {
        0 => Value::Null,
        1 => Value::Bool(rng.chance(50)),
        2 => json!(rng.range(-200, 200)),
        3 => json!(rng.float()),
        4 => Value::String(rng.text(6)),
        5 => Value::String(
            rng.pick(&[
                "",
                "Empty",
                "Circle",
                "move",
                "quit",
                "pending",
                "lost",
                "dark",
                "high-contrast",
                "a@b.co",
                "not an email",
                "https://example.com",
            ])
            .to_string(),
        ),
        6 => Value::Array(
            (0..rng.below(4))
                .map(|_| random_json(rng, depth - 1))
                .collect(),
        ),
        _ => {
            let keys = [
                "text", "senderId", "isTyping", "type", "kind", "payload", "Circle", "Square",
                "radius", "dx", "to", "x",
            ];
            Value::Object(
                (0..rng.below(4))
                    .map(|_| (rng.pick(&keys).to_string(), random_json(rng, depth - 1)))
                    .collect(),
            )
        }
    }
}

/// Strings a format or pattern must judge: some right, most wrong.
const TRICKY_STRINGS: &[&str] = &[
    "",
    "a",
    "ab",
    "abc",
    "ABC",
    "ada_99",
    "with space",
    "a@b.co",
    "a.b@example.com",
    "a..b@example.com",
    ".a@example.com",
    "a@",
    "@b.co",
    "a@b",
    "a@-b.co",
    "a@b_c.com",
    "a@[127.0.0.1]",
    "\"quoted\"@example.com",
    "a b@example.com",
    "a@b@c.co",
    "https://example.com",
    "http://exa mple.com",
    "example.com",
    "/relative/path",
    "https://",
    "http://[::1]:80/",
    "https://example.com/%zz",
    "mailto:",
    "1http://x",
    "a:b",
    "xxxxxxxxxxxxxxxxxxxxx",
    "😀😀😀",
];

/// `value` changed at one random place.
fn mutate(value: &Value, rng: &mut Rng) -> Value {
    let mut value = value.clone();
    // A random path down the value, as a JSON pointer.
    let mut pointer = String::new();
    let mut here = &value;
    while rng.chance(65) {
        match here {
            Value::Object(map) if !map.is_empty() => {
                let (key, next) = map
                    .iter()
                    .nth(rng.below(map.len() as u64) as usize)
                    .unwrap();
                pointer.push('/');
                pointer.push_str(&key.replace('~', "~0").replace('/', "~1"));
                here = next;
            }
            Value::Array(items) if !items.is_empty() => {
                let i = rng.below(items.len() as u64) as usize;
                pointer.push_str(&format!("/{i}"));
                here = &items[i];
            }
            _ => break,
        }
    }
    let at = value.pointer_mut(&pointer).expect("the path exists");
    match rng.below(10) {
        0 => *at = random_json(rng, 2),
        1 => match at {
            Value::Object(map) if !map.is_empty() => {
                let key = map
                    .keys()
                    .nth(rng.below(map.len() as u64) as usize)
                    .cloned();
                map.remove(&key.unwrap());
            }
            Value::Array(items) if !items.is_empty() => {
                items.pop();
            }
            _ => *at = Value::Null,
        },
        2 => match at {
            Value::Object(map) => {
                let key = rng
                    .pick(&["extra", "Circle", "Square", "type", "payload", "nickname"])
                    .to_string();
                map.insert(key, random_json(rng, 1));
            }
            Value::Array(items) => items.push(random_json(rng, 1)),
            _ => *at = json!([]),
        },
        3 => *at = Value::String(rng.pick(TRICKY_STRINGS).to_string()),
        4 => {
            *at = json!(*rng.pick(&[
                -1i64,
                0,
                12,
                13,
                150,
                151,
                255,
                256,
                4_294_967_295,
                4_294_967_296,
                i64::MIN,
            ]))
        }
        5 => *at = json!(*rng.pick(&[0.5f64, -0.5, 2.0, 13.5, 1e20, -1e20])),
        6 => {
            if let Value::String(text) = at {
                let extra = rng.range(1, 1001) as usize;
                text.push_str(&rng.string_of(TEXT, extra));
            } else {
                *at = Value::String(String::new());
            }
        }
        7 => *at = Value::Bool(rng.chance(50)),
        8 => *at = Value::Null,
        _ => *at = json!({}),
    }
    value
}

// ---- The check ----

/// One payload to validate, and the server's issue paths (none: valid).
#[derive(Serialize)]
struct Case {
    event: String,
    data: Value,
    #[serde(skip)]
    server: BTreeSet<String>,
    #[serde(skip)]
    typed: bool,
}

/// The server's verdict: the issue paths `Dialogue::validate` reports.
type ServerCheck<'a> = &'a dyn Fn(&str, &Value) -> BTreeSet<String>;

fn cases_for(
    spec: &AppSpec,
    server: ServerCheck<'_>,
    rng: &mut Rng,
    per_event: usize,
) -> Vec<Case> {
    let mut cases = Vec::new();
    for event in &spec.events {
        let mut push = |data: Value, typed: bool| {
            let server = server(&event.name, &data);
            cases.push(Case {
                event: event.name.clone(),
                data,
                server,
                typed,
            });
        };
        for _ in 0..per_event {
            let value = valid_value(&event.name, rng);
            for _ in 0..MUTATIONS {
                push(mutate(&value, rng), false);
            }
            push(value, true);
        }
        for _ in 0..per_event / 2 {
            push(random_json(rng, 3), false);
        }
    }
    cases
}

/// What the generated TypeScript says of one case.
#[derive(serde::Deserialize)]
struct ClientVerdict {
    /// The issue paths of `validatePayload`.
    paths: Vec<String>,
    /// Whether the event's Zod schema accepts it.
    zod: bool,
}

/// `validatePayload` of `spec`'s generated client and its Zod schemas on
/// every case, in one node process.
fn client_verdicts(spec: &AppSpec, name: &str, cases: &[Case]) -> Vec<ClientVerdict> {
    node::require_node_and_modules();
    let dir = node::fresh_module_dir(&format!("validators_agree_{name}"));
    let ts = dialogue_codegen::typescript(spec, "cmd codegen DIR").unwrap();
    node::write(&dir.join("dialogue.ts"), &ts);
    let zod = dialogue_codegen::zod_typescript(spec, "cmd codegen DIR --zod");
    node::write(&dir.join("dialogue.zod.ts"), &zod);
    node::write_tsconfig(&dir, true);
    node::tsc(
        &["-p", &dir.join("tsconfig.json").to_string_lossy()],
        &format!("the {name} app's dialogue.ts"),
    );
    node::write(
        &dir.join("check.mjs"),
        "import { readFileSync } from \"node:fs\";\n\
         import { validatePayload } from \"./out/dialogue.js\";\n\
         import { eventSchemas } from \"./out/dialogue.zod.js\";\n\
         const cases = JSON.parse(readFileSync(process.argv[2], \"utf8\"));\n\
         const verdicts = cases.map((c) => ({\n\
           paths: [...new Set(validatePayload(c.event, c.data).map((i) => i.path))],\n\
           zod: eventSchemas[c.event].safeParse(c.data).success,\n\
         }));\n\
         process.stdout.write(JSON.stringify(verdicts));\n",
    );
    let input = dir.join("cases.json");
    node::write(&input, &serde_json::to_string(cases).unwrap());
    let mut command = Command::new("node");
    command.current_dir(&dir).arg("check.mjs").arg(&input);
    let outcome = node::run(&mut command, Duration::from_secs(120), "node check.mjs");
    assert!(
        outcome.status.is_some_and(|status| status.success()),
        "node check.mjs failed:\n{}",
        outcome.output
    );
    let verdicts: Vec<ClientVerdict> = serde_json::from_str(&outcome.stdout)
        .unwrap_or_else(|error| panic!("node's answer is JSON ({error}): {}", outcome.output));
    assert_eq!(verdicts.len(), cases.len());
    verdicts
}

fn agree<A: DialogueApp>(name: &str, builder: fn() -> dialogue_runtime::DialogueBuilder<A>) {
    let spec = A::spec();
    // The server's own validation, as a trigger gets it.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let _inside = runtime.enter();
    let dialogue = builder().build().expect("the server builds");
    let server = |event: &str, data: &Value| -> BTreeSet<String> {
        match dialogue.validate(event, data) {
            Ok(()) => BTreeSet::new(),
            Err(issues) => issues.into_iter().map(|issue| issue.path).collect(),
        }
    };
    let seed = std::env::var("DIALOGUE_PROPTEST_SEED")
        .ok()
        .and_then(|seed| seed.parse().ok())
        .unwrap_or(0x0D1A_10C0_FFEE_u64);
    let per_event = std::env::var("DIALOGUE_PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(DEFAULT_CASES);
    let mut rng = Rng(seed);
    let cases = cases_for(spec, &server, &mut rng, per_event);
    let client = client_verdicts(spec, name, &cases);

    let mut disagreements = Vec::new();
    let mut invalid = BTreeMap::<&str, usize>::new();
    for (case, answer) in cases.iter().zip(&client) {
        let client: BTreeSet<String> = answer.paths.iter().cloned().collect();
        let client = &client;
        if answer.zod != case.server.is_empty() {
            disagreements.push(format!(
                "`{}` {}: server {}, Zod {}",
                case.event,
                short(&case.data),
                verdict(&case.server),
                if answer.zod { "valid" } else { "invalid" }
            ));
        }
        if case.typed && !case.server.is_empty() {
            disagreements.push(format!(
                "a serialized `{}` value fails the server's schema at {:?}: {}",
                case.event,
                case.server,
                short(&case.data)
            ));
        }
        if !case.server.is_empty() {
            *invalid.entry(&case.event).or_default() += 1;
        }
        if client.is_empty() != case.server.is_empty() {
            disagreements.push(format!(
                "`{}` {}: server {}, client {}",
                case.event,
                short(&case.data),
                verdict(&case.server),
                verdict(client)
            ));
        } else if client != &case.server {
            disagreements.push(format!(
                "`{}` {}: the server points at {:?}, the client at {:?}",
                case.event,
                short(&case.data),
                case.server,
                client
            ));
        }
    }
    println!(
        "{name}: {} cases (seed {seed:#x}), invalid per event: {invalid:?}",
        cases.len()
    );
    assert!(
        disagreements.is_empty(),
        "{} of {} cases disagree (seed {seed:#x}); the first ones:\n{}",
        disagreements.len(),
        cases.len(),
        disagreements
            .iter()
            .take(15)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    // The generator reaches the invalid side of every event.
    for event in &spec.events {
        let count = invalid.get(event.name.as_str()).copied().unwrap_or(0);
        assert!(
            count > per_event / 2,
            "too few invalid `{}` cases: {count}",
            event.name
        );
    }
}

/// A payload in a failure message, cut to a readable length.
fn short(data: &Value) -> String {
    let text = data.to_string();
    match text.char_indices().nth(160) {
        Some((cut, _)) => format!("{}… ({} characters)", &text[..cut], text.chars().count()),
        None => text,
    }
}

fn verdict(paths: &BTreeSet<String>) -> String {
    if paths.is_empty() {
        "valid".to_owned()
    } else {
        format!("invalid at {paths:?}")
    }
}

#[test]
fn client_and_server_validators_agree_on_the_conformance_events() {
    agree::<ConformanceApp>("conformance", ConformanceApp::server);
}

#[test]
fn client_and_server_validators_agree_on_every_payload_shape() {
    agree::<ShapesApp>("shapes", Dialogue::<ShapesApp>::builder);
}
