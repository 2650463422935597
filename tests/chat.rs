//! The chat example over the wire: its page is served, people are announced
//! and listed (the room's built-in presence), messages are validated and
//! kept, and a newcomer gets the last 50; the bot (`examples/chat_bot`)
//! answers in the room. The server is the example's own code (`app.rs`,
//! `page.rs`), started in-process on a free port.

#[path = "../examples/chat/app.rs"]
mod app;
#[path = "../examples/chat/page.rs"]
mod page;
mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use app::ChatApp;
use dialogue_client::Client;
use dialogue_runtime::{Dialogue, DialogueApp};
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client as HttpClient;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};
use support::wire::{self, WAIT, ask};

struct Chat {
    dialogue: Dialogue<ChatApp>,
    url: String,
}

impl Chat {
    /// The example's server (page and realtime) on `127.0.0.1:0`.
    async fn start() -> Self {
        Self::start_with(None).await
    }

    /// Like `start`, keeping the conversation in the durable store at
    /// `file`, as `main.rs` does by default.
    async fn start_with(file: Option<&Path>) -> Self {
        // Departures are announced when a session's grace period ends: one
        // second here, so the browser test sees a closed tab leave.
        let mut builder =
            Dialogue::<ChatApp>::builder().resume_grace(std::time::Duration::from_secs(1));
        if let Some(file) = file {
            builder = builder.store(file);
        }
        let dialogue = builder.build().expect("builds");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binds");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        // As the example serves, plus one route for the browser test: the
        // server drops a user's connections (their sessions stay).
        let dropper = dialogue.clone();
        let test_routes = axum::Router::new().route(
            "/test/drop/{user}",
            axum::routing::post(
                move |axum::extract::Path(user): axum::extract::Path<String>| {
                    let dialogue = dropper.clone();
                    async move {
                        let clients = dialogue.get_clients(&user);
                        for client in &clients {
                            client.force_reconnect();
                        }
                        clients.len().to_string()
                    }
                },
            ),
        );
        let app = page::routes().merge(test_routes).merge(dialogue.router());
        let serving = dialogue.clone();
        tokio::spawn(async move { serving.serve_router(listener, app).await });
        Self { dialogue, url }
    }

    /// `user`, connected over WebSocket and greeted.
    async fn connect(&self, user: &str) -> Client {
        support::wire::connect_user(&self.url, user).await
    }

    async fn get(&self, path: &str) -> (u16, String, String) {
        let http =
            HttpClient::builder(TokioExecutor::new()).build_http::<Empty<axum::body::Bytes>>();
        let response = http
            .get(format!("{}{path}", self.url).parse().expect("uri"))
            .await
            .expect("answers");
        let status = response.status().as_u16();
        let kind = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body = response.into_body().collect().await.expect("body");
        (
            status,
            kind,
            String::from_utf8(body.to_bytes().to_vec()).expect("utf-8"),
        )
    }
}

/// Joins the general room; the answer.
async fn join(client: &Client) -> Value {
    wire::join(client, "general").await
}

async fn say(client: &Client, text: &str) -> Value {
    ask(
        client,
        "dialogue:trigger",
        json!({ "roomId": "general", "event": "message", "data": { "text": text } }),
    )
    .await
}

/// The data of the next `event` broadcast in the room that `client` receives.
async fn next(client: &Client, event: &str) -> Value {
    loop {
        let received = client
            .expect_event("dialogue:event", WAIT)
            .await
            .unwrap_or_else(|error| panic!("waiting for {event}: {error}"));
        if received.args[0]["event"] == event {
            return received.args[0].clone();
        }
    }
}

