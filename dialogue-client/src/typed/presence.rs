//! Presence in a joined room, typed by the application's presence info
//! (`presence: Info` in `dialogue!`): who is here, and who arrives, departs
//! or changes.

use dialogue_core::protocol::{Member as WireMember, Request as Wire};
use dialogue_core::{DeclaredRoom, HasPresence};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::requests::{from_json, to_json};
use super::rooms::{DiffSink, PresenceDiff};
use super::{CallError, Feed, JoinedRoom};

/// One user present in a room, with the info it shows (none when the
/// application attaches none).
///
/// ```
/// use dialogue_client::typed::{Member, Presence, PresenceChange};
///
/// let alice = Member { user_id: "alice".to_owned(), info: Some("Alice".to_owned()) };
/// let here = Presence { members: vec![alice.clone()], count: 1 };
/// let change = PresenceChange { joined: vec![alice], left: vec![], updated: vec![] };
/// assert_eq!(here.members, change.joined);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Member<I> {
    /// The user.
    pub user_id: String,
    /// What the user shows of itself.
    pub info: Option<I>,
}

/// Who is present in a room: [`JoinedRoom::presence`] (an example at
/// [`Member`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Presence<I> {
    /// One entry per user, earliest arrival first.
    pub members: Vec<Member<I>>,
    /// How many distinct users are present.
    pub count: usize,
}

/// A change of who is present: [`JoinedRoom::presence_changes`] (an
/// example at [`Member`]).
#[derive(Debug, Clone, PartialEq)]
pub struct PresenceChange<I> {
    /// Users who arrived (their first connection joined).
    pub joined: Vec<Member<I>>,
    /// Users who departed (their last connection left, or its session's
    /// grace period ended).
    pub left: Vec<Member<I>>,
    /// Users whose info changed, with the new one.
    pub updated: Vec<Member<I>>,
}

fn typed_members<I: DeserializeOwned>(members: &[WireMember]) -> Result<Vec<Member<I>>, String> {
    members
        .iter()
        .map(|member| {
            let info = match &member.info {
                Some(info) => Some(I::deserialize(info).map_err(|e| e.to_string())?),
                None => None,
            };
            Ok(Member {
                user_id: member.user_id.clone(),
                info,
            })
        })
        .collect()
}

/// Presence, in rooms declared with `presence: true` (elsewhere the server
/// answers `INVALID_REQUEST`).
///
/// ```no_run
/// # use dialogue_runtime::prelude::*;
/// # #[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
/// # pub struct Message { pub text: String }
/// #[derive(Serialize, Deserialize, JsonSchema, TS, Debug, Clone, PartialEq)]
/// pub struct MemberInfo { pub name: String }
///
/// dialogue! {
///     pub TeamApp {
///         presence: MemberInfo,
///         lobby: { name: "Lobby", events: [Message], presence: true },
///     }
/// }
///
/// # async fn run(client: dialogue_client::typed::TypedClient<TeamApp>)
/// # -> Result<(), dialogue_client::typed::CallError> {
/// let lobby = client.join(TeamApp::lobby()).await?;
/// let mut changes = lobby.presence_changes();
/// lobby.set_presence(&MemberInfo { name: "Alice".into() }).await?;
/// let here = lobby.presence().await?;
/// println!("{} here", here.count);
/// while let Some(change) = changes.recv().await {
///     for member in change.joined {
///         println!("{} arrived as {:?}", member.user_id, member.info);
///     }
/// }
/// # Ok(())
/// # }
/// ```
impl<R> JoinedRoom<R>
where
    R: DeclaredRoom,
    R::App: HasPresence,
    <R::App as HasPresence>::Info: DeserializeOwned,
{
    /// Who is present now, one entry per user.
    pub async fn presence(&self) -> Result<Presence<<R::App as HasPresence>::Info>, CallError> {
        let what = Wire::GetPresence.wire_name();
        let body = json!({ "roomId": self.id() });
        let mut answer = self
            .client()
            .session()
            .call(Wire::GetPresence, body, true)
            .await?;
        let members: Vec<WireMember> =
            from_json(what, answer.remove("members").unwrap_or(Value::Null))?;
        let count = answer.get("count").and_then(Value::as_u64).unwrap_or(0);
        Ok(Presence {
            members: typed_members(&members).map_err(|e| CallError::invalid(what, e))?,
            count: usize::try_from(count).unwrap_or(usize::MAX),
        })
    }

    /// Replaces what this user shows in the room; the server validates it
    /// against the info's schema (`VALIDATION_FAILED`) and announces it to
    /// the members as `updated` when it changed.
    pub async fn set_presence(
        &self,
        info: &<R::App as HasPresence>::Info,
    ) -> Result<(), CallError> {
        let what = Wire::SetPresence.wire_name();
        let body = json!({ "roomId": self.id(), "info": to_json(what, info)? });
        self.client()
            .session()
            .call(Wire::SetPresence, body, true)
            .await
            .map(drop)
    }

    /// Each change of who is present, in order, from now on (this user's
    /// own arrival included when it comes after). A change whose info does
    /// not read as the info type is logged and skipped.
    pub fn presence_changes(&self) -> Feed<PresenceChange<<R::App as HasPresence>::Info>> {
        let (tx, feed) = Feed::channel();
        let sink: DiffSink = Box::new(move |diff: &PresenceDiff| {
            let change = (|| {
                Ok::<_, String>(PresenceChange {
                    joined: typed_members(&diff.joined)?,
                    left: typed_members(&diff.left)?,
                    updated: typed_members(&diff.updated)?,
                })
            })();
            match change {
                Ok(change) => tx.send(change).is_ok(),
                Err(error) => {
                    tracing::warn!(%error, "a presence change whose info does not read as its type");
                    !tx.is_closed()
                }
            }
        });
        self.client()
            .session()
            .rooms()
            .add_presence(self.id(), sink);
        feed
    }
}
