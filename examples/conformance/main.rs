//! The conformance server: the fixed application of `../shared/CONFORMANCE.md`
//! that end-to-end tests, clients and benchmarks run against.
//!
//! Run: `cargo run --release --example conformance`
//!
//! It listens on `127.0.0.1:$PORT` (default 3000), prints
//! `listening on http://127.0.0.1:PORT` once it accepts connections, and stops
//! cleanly on Ctrl-C or SIGTERM. Then connect any Socket.IO v4 client, e.g.
//! `io("http://127.0.0.1:3000", { auth: { userId: "alice" } })`, and emit
//! `dialogue:join` with `{ roomId: "chat" }`.

mod app;

use std::process::ExitCode;

use app::ConformanceApp;
use dialogue_runtime::Dialogue;

#[tokio::main]
async fn main() -> ExitCode {
    let port = match std::env::var("PORT") {
        Err(_) => 3000,
        Ok(text) => match text.parse::<u16>() {
            Ok(port) => port,
            Err(_) => {
                eprintln!("PORT must be a port number (0 to 65535), not {text:?}");
                return ExitCode::from(2);
            }
        },
    };
    let dialogue = match Dialogue::<ConformanceApp>::builder().build() {
        Ok(dialogue) => dialogue,
        Err(error) => {
            eprintln!("cannot start: {error}");
            return ExitCode::FAILURE;
        }
    };
    let listener = match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("cannot listen on 127.0.0.1:{port}: {error}");
            return ExitCode::FAILURE;
        }
    };
    let port = listener.local_addr().map_or(port, |addr| addr.port());
    println!("listening on http://127.0.0.1:{port}");

    let stopper = dialogue.clone();
    tokio::spawn(async move {
        stop_signal().await;
        stopper.shutdown().await;
    });
    match dialogue.serve_on(listener).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{error}");
            ExitCode::FAILURE
        }
    }
}

/// Ctrl-C, or SIGTERM on Unix.
async fn stop_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
