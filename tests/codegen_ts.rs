//! The generated TypeScript client, checked by the TypeScript compiler and
//! run against the conformance server:
//!
//! - `tsc --strict --noEmit` over `tests/e2e` (the checked-in client of the
//!   conformance app, its type tests `tests/e2e/types/*.types.ts`, the
//!   end-to-end suite): right usages compile, and each line after
//!   `// @ts-expect-error` must be an error;
//! - the same for the client of the fixture with every payload shape,
//!   generated into `target/` with its type tests `tests/e2e/shapes/`;
//! - `tests/e2e/client.test.ts`, compiled into `target/` and run with
//!   `node --test` against the conformance server, on WebSocket and polling;
//! - `tests/e2e/recovery.test.ts`, the same client with reconnection on,
//!   through a fault proxy that cuts, holds and stalls its connections.
//!
//! Needs Node.js 20+ and `npm ci` in `tests/e2e` (`.ci/run` does it); the
//! end-to-end test also needs the conformance example built (plain
//! `cargo test` builds it; alone: `cargo build --example conformance`).
//!
//! ```text
//! (cd tests/e2e && npm ci) && cargo build --example conformance && cargo test --test codegen_ts
//! ```

mod codegen_ts {
    pub mod node;
}
mod support;

use std::process::Command;
use std::time::Duration;

use codegen_ts::node;
use dialogue_runtime::DialogueApp;
use support::cluster::Cluster;
use support::server_process::ServerProcess;
use support::shapes::ShapesApp;

/// How long the node suite may take (it needs a few seconds).
const SUITE_TIMEOUT: Duration = Duration::from_secs(300);

#[test]
fn the_conformance_client_and_its_type_tests_compile_strict() {
    let config = node::e2e_dir().join("tsconfig.json");
    node::tsc(
        &["-p", &config.to_string_lossy(), "--noEmit"],
        "tests/e2e (generated/dialogue.ts, types/*.types.ts, client.test.ts)",
    );
}

#[test]
fn the_shapes_client_and_its_type_tests_compile_strict() {
    node::require_node_and_modules();
    let dir = node::fresh_module_dir("codegen_ts_shapes");
    let ts = dialogue_codegen::typescript(ShapesApp::spec(), "cmd codegen DIR").unwrap();
    node::write(&dir.join("dialogue.ts"), &ts);
    let types = node::e2e_dir().join("shapes").join("shapes.types.ts");
    std::fs::copy(&types, dir.join("shapes.types.ts"))
        .unwrap_or_else(|error| panic!("cannot copy {}: {error}", types.display()));
    node::write_tsconfig(&dir, false);
    node::tsc(
        &["-p", &dir.join("tsconfig.json").to_string_lossy()],
        &format!(
            "the shapes app's dialogue.ts and tests/e2e/shapes/shapes.types.ts (copied into {})",
            dir.display()
        ),
    );
}

#[test]
fn the_generated_client_works_against_the_conformance_server() {
    let server = ServerProcess::start(&[]);
    let url = server.url.clone();
    run_suite(
        "codegen_ts_e2e",
        "client.test.js",
        &[("DIALOGUE_URL", &url)],
    );
    stop(server);
}

#[test]
fn the_generated_client_recovers_across_cuts() {
    // Short grace and window, so that the suite's cuts go past them.
    let server = ServerProcess::start(&[
        ("DIALOGUE_RESUME_SECS", "1"),
        ("DIALOGUE_RECOVERY_SIZE", "200"),
    ]);
    // A small buffer, so that a stalled client is dropped as a slow member.
    let slow = ServerProcess::start(&[("DIALOGUE_SEND_BUFFER", "8")]);
    let (url, slow_url) = (server.url.clone(), slow.url.clone());
    run_suite(
        "codegen_ts_recovery",
        "recovery.test.js",
        &[("DIALOGUE_URL", &url), ("DIALOGUE_SLOW_URL", &slow_url)],
    );
    stop(server);
    stop(slow);
}

/// The generated client's suites against two nodes on one Redis behind a
/// round-robin balancer, WebSocket only (docs/scaling.md).
#[test]
fn the_generated_client_works_and_recovers_on_two_nodes() {
    let cluster = Cluster::start(&[]);
    run_suite(
        "codegen_ts_e2e_two_nodes",
        "client.test.js",
        &[
            ("DIALOGUE_URL", &cluster.url()),
            ("DIALOGUE_TRANSPORTS", "websocket"),
        ],
    );
    stop_cluster(cluster);
    let cluster = Cluster::start(&[
        ("DIALOGUE_RESUME_SECS", "1"),
        ("DIALOGUE_RECOVERY_SIZE", "200"),
    ]);
    let slow = Cluster::start(&[("DIALOGUE_SEND_BUFFER", "8")]);
    run_suite(
        "codegen_ts_recovery_two_nodes",
        "recovery.test.js",
        &[
            ("DIALOGUE_URL", &cluster.url()),
            ("DIALOGUE_SLOW_URL", &slow.url()),
            ("DIALOGUE_TRANSPORTS", "websocket"),
        ],
    );
    stop_cluster(cluster);
    stop_cluster(slow);
}

fn stop_cluster(cluster: Cluster) {
    for status in cluster.stop() {
        assert!(
            status.success() || !cfg!(unix),
            "a node exited with {status} after SIGTERM"
        );
    }
}

/// Compiles `tests/e2e` into `target/<dir>` and runs `suite` there with
/// `node --test` and `envs`; panics with its output when it fails.
fn run_suite(dir: &str, suite: &str, envs: &[(&str, &str)]) {
    node::require_node_and_modules();
    let out = node::fresh_module_dir(dir);
    let config = node::e2e_dir().join("tsconfig.json");
    node::tsc(
        &[
            "-p",
            &config.to_string_lossy(),
            "--outDir",
            &out.to_string_lossy(),
        ],
        "tests/e2e",
    );
    assert!(
        out.join(suite).is_file(),
        "tsc wrote no {suite} into {}: is its .ts file in tests/e2e?",
        out.display()
    );
    println!("{suite}: {envs:?}");
    let mut command = Command::new("node");
    command
        .current_dir(&out)
        .args([
            "--test",
            "--test-concurrency=1",
            "--test-timeout=120000",
            "--test-reporter=spec",
        ])
        .envs(envs.iter().copied())
        .env("NO_COLOR", "1");
    // `DIALOGUE_E2E_PATTERN=regex` runs only the tests whose names match
    // (node's `--test-name-pattern`): to loop one test while chasing a flake.
    if let Ok(pattern) = std::env::var("DIALOGUE_E2E_PATTERN") {
        command.arg(format!("--test-name-pattern={pattern}"));
    }
    command.arg(suite);
    let outcome = node::run(&mut command, SUITE_TIMEOUT, &format!("node --test {suite}"));
    match outcome.status {
        None => panic!(
            "{suite} did not finish within {SUITE_TIMEOUT:?}; its output:\n{}",
            outcome.output
        ),
        Some(status) if !status.success() => {
            panic!("{suite} failed ({status}):\n{}", outcome.output)
        }
        Some(_) => println!("{}", outcome.output),
    }
}

/// Stops a conformance server and checks it stopped cleanly.
fn stop(server: ServerProcess) {
    let stopped = server.stop();
    assert!(
        stopped.success() || !cfg!(unix),
        "the conformance server exited with {stopped} after SIGTERM"
    );
}
