//! Doc comments and `#[deprecated]` travel into the generated TypeScript as
//! JSDoc (`@deprecated`), for fields and for whole payload types.

use dialogue_runtime::prelude::*;

/// A move in a game.
#[derive(Event, Serialize, Deserialize, JsonSchema, TS, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Move {
    /// Where to.
    pub to_square: String,
    /// The old name of `toSquare`.
    #[deprecated(note = "use toSquare")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub square: Option<String>,
    /// Always false now.
    #[deprecated]
    #[serde(default)]
    pub legacy: bool,
}

/// The old move, kept for old clients.
#[deprecated(note = "send `move` instead")]
#[derive(Event, Serialize, Deserialize, JsonSchema, TS, Debug, Clone, PartialEq)]
#[event(name = "oldMove")]
pub struct OldMove {
    /// The square.
    pub square: String,
}

// Declaring a deprecated event is using it: say so where it is declared.
#[allow(deprecated)]
mod declaration {
    use super::*;

    dialogue! {
    /// A game with an old event.
    pub GameApp {
        game: { name: "Game", events: [Move, OldMove] },
    }
    }
}

use declaration::GameApp;

#[test]
fn deprecated_fields_and_types_carry_a_jsdoc_tag() {
    let ts = dialogue_codegen::typescript_declarations(GameApp::spec()).unwrap();
    // The field with docs: the tag joins them.
    assert!(
        ts.contains(
            "/**\n * The old name of `toSquare`.\n * @deprecated\n */\nsquare?: string | null,"
        ),
        "{ts}"
    );
    // The field without docs of its own... has its doc comment, tagged.
    assert!(
        ts.contains("/**\n * Always false now.\n * @deprecated\n */\nlegacy: boolean,"),
        "{ts}"
    );
    // A field not deprecated stays as it was.
    assert!(
        ts.contains("/**\n * Where to.\n */\ntoSquare: string,"),
        "{ts}"
    );
    // The deprecated type: its own docs carry the tag.
    assert!(
        ts.contains(
            "/**\n * The old move, kept for old clients.\n * @deprecated\n */\nexport type OldMove"
        ),
        "{ts}"
    );
    assert_eq!(ts.matches("@deprecated").count(), 3, "{ts}");
}
