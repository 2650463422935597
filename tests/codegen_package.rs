//! The npm package `codegen --package DIR` writes: its compiled modules are
//! what `tsc` makes of their sources today, `publint` and
//! `@arethetypeswrong/cli` find no error in it, and an ES module consumer and
//! a CommonJS one import every entry point, type-check, and talk to the
//! conformance server through it.
//!
//! Needs Node.js 20+ and `npm ci` in `tests/e2e`. After changing
//! `runtime.ts` or `react.ts`, compile them again into
//! `dialogue-codegen/src/package/compiled/` with
//!
//! ```text
//! DIALOGUE_UPDATE_COMPILED=1 cargo test --test codegen_package compiled
//! ```

#[path = "codegen_ts/node.rs"]
mod node;
#[path = "codegen_ts/package.rs"]
mod package;
mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use dialogue_runtime::DialogueApp;
use package::{consumer_dir, link_module, run_node, write_package};
use support::conformance::ConformanceApp;
use support::server_process::ServerProcess;

/// The files `tsc` makes of `dialogue_codegen::package_sources()`.
const COMPILED: &[&str] = &[
    "client.js",
    "client.d.ts",
    "client.cjs",
    "client.d.cts",
    "react.js",
    "react.d.ts",
    "react.cjs",
    "react.d.cts",
];

fn compiled_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("dialogue-codegen/src/package/compiled")
}

#[test]
fn compiled_modules_are_what_tsc_makes_of_their_sources() {
    node::require_node_and_modules();
    let dir = consumer_dir("codegen_package_compile", "module");
    write_package(
        ConformanceApp::spec(),
        "conformance-client",
        &dir.join("pkg"),
    );
    // The sources beside the package's declarations of the generated part.
    let build = dir.join("build");
    std::fs::create_dir_all(&build).unwrap();
    for file in ["app.d.ts", "app.d.cts", "rules.d.ts", "rules.d.cts"] {
        std::fs::copy(dir.join("pkg/dist").join(file), build.join(file)).unwrap();
    }
    for (name, source) in dialogue_codegen::package_sources() {
        node::write(&build.join(name), &source);
    }
    let config = serde_json::json!({
        "compilerOptions": {
            "strict": true,
            "target": "ES2022",
            "lib": ["ES2022", "DOM"],
            "module": "NodeNext",
            "moduleResolution": "NodeNext",
            "types": [],
            "declaration": true,
            "noUncheckedIndexedAccess": true,
            "outDir": "out",
            "newLine": "lf",
        },
        "include": ["*.ts", "*.cts"],
    });
    node::write(
        &build.join("tsconfig.json"),
        &serde_json::to_string_pretty(&config).unwrap(),
    );
    node::tsc(
        &["-p", &build.join("tsconfig.json").to_string_lossy()],
        "the package's client and React sources",
    );
    let update = std::env::var_os("DIALOGUE_UPDATE_COMPILED").is_some();
    let mut stale = Vec::new();
    for file in COMPILED {
        let fresh = std::fs::read_to_string(build.join("out").join(file))
            .unwrap_or_else(|error| panic!("tsc wrote no {file}: {error}"));
        let kept = compiled_dir().join(file);
        if update {
            node::write(&kept, &fresh);
        } else if std::fs::read_to_string(&kept).ok().as_deref() != Some(fresh.as_str()) {
            stale.push(*file);
        }
    }
    assert!(
        stale.is_empty(),
        "dialogue-codegen/src/package/compiled/ is out of date ({stale:?}); run \
         `DIALOGUE_UPDATE_COMPILED=1 cargo test --test codegen_package compiled` and commit the result"
    );
}

#[test]
fn publint_and_arethetypeswrong_find_no_problem() {
    node::require_node_and_modules();
    let dir = consumer_dir("codegen_package_lint", "module");
    let package = dir.join("pkg");
    write_package(ConformanceApp::spec(), "conformance-client", &package);
    let bin = node::e2e_dir().join("node_modules/.bin");
    // publint: errors and warnings fail (`--strict`); suggestions do not.
    let mut publint = Command::new(bin.join("publint"));
    publint.arg("--strict").arg(&package).current_dir(&dir);
    let outcome = node::run(&mut publint, Duration::from_secs(120), "publint");
    assert!(
        outcome.status.is_some_and(|status| status.success()),
        "publint found problems:\n{}",
        outcome.output
    );
    // attw: every entry point resolves with types under node10, node16 (from
    // ESM and from CJS) and bundlers, with no masquerading format.
    let mut attw = Command::new(bin.join("attw"));
    attw.arg("--pack")
        .arg(&package)
        .args(["--format", "json"])
        .current_dir(&dir);
    let outcome = node::run(&mut attw, Duration::from_secs(180), "attw");
    assert!(
        outcome.status.is_some_and(|status| status.success()),
        "attw found problems:\n{}",
        outcome.output
    );
    let report: serde_json::Value = serde_json::from_str(&outcome.stdout)
        .unwrap_or_else(|error| panic!("attw's report is JSON ({error}):\n{}", outcome.output));
    let entries = report["analysis"]["entrypoints"]
        .as_object()
        .expect("attw lists the entry points");
    for subpath in [
        ".",
        "./client",
        "./types",
        "./socket-io",
        "./zod",
        "./react",
    ] {
        assert!(entries.contains_key(subpath), "attw saw no `{subpath}`");
    }
    let problems = &report["problems"];
    assert!(
        problems.as_array().is_some_and(Vec::is_empty)
            || problems.as_object().is_some_and(serde_json::Map::is_empty),
        "attw: {problems}"
    );
}

