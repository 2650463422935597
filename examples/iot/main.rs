//! IoT monitoring: devices send sensor readings into the `sensors` room, the
//! server derives alerts from them (temperature above 40 °C, battery below
//! 20 %) in an `after_each` hook, and announces each device's status, online
//! or offline, from the connection hooks.
//!
//! Run: `cargo run --example iot`
//!
//! Then watch as a person, and send readings as a device, with any
//! Socket.IO v4 client:
//!
//! ```js
//! const watcher = io("http://127.0.0.1:3000", { auth: { userId: "ops" } });
//! watcher.on("dialogue:event", (e) => console.log(e.event, e.from, e.data));
//! watcher.emit("dialogue:join", { roomId: "sensors" });
//!
//! const device = io("http://127.0.0.1:3000", { auth: { deviceId: "thermo-1" } });
//! device.emit("dialogue:trigger", { roomId: "sensors", event: "sensor:reading",
//!   data: { temperature: 45.5, humidity: 30, pressure: 1013, battery: 15 } });
//! ```
//!
//! The watcher sees `device:status` (thermo-1 online), the reading from
//! `device:thermo-1`, then two `device:alert`s; closing the device's socket
//! sends `device:status` offline. A battery of 150 is refused with
//! `VALIDATION_FAILED`; a reading sent by a person with `EVENT_NOT_ALLOWED`.
//!
//! `PORT` changes the port (default 3000; 0 picks a free one); `RUST_LOG` the
//! logs (default `info`; `debug` shows every reading).

mod app;

use std::process::ExitCode;
use std::sync::Arc;

#[tokio::main]
async fn main() -> ExitCode {
    init_logging();
    let port = match port() {
        Ok(port) => port,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let dialogue = match app::build(Arc::new(app::Fleet::default())) {
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
    tracing::info!(
        hot = app::HOT,
        low_battery = app::LOW_BATTERY,
        "alert thresholds"
    );

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
/// `PORT`, default 3000.
fn port() -> Result<u16, String> {
    match std::env::var("PORT") {
        Err(_) => Ok(3000),
        Ok(text) if text.is_empty() => Ok(3000),
        Ok(text) => text
            .parse()
            .map_err(|_| format!("PORT must be a port number (0 to 65535), not {text:?}")),
    }
}

/// Logs on stderr, `info` unless `RUST_LOG` says otherwise.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
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
