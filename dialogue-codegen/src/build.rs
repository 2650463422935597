//! Generation from a Cargo build script (`build.rs`): the files are written
//! only when their contents change, and Cargo is told to run the script
//! again when one of them is edited or deleted (docs/codegen.md, "In a build
//! script").

use std::path::{Path, PathBuf};

use dialogue_core::spec::AppSpec;

use crate::{CodegenError, files};

/// The command the generated files' headers name.
pub const BUILD_COMMAND: &str = "cargo build (dialogue_codegen::build in build.rs)";

/// Why a build script could not generate.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The declaration cannot be turned into TypeScript.
    #[error(transparent)]
    Codegen(#[from] CodegenError),
    /// A file could not be read or written.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file (or directory).
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
}

/// What [`build`] did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Built {
    /// Files written (new, or their contents changed).
    pub written: Vec<PathBuf>,
    /// Files already as generated, left untouched (their modification time
    /// too, so a frontend's watcher sees nothing).
    pub unchanged: Vec<PathBuf>,
}

impl Built {
    /// The lines a build script prints for Cargo: run again when a
    /// generated file is edited or deleted. (A change of the declaration
    /// reruns it anyway: the declaration's crate is a build dependency.)
    pub fn cargo_lines(&self) -> Vec<String> {
        let mut paths: Vec<&PathBuf> = self.written.iter().chain(&self.unchanged).collect();
        paths.sort();
        paths
            .into_iter()
            .map(|path| format!("cargo:rerun-if-changed={}", path.display()))
            .collect()
    }
}

/// Generates every file for `spec` into `dir` (created if needed), writing
/// only those whose contents changed, and prints [`Built::cargo_lines`].
/// For `build.rs`; its headers name [`BUILD_COMMAND`].
///
/// ```no_run
/// // build.rs of the crate that serves the frontend; `chat_spec` is the
/// // crate with the declarations, a build dependency.
/// # mod chat_spec { pub fn spec() -> dialogue_core::spec::AppSpec {
/// #     dialogue_core::spec::AppSpec::builder("Chat").build().unwrap() } }
/// fn main() {
///     let spec = chat_spec::spec();
///     dialogue_codegen::build(&spec, "web/src/generated").expect("generates the frontend's types");
/// }
/// ```
pub fn build(spec: &AppSpec, dir: impl AsRef<Path>) -> Result<Built, BuildError> {
    let built = write_changed(spec, dir.as_ref())?;
    for line in built.cargo_lines() {
        println!("{line}");
    }
    Ok(built)
}

/// [`build`] without printing.
pub fn write_changed(spec: &AppSpec, dir: &Path) -> Result<Built, BuildError> {
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| BuildError::Io { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let mut built = Built::default();
    for file in files(spec, BUILD_COMMAND)? {
        let path = dir.join(file.name);
        match std::fs::read(&path) {
            Ok(bytes) if bytes == file.contents.as_bytes() => {
                built.unchanged.push(path);
                continue;
            }
            Ok(_) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => return Err(io(&path)(error)),
        }
        std::fs::write(&path, &file.contents).map_err(io(&path))?;
        built.written.push(path);
    }
    Ok(built)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "dialogue-codegen-build-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn writes_only_what_changed_and_names_every_file_for_cargo() {
        let spec = AppSpec::builder("App").build().unwrap();
        let dir = scratch("changed");
        let first = write_changed(&spec, &dir).unwrap();
        assert_eq!(first.written.len(), 4, "{first:?}");
        assert!(first.unchanged.is_empty());
        let again = write_changed(&spec, &dir).unwrap();
        assert!(again.written.is_empty(), "nothing changed: {again:?}");
        assert_eq!(again.unchanged.len(), 4);
        // An edited file and a deleted one are written again; the rest stay.
        let ts = dir.join("dialogue.ts");
        std::fs::write(&ts, "edited").unwrap();
        std::fs::remove_file(dir.join("schemas.json")).unwrap();
        let third = write_changed(&spec, &dir).unwrap();
        assert_eq!(third.written, [ts.clone(), dir.join("schemas.json")]);
        assert!(
            std::fs::read_to_string(&ts)
                .unwrap()
                .contains(BUILD_COMMAND)
        );
        let lines = third.cargo_lines();
        assert_eq!(lines.len(), 4);
        assert!(
            lines
                .iter()
                .all(|line| line.starts_with("cargo:rerun-if-changed=")),
            "{lines:?}"
        );
        assert!(lines.contains(&format!("cargo:rerun-if-changed={}", ts.display())));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_directory_that_cannot_be_made_is_a_clear_error() {
        let spec = AppSpec::builder("App").build().unwrap();
        let dir = scratch("blocked");
        std::fs::write(&dir, "a file, not a directory").unwrap();
        let error = write_changed(&spec, &dir.join("generated")).unwrap_err();
        assert!(error.to_string().starts_with("cannot write "), "{error}");
        let _ = std::fs::remove_file(&dir);
    }
}
