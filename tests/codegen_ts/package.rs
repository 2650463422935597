//! The generated npm package in a consumer's directory: written, with the
//! npm dependencies of `tests/e2e` beside it.

#![allow(dead_code, reason = "each test file uses part of it")]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use dialogue_codegen::PackageOptions;
use dialogue_runtime::spec::AppSpec;

use crate::node;

/// Writes the package of `spec` named `name` into `dir`.
pub fn write_package(spec: &AppSpec, name: &str, dir: &Path) {
    let options = PackageOptions::new(name, "1.0.0");
    let files = dialogue_codegen::package(spec, "cmd codegen --package DIR", &options)
        .expect("the package generates");
    dialogue_codegen::write(dir, &files).expect("the package is written");
}

/// Links `tests/e2e/node_modules/<package>` into `dir/node_modules`.
pub fn link_module(dir: &Path, package: &str, target: &Path) {
    let link = dir.join("node_modules").join(package);
    std::fs::create_dir_all(link.parent().unwrap()).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(target, &link)
        .unwrap_or_else(|error| panic!("cannot link {}: {error}", link.display()));
}

/// A fresh directory for `name` under the test's temporary directory, with a
/// `node_modules` of real links (so that a package placed inside resolves
/// its own peers from there).
pub fn consumer_dir(name: &str, package_type: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).unwrap();
    }
    std::fs::create_dir_all(&dir).unwrap();
    let modules = node::e2e_dir().join("node_modules");
    for package in [
        "socket.io-client",
        "zod",
        "react",
        "react-dom",
        "@types/react",
        "@types/react-dom",
        "@types/node",
        "typescript",
        "jsdom",
        "@testing-library/react",
        "@testing-library/dom",
        "esbuild",
        "playwright-core",
    ] {
        link_module(&dir, package, &modules.join(package));
    }
    node::write(
        &dir.join("package.json"),
        &format!("{{ \"private\": true, \"type\": \"{package_type}\" }}\n"),
    );
    dir
}

pub fn run_node(dir: &Path, program: &str, args: &[&str], what: &str) -> String {
    let mut command = Command::new("node");
    command.current_dir(dir).arg(program).args(args);
    let outcome = node::run(&mut command, Duration::from_secs(180), what);
    assert!(
        outcome.status.is_some_and(|status| status.success()),
        "{what} failed:\n{}",
        outcome.output
    );
    outcome.stdout
}