/// A consumer that imports every entry point: ESM or CommonJS.
const CONSUMER: &str = r#"import { createDialogueClient, WIRE, DialogueError, type Message } from "conformance-client";
import { createDialogueClient as again } from "conformance-client/client";
import type { Add, RoomTriggers } from "conformance-client/types";
import type { DialogueSocket } from "conformance-client/socket-io";
import { AddSchema, MessageSchema, eventSchemas } from "conformance-client/zod";
import { DialogueProvider, useRoom } from "conformance-client/react";
import { io } from "socket.io-client";

async function main(url: string): Promise<void> {
  const checks: Record<string, unknown> = {};
  checks.sameClient = createDialogueClient === again;
  checks.wire = WIRE.join;
  checks.hooks = typeof DialogueProvider === "function" && typeof useRoom === "function";
  const typed: Message = MessageSchema.parse({ text: "hi", senderId: "ada" });
  checks.zodValid = typed.text === "hi" && eventSchemas["order:updated"].safeParse({ orderId: "1", status: "shipped" }).success;
  checks.zodInvalid = !MessageSchema.safeParse({ text: 5 }).success && !AddSchema.safeParse({ a: 1.5, b: 2 }).success;
  const chatEvents: keyof RoomTriggers["chat"] = "message";

  const client = createDialogueClient({ url, auth: { userId: "consumer" }, transports: ["websocket"] });
  await client.connect();
  const chat = await client.join("chat");
  const sent = await chat.send(chatEvents, { text: "from the package", senderId: "consumer" });
  checks.seq = sent.seq > 0;
  const add: Add = { a: 2, b: 3 };
  checks.sum = (await client.request("add", add)).sum;
  // @ts-expect-error: `nope` is not an event of `chat`
  chat.trigger("nope", {});
  try {
    await client.request("fail", {});
    checks.fail = "answered";
  } catch (error) {
    checks.fail = error instanceof DialogueError ? error.code : String(error);
  }
  client.disconnect();

  const socket: DialogueSocket = io(url, { transports: ["websocket"], auth: { userId: "plain" } });
  const joined = await socket.timeout(5000).emitWithAck("dialogue:join", { roomId: "chat" });
  checks.plainJoin = joined.ok ? joined.roomId : joined.error.code;
  socket.close();
  process.stdout.write(JSON.stringify(checks));
}

main(process.argv[2] ?? "").catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
"#;

/// Type-checks and runs `CONSUMER` as `flavor` ("module" or "commonjs")
/// against a conformance server; returns what it printed.
fn consume(flavor: &str) -> serde_json::Value {
    node::require_node_and_modules();
    let dir = consumer_dir(&format!("codegen_package_{flavor}"), flavor);
    write_package(
        ConformanceApp::spec(),
        "conformance-client",
        &dir.join("pkg"),
    );
    link_module(&dir, "conformance-client", &dir.join("pkg"));
    node::write(&dir.join("main.ts"), CONSUMER);
    let config = serde_json::json!({
        "compilerOptions": {
            "strict": true,
            "target": "ES2022",
            "lib": ["ES2022", "DOM"],
            "module": "NodeNext",
            "moduleResolution": "NodeNext",
            "types": ["node"],
            "noUncheckedIndexedAccess": true,
            "skipLibCheck": false,
            "outDir": "out",
        },
        "files": ["main.ts"],
    });
    node::write(
        &dir.join("tsconfig.json"),
        &serde_json::to_string_pretty(&config).unwrap(),
    );
    node::tsc(
        &["-p", &dir.join("tsconfig.json").to_string_lossy()],
        &format!("a {flavor} consumer of the package"),
    );
    let compiled = std::fs::read_to_string(dir.join("out/main.js")).unwrap();
    assert_eq!(
        compiled.contains("require(\"conformance-client/zod\")"),
        flavor == "commonjs",
        "the consumer was compiled as {flavor}"
    );
    let server = ServerProcess::start(&[]);
    let printed = run_node(&dir, "out/main.js", &[&server.url], "the consumer");
    server.stop();
    serde_json::from_str(&printed).unwrap_or_else(|error| panic!("{error}: {printed}"))
}

fn assert_consumed(checks: &serde_json::Value) {
    assert_eq!(checks["sameClient"], true, "{checks}");
    assert_eq!(checks["wire"], "dialogue:join");
    assert_eq!(checks["hooks"], true);
    assert_eq!(checks["zodValid"], true);
    assert_eq!(checks["zodInvalid"], true);
    assert_eq!(checks["seq"], true);
    assert_eq!(checks["sum"], 5);
    assert_eq!(checks["fail"], "INTERNAL", "{checks}");
    assert_eq!(checks["plainJoin"], "chat");
}

#[test]
fn an_es_module_consumer_type_checks_and_talks_to_the_server() {
    assert_consumed(&consume("module"));
}

#[test]
fn a_commonjs_consumer_type_checks_and_talks_to_the_server() {
    assert_consumed(&consume("commonjs"));
}
