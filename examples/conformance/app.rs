//! The declarations of the conformance server, exactly as
//! docs/conformance.md fixes them. Every end-to-end test, client and
//! benchmark relies on them: change nothing here without a note there.

use dialogue_runtime::prelude::*;
use dialogue_runtime::{DialogueBuilder, Refusal};

/// Chat message sent by a user.
#[derive(Event, Serialize, Deserialize, JsonSchema, TS, Debug, Clone, PartialEq)]
#[event(name = "message", history = 100)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    /// The text: 1 to 1000 characters.
    #[schemars(length(min = 1, max = 1000))]
    pub text: String,
    /// Who wrote it, as the client says (the server stamps `from` itself).
    pub sender_id: String,
}

/// Whether a user is typing.
#[derive(Event, Serialize, Deserialize, JsonSchema, TS, Debug, Clone, PartialEq)]
#[event(name = "typing")]
#[serde(rename_all = "camelCase")]
pub struct Typing {
    /// `true` while typing.
    pub is_typing: bool,
}

/// An order changed status.
#[derive(Event, Serialize, Deserialize, JsonSchema, TS, Debug, Clone, PartialEq)]
#[event(name = "order:updated", history = 20)]
#[serde(rename_all = "camelCase")]
pub struct OrderUpdated {
    /// The order.
    pub order_id: String,
    /// Its new status.
    pub status: OrderStatus,
}

/// Where an order is: received, being prepared, on its way, arrived.
// No doc comments on the variants: with them schemars writes a `oneOf` of
// constants, where docs/conformance.md promises a plain `enum` of four strings.
#[derive(Serialize, Deserialize, JsonSchema, TS, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
#[schemars(inline)]
pub enum OrderStatus {
    Pending,
    Processing,
    Shipped,
    Delivered,
}

/// `add`: two integers.
#[derive(Request, Serialize, Deserialize, JsonSchema, TS, Debug, Clone, PartialEq)]
#[request(name = "add", response = AddResult)]
pub struct Add {
    /// The first.
    pub a: i64,
    /// The second.
    pub b: i64,
}

/// What `add` answers.
#[derive(Serialize, Deserialize, JsonSchema, TS, Debug, Clone, PartialEq)]
pub struct AddResult {
    /// `a + b`.
    pub sum: i64,
}

/// `fail`: its handler panics, so the answer is always `INTERNAL`.
#[derive(Request, Serialize, Deserialize, JsonSchema, TS, Debug, Clone, PartialEq)]
#[request(name = "fail", response = Nothing)]
pub struct Fail {}

/// An empty answer (`fail` never gives one).
#[derive(Serialize, Deserialize, JsonSchema, TS, Debug, Clone, PartialEq)]
pub struct Nothing {}

/// What a member of `lobby` (or a `doc:{docId}` instance) shows: its name
/// (from the handshake's `auth.name`) and a status it sets.
#[derive(Serialize, Deserialize, JsonSchema, TS, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct LobbyInfo {
    /// 1 to 50 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 50))]
    #[ts(optional)]
    pub name: Option<String>,
    /// What the member is doing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub status: Option<Status>,
}

/// A member's status.
#[derive(Serialize, Deserialize, JsonSchema, TS, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
#[schemars(inline)]
pub enum Status {
    Active,
    Idle,
    Away,
}

/// The largest operand `add` takes.
pub const ADD_LIMIT: i64 = 1_000_000_000;

impl ConformanceApp {
    /// The conformance server's builder, with its request handlers (`add`,
    /// `fail`) and its members' presence info: what every server of this
    /// application starts from.
    pub fn server() -> DialogueBuilder<ConformanceApp> {
        Dialogue::<ConformanceApp>::builder()
            .presence_info(|client, _room| {
                let name = client.meta().get("name")?.as_str()?;
                Some(LobbyInfo {
                    name: Some(name.to_owned()),
                    status: None,
                })
            })
            .on_request(|_, add: Add| async move {
                if add.a > ADD_LIMIT || add.b > ADD_LIMIT {
                    return Err(Refusal::new(
                        "TOO_BIG",
                        "a and b may be at most 1,000,000,000",
                    ));
                }
                Ok(AddResult { sum: add.a + add.b })
            })
            .on_request(|_, _: Fail| async move {
                panic!("`fail` always fails");
                #[allow(unreachable_code, reason = "the handler's type needs an answer")]
                Ok(Nothing {})
            })
    }
}

dialogue! {
    /// The conformance server of docs/conformance.md.
    pub ConformanceApp {
        requests: [Add, Fail],
        presence: LobbyInfo,
        chat: {
            name: "Chat Room",
            description: "General chat",
            events: [Message, Typing],
            default_subscriptions: [Message],
            sync_history_on_join: 50,
        },
        small: {
            name: "Small Room",
            events: [Message],
            default_subscriptions: [Message],
            max_size: 2,
        },
        sandbox: {
            name: "Sandbox",
            events: *,
            default_subscriptions: *,
        },
        readonly: {
            name: "Read-Only",
            events: [],
        },
        orders: {
            name: "Orders",
            events: [OrderUpdated],
            default_subscriptions: [OrderUpdated],
        },
        lobby: {
            name: "Lobby",
            events: [Message],
            default_subscriptions: [Message],
            presence: true,
        },
        doc: {
            id: "doc:{docId}",
            name: "Document",
            events: [Message, Typing],
            default_subscriptions: [Message],
            sync_history_on_join: 20,
            presence: true,
        },
    }
}
