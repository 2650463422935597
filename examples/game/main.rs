//! A multiplayer game: a lobby of at most 8, two matches of at most 4
//! (`max_size`), player moves validated by their schema (positions 0 to 100),
//! and each match's state broadcast 30 times a second by a server task.
//!
//! Run: `cargo run --example game`
//!
//! Then connect two players with any Socket.IO v4 client; each lands in the
//! lobby (`game:lobby`) and sees `lobby:update`. Join a match and move:
//!
//! ```js
//! const socket = io("http://127.0.0.1:3000", { auth: { userId: "ada" } });
//! socket.on("dialogue:event", (e) => console.log(e.event, e.data));
//! socket.on("dialogue:error", (e) => console.log(e.code, e.message));
//! socket.emit("dialogue:join", { roomId: "game:match-1" });
//! socket.emit("dialogue:trigger", { roomId: "game:match-1", event: "player:move",
//!   data: { x: 40, y: 60, direction: "up" } });
//! ```
//!
//! `game:state` arrives 30 times a second with every player's position. A
//! move to `x: 150` is refused with `VALIDATION_FAILED` (details point at
//! `/x`); a fifth player joining a match gets `ROOM_FULL`.
//!
//! `PORT` changes the port (default 3000; 0 picks a free one); `RUST_LOG` the
//! logs (default `info`).

mod app;
#[path = "../common/mod.rs"]
mod common;

use std::process::ExitCode;
use std::sync::Arc;

use common::{init_logging, listen, port, stop_signal};

/// States per second.
const TICK_RATE: u32 = 30;

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
    let world = Arc::new(app::World::default());
    let dialogue = match app::build(world.clone()) {
        Ok(dialogue) => dialogue,
        Err(error) => {
            eprintln!("cannot start: {error}");
            return ExitCode::FAILURE;
        }
    };
    let Ok((listener, _)) = listen(port).await else {
        return ExitCode::FAILURE;
    };
    tracing::info!(rate = TICK_RATE, arena = app::ARENA, "game loop started");

    let game_loop = app::spawn_game_loop(dialogue.clone(), world, TICK_RATE);
    let stopper = dialogue.clone();
    tokio::spawn(async move {
        stop_signal().await;
        game_loop.abort();
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
