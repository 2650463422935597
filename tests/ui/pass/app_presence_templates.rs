//! Presence and templates, as an application writes them.
use dialogue_runtime::prelude::*;

#[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
pub struct Edit {
    pub text: String,
}

#[derive(Serialize, Deserialize, JsonSchema, TS)]
pub struct Cursor {
    pub name: String,
    pub line: u32,
}

dialogue! {
    pub Collab {
        /// What a member shows.
        presence: Cursor,
        lobby: { name: "Lobby", events: [Edit], presence: true },
        doc: { id: "doc:{docId}", name: "Document", events: [Edit], presence: true, max_size: 8 },
        inbox: { id: "user:{userId}", name: "Inbox", events: [Edit] },
    }
}

async fn run(dialogue: Dialogue<Collab>) -> Result<(), Box<dyn std::error::Error>> {
    let doc = dialogue.instance(Collab::doc("readme")).expect("a valid id");
    doc.trigger(Edit { text: "hi".into() }).await?;
    let _ = Collab::doc(String::from("notes")).id();
    let _ = Collab::DOC;
    let _ = doc.presence();
    Ok(())
}

fn main() {
    let _ = Dialogue::<Collab>::builder().presence_info(|client, _room| {
        Some(Cursor { name: client.user_id().to_owned(), line: 0 })
    });
    let _ = run;
}
