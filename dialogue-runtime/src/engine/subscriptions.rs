//! Subscriptions: which of a joined room's events a member receives.

use crate::engine::Engine;
use crate::error::{InvalidEventName, JoinError, SubscribeError};
use crate::rules::WILDCARD;
use crate::spec::Subscriptions;
use crate::state::client::{Change, ClientState};
use crate::state::room::RoomState;

impl Engine {
    /// Subscribes to or unsubscribes from `event` (`*` for all) in a joined
    /// room.
    pub(crate) fn change_subscription(
        &self,
        client: &ClientState,
        room_id: &str,
        event: &str,
        change: Change,
    ) -> Result<(), SubscribeError> {
        if event != WILDCARD {
            InvalidEventName::check(event)?;
        }
        let key = client
            .change_subscription(room_id, event, change)
            .ok_or_else(|| self.not_joined(room_id))?;
        match change {
            Change::Subscribe => client.conn.join(vec![key]),
            Change::Unsubscribe => client.conn.leave(vec![key]),
        }
        tokio::spawn(self.state.sessions.save(client));
        Ok(())
    }
}

/// Subscriptions name `*` or events the room may deliver.
pub(crate) fn check_subscriptions(
    room: &RoomState,
    subscriptions: Option<&Subscriptions>,
) -> Result<(), JoinError> {
    let Some(Subscriptions::Only(names)) = subscriptions else {
        return Ok(());
    };
    for name in names.iter().filter(|name| *name != WILDCARD) {
        InvalidEventName::check(name)?;
        if !room.config.receives(name) {
            return Err(JoinError::EventNotAllowed {
                room: room.id.clone(),
                event: name.clone(),
            });
        }
    }
    Ok(())
}
