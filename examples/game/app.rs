//! A multiplayer game: a lobby, matches of at most four players, moves
//! checked against their schema, and the game state broadcast 30 times a
//! second by a server task.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use dialogue_runtime::prelude::*;
use dialogue_runtime::{BuildError, HookError, Room};

/// The side of the arena, in both directions: positions are 0 to 100.
pub const ARENA: f64 = 100.0;

/// Where a player faces.
#[derive(Serialize, Deserialize, JsonSchema, TS, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
#[schemars(inline)]
pub enum Direction {
    Up,
    Down,
    Left,
    Right,
}

/// A player moved. Out of the arena is refused before anyone sees it
/// (`VALIDATION_FAILED`): the schema says 0 to 100.
#[derive(Event, Serialize, Deserialize, JsonSchema, TS, Debug, Clone, PartialEq)]
#[event(name = "player:move")]
pub struct PlayerMove {
    /// Across, 0 to 100.
    #[schemars(range(min = 0.0, max = 100.0))]
    pub x: f64,
    /// Down, 0 to 100.
    #[schemars(range(min = 0.0, max = 100.0))]
    pub y: f64,
    /// Where the player faces.
    pub direction: Direction,
}

/// What a player can do.
#[derive(Serialize, Deserialize, JsonSchema, TS, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
#[schemars(inline)]
pub enum ActionKind {
    Attack,
    Defend,
    Heal,
}

/// A player acts, on another player for an attack.
#[derive(Event, Serialize, Deserialize, JsonSchema, TS, Debug, Clone, PartialEq)]
#[event(name = "player:action")]
#[serde(rename_all = "camelCase")]
pub struct PlayerAction {
    /// What.
    pub action: ActionKind,
    /// On whom (a player of the same match), for an attack.
    #[schemars(length(min = 1, max = 128))]
    pub target_id: Option<String>,
}

/// Whether a match is on.
#[derive(Serialize, Deserialize, JsonSchema, TS, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
#[schemars(inline)]
pub enum Status {
    Waiting,
    Playing,
}

/// One player in the state.
#[derive(Serialize, Deserialize, JsonSchema, TS, Debug, Clone, PartialEq)]
pub struct PlayerState {
    /// The user.
    pub id: String,
    /// Across.
    pub x: f64,
    /// Down.
    pub y: f64,
    /// Where they face.
    pub direction: Direction,
    /// 0 to 100.
    pub health: u32,
    /// Hits landed.
    pub score: u32,
}

/// The whole state of a match, 30 times a second.
#[derive(Event, Serialize, Deserialize, JsonSchema, TS, Debug, Clone, PartialEq)]
#[event(name = "game:state")]
#[serde(rename_all = "camelCase")]
pub struct GameState {
    /// Counts from 1 for each match.
    pub tick: u64,
    /// Waiting for a second player, or playing.
    pub status: Status,
    /// Everyone, by id.
    pub players: Vec<PlayerState>,
}

/// One match as the lobby shows it.
#[derive(Serialize, Deserialize, JsonSchema, TS, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct MatchSummary {
    /// The room to join.
    pub room_id: String,
    /// Its name.
    pub name: String,
    /// How many play now.
    pub players: u32,
    /// How many may.
    pub max_players: u32,
}

/// The matches and who is in them, whenever that changes.
#[derive(Event, Serialize, Deserialize, JsonSchema, TS, Debug, Clone, PartialEq)]
#[event(name = "lobby:update")]
pub struct LobbyUpdate {
    /// Every match.
    pub matches: Vec<MatchSummary>,
}

dialogue! {
    /// The game server.
    pub GameApp {
        /// Where everyone arrives and picks a match.
        lobby: {
            id: "game:lobby",
            name: "Game Lobby",
            events: [],
            server_events: [LobbyUpdate],
            max_size: 8,
        },
        /// The first arena.
        match_1: {
            id: "game:match-1",
            name: "Match 1",
            events: [PlayerMove, PlayerAction],
            server_events: [GameState],
            default_subscriptions: [GameState, PlayerAction],
            max_size: 4,
        },
        /// The second arena.
        match_2: {
            id: "game:match-2",
            name: "Match 2",
            events: [PlayerMove, PlayerAction],
            server_events: [GameState],
            default_subscriptions: [GameState, PlayerAction],
            max_size: 4,
        },
    }
}

