use dialogue_runtime::prelude::*;

#[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
pub struct Message {
    pub text: String,
}

dialogue! {
    pub App {
        admin: { name: "Admin", events: [Message], required_claims: { role: "admin", role: "owner" } },
        staff: { name: "Staff", events: [Message], required_claims: { level: Level::High } },
        loose: { name: "Loose", events: [Message], required_claims: [role] },
    }
}

fn main() {}
