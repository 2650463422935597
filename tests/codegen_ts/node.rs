//! Node.js and the TypeScript compiler for the tests of the generated
//! client: both come from `tests/e2e` (`npm ci` there installs the pinned
//! `typescript` and `socket.io-client` of its lockfile).

#![allow(dead_code, reason = "each test file uses part of it")]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

pub use crate::support::process::run;

/// How long one `tsc` run may take.
pub const TSC_TIMEOUT: Duration = Duration::from_secs(180);

/// `tests/e2e`.
pub fn e2e_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("e2e")
}

/// Fails, saying what to install, unless node 20+ runs and `tests/e2e` has
/// its npm dependencies.
pub fn require_node_and_modules() {
    let output = Command::new("node").arg("--version").output();
    let version = match output {
        Ok(output) if output.status.success() => {
            String::from_utf8_lossy(&output.stdout).trim().to_owned()
        }
        Ok(output) => panic!("`node --version` failed: {}", output.status),
        Err(error) => panic!(
            "cannot run `node` ({error}): install Node.js 20 or newer and put it on PATH \
             to compile and run the generated TypeScript client"
        ),
    };
    let major: u32 = version
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|major| major.parse().ok())
        .unwrap_or(0);
    assert!(
        major >= 20,
        "Node.js 20 or newer is required, found {version:?}"
    );
    for package in ["typescript", "socket.io-client", "@types/node"] {
        let manifest = e2e_dir()
            .join("node_modules")
            .join(package)
            .join("package.json");
        assert!(
            manifest.is_file(),
            "{} is missing: run `npm ci` in tests/e2e first (`.ci/run` does) to install the \
             pinned TypeScript compiler and socket.io-client of tests/e2e/package-lock.json",
            manifest.display()
        );
    }
}

/// `node tests/e2e/node_modules/typescript/bin/tsc ARGS`, which must succeed.
pub fn tsc(args: &[&str], what: &str) {
    require_node_and_modules();
    let compiler = e2e_dir()
        .join("node_modules")
        .join("typescript")
        .join("bin")
        .join("tsc");
    let mut command = Command::new("node");
    command.arg(compiler).args(args);
    let outcome = run(&mut command, TSC_TIMEOUT, "tsc");
    match outcome.status {
        Some(status) if status.success() => {}
        Some(status) => panic!(
            "tsc failed on {what} ({status}): every right usage must compile and every line \
             after `// @ts-expect-error` must be an error (TS2578 = an expected error did not happen):\n{}",
            outcome.output
        ),
        None => panic!(
            "tsc did not finish within {TSC_TIMEOUT:?} on {what}:\n{}",
            outcome.output
        ),
    }
}

/// A fresh directory `<target>/tmp/<name>` set up as an ES module package
/// that sees the npm dependencies of `tests/e2e`.
pub fn fresh_module_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    if dir.exists() {
        std::fs::remove_dir_all(&dir)
            .unwrap_or_else(|error| panic!("cannot empty {}: {error}", dir.display()));
    }
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|error| panic!("cannot create {}: {error}", dir.display()));
    link_node_modules(&dir);
    write(&dir.join("package.json"), "{ \"type\": \"module\" }\n");
    dir
}

/// Makes `tests/e2e/node_modules` visible from `dir`.
fn link_node_modules(dir: &Path) {
    let target = e2e_dir().join("node_modules");
    let link = dir.join("node_modules");
    #[cfg(unix)]
    let linked = std::os::unix::fs::symlink(&target, &link);
    #[cfg(windows)]
    let linked = std::os::windows::fs::symlink_dir(&target, &link);
    linked.unwrap_or_else(|error| {
        panic!(
            "cannot link {} to {}: {error}",
            link.display(),
            target.display()
        )
    });
}

/// Writes a strict `tsconfig.json` into `dir` compiling its `*.ts` into
/// `dir/out` (or checking only, when `emit` is false).
pub fn write_tsconfig(dir: &Path, emit: bool) {
    let config = serde_json::json!({
        "compilerOptions": {
            "strict": true,
            "target": "ES2022",
            "lib": ["ES2022", "DOM"],
            "module": "NodeNext",
            "moduleResolution": "NodeNext",
            "types": [],
            "noUncheckedIndexedAccess": true,
            "outDir": "out",
            "noEmit": !emit,
        },
        "include": ["*.ts"],
    });
    write(
        &dir.join("tsconfig.json"),
        &serde_json::to_string_pretty(&config).expect("JSON"),
    );
}

pub fn write(path: &Path, contents: &str) {
    std::fs::write(path, contents)
        .unwrap_or_else(|error| panic!("cannot write {}: {error}", path.display()));
}
