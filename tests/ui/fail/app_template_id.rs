use dialogue_runtime::prelude::*;

#[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
pub struct Edit {
    pub text: String,
}

dialogue! {
    pub App {
        doc: { id: "doc:{doc-id}", name: "Document", events: [Edit] },
        page: { id: "doc:{docId}:{page}", name: "Page", events: [Edit] },
    }
}

fn main() {}
