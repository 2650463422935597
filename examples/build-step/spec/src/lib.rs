//! The declarations of the build-step example, in a crate of their own: the
//! server depends on it to serve them, and its build script depends on it
//! (a build dependency) to write the frontend's TypeScript. A build script
//! cannot read declarations of the crate it builds, which is compiled after
//! it; a crate of their own is compiled before both.

use dialogue_runtime::prelude::*;

/// A note pinned to the board.
#[derive(Event, Serialize, Deserialize, JsonSchema, TS, Debug, Clone, PartialEq)]
#[event(name = "note", history = 100)]
pub struct Note {
    /// 1 to 280 characters.
    #[schemars(length(min = 1, max = 280))]
    pub text: String,
}

dialogue! {
    /// A board of notes.
    pub BoardApp {
        /// Where the notes are pinned.
        board: {
            name: "Board",
            events: [Note],
            sync_history_on_join: 50,
        },
    }
}

/// The declarations' spec model, for the build script (which then needs no
/// other dependency than this crate and `dialogue-codegen`).
pub fn spec() -> &'static dialogue_runtime::spec::AppSpec {
    BoardApp::spec()
}
