//! A bot in the chat: it joins the `general` room and answers `!time`,
//! `!echo <text>` and `!help`. It is a Rust client typed by the chat's own
//! declaration (`examples/chat/app.rs`, docs/rust-client.md): the room is
//! `ChatApp::general()`, messages are `Message`, and it stays in the room
//! across reconnects by itself.
//!
//! Run the chat (`cargo run --example chat`), then, in another terminal:
//! `cargo run --example chat_bot`. `CHAT_URL` names another server (default
//! `http://127.0.0.1:3000`).

#[path = "../chat/app.rs"]
mod app;

use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use app::{ChatApp, Message};
use dialogue_client::typed::{CallError, TypedClient};
use serde_json::json;

#[tokio::main]
async fn main() -> ExitCode {
    let url = std::env::var("CHAT_URL").unwrap_or_else(|_| "http://127.0.0.1:3000".into());
    match run(&url).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("the bot stops: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(url: &str) -> Result<(), Box<dyn std::error::Error>> {
    let client = TypedClient::<ChatApp>::builder(url)
        .auth(json!({ "userId": "bot" }))
        .connect()
        .await?;
    let general = client.join(ChatApp::general()).await?;
    let mut messages = general.events::<Message>().await?;
    println!("the bot is in \"{}\" at {url}; say !help", general.name());

    while let Some(message) = messages.recv().await {
        // The bot hears its own messages too.
        if message.from == client.user_id() {
            continue;
        }
        let Some(text) = answer(&message.data.text) else {
            continue;
        };
        match general.trigger(Message { text }).await {
            Ok(_) => {}
            // A refusal (too long, too fast) costs one answer, not the bot.
            Err(CallError::Refused(refusal)) => eprintln!("not sent: {refusal}"),
            Err(error) => return Err(error.into()),
        }
    }
    Ok(())
}

/// The bot's answer to `text`, if it has one.
fn answer(text: &str) -> Option<String> {
    let text = text.trim();
    if let Some(rest) = text.strip_prefix("!echo ") {
        return Some(rest.trim().to_owned()).filter(|echo| !echo.is_empty());
    }
    match text {
        "!time" => {
            let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs();
            let (h, m, s) = (now / 3600 % 24, now / 60 % 60, now % 60);
            Some(format!("It is {h:02}:{m:02}:{s:02} UTC."))
        }
        "!help" => Some("I answer !time and !echo <text>.".to_owned()),
        _ => None,
    }
}
