use dialogue_runtime::prelude::*;

#[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
pub struct Edit {
    pub text: String,
}

dialogue! {
    pub App {
        doc: { id: "doc:{docId}", name: "Document", events: [Edit] },
    }
}

async fn run(dialogue: Dialogue<App>) {
    // A template has an instance per value: name it.
    let _ = dialogue.room(App::doc("readme"));
}

fn main() {}