/// The match rooms.
pub const MATCHES: [&str; 2] = [GameApp::MATCH_1, GameApp::MATCH_2];

/// The world: each match's tick and players. Hooks change it, the game loop
/// reads it.
#[derive(Debug, Default)]
pub struct World {
    matches: Mutex<HashMap<String, Arena>>,
}

/// One match.
#[derive(Debug, Default)]
struct Arena {
    tick: u64,
    players: BTreeMap<String, PlayerState>,
}

impl World {
    fn with<T>(&self, f: impl FnOnce(&mut HashMap<String, Arena>) -> T) -> T {
        f(&mut self.matches.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// `user` enters `room`, at a corner of their own.
    fn enter(&self, room: &str, user: &str) {
        self.with(|matches| {
            let arena = matches.entry(room.to_owned()).or_default();
            let corner = arena.players.len();
            arena.players.entry(user.to_owned()).or_insert(PlayerState {
                id: user.to_owned(),
                x: if corner.is_multiple_of(2) { 10.0 } else { 90.0 },
                y: if corner < 2 { 10.0 } else { 90.0 },
                direction: Direction::Down,
                health: 100,
                score: 0,
            });
        });
    }

    /// `user` is gone from `room`.
    fn leave(&self, room: &str, user: &str) {
        self.with(|matches| {
            if let Some(arena) = matches.get_mut(room) {
                arena.players.remove(user);
            }
        });
    }

    /// Whether `user` plays in `room`.
    fn plays(&self, room: &str, user: &str) -> bool {
        self.with(|matches| {
            matches
                .get(room)
                .is_some_and(|a| a.players.contains_key(user))
        })
    }

    fn moved(&self, room: &str, user: &str, to: &PlayerMove) {
        self.with(|matches| {
            if let Some(player) = matches.get_mut(room).and_then(|a| a.players.get_mut(user)) {
                player.x = to.x;
                player.y = to.y;
                player.direction = to.direction;
            }
        });
    }

    fn acted(&self, room: &str, user: &str, action: &PlayerAction) {
        self.with(|matches| {
            let Some(arena) = matches.get_mut(room) else {
                return;
            };
            match (action.action, &action.target_id) {
                (ActionKind::Attack, Some(target)) => {
                    if let Some(victim) = arena.players.get_mut(target) {
                        victim.health = victim.health.saturating_sub(10);
                        if let Some(attacker) = arena.players.get_mut(user) {
                            attacker.score += 1;
                        }
                    }
                }
                (ActionKind::Heal, _) => {
                    if let Some(player) = arena.players.get_mut(user) {
                        player.health = (player.health + 10).min(100);
                    }
                }
                _ => {}
            }
        });
    }

    /// The next state of every match that has players.
    fn tick(&self) -> Vec<(String, GameState)> {
        self.with(|matches| {
            matches
                .iter_mut()
                .filter(|(_, arena)| !arena.players.is_empty())
                .map(|(room, arena)| {
                    arena.tick += 1;
                    let state = GameState {
                        tick: arena.tick,
                        status: if arena.players.len() >= 2 {
                            Status::Playing
                        } else {
                            Status::Waiting
                        },
                        players: arena.players.values().cloned().collect(),
                    };
                    (room.clone(), state)
                })
                .collect()
        })
    }
}

/// The server, sharing `world` with the game loop.
pub fn build(world: Arc<World>) -> Result<Dialogue<GameApp>, BuildError> {
    let (joined, left, acting, played) = (world.clone(), world.clone(), world.clone(), world);
    Dialogue::<GameApp>::builder()
        // Everyone starts in the lobby (while it has room).
        .on_connected(|_, client| async move {
            if let Err(error) = client.join(GameApp::LOBBY).await {
                tracing::warn!(user = client.user_id(), %error, "not in the lobby");
            }
        })
        .on_joined(move |dialogue, client, room_id| {
            let world = joined.clone();
            async move {
                if MATCHES.contains(&room_id.as_str()) {
                    world.enter(&room_id, client.user_id());
                    tracing::info!(user = client.user_id(), room = %room_id, "entered the match");
                }
                announce(&dialogue).await;
            }
        })
        .on_left(move |dialogue, client, room_id| {
            let world = left.clone();
            async move {
                if !MATCHES.contains(&room_id.as_str()) {
                    return;
                }
                // Another tab of the same player keeps them in the match.
                let room = dialogue.room_by_id(&room_id);
                let others = room.map_or(0, |room| tabs(&room, client.user_id(), client.id()));
                if others == 0 {
                    world.leave(&room_id, client.user_id());
                    tracing::info!(user = client.user_id(), room = %room_id, "left the match");
                }
                announce(&dialogue).await;
            }
        })
        // Rules the schema cannot state: an attack needs a target in the
        // same match, who is not the attacker.
        .before_each(move |_, message| {
            let world = acting.clone();
            async move {
                if message.event == PlayerAction::NAME {
                    let action: PlayerAction = serde_json::from_value(message.data.clone())?;
                    if action.action == ActionKind::Attack {
                        let Some(target) = &action.target_id else {
                            return Err(HookError::refuse("an attack needs a targetId"));
                        };
                        if target == &message.from {
                            return Err(HookError::refuse("players cannot attack themselves"));
                        }
                        if !world.plays(&message.room_id, target) {
                            return Err(HookError::refuse(format!(
                                "{target} is not in this match"
                            )));
                        }
                    }
                }
                Ok(message)
            }
        })
        // The world changes in `on_triggered`: it runs for each client's
        // events in the order they were sent (listeners registered with
        // `on` run in tasks of their own, in no fixed order).
        .on_triggered(move |_, message| {
            let world = played.clone();
            async move {
                if message.event == PlayerMove::NAME {
                    if let Ok(to) = serde_json::from_value::<PlayerMove>(message.data) {
                        world.moved(&message.room_id, &message.from, &to);
                    }
                } else if message.event == PlayerAction::NAME
                    && let Ok(action) = serde_json::from_value::<PlayerAction>(message.data)
                {
                    world.acted(&message.room_id, &message.from, &action);
                }
            }
        })
        .build()
}

/// How many connections of `user` are in `room`, not counting `except`.
fn tabs(room: &Room, user: &str, except: &str) -> usize {
    room.participants()
        .iter()
        .filter(|client| client.user_id() == user && client.id() != except)
        .count()
}

/// Tells the lobby how full each match is.
async fn announce(dialogue: &Dialogue<GameApp>) {
    let matches = MATCHES
        .iter()
        .filter_map(|id| dialogue.room_by_id(id))
        .map(|room| MatchSummary {
            room_id: room.id().to_owned(),
            name: room.name().to_owned(),
            players: room.size() as u32,
            max_players: room.max_size().unwrap_or(u32::MAX),
        })
        .collect();
    let _ = dialogue
        .room(GameApp::lobby())
        .trigger(LobbyUpdate { matches })
        .await;
}

/// The game loop: `rate` times a second, each match with players gets its
/// state. Runs until the task is aborted.
pub fn spawn_game_loop(
    dialogue: Dialogue<GameApp>,
    world: Arc<World>,
    rate: u32,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(Duration::from_secs(1) / rate.max(1));
        // A late tick is skipped, not made up: stale states are worthless.
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            ticks.tick().await;
            for (room, state) in world.tick() {
                let sent = match room.as_str() {
                    GameApp::MATCH_1 => dialogue.room(GameApp::match_1()).trigger(state).await,
                    _ => dialogue.room(GameApp::match_2()).trigger(state).await,
                };
                if let Err(error) = sent {
                    tracing::error!(room = %room, %error, "cannot broadcast the state");
                }
            }
        }
    })
}
