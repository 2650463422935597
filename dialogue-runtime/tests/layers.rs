//! The runtime's layout keeps its promises (docs/architecture.md): its
//! top-level modules depend on each other one way only, down the layers
//! `api → wire → engine → state → (store, control) → (envelope, error, metrics)`,
//! so there is no import cycle; and no source file is over 500 lines.
//!
//! The check reads the sources: every `crate::module` path names a
//! dependency of the file's top-level module.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, top first. A module may use the modules of lower layers only.
const LAYERS: &[&[&str]] = &[
    &["api", "fuzzing"],
    &["wire"],
    &["engine"],
    &["state"],
    &["store", "control"],
    &["envelope", "error", "logging", "metrics"],
];

/// The most lines a source file may have.
const MAX_LINES: usize = 500;

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn sources(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("the source folder reads") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            sources(&path, found);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            found.push(path);
        }
    }
}

/// The top-level module a file belongs to (`None` for `lib.rs`).
fn module_of(file: &Path) -> Option<String> {
    let relative = file.strip_prefix(src()).expect("under src");
    let first = relative.components().next()?.as_os_str().to_str()?;
    match first {
        "lib.rs" => None,
        name => Some(name.trim_end_matches(".rs").to_owned()),
    }
}

/// The first segment of every `crate::` path in `text`, grouped imports
/// (`crate::{a, b::c}`) included.
fn crate_paths(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let first = item.trim().split("::").next().unwrap_or_default();
                found.push(first.trim().to_owned());
            }
        } else {
            let ident: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            found.push(ident);
        }
    }
    found
}

fn layer_of(module: &str) -> usize {
    LAYERS
        .iter()
        .position(|layer| layer.contains(&module))
        .unwrap_or_else(|| panic!("the module `{module}` is in no layer: add it to LAYERS"))
}

#[test]
fn modules_depend_only_on_lower_layers_so_there_is_no_cycle() {
    let mut files = Vec::new();
    sources(&src(), &mut files);
    let modules: BTreeSet<String> = files.iter().filter_map(|f| module_of(f)).collect();
    let mut uses: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut wrong = Vec::new();
    for file in &files {
        let Some(module) = module_of(file) else {
            continue;
        };
        let text = std::fs::read_to_string(file).expect("reads");
        for used in crate_paths(&text) {
            if used == module || !modules.contains(&used) {
                continue;
            }
            if layer_of(&used) <= layer_of(&module) {
                wrong.push(format!(
                    "{} uses crate::{used}, which is not below `{module}`",
                    file.strip_prefix(src()).unwrap_or(file).display()
                ));
            }
            uses.entry(module.clone()).or_default().insert(used);
        }
    }
    assert!(
        wrong.is_empty(),
        "dependencies against the layers (docs/architecture.md):\n{}",
        wrong.join("\n")
    );
    // The layers imply there is no cycle; say it directly all the same.
    fn visit(
        module: &str,
        uses: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|m| m == module) {
            let mut cycle = path[at..].to_vec();
            cycle.push(module.to_owned());
            return Some(cycle);
        }
        path.push(module.to_owned());
        for next in uses.get(module).into_iter().flatten() {
            if let Some(cycle) = visit(next, uses, path) {
                return Some(cycle);
            }
        }
        path.pop();
        None
    }
    for module in &modules {
        if let Some(cycle) = visit(module, &uses, &mut Vec::new()) {
            panic!("an import cycle: {}", cycle.join(" → "));
        }
    }
    assert!(
        uses["api"].contains("wire") && uses["wire"].contains("engine"),
        "{uses:?}"
    );
}

#[test]
fn no_source_file_is_over_the_limit() {
    let mut files = Vec::new();
    sources(&src(), &mut files);
    let long: Vec<String> = files
        .iter()
        .filter_map(|file| {
            let lines = std::fs::read_to_string(file)
                .expect("reads")
                .lines()
                .count();
            (lines > MAX_LINES).then(|| format!("{} has {lines} lines", file.display()))
        })
        .collect();
    assert!(
        long.is_empty(),
        "split these by concept (at most {MAX_LINES} lines):\n{}",
        long.join("\n")
    );
}

#[test]
fn paths_are_read_from_grouped_and_plain_imports() {
    let text = "use crate::engine::Engine;\nuse crate::{api, state::room::RoomState};\nlet x = crate::wire::register();";
    assert_eq!(crate_paths(text), ["engine", "api", "state", "wire"]);
}
