//! The conformance example as a separate process, for tests that need the
//! real binary (its switches, its signals) rather than an in-process server.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// How long the server may take to print its `listening on` line.
const STARTUP: Duration = Duration::from_secs(30);

/// The conformance binary that `cargo test` built next to this test binary
/// (`DIALOGUE_CONFORMANCE_BIN` overrides it).
pub fn conformance_binary() -> PathBuf {
    let binary = match std::env::var_os("DIALOGUE_CONFORMANCE_BIN") {
        Some(path) => PathBuf::from(path),
        None => {
            let exe = std::env::current_exe().expect("the path of this test binary");
            let profile_dir = exe
                .parent()
                .and_then(Path::parent)
                .unwrap_or_else(|| panic!("unexpected test binary location {}", exe.display()));
            profile_dir
                .join("examples")
                .join(format!("conformance{}", std::env::consts::EXE_SUFFIX))
        }
    };
    assert!(
        binary.is_file(),
        "the conformance example is not built: {} is missing.\n\
         Run `cargo build --example conformance` first (plain `cargo test` builds it too).",
        binary.display()
    );
    binary
}

/// A running conformance server; stopped (SIGTERM, then killed) when dropped.
pub struct ServerProcess {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
}

impl ServerProcess {
    /// Starts the server on a free port with extra environment variables and
    /// waits (bounded) for its `listening on` line.
    pub fn start(envs: &[(&str, &str)]) -> Self {
        Self::start_logging_to(envs, Stdio::inherit())
    }

    /// [`start`](Self::start), with the server's stderr (its log) going to
    /// `stderr`, such as a file.
    pub fn start_logging_to(envs: &[(&str, &str)], stderr: impl Into<Stdio>) -> Self {
        let mut command = Command::new(conformance_binary());
        command
            .env("PORT", "0")
            .stdout(Stdio::piped())
            .stderr(stderr);
        // Only the switches asked for: none inherited from the test's
        // environment.
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("DIALOGUE_") {
                command.env_remove(key);
            }
        }
        for (key, value) in envs {
            command.env(key, value);
        }
        let mut child = command.spawn().expect("the conformance server starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let rx = super::process::lines(stdout);
        let deadline = Instant::now() + STARTUP;
        let url = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    if let Some(url) = line.strip_prefix("listening on ") {
                        break url.trim().to_owned();
                    }
                }
                Err(_) => {
                    let _ = child.kill();
                    panic!(
                        "the conformance server printed no `listening on` line within {STARTUP:?}"
                    );
                }
            }
        };
        Self { child, url }
    }

    /// Stops the server with SIGTERM and returns how it exited (bounded).
    pub fn stop(mut self) -> ExitStatus {
        self.terminate()
    }

    /// Kills the server with SIGKILL, as a crash would, and reaps it.
    pub fn kill(mut self) -> ExitStatus {
        let _ = self.child.kill();
        self.child.wait().expect("the killed server is reaped")
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    fn terminate(&mut self) -> ExitStatus {
        if let Ok(Some(status)) = self.child.try_wait() {
            return status;
        }
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                return self.child.wait().expect("the killed server is reaped");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.terminate();
    }
}
