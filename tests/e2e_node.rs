//! End to end with the npm `socket.io-client` 4.x: runs the node suite in
//! `tests/e2e/` (node's built-in test runner, every test on WebSocket and on
//! HTTP long-polling) against the conformance example server.
//!
//! Needs Node.js 20+ with npm on PATH; installs the suite's locked npm
//! dependencies (`npm ci`) on first use. `cargo test` builds the example
//! first; alone, this test needs `cargo build --example conformance`:
//!
//! ```text
//! cargo build --example conformance && cargo test --test e2e_node -- --nocapture
//! ```
//!
//! `DIALOGUE_E2E_KNOWN_BUGS=1` also runs the node tests skipped as known
//! server bugs; `DIALOGUE_CONFORMANCE_BIN=PATH` tests another build of the
//! server (e.g. `target/release/examples/conformance`).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

mod support;

use support::process::{Outcome, drain, run, wait_for};
use support::server_process::conformance_binary;

/// How long the server may take to print its `listening on` line.
const LISTEN_TIMEOUT: Duration = Duration::from_secs(30);
/// How long `npm ci` may take.
const NPM_TIMEOUT: Duration = Duration::from_secs(300);
/// How long the whole node suite may take (it needs well under a minute).
const SUITE_TIMEOUT: Duration = Duration::from_secs(300);
/// How long the server may take to stop after SIGTERM.
const STOP_TIMEOUT: Duration = Duration::from_secs(15);

#[test]
fn socket_io_client_suite_passes_on_websocket_and_polling() {
    let e2e = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("e2e");
    let binary = conformance_binary();
    check_node();
    install_node_modules(&e2e);
    let files = test_files(&e2e);

    let mut server = Server::start(&binary);
    println!("conformance server: {} ({})", server.url, binary.display());
    let suite = run_suite(&e2e, &files, &server.url, &[]);
    // Stop the server whatever the suite did, and check that it stops.
    let stopped = server.stop();

    match suite.status {
        None => panic!(
            "the node suite did not finish within {SUITE_TIMEOUT:?} and was killed; its output:\n{}",
            suite.output
        ),
        Some(status) if !status.success() => panic!(
            "the node suite failed ({status}); its output:\n{}\n\nserver output:\n{}",
            suite.output, stopped.output
        ),
        Some(_) => println!("{}", suite.output),
    }
    stopped.assert_clean();
}

/// The same suite against two nodes on one Redis behind a round-robin
/// balancer (each new connection to the next node), WebSocket only:
/// whatever a test does, it must not matter which node each socket landed
/// on (docs/scaling.md).
#[test]
fn socket_io_client_suite_passes_on_two_nodes_behind_a_balancer() {
    let e2e = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("e2e");
    check_node();
    install_node_modules(&e2e);
    let files = test_files(&e2e);
    let cluster = support::cluster::Cluster::start(&[]);
    println!("two nodes behind {}", cluster.url());
    let suite = run_suite(
        &e2e,
        &files,
        &cluster.url(),
        &[("DIALOGUE_TRANSPORTS", "websocket")],
    );
    let stopped = cluster.stop();
    match suite.status {
        None => panic!(
            "the node suite did not finish within {SUITE_TIMEOUT:?} on two nodes; its output:\n{}",
            suite.output
        ),
        Some(status) if !status.success() => panic!(
            "the node suite failed on two nodes ({status}); its output:\n{}",
            suite.output
        ),
        Some(_) => println!("{}", suite.output),
    }
    for status in stopped {
        assert!(
            status.success() || !cfg!(unix),
            "a node exited with {status} after SIGTERM"
        );
    }
}

/// Runs the node suite's `files` in `e2e` against the server at `url`, with
/// the extra environment `envs` (bounded by [`SUITE_TIMEOUT`]).
fn run_suite(e2e: &Path, files: &[String], url: &str, envs: &[(&str, &str)]) -> Outcome {
    let mut node = Command::new("node");
    node.current_dir(e2e)
        .args([
            "--test",
            "--test-concurrency=1",
            "--test-timeout=30000",
            "--test-reporter=spec",
        ])
        .args(files)
        .env("DIALOGUE_URL", url)
        .envs(envs.iter().copied())
        .env("NO_COLOR", "1");
    run(&mut node, SUITE_TIMEOUT, "node --test")
}

/// Fails with a message naming what to install when node is missing or too old.
fn check_node() {
    let output = match Command::new("node").arg("--version").output() {
        Ok(output) => output,
        Err(error) => panic!(
            "cannot run `node` ({error}): install Node.js 20 or newer (with npm) and put `node` on PATH \
             to run the socket.io-client end-to-end suite"
        ),
    };
    let version = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    let major: u32 = version
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|major| major.parse().ok())
        .unwrap_or(0);
    assert!(
        output.status.success() && major >= 20,
        "Node.js 20 or newer is required for the end-to-end suite, found `node --version` = {version:?}"
    );
}

