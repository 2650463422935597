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
#[path = "../common/mod.rs"]
mod common;

use std::process::ExitCode;
use std::sync::Arc;

use common::{init_logging, listen, port, stop_signal};

#[tokio::main]
async fn main() -> ExitCode {
    init_logging("info");
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
    let Ok((listener, _)) = listen(port).await else {
        return ExitCode::FAILURE;
    };
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
