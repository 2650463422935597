//! The people in a room, as the server sees and changes them: presence,
//! the host, kicks and bans.

use crate::engine::people::{Actor, presence_page};
use crate::error::HostError;
use crate::protocol::Member;

use super::Room;

impl Room {
    /// The users present, one entry per user, earliest arrival first (in
    /// any room; members show `info` only in rooms with presence).
    ///
    /// ```no_run
    /// # async fn run(room: dialogue_runtime::Room) {
    /// for member in room.presence() {
    ///     println!("{} is here", member.user_id);
    /// }
    /// # }
    /// ```
    pub fn presence(&self) -> Vec<Member> {
        presence_page(&self.state).members
    }

    /// The room's host, when it has one.
    pub fn host(&self) -> Option<String> {
        self.state.roster.host()
    }

    /// Names the room's host (`None`: no host); everyone in the room is
    /// told `dialogue:hostChanged` when there is a new one. The host kicks
    /// and transfers; in a room a client created it also deletes.
    ///
    /// ```no_run
    /// # async fn run(room: dialogue_runtime::Room) {
    /// room.set_host(Some("alice")).await;
    /// assert_eq!(room.host().as_deref(), Some("alice"));
    /// # }
    /// ```
    pub async fn set_host(&self, user_id: Option<&str>) {
        self.engine.name_host(&self.state, user_id).await;
    }

    /// Removes every connection of `user_id` from the room, as its host
    /// would: each gets `dialogue:kicked` (with `reason`), members with
    /// presence see the user depart. With `ban` the user cannot join again
    /// while the room exists (a user not present is banned in advance);
    /// without it, a user not present is [`HostError::NotPresent`].
    ///
    /// ```no_run
    /// # async fn run(room: dialogue_runtime::Room) -> Result<(), dialogue_runtime::HostError> {
    /// room.kick("mallory", Some("spam"), true).await?;
    /// # Ok(()) }
    /// ```
    pub async fn kick(
        &self,
        user_id: &str,
        reason: Option<&str>,
        ban: bool,
    ) -> Result<(), HostError> {
        self.engine
            .kick(Actor::Server, &self.state.id, user_id, reason, ban)
            .await
    }
}