#[tokio::test]
async fn serves_the_page_its_script_and_style() {
    let chat = Chat::start().await;
    let (status, kind, html) = chat.get("/").await;
    assert_eq!(status, 200);
    assert!(kind.starts_with("text/html"), "{kind}");
    assert!(
        html.contains(r#"src="/app.js""#),
        "the page loads its script"
    );
    let (status, kind, script) = chat.get("/app.js").await;
    assert_eq!(status, 200);
    assert!(kind.starts_with("text/javascript"), "{kind}");
    assert!(
        script.contains("dialogue:trigger"),
        "the bundle carries the generated client"
    );
    let (status, kind, _) = chat.get("/style.css").await;
    assert_eq!((status, kind.starts_with("text/css")), (200, true));
    let (status, _, _) = chat.get("/nothing-here").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn arrivals_departures_and_the_online_list_are_announced() {
    let chat = Chat::start().await;
    let alice = chat.connect("alice").await;
    join(&alice).await;
    assert_eq!(presence_diff(&alice).await, ("joined", "alice".to_owned()));
    assert_eq!(online(&alice).await, ["alice"]);

    let bob = chat.connect("bob").await;
    join(&bob).await;
    assert_eq!(presence_diff(&alice).await, ("joined", "bob".to_owned()));
    assert_eq!(online(&bob).await, ["alice", "bob"]);

    // A second tab of bob's is not a new arrival, and closing it is not a
    // departure: nothing is said.
    let bob_again = chat.connect("bob").await;
    join(&bob_again).await;
    assert_eq!(
        online(&bob_again).await,
        ["alice", "bob"],
        "one entry per person"
    );
    bob_again.disconnect().await;

    // bob's last connection goes (for good: asked, not dropped): the next
    // thing alice hears is his departure (a word about the second tab would
    // come first).
    bob.disconnect().await;
    assert_eq!(presence_diff(&alice).await, ("left", "bob".to_owned()));
    assert_eq!(online(&alice).await, ["alice"]);
}

/// The next presence change `client` receives: which list, and who.
async fn presence_diff(client: &Client) -> (&'static str, String) {
    let diff = wire::next(client, "dialogue:presenceDiff").await;
    assert_eq!(diff["roomId"], "general", "{diff}");
    for list in ["joined", "left", "updated"] {
        if let Some(member) = diff[list].as_array().and_then(|members| members.first()) {
            return (
                list,
                member["userId"].as_str().unwrap_or_default().to_owned(),
            );
        }
    }
    panic!("an empty diff: {diff}");
}

/// Who is online, as `getPresence` answers.
async fn online(client: &Client) -> Vec<String> {
    let page = wire::ask_ok(
        client,
        "dialogue:getPresence",
        json!({ "roomId": "general" }),
    )
    .await;
    let mut users: Vec<String> = page["members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|member| member["userId"].as_str().unwrap_or_default().to_owned())
        .collect();
    users.sort();
    assert_eq!(page["count"], users.len(), "{page}");
    users
}

#[tokio::test]
async fn clients_cannot_fake_presence() {
    let chat = Chat::start().await;
    let alice = chat.connect("alice").await;
    join(&alice).await;
    presence_diff(&alice).await;
    let mallory = chat.connect("mallory").await;
    join(&mallory).await;
    assert_eq!(
        presence_diff(&alice).await,
        ("joined", "mallory".to_owned())
    );
    // No event speaks for the server's presence.
    let answer = ask(
        &mallory,
        "dialogue:trigger",
        json!({ "roomId": "general", "event": "presence", "data": { "userId": "the-ceo" } }),
    )
    .await;
    assert_eq!(answer["ok"], false, "{answer}");
    assert_eq!(answer["error"]["code"], "EVENT_NOT_ALLOWED", "{answer}");
    // What a client may change is its own info, under its own user id.
    wire::ask_ok(
        &mallory,
        "dialogue:setPresence",
        json!({ "roomId": "general", "info": { "userId": "the-ceo" } }),
    )
    .await;
    assert_eq!(
        presence_diff(&alice).await,
        ("updated", "mallory".to_owned())
    );
    assert_eq!(online(&alice).await, ["alice", "mallory"]);
}

#[tokio::test]
async fn messages_are_stamped_and_validated() {
    let chat = Chat::start().await;
    let alice = chat.connect("alice").await;
    let bob = chat.connect("bob").await;
    join(&alice).await;
    join(&bob).await;

    let sent = say(&alice, "hello bob").await;
    assert_eq!(sent["ok"], true, "{sent}");
    let received = next(&bob, "message").await;
    assert_eq!(received["data"]["text"], "hello bob");
    assert_eq!(received["from"], "alice", "the server stamps the sender");
    assert!(received["timestamp"].as_u64().is_some_and(|t| t > 0));

    for text in [String::new(), "x".repeat(501)] {
        let refused = say(&alice, &text).await;
        assert_eq!(refused["ok"], false, "{refused}");
        assert_eq!(refused["error"]["code"], "VALIDATION_FAILED", "{refused}");
        assert_eq!(refused["error"]["details"][0]["path"], "/text", "{refused}");
    }
    // 500 characters (not bytes) is the limit.
    let longest = say(&alice, &"é".repeat(500)).await;
    assert_eq!(longest["ok"], true, "{longest}");

    let typing = ask(
        &alice,
        "dialogue:trigger",
        json!({ "roomId": "general", "event": "typing", "data": { "isTyping": true } }),
    )
    .await;
    assert_eq!(typing["ok"], true, "{typing}");
    let seen = next(&bob, "typing").await;
    assert_eq!(
        (seen["from"].as_str(), seen["data"]["isTyping"].as_bool()),
        (Some("alice"), Some(true))
    );
}

#[tokio::test]
async fn a_newcomer_gets_the_last_50_messages_newest_first() {
    let chat = Chat::start().await;
    let alice = chat.connect("alice").await;
    join(&alice).await;
    for n in 0..60 {
        let sent = say(&alice, &format!("message {n}")).await;
        assert_eq!(sent["ok"], true, "{sent}");
    }
    let carol = chat.connect("carol").await;
    let answer = join(&carol).await;
    let texts: Vec<&str> = answer["history"]
        .as_array()
        .expect("history with the join")
        .iter()
        .filter(|event| event["event"] == "message")
        .map(|event| event["data"]["text"].as_str().expect("text"))
        .collect();
    assert_eq!(texts.len(), 50, "{texts:?}");
    assert_eq!(texts[0], "message 59");
    assert_eq!(texts[49], "message 10");
    // All 60 are kept (history = 200) for paging.
    let page = chat
        .dialogue
        .room(ChatApp::general())
        .history("message", 0, 100)
        .await
        .expect("history");
    assert_eq!(page.len(), 60);
}

#[tokio::test]
async fn with_its_store_a_restart_keeps_the_conversation() {
    let dir = support::temp_dir("chat-store");
    let file = dir.join("chat.sqlite");
    let before = {
        let chat = Chat::start_with(Some(&file)).await;
        let alice = chat.connect("alice").await;
        join(&alice).await;
        for n in 0..3 {
            let sent = say(&alice, &format!("before the restart {n}")).await;
            assert_eq!(sent["ok"], true, "{sent}");
        }
        // Shutting down announces alice's departure (an event too).
        chat.dialogue.shutdown().await;
        chat.dialogue.room(ChatApp::general()).position()
    };
    // Stopped and started again on the same file: the conversation, and the
    // room's position, are where they were.
    let chat = Chat::start_with(Some(&file)).await;
    assert_eq!(chat.dialogue.room(ChatApp::general()).position(), before);
    let carol = chat.connect("carol").await;
    let answer = join(&carol).await;
    let texts: Vec<&str> = answer["history"]
        .as_array()
        .expect("history with the join")
        .iter()
        .filter(|event| event["event"] == "message")
        .map(|event| event["data"]["text"].as_str().expect("text"))
        .collect();
    assert_eq!(
        texts,
        [
            "before the restart 2",
            "before the restart 1",
            "before the restart 0"
        ]
    );
    assert_eq!(answer["position"]["epoch"], before.epoch.as_str());
    chat.dialogue.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

// ---- The web page: generated client, bundle, and a real browser ----

/// The chat bot example's binary, built beside this test by `cargo test`.
fn chat_bot() -> PathBuf {
    let exe = std::env::current_exe().expect("the test's path");
    // target/<profile>/deps/chat-<hash> → target/<profile>/examples/chat_bot
    let profile = exe
        .parent()
        .and_then(Path::parent)
        .expect("the test runs from target/<profile>/deps");
    profile.join("examples").join("chat_bot")
}

#[tokio::test]
async fn the_bot_answers_in_the_room() {
    let chat = Chat::start().await;
    let bot = chat_bot();
    assert!(
        bot.is_file(),
        "{} is missing: `cargo test` builds the examples (alone: `cargo build --example chat_bot`)",
        bot.display()
    );
    /// Stops the bot (by its PID) however the test ends.
    struct Running(std::process::Child);
    impl Drop for Running {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut running = Running(
        Command::new(&bot)
            .env("CHAT_URL", &chat.url)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("the bot starts"),
    );
    // The bot listens once it says so: its join shows in presence a moment
    // before it reads messages, and what is said in between is not for it.
    let lines = support::process::lines(running.0.stdout.take().expect("the bot's stdout"));
    let listening = tokio::task::spawn_blocking(move || {
        lines.iter().any(|line| line.starts_with("the bot is in"))
    });
    let listening = tokio::time::timeout(Duration::from_secs(20), listening)
        .await
        .expect("the bot never said it listens")
        .expect("the reader of the bot's output");
    assert!(listening, "the bot ended before it listened");
    let ada = chat.connect("ada").await;
    join(&ada).await;
    // The bot is in the room once presence lists it.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !online(&ada).await.contains(&"bot".to_owned()) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the bot never joined"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    say(&ada, "!echo hello bot").await;
    let answer = loop {
        let message = next(&ada, "message").await;
        if message["from"] == "bot" {
            break message;
        }
    };
    assert_eq!(answer["data"]["text"], "hello bot", "{answer}");
    // Something it does not answer, then something it does: only one reply.
    say(&ada, "just chatting").await;
    say(&ada, "!help").await;
    let answer = loop {
        let message = next(&ada, "message").await;
        if message["from"] == "bot" {
            break message;
        }
    };
    assert_eq!(answer["data"]["text"], "I answer !time and !echo <text>.");
}

/// `examples/chat/web`.
fn web_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/chat/web")
}

/// Installs the page's locked npm packages (`npm ci`) when they are not yet.
fn require_node_modules() {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        let modules = web_dir().join("node_modules");
        if modules.join("esbuild").is_dir() && modules.join("playwright-core").is_dir() {
            return;
        }
        let (status, out, err) = run_in_web(
            npm(&["ci", "--no-audit", "--no-fund"]),
            Duration::from_secs(300),
        );
        assert!(
            status.is_some_and(|status| status.success()),
            "`npm ci` in examples/chat/web failed:\n{out}\n{err}"
        );
    });
}

/// Runs `command` in the page's folder, killing it past `limit`: its exit
/// status (`None` when killed), stdout and stderr.
fn run_in_web(
    mut command: Command,
    limit: Duration,
) -> (Option<std::process::ExitStatus>, String, String) {
    let what = format!("{command:?} (is Node.js on PATH?)");
    let outcome = support::process::run(command.current_dir(web_dir()), limit, &what);
    (outcome.status, outcome.stdout, outcome.stderr)
}

fn npm(args: &[&str]) -> Command {
    let mut command = Command::new("npm");
    command.args(args);
    command
}

#[test]
fn the_pages_generated_client_is_current() {
    let dir = web_dir().join("src/generated");
    let files = dialogue_codegen::files(ChatApp::spec(), "cargo run --example chat -- codegen DIR")
        .expect("generates");
    let drift = dialogue_codegen::check(&dir, &files).expect("reads");
    assert!(
        drift.is_empty(),
        "examples/chat/web/src/generated is stale ({drift:?}): run \
         `cargo run --example chat -- codegen examples/chat/web/src/generated`, \
         then `npm run build` in examples/chat/web"
    );
}

#[test]
fn the_page_type_checks_and_its_bundle_is_current() {
    require_node_modules();
    let (status, out, err) = run_in_web(
        npm(&["run", "--silent", "typecheck"]),
        Duration::from_secs(180),
    );
    assert!(
        status.is_some_and(|status| status.success()),
        "tsc refused the page:\n{out}\n{err}"
    );
    let (status, bundle, err) = run_in_web(
        npm(&["run", "--silent", "bundle"]),
        Duration::from_secs(120),
    );
    assert!(
        status.is_some_and(|status| status.success()),
        "esbuild failed:\n{err}"
    );
    assert!(
        bundle == page::APP_JS,
        "examples/chat/web/dist/app.js is stale: run `npm run build` in examples/chat/web"
    );
}

#[test]
fn the_page_works_in_chromium() {
    require_node_modules();
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
    assert!(
        Path::new(&chromium).is_file(),
        "{chromium} is missing: install Debian's chromium (`apt-get install chromium`; .ci/run does)"
    );
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let chat = runtime.block_on(Chat::start());
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots/chat");
    let mut node = Command::new("node");
    node.args([
        "--test",
        "--test-concurrency=1",
        "--test-reporter=spec",
        "tests/chat.browser.test.mjs",
    ])
    .env("CHAT_URL", &chat.url)
    .env("CHROMIUM", &chromium)
    .env("SCREENSHOTS", &shots)
    .env("NO_COLOR", "1");
    let (status, out, err) = run_in_web(node, Duration::from_secs(180));
    runtime.block_on(chat.dialogue.shutdown());
    assert!(
        status.is_some_and(|status| status.success()),
        "the browser test failed:\n{out}\n{err}"
    );
    println!("{out}\nscreenshots in {}", shots.display());
}
