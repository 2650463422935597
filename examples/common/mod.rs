//! What every example's `main` does the same way: read the port, set up the
//! logs, listen, and stop on Ctrl-C or SIGTERM. Each example includes this file with
//! `#[path = "../common/mod.rs"] mod common;` (it is no example itself: it
//! has no `main.rs`).

/// `PORT`, 3000 when unset or empty; 0 picks a free port.
pub fn port() -> Result<u16, String> {
    match std::env::var("PORT") {
        Err(std::env::VarError::NotPresent) => Ok(3000),
        Err(std::env::VarError::NotUnicode(_)) => Err("PORT is not valid UTF-8".to_owned()),
        Ok(text) if text.is_empty() => Ok(3000),
        Ok(text) => text
            .parse()
            .map_err(|_| format!("PORT must be a port number (0 to 65535), not {text:?}")),
    }
}

/// Binds `127.0.0.1:port` and prints `listening on http://127.0.0.1:PORT`
/// (the port actually bound, when `port` is 0) on stdout, which tests and
/// scripts wait for; says why on stderr when it cannot.
pub async fn listen(port: u16) -> Result<(tokio::net::TcpListener, u16), ()> {
    match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
        Ok(listener) => {
            let port = listener.local_addr().map_or(port, |addr| addr.port());
            println!("listening on http://127.0.0.1:{port}");
            Ok((listener, port))
        }
        Err(error) => {
            eprintln!("cannot listen on 127.0.0.1:{port}: {error}");
            Err(())
        }
    }
}

/// Logs on stderr, filtered by `RUST_LOG`, else by `default_filter` (e.g.
/// `"info"`); in colour only when stderr is a terminal, so that a log
/// redirected to a file holds no escape codes (and the fields of every
/// span, formatted when it opens, are not styled for nobody).
pub fn init_logging(default_filter: &str) {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

/// Resolves on Ctrl-C, or SIGTERM on Unix.
pub async fn stop_signal() {
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