/// Runs `npm ci` in `e2e` when its dependencies are not installed.
fn install_node_modules(e2e: &Path) {
    if e2e
        .join("node_modules")
        .join("socket.io-client")
        .join("package.json")
        .is_file()
    {
        return;
    }
    let npm = if cfg!(windows) { "npm.cmd" } else { "npm" };
    let mut command = Command::new(npm);
    command
        .current_dir(e2e)
        .args(["ci", "--no-audit", "--no-fund"]);
    let outcome = run(&mut command, NPM_TIMEOUT, "npm ci");
    match outcome.status {
        Some(status) if status.success() => {
            println!("npm ci in {}:\n{}", e2e.display(), outcome.output)
        }
        Some(status) => panic!(
            "`npm ci` in {} failed ({status}); it needs the npm registry:\n{}",
            e2e.display(),
            outcome.output
        ),
        None => panic!(
            "`npm ci` in {} did not finish within {NPM_TIMEOUT:?}:\n{}",
            e2e.display(),
            outcome.output
        ),
    }
}

/// The suite's `*.test.mjs` files, sorted.
fn test_files(e2e: &Path) -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(e2e)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", e2e.display()))
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| name.ends_with(".test.mjs"))
        .collect();
    files.sort();
    assert!(
        !files.is_empty(),
        "no *.test.mjs files in {}",
        e2e.display()
    );
    files
}

/// The conformance server, started on a free port; killed on drop if it was
/// not stopped (a panicking test must not leave it running).
struct Server {
    child: Option<Child>,
    url: String,
    stdout: Arc<Mutex<String>>,
    stderr: Option<JoinHandle<String>>,
}

/// How the server stopped.
struct Stopped {
    status: Option<ExitStatus>,
    output: String,
}

impl Stopped {
    fn assert_clean(&self) {
        match self.status {
            None => panic!(
                "the conformance server did not stop within {STOP_TIMEOUT:?} of SIGTERM; its output:\n{}",
                self.output
            ),
            // Elsewhere `stop` can only kill, which is no clean exit.
            Some(status) => assert!(
                status.success() || !cfg!(unix),
                "the conformance server exited with {status} after SIGTERM; its output:\n{}",
                self.output
            ),
        }
    }
}

impl Server {
    fn start(binary: &Path) -> Server {
        let mut child = Command::new(binary)
            .env("PORT", "0")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start {}: {error}", binary.display()));
        let stdout = Arc::new(Mutex::new(String::new()));
        let (lines, listening) = mpsc::channel();
        spawn_line_reader(
            child.stdout.take().expect("piped stdout"),
            stdout.clone(),
            lines,
        );
        let stderr = Some(drain(child.stderr.take().expect("piped stderr")));
        let mut server = Server {
            child: Some(child),
            url: String::new(),
            stdout,
            stderr,
        };

        let deadline = Instant::now() + LISTEN_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match listening.recv_timeout(left) {
                Ok(line) => {
                    if let Some(url) = line.trim().strip_prefix("listening on ") {
                        server.url = url.to_owned();
                        return server;
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    let stopped = server.stop();
                    panic!(
                        "the conformance server printed no `listening on` line within {LISTEN_TIMEOUT:?}; its output:\n{}",
                        stopped.output
                    );
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let stopped = server.stop();
                    panic!(
                        "the conformance server exited ({:?}) before printing `listening on`; its output:\n{}",
                        stopped.status, stopped.output
                    );
                }
            }
        }
    }

    /// SIGTERM, then waits (bounded) for the exit; SIGKILL if it hangs.
    fn stop(&mut self) -> Stopped {
        let Some(mut child) = self.child.take() else {
            return Stopped {
                status: None,
                output: String::new(),
            };
        };
        terminate(&mut child);
        let status = wait_for(&mut child, STOP_TIMEOUT);
        if status.is_none() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let stderr = self
            .stderr
            .take()
            .map(|h| h.join().unwrap_or_default())
            .unwrap_or_default();
        let stdout = self.stdout.lock().map(|s| s.clone()).unwrap_or_default();
        Stopped {
            status,
            output: format!("{stdout}{stderr}"),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Copies `pipe` into `sink` line by line, sending each line on `lines`
/// while anyone listens.
fn spawn_line_reader(pipe: ChildStdout, sink: Arc<Mutex<String>>, lines: mpsc::Sender<String>) {
    thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            if let Ok(mut sink) = sink.lock() {
                sink.push_str(&line);
                sink.push('\n');
            }
            let _ = lines.send(line);
        }
    });
}

/// Asks the server to stop the way an operator would: SIGTERM on Unix.
fn terminate(child: &mut Child) {
    #[cfg(unix)]
    {
        let sent = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .is_ok_and(|status| status.success());
        if sent {
            return;
        }
    }
    let _ = child.kill();
}
