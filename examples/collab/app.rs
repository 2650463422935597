//! Collaborative editing: a room per document, made when someone first opens
//! it; changes carry the version they were made on, and a change made on an
//! old version is refused; cursors and presence travel beside them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use dialogue_runtime::prelude::*;
use dialogue_runtime::spec::RoomEvents;
use dialogue_runtime::{BuildError, ConnectedClient, CreateRoomError, HookError, RoomOptions};

/// One edit. Positions count characters, in the text as the edits before it
/// in the same change left it.
#[derive(Serialize, Deserialize, JsonSchema, TS, Debug, Clone, PartialEq)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Operation {
    /// Inserts `text` at `position`.
    Insert {
        /// Where.
        position: u32,
        /// What, 1 to 10 000 characters.
        #[schemars(length(min = 1, max = 10000))]
        text: String,
    },
    /// Deletes `length` characters from `position`.
    Delete {
        /// Where.
        position: u32,
        /// How many, at least 1.
        #[schemars(range(min = 1))]
        length: u32,
    },
}

/// A change to a document, made on `version`. The server applies it only if
/// the document is still at `version`; it is then at `version + 1`.
#[derive(Event, Serialize, Deserialize, JsonSchema, TS, Debug, Clone, PartialEq)]
#[event(name = "doc:change")]
pub struct DocChange {
    /// The version the change was made on.
    pub version: u64,
    /// The edits, 1 to 100.
    #[schemars(length(min = 1, max = 100))]
    pub operations: Vec<Operation>,
}

/// A selected range.
#[derive(Serialize, Deserialize, JsonSchema, TS, Debug, Clone, PartialEq)]
pub struct Selection {
    /// First character.
    pub start: u32,
    /// Past the last.
    pub end: u32,
}

/// Where someone's cursor is.
#[derive(Event, Serialize, Deserialize, JsonSchema, TS, Debug, Clone, PartialEq)]
#[event(name = "cursor:update")]
pub struct CursorUpdate {
    /// The caret.
    pub position: u32,
    /// What is selected, if anything.
    pub selection: Option<Selection>,
    /// Their colour, `#rrggbb`.
    #[schemars(regex(pattern = r"^#[0-9a-fA-F]{6}$"))]
    pub color: String,
}

/// Whether someone is at their keyboard.
#[derive(Serialize, Deserialize, JsonSchema, TS, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
#[schemars(inline)]
pub enum Presence {
    Active,
    Idle,
    Away,
}

/// Someone's presence changed.
#[derive(Event, Serialize, Deserialize, JsonSchema, TS, Debug, Clone, PartialEq)]
#[event(name = "presence:update")]
pub struct PresenceUpdate {
    /// Now.
    pub status: Presence,
}

/// One person in a document.
#[derive(Serialize, Deserialize, JsonSchema, TS, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Participant {
    /// Who.
    pub user_id: String,
    /// Their presence.
    pub status: Presence,
}

/// Who is in the document (pushed by the server when someone arrives, goes or
/// changes presence).
#[derive(Event, Serialize, Deserialize, JsonSchema, TS, Debug, Clone, PartialEq)]
#[event(name = "doc:participants")]
pub struct Participants {
    /// Everyone, sorted.
    pub users: Vec<Participant>,
}

dialogue! {
    /// Documents edited together.
    pub CollabApp {
        /// A document that always exists. The others (`doc:{id}`) are made at
        /// run time with the same events; declaring them here also gives the
        /// server their schemas, so changes in every document are validated.
        scratchpad: {
            id: "doc:scratchpad",
            name: "Scratchpad",
            events: [DocChange, CursorUpdate, PresenceUpdate],
            server_events: [Participants],
        },
    }
}

/// The prefix of document rooms.
pub const DOC: &str = "doc:";
/// At most this many documents are open at once (`POST /docs/{id}` past it: 503).
pub const MAX_DOCS: usize = 1_000;
/// The longest a document may grow, in characters; a change past it is refused.
pub const MAX_TEXT: usize = 100_000;

/// A document as the server holds it.
#[derive(Serialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Snapshot {
    /// Its room.
    pub room_id: String,
    /// How many changes it has had.
    pub version: u64,
    /// Its text.
    pub text: String,
}

#[derive(Debug, Default)]
struct Doc {
    version: u64,
    text: String,
    presence: HashMap<String, Presence>,
}

/// Every document, by room id.
#[derive(Debug, Default)]
pub struct Docs {
    docs: Mutex<HashMap<String, Doc>>,
}

impl Docs {
    /// The documents, with the scratchpad.
    pub fn new() -> Self {
        let docs = Self::default();
        docs.with(|docs| docs.insert(CollabApp::SCRATCHPAD.to_owned(), Doc::default()));
        docs
    }

