//! The requests about people: presence in a room (`getPresence`,
//! `setPresence`), the host's (`kick`, `transferHost`), and a connection's
//! own credentials (`auth`).

use std::sync::Arc;

use crate::engine::Engine;
use crate::engine::people::Actor;
use crate::error::ToWire;
use crate::protocol::{
    AuthRequest, KickRequest, RoomRequest, SetPresenceRequest, TransferHostRequest, WireError,
};
use crate::state::client::ClientState;
use crate::wire::reply::Answer;
use crate::wire::requests::{Handled, about};

/// `dialogue:getPresence`.
pub(crate) fn get_presence(
    engine: &Engine,
    client: &ClientState,
    request: RoomRequest,
) -> Result<Handled, WireError> {
    about(&request.room_id, None);
    let page = engine
        .get_presence(client, &request.room_id)
        .map_err(|e| e.to_wire())?;
    Ok(Answer::Presence(page).into())
}

/// `dialogue:setPresence`.
pub(crate) async fn set_presence(
    engine: &Engine,
    client: &ClientState,
    request: SetPresenceRequest,
) -> Result<Handled, WireError> {
    about(&request.room_id, None);
    engine
        .set_presence(client, &request.room_id, request.info)
        .await
        .map_err(|e| e.to_wire())?;
    Ok(Answer::Done.into())
}

/// `dialogue:kick`.
pub(crate) async fn kick(
    engine: &Arc<Engine>,
    client: &ClientState,
    request: KickRequest,
) -> Result<Handled, WireError> {
    about(&request.room_id, None);
    engine
        .kick(
            Actor::Client(&client.user_id),
            &request.room_id,
            &request.user_id,
            request.reason.as_deref(),
            request.ban.unwrap_or(false),
        )
        .await
        .map_err(|e| e.to_wire())?;
    Ok(Answer::Done.into())
}

/// `dialogue:transferHost`.
pub(crate) async fn transfer_host(
    engine: &Engine,
    client: &ClientState,
    request: TransferHostRequest,
) -> Result<Handled, WireError> {
    about(&request.room_id, None);
    engine
        .transfer_host(
            Actor::Client(&client.user_id),
            &request.room_id,
            &request.user_id,
        )
        .await
        .map_err(|e| e.to_wire())?;
    Ok(Answer::Done.into())
}

/// `dialogue:auth`: fresh credentials for the same user.
pub(crate) async fn auth(
    engine: &Arc<Engine>,
    client: &Arc<ClientState>,
    request: AuthRequest,
) -> Result<Handled, WireError> {
    let expires_at = engine
        .refresh(client, &request.token)
        .await
        .map_err(|e| e.to_wire())?;
    Ok(Answer::Authenticated(expires_at).into())
}
