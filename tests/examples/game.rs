//! `game`: capacity, moves checked by schema and rules, state at 30 Hz.

#[allow(
    dead_code,
    reason = "the example's app is shared with its binary; the test uses part"
)]
#[path = "../../examples/game/app.rs"]
mod app;

use std::sync::Arc;
use std::time::Duration;

use dialogue_client::Client;
use serde_json::{Value, json};

use crate::harness::*;

/// The example as `main` runs it: server and game loop at 30 Hz.
async fn start() -> String {
    let world = Arc::new(app::World::default());
    let dialogue = app::build(world.clone()).expect("builds");
    app::spawn_game_loop(dialogue.clone(), world, 30);
    serve_dialogue(&dialogue).await
}

/// Connects `user`, who lands in the lobby.
async fn player(url: &str, user: &str) -> Client {
    let client = connect_as(url, user).await;
    assert_eq!(
        next(&client, "dialogue:joined").await["roomId"],
        "game:lobby"
    );
    client
}

fn player_in<'a>(state: &'a Value, id: &str) -> Option<&'a Value> {
    state["data"]["players"]
        .as_array()?
        .iter()
        .find(|p| p["id"] == id)
}

#[tokio::test]
async fn a_match_holds_four_and_moves_are_checked() {
    let url = start().await;
    let mut players = Vec::new();
    for n in 1..=5 {
        players.push(player(&url, &format!("p{n}")).await);
    }
    for p in &players[..4] {
        join(p, "game:match-1").await;
    }
    let error = ask_refused(
        &players[4],
        "dialogue:join",
        json!({ "roomId": "game:match-1" }),
    )
    .await;
    assert_eq!(error["code"], "ROOM_FULL", "{error}");
    // The lobby learns how full the match is.
    event_where(&players[4], "lobby:update", |e| {
        e["data"]["matches"][0]
            == json!({ "roomId": "game:match-1", "name": "Match 1", "players": 4, "maxPlayers": 4 })
    })
    .await;

    let (p1, p2) = (&players[0], &players[1]);
    // Out of the arena, or a direction that does not exist: refused by the schema.
    let error = trigger_refused(
        p1,
        "game:match-1",
        "player:move",
        json!({ "x": 150, "y": 10, "direction": "up" }),
    )
    .await;
    assert_eq!(error["code"], "VALIDATION_FAILED", "{error}");
    assert_eq!(error["details"][0]["path"], "/x", "{error}");
    let error = trigger_refused(
        p1,
        "game:match-1",
        "player:move",
        json!({ "x": 1, "y": -1, "direction": "up" }),
    )
    .await;
    assert_eq!(error["details"][0]["path"], "/y", "{error}");
    let error = trigger_refused(
        p1,
        "game:match-1",
        "player:move",
        json!({ "x": 1, "y": 1, "direction": "north" }),
    )
    .await;
    assert_eq!(error["code"], "VALIDATION_FAILED", "{error}");

    // A valid move shows in the broadcast state.
    trigger(
        p1,
        "game:match-1",
        "player:move",
        json!({ "x": 25.5, "y": 60, "direction": "left" }),
    )
    .await;
    let state = event_where(p2, "game:state", |s| {
        player_in(s, "p1").is_some_and(|p| p["x"] == 25.5 && p["y"] == 60.0)
    })
    .await;
    assert_eq!(state["data"]["status"], "playing");
    assert_eq!(state["from"], "system");
    assert_eq!(player_in(&state, "p1").expect("p1")["direction"], "left");

    // Rules beyond the schema, in before_each: the target must play here.
    let error = trigger_refused(
        p1,
        "game:match-1",
        "player:action",
        json!({ "action": "attack", "targetId": "p5" }),
    )
    .await;
    assert_eq!(error["code"], "EVENT_NOT_ALLOWED", "{error}");
    assert!(
        error["message"].as_str().unwrap_or("").contains("p5"),
        "{error}"
    );
    trigger(
        p1,
        "game:match-1",
        "player:action",
        json!({ "action": "attack", "targetId": "p2" }),
    )
    .await;
    event_where(p2, "game:state", |s| {
        player_in(s, "p2").is_some_and(|p| p["health"] == 90)
            && player_in(s, "p1").is_some_and(|p| p["score"] == 1)
    })
    .await;

    // Clients may not forge the state.
    let error = trigger_refused(
        p1,
        "game:match-1",
        "game:state",
        json!({ "tick": 1, "status": "playing", "players": [] }),
    )
    .await;
    assert_eq!(error["code"], "EVENT_NOT_ALLOWED", "{error}");
}

#[tokio::test]
async fn every_tick_of_the_game_state_is_broadcast_in_order() {
    let url = start().await;
    let solo = player(&url, "solo").await;
    join(&solo, "game:match-2").await;
    let first = event(&solo, "game:state").await;
    assert_eq!(first["data"]["status"], "waiting");

    // Every tick is broadcast, in order, none skipped. (How fast is a matter
    // for a benchmark, not a test: these machines are shared.)
    let mut ticks = Vec::new();
    while ticks.len() < 15 {
        let received = solo
            .expect_event("dialogue:event", Duration::from_secs(5))
            .await
            .expect("the game loop keeps broadcasting");
        if received.args[0]["event"] == "game:state" {
            ticks.push(received.args[0]["data"]["tick"].as_u64().expect("a tick"));
        }
    }
    assert!(
        ticks.windows(2).all(|w| w[1] == w[0] + 1),
        "consecutive ticks: {ticks:?}"
    );
}