    fn with<T>(&self, f: impl FnOnce(&mut HashMap<String, Doc>) -> T) -> T {
        f(&mut self.docs.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// The document in `room`, if there is one.
    pub fn snapshot(&self, room: &str) -> Option<Snapshot> {
        self.with(|docs| {
            docs.get(room).map(|doc| Snapshot {
                room_id: room.to_owned(),
                version: doc.version,
                text: doc.text.clone(),
            })
        })
    }

    /// Applies a change made on `version`, all of it or nothing; the new
    /// version, or why not.
    fn apply(&self, room: &str, change: &DocChange) -> Result<u64, String> {
        self.with(|docs| {
            let Some(doc) = docs.get_mut(room) else {
                return Err(format!("`{room}` is not a document: open it with POST /docs/{{id}}"));
            };
            if change.version != doc.version {
                return Err(format!(
                    "stale version {}: the document is at version {}; apply the changes you missed and retry",
                    change.version, doc.version
                ));
            }
            let mut chars: Vec<char> = doc.text.chars().collect();
            for (i, operation) in change.operations.iter().enumerate() {
                match operation {
                    Operation::Insert { position, text } => {
                        let at = *position as usize;
                        if at > chars.len() {
                            return Err(format!("operation {i}: position {at} is past the end ({})", chars.len()));
                        }
                        chars.splice(at..at, text.chars());
                    }
                    Operation::Delete { position, length } => {
                        let (at, end) = (*position as usize, *position as usize + *length as usize);
                        if end > chars.len() {
                            return Err(format!("operation {i}: {at}..{end} is past the end ({})", chars.len()));
                        }
                        chars.drain(at..end);
                    }
                }
            }
            if chars.len() > MAX_TEXT {
                return Err(format!(
                    "the document would have {} characters; at most {MAX_TEXT}",
                    chars.len()
                ));
            }
            doc.text = chars.into_iter().collect();
            doc.version += 1;
            Ok(doc.version)
        })
    }

    /// Sets someone's presence.
    fn set_presence(&self, room: &str, user: &str, status: Option<Presence>) {
        self.with(|docs| {
            if let Some(doc) = docs.get_mut(room) {
                match status {
                    Some(status) => doc.presence.insert(user.to_owned(), status),
                    None => doc.presence.remove(user),
                };
            }
        });
    }

    /// Who is in `room`, sorted.
    fn participants(&self, room: &str) -> Participants {
        self.with(|docs| {
            let mut users: Vec<Participant> = docs
                .get(room)
                .map(|doc| {
                    doc.presence
                        .iter()
                        .map(|(user, status)| Participant {
                            user_id: user.clone(),
                            status: *status,
                        })
                        .collect()
                })
                .unwrap_or_default();
            users.sort_by(|a, b| a.user_id.cmp(&b.user_id));
            Participants { users }
        })
    }
}

/// The server and the whole HTTP application: `POST /docs/{id}` opens (makes
/// if needed) a document, `GET /docs/{id}` reads it, merged with the
/// Socket.IO endpoint.
pub fn build(docs: Arc<Docs>) -> Result<(Dialogue<CollabApp>, Router), BuildError> {
    let (changes, joined, left, presence) =
        (docs.clone(), docs.clone(), docs.clone(), docs.clone());
    let dialogue = Dialogue::<CollabApp>::builder()
        // Rooms clients make with `dialogue:createRoom` are no documents;
        // keep them few.
        .max_dynamic_rooms(100, 5)
        // A change applies to the version it was made on, or not at all. The
        // document changes here, before the broadcast, under one lock: of two
        // changes made on the same version, the second is refused.
        .before_each(move |_, message| {
            let docs = changes.clone();
            async move {
                if message.event != DocChange::NAME {
                    return Ok(message);
                }
                let change: DocChange = serde_json::from_value(message.data.clone())?;
                match docs.apply(&message.room_id, &change) {
                    Ok(version) => {
                        tracing::debug!(room = %message.room_id, user = %message.from, version, "changed");
                        Ok(message)
                    }
                    Err(reason) => {
                        tracing::info!(room = %message.room_id, user = %message.from, %reason, "change refused");
                        Err(HookError::refuse(reason))
                    }
                }
            }
        })
        // Whoever opens a document gets it whole, then the changes after it.
        .on_joined(move |dialogue, client, room_id| {
            let docs = joined.clone();
            async move {
                let Some(snapshot) = docs.snapshot(&room_id) else { return };
                let _ = client.send("doc:snapshot", &snapshot);
                docs.set_presence(&room_id, client.user_id(), Some(Presence::Active));
                tracing::info!(user = client.user_id(), room = %room_id, version = snapshot.version, "opened");
                announce(&dialogue, &docs, &room_id).await;
            }
        })
        .on_left(move |dialogue, client, room_id| {
            let docs = left.clone();
            async move {
                if others_in(&dialogue, &client, &room_id) == 0 {
                    docs.set_presence(&room_id, client.user_id(), None);
                    announce(&dialogue, &docs, &room_id).await;
                }
            }
        })
        .on_triggered(move |dialogue, message| {
            let docs = presence.clone();
            async move {
                if message.event == PresenceUpdate::NAME
                    && let Ok(update) = serde_json::from_value::<PresenceUpdate>(message.data)
                {
                    docs.set_presence(&message.room_id, &message.from, Some(update.status));
                    announce(&dialogue, &docs, &message.room_id).await;
                }
            }
        })
        .build()?;
    let routes = Router::new()
        .route("/docs", get(list))
        .route("/docs/{id}", post(open).get(read))
        .with_state(Routes {
            dialogue: dialogue.clone(),
            docs,
            opening: Arc::default(),
        });
    let app = routes.merge(dialogue.router());
    Ok((dialogue, app))
}

/// How many other connections of the client's user are in the room.
fn others_in(dialogue: &Dialogue<CollabApp>, client: &ConnectedClient, room_id: &str) -> usize {
    dialogue.room_by_id(room_id).map_or(0, |room| {
        room.participants()
            .iter()
            .filter(|other| other.user_id() == client.user_id() && other.id() != client.id())
            .count()
    })
}

/// Tells the document's room who is there.
async fn announce(dialogue: &Dialogue<CollabApp>, docs: &Docs, room_id: &str) {
    let Ok(data) = serde_json::to_value(docs.participants(room_id)) else {
        return;
    };
    if let Err(error) = dialogue
        .trigger_json(room_id, Participants::NAME, data, None)
        .await
    {
        tracing::debug!(room = %room_id, %error, "participants not sent");
    }
}

/// What the routes share.
#[derive(Clone)]
struct Routes {
    dialogue: Dialogue<CollabApp>,
    docs: Arc<Docs>,
    opening: Arc<tokio::sync::Mutex<()>>,
}

/// A document id: 1 to 64 lowercase letters, digits and `-`.
fn room_of(id: &str) -> Option<String> {
    let valid = !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    valid.then(|| format!("{DOC}{id}"))
}

/// `POST /docs/{id}`: the document, made on first use with its room: `201`
/// when new, `200` when it existed. Then join its room.
async fn open(State(routes): State<Routes>, Path(id): Path<String>) -> Response {
    let Some(room_id) = room_of(&id) else {
        return error(
            StatusCode::BAD_REQUEST,
            "a document id is 1 to 64 of a-z, 0-9 and -",
        );
    };
    // One opening at a time: the document and its room appear together.
    let _opening = routes.opening.lock().await;
    if let Some(snapshot) = routes.docs.snapshot(&room_id) {
        return (StatusCode::OK, Json(snapshot)).into_response();
    }
    // The scratchpad counts too: MAX_DOCS documents opened over HTTP.
    if routes.docs.with(|docs| docs.len()) > MAX_DOCS {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "too many open documents; try again later",
        );
    }
    routes
        .docs
        .with(|docs| docs.insert(room_id.clone(), Doc::default()));
    let events = [DocChange::NAME, CursorUpdate::NAME, PresenceUpdate::NAME];
    let options = RoomOptions::new(room_id.clone(), format!("Document {id}"))
        .description("Edited together")
        .max_size(16)
        .events(RoomEvents::Only(
            events.iter().map(|e| (*e).to_owned()).collect(),
        ));
    if let Err(failure) = routes.dialogue.create_room(options).await {
        routes.docs.with(|docs| docs.remove(&room_id));
        return match failure {
            // A client made a room of that name with `dialogue:createRoom`:
            // it takes any event, unchecked, so it is no document.
            CreateRoomError::Exists(_) => error(
                StatusCode::CONFLICT,
                "that room exists and is not a document",
            ),
            failure => {
                tracing::error!(room = %room_id, error = %failure, "cannot make the room");
                error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "cannot open the document",
                )
            }
        };
    }
    tracing::info!(room = %room_id, "document created");
    let snapshot = routes.docs.snapshot(&room_id).unwrap_or_default();
    (StatusCode::CREATED, Json(snapshot)).into_response()
}

/// `GET /docs/{id}`: the document now.
async fn read(State(routes): State<Routes>, Path(id): Path<String>) -> Response {
    match room_of(&id).and_then(|room| routes.docs.snapshot(&room)) {
        Some(snapshot) => Json(snapshot).into_response(),
        None => error(StatusCode::NOT_FOUND, "no such document"),
    }
}

/// `GET /docs`: every document's room and version.
async fn list(State(routes): State<Routes>) -> Json<Vec<Snapshot>> {
    let mut rooms: Vec<String> = routes.docs.with(|docs| docs.keys().cloned().collect());
    rooms.sort();
    Json(
        rooms
            .iter()
            .filter_map(|room| routes.docs.snapshot(room))
            .collect(),
    )
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(serde_json::json!({ "error": message }))).into_response()
}
