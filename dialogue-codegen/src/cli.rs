//! The `codegen` command of a server binary: `<server> codegen DIR [--zod]`
//! writes the generated files into DIR, `<server> codegen --package DIR
//! [--name NAME] [--version VERSION]` an npm package; with `--check` it
//! writes nothing and fails when DIR differs, naming the command to run.

use std::path::PathBuf;
use std::process::ExitCode;

use dialogue_core::spec::AppSpec;

use crate::{CodegenError, Options, PackageOptions, check, files_with, package, write};

/// Why the `codegen` command failed.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The arguments do not read.
    #[error(
        "usage: {program} codegen DIR [--zod] [--check]\n   or: {program} codegen --package DIR [--name NAME] [--version VERSION] [--check]"
    )]
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
    let mut check_only = false;
    let mut zod = false;
    let mut as_package = false;
    let mut name = None;
    let mut version = None;
    let mut dirs = Vec::new();
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--check" => check_only = true,
            "--zod" => zod = true,
            "--package" => as_package = true,
            "--name" => name = Some(rest.next().ok_or_else(usage)?.clone()),
            "--version" => version = Some(rest.next().ok_or_else(usage)?.clone()),
            flag if flag.starts_with('-') => return Err(usage()),
            dir => dirs.push(dir),
        }
    }
    let [dir] = dirs.as_slice() else {
        return Err(usage());
    };
    if !as_package && (name.is_some() || version.is_some()) || as_package && zod {
        return Err(usage());
    }
    let dir = PathBuf::from(dir);
    let (generated, command) = if as_package {
        let defaults = PackageOptions::for_app(spec);
        let options = PackageOptions::new(
            name.unwrap_or_else(|| defaults.name().to_owned()),
            version.unwrap_or_else(|| defaults.version().to_owned()),
        );
        let command = format!(
            "{program} codegen --package DIR --name {} --version {}",
            options.name(),
            options.version()
        );
        (package(spec, &command, &options)?, command)
    } else {
        let zod_flag = if zod { " --zod" } else { "" };
        let command = format!("{program} codegen DIR{zod_flag}");
        (files_with(spec, &command, &Options { zod })?, command)
    };
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
            "{} is out of date ({}); run `{}` and commit the result",
            dir.display(),
            details.join("; "),
            command.replace("DIR", &dir.display().to_string())
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
