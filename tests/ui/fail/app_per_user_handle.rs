use dialogue_runtime::prelude::*;

#[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
pub struct Alert {
    pub title: String,
}

dialogue! {
    pub App {
        inbox: { id: "user:{userId}", name: "Inbox", events: [Alert] },
        news: { name: "News", events: [Alert] },
    }
}

fn main() {
    let dialogue = Dialogue::<App>::builder().build().unwrap();
    // A per-user room needs its user; a shared room has none.
    let _ = dialogue.room(App::inbox());
    let _ = dialogue.user_room(App::news(), "alice");
}
