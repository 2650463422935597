//! Where an example that keeps history keeps it. Included by those examples
//! with `#[path = "../common/data.rs"] mod data;`.

use std::path::PathBuf;

/// The file of the durable store (docs/persistence.md) for the example
/// `name`: `data/{name}.sqlite`, relative to where the example runs (the
/// repository's `data/` is ignored by git), or the file `DIALOGUE_STORE`
/// names. `None` when `DIALOGUE_MEMORY` is set to anything but empty or `0`:
/// history is then kept in memory only, and goes with the process.
pub fn store_path(name: &str) -> Option<PathBuf> {
    let memory_only =
        std::env::var_os("DIALOGUE_MEMORY").is_some_and(|value| !value.is_empty() && value != "0");
    if memory_only {
        return None;
    }
    match std::env::var_os("DIALOGUE_STORE") {
        Some(path) if !path.is_empty() => Some(PathBuf::from(path)),
        _ => Some(PathBuf::from(format!("data/{name}.sqlite"))),
    }
}
