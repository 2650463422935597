//! Collaborative editing. Each document is an instance of the room template
//! `doc:{docId}`: joining `doc:readme` makes it, with the template's events,
//! validation and presence, and the server opens the document's text beside
//! it. Changes carry the version they were made on, and a change made on an
//! old version is refused; cursors travel beside them. Who is in a document,
//! and whether they are at their keyboard, is the built-in presence: each
//! person arrives `active`, sets `idle` or `away` with `dialogue:setPresence`,
//! and everyone in the document gets `dialogue:presenceDiff`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use dialogue_runtime::prelude::*;
use dialogue_runtime::protocol::Member;
use dialogue_runtime::{BuildError, ConnectedClient, HookError};

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
pub enum Status {
    Active,
    Idle,
    Away,
}

/// What each person in a document shows the others (their presence info):
/// a name, when their handshake gives one (`auth.name`), and their status.
/// `dialogue:setPresence` replaces it whole.
#[derive(Serialize, Deserialize, JsonSchema, TS, Debug, Clone, PartialEq)]
pub struct CollabMember {
    /// 1 to 50 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 50))]
    #[ts(optional)]
    pub name: Option<String>,
    /// At their keyboard or not.
    pub status: Status,
}

dialogue! {
    /// Documents edited together.
    pub CollabApp {
        /// What a person in a document shows.
        presence: CollabMember,
        /// A document, `doc:{docId}`: a template, so `doc:readme` exists as
        /// soon as someone joins it (an id is 1 to 64 of A-Z, a-z, 0-9, `_`
        /// and `-`), and changes in every document are validated.
        doc: {
            id: "doc:{docId}",
            name: "Document",
            description: "Edited together",
            events: [DocChange, CursorUpdate],
            max_size: 16,
            presence: true,
        },
    }
}

/// At most this many documents are open at once (by default); joining one
/// more is refused (`JOIN_DENIED`).
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

/// `GET /docs/{id}`: a document and who is in it.
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct DocView {
    /// The document.
    #[serde(flatten)]
    pub snapshot: Snapshot,
    /// Who is in its room now, with what they show.
    pub present: Vec<Member>,
}

#[derive(Debug, Default)]
struct Doc {
    version: u64,
    text: String,
}

/// Every open document, by room id. A document opens when someone first
/// joins its room and stays (its room may leave memory while empty; its text
/// does not).
#[derive(Debug)]
pub struct Docs {
    docs: Mutex<HashMap<String, Doc>>,
    limit: usize,
}

impl Default for Docs {
    fn default() -> Self {
        Self::new()
    }
}

impl Docs {
    /// No documents yet; at most [`MAX_DOCS`].
    pub fn new() -> Self {
        Self::at_most(MAX_DOCS)
    }

    /// No documents yet; at most `limit`.
    pub fn at_most(limit: usize) -> Self {
        Self {
            docs: Mutex::default(),
            limit,
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut HashMap<String, Doc>) -> T) -> T {
        f(&mut self.docs.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Opens the document of `room` (empty, at version 0) unless it is open;
    /// refused past the limit.
    fn open(&self, room: &str) -> Result<(), String> {
        self.with(|docs| {
            if docs.contains_key(room) {
                return Ok(());
            }
            if docs.len() >= self.limit {
                return Err(format!(
                    "{} documents are open, the most there may be; try again later",
                    self.limit
                ));
            }
            docs.insert(room.to_owned(), Doc::default());
            tracing::info!(room, "document opened");
            Ok(())
        })
    }

    /// The document in `room`, if it is open.
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
                return Err(format!("`{room}` is not a document: documents are doc:{{id}}"));
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
}

/// What `client` shows on arriving in a document: active, under the name
/// their handshake gives (`auth.name`) when it is a valid one.
fn arriving(client: &ConnectedClient) -> CollabMember {
    let name = client
        .meta()
        .get("name")
        .and_then(|name| name.as_str())
        .filter(|name| (1..=50).contains(&name.chars().count()))
        .map(str::to_owned);
    CollabMember {
        name,
        status: Status::Active,
    }
}

/// The server and the whole HTTP application: `GET /docs` lists the open
/// documents, `GET /docs/{id}` reads one with who is in it, merged with the
/// Socket.IO endpoint.
pub fn build(docs: Arc<Docs>) -> Result<(Dialogue<CollabApp>, Router), BuildError> {
    let (opening, changes, joined) = (docs.clone(), docs.clone(), docs.clone());
    let dialogue = Dialogue::<CollabApp>::builder()
        // Rooms clients make with `dialogue:createRoom` are no documents;
        // keep them few. (Clients cannot make `doc:` rooms: those are the
        // template's.)
        .max_dynamic_rooms(100, 5)
        // Everyone arrives in a document active; they change it themselves
        // with `dialogue:setPresence`.
        .presence_info(|client, _room| Some(arriving(client)))
        // Joining a document's room opens the document, within the limit.
        // The template's instances are the only declared rooms here.
        .before_join(move |_, _client, room, _join| {
            let docs = opening.clone();
            async move {
                if !room.is_declared() {
                    return Ok(());
                }
                docs.open(room.id()).map_err(HookError::refuse)
            }
        })
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
        .on_joined(move |_, client, room_id| {
            let docs = joined.clone();
            async move {
                let Some(snapshot) = docs.snapshot(&room_id) else { return };
                let _ = client.send("doc:snapshot", &snapshot);
                tracing::info!(user = client.user_id(), room = %room_id, version = snapshot.version, "opened");
            }
        })
        .build()?;
    let routes = Router::new()
        .route("/docs", get(list))
        .route("/docs/{id}", get(read))
        .with_state(Routes {
            dialogue: dialogue.clone(),
            docs,
        });
    let app = routes.merge(dialogue.router());
    Ok((dialogue, app))
}

/// What the routes share.
#[derive(Clone)]
struct Routes {
    dialogue: Dialogue<CollabApp>,
    docs: Arc<Docs>,
}

/// `GET /docs/{id}`: the document now, with who is in it (its room's
/// presence); 404 when nobody opened it yet.
async fn read(State(routes): State<Routes>, Path(id): Path<String>) -> Response {
    let doc = CollabApp::doc(id);
    let Some(snapshot) = routes.docs.snapshot(&doc.id()) else {
        return error(StatusCode::NOT_FOUND, "no such document");
    };
    // An open document's id is a valid parameter, so this is its room.
    let present = routes
        .dialogue
        .instance(doc)
        .map(|room| room.presence())
        .unwrap_or_default();
    Json(DocView { snapshot, present }).into_response()
}

/// `GET /docs`: every open document's room and version.
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
