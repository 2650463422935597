//! The `codegen` command of a server binary: `<server> codegen DIR` writes the
//! generated files into DIR; with `--check` it writes nothing and fails when
//! DIR differs, naming the command to run.

use std::path::PathBuf;
use std::process::ExitCode;

use dialogue_core::spec::AppSpec;

use crate::{CodegenError, check, files, write};

/// Why the `codegen` command failed.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The arguments do not read.
    #[error("usage: {program} codegen DIR [--check]")]
    Usage {
        /// How the server is run, e.g. `cargo run --example conformance --`.
        program: String,
    },
    /// The declaration cannot be generated.
    #[error(transparent)]
    Codegen(#[from] CodegenError),
    /// Reading or writing DIR failed.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// `--check` found DIR out of date.
    #[error("{0}")]
    Stale(String),
}

impl CliError {
    /// The process exit code: 1 for stale files, 2 for everything else.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Self::Stale(_) => ExitCode::from(1),
            _ => ExitCode::from(2),
        }
    }
}

/// Runs `codegen DIR [--check]` given the arguments after `codegen`.
/// `program` is how the server binary is run (`cargo run --example
/// conformance --`, `./my-server`); it goes into the files' header and the
/// messages. Returns what was done, for the caller to print.
pub fn run(spec: &AppSpec, program: &str, args: &[String]) -> Result<String, CliError> {
    let usage = || CliError::Usage {
        program: program.to_owned(),
    };
    let check_only = args.iter().any(|a| a == "--check");
    let dirs: Vec<&String> = args.iter().filter(|a| *a != "--check").collect();
    let [dir] = dirs.as_slice() else {
        return Err(usage());
    };
    if dir.starts_with('-') {
        return Err(usage());
    }
    let dir = PathBuf::from(dir);
    let command = format!("{program} codegen DIR");
    let generated = files(spec, &command)?;
    if check_only {
        let drift = check(&dir, &generated).map_err(|source| CliError::Io {
            path: dir.clone(),
            source,
        })?;
        if drift.is_empty() {
            return Ok(format!("{} is up to date", dir.display()));
        }
        let list = |label: &str, paths: &[PathBuf]| {
            (!paths.is_empty()).then(|| {
                let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
                format!("{label}: {}", shown.join(", "))
            })
        };
        let details: Vec<String> = [
            list("changed", &drift.changed),
            list("missing", &drift.missing),
            list("not generated", &drift.extra),
        ]
        .into_iter()
        .flatten()
        .collect();
        return Err(CliError::Stale(format!(
            "{} is out of date ({}); run `{program} codegen {}` and commit the result",
            dir.display(),
            details.join("; "),
            dir.display()
        )));
    }
    write(&dir, &generated).map_err(|source| CliError::Io {
        path: dir.clone(),
        source,
    })?;
    Ok(format!(
        "wrote {} files into {}",
        generated.len(),
        dir.display()
    ))
}

/// Offers the `codegen` command in a server's `main`: when the process was
/// started as `<program> codegen DIR [--check]`, it generates (or checks) and
/// exits; otherwise it returns and the server starts as usual.
///
/// ```no_run
/// # use dialogue_core::spec::AppSpec;
/// # fn spec() -> &'static AppSpec { unimplemented!() }
/// fn main() {
///     dialogue_codegen::run_if_requested(spec(), "cargo run --bin my-server --");
///     // ... start the server
/// }
/// ```
pub fn run_if_requested(spec: &AppSpec, program: &str) {
    let mut args = std::env::args().skip(1);
    if args.next().as_deref() != Some("codegen") {
        return;
    }
    let rest: Vec<String> = args.collect();
    let code = match run(spec, program, &rest) {
        Ok(message) => {
            println!("{message}");
            0
        }
        Err(error) => {
            eprintln!("{error}");
            match error {
                CliError::Stale(_) => 1,
                _ => 2,
            }
        }
    };
    std::process::exit(code);
}
