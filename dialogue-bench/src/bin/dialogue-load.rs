//! `dialogue-load`: a Socket.IO load generator for Dialogue servers and their
//! peers, on loopback only.
//!
//! Run: `cargo run --release -p dialogue-bench --bin dialogue-load -- --scenario fanout --pid PID`
//! (see `--help` and `docs/benchmarks.md`).

use std::io::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use dialogue_bench::args::{self, ArgError};
use dialogue_bench::{reconnect, report, scenario};

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let summary = match argv.as_slice() {
        [flag, file] if flag == "--summarize" => Some((file, None)),
        [flag, file, a, b] if flag == "--compare" => Some((file, Some((a, b)))),
        _ => None,
    };
    if let Some((file, builds)) = summary {
        return match std::fs::read_to_string(file) {
            Ok(lines) => {
                match builds {
                    None => print!("{}", report::summarize(&lines)),
                    Some((a, b)) => print!("{}", report::compare(&lines, a, b)),
                }
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("dialogue-load: cannot read {file}: {error}");
                ExitCode::FAILURE
            }
        };
    }
    let config = match args::parse(argv) {
        Ok(config) => config,
        Err(ArgError::Help) => {
            print!("{}", args::USAGE);
            return ExitCode::SUCCESS;
        }
        Err(error) => {
            eprintln!("dialogue-load: {error}");
            return ExitCode::from(2);
        }
    };

    // The hard bound: whatever the runtime is doing, the process ends.
    let bound = config.max_time + Duration::from_secs(15);
    std::thread::spawn(move || {
        std::thread::sleep(bound);
        eprintln!("dialogue-load: hard time bound of {bound:?} reached, exiting");
        std::process::exit(3);
    });

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(config.threads)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("dialogue-load: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    if config.scenario == args::Scenario::Reconnect {
        let report = runtime.block_on(reconnect::run(&config));
        runtime.shutdown_timeout(Duration::from_secs(2));
        let json = report.json();
        println!("{json}");
        eprint!("{}", report.table());
        append(&config, &json);
        return if report.timed_out || report.joined == 0 {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        };
    }
    let report = runtime.block_on(scenario::run(&config));
    // Closing thousands of sockets is the kernel's job, not ours to wait for.
    runtime.shutdown_timeout(Duration::from_secs(2));

    let json = report.json();
    println!("{json}");
    eprint!("{}", report.table());
    append(&config, &json);
    if report.timed_out || report.joined == 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Appends the JSON line to `--json-out`, when given.
fn append(config: &args::Config, json: &str) {
    if let Some(path) = &config.json_out {
        let written = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .and_then(|mut file| writeln!(file, "{json}"));
        if let Err(error) = written {
            eprintln!(
                "dialogue-load: cannot append to {}: {error}",
                path.display()
            );
        }
    }
}
