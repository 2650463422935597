//! The background task of a typed client: reads the server's events and
//! hands them to the rooms; when the connection is lost, makes a new one,
//! resumes the session (or joins each room again from its position), and
//! tells each room how it came back.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use dialogue_core::protocol::{EventMessage, ServerEvent};
use futures_util::future::join_all;
use serde::Deserialize;
use serde_json::Value;

use super::rooms::{PresenceDiff, Recovery};
use super::session::{Link, Session, random_u64};
use super::{CallError, ConnectError};
use crate::{Client, DisconnectReason, ServerEvent as RawEvent};

/// Starts the task for `client`, the connection just greeted.
pub(crate) fn spawn(session: Arc<Session>, client: Arc<Client>) {
    tokio::spawn(run(session, client));
}

async fn run(session: Arc<Session>, mut client: Arc<Client>) {
    loop {
        let mut link = session.watch_link();
        loop {
            tokio::select! {
                event = client.recv() => match event {
                    Some(event) => handle(&session, event),
                    None => break,
                },
                _ = link.wait_for(|link| matches!(link, Link::Closed)) => return,
            }
        }
        let reason = client.disconnect_reason();
        tracing::debug!(?reason, "the connection ended");
        let again = session.options.reconnect
            && !matches!(
                reason,
                Some(DisconnectReason::ClientDisconnect | DisconnectReason::ServerDisconnect)
            );
        if !again {
            session.close();
            return;
        }
        match reconnect(&session).await {
            Some(next) => client = next,
            None => return,
        }
    }
}

/// Hands one server event to its room.
fn handle(session: &Session, event: RawEvent) {
    let Some(kind) = ServerEvent::from_wire(&event.name) else {
        return;
    };
    let payload = event.args.into_iter().next().unwrap_or(Value::Null);
    match kind {
        ServerEvent::Event => match serde_json::from_value::<EventMessage>(payload) {
            Ok(message) => session.rooms().event(message),
            Err(error) => tracing::warn!(%error, "an event that is not an EventMessage"),
        },
        ServerEvent::PresenceDiff => match serde_json::from_value::<PresenceDiff>(payload) {
            Ok(diff) => session.rooms().presence(&diff),
            Err(error) => tracing::warn!(%error, "a presence diff of the wrong shape"),
        },
        ServerEvent::Kicked | ServerEvent::RoomDeleted => {
            if let Ok(RoomId { room_id }) = serde_json::from_value::<RoomId>(payload)
                && session.rooms().remove(&room_id)
            {
                tracing::info!(room = %room_id, event = %event.name, "removed from a room");
            }
        }
        ServerEvent::Error => tracing::warn!(error = %payload, "the server reported an error"),
        _ => {}
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RoomId {
    room_id: String,
}

/// Connects again, backing off between attempts, until connected (the new
/// connection, in use) or closed (`None`).
async fn reconnect(session: &Session) -> Option<Arc<Client>> {
    if !session.set_link(Link::Reconnecting) {
        return None;
    }
    let options = &session.options;
    let mut delay = options.delay_min;
    loop {
        let mut link = session.watch_link();
        let pause = jitter(delay);
        tokio::select! {
            () = tokio::time::sleep(pause) => {}
            _ = link.wait_for(|link| matches!(link, Link::Closed)) => return None,
        }
        match attempt(session).await {
            Ok(client) => {
                if !session.set_link(Link::Up(client.clone())) {
                    // Closed while connecting.
                    client.disconnect().await;
                    return None;
                }
                return Some(client);
            }
            Err(ConnectError::Refused { message }) => {
                tracing::warn!(%message, "the server refused to connect again: closing");
                session.close();
                return None;
            }
            Err(error) => tracing::debug!(%error, ?delay, "reconnecting failed"),
        }
        delay = delay.saturating_mul(2).min(options.delay_max);
    }
}

/// Between half and the whole of `delay`, so that many clients cut at once
/// do not come back at once.
fn jitter(delay: Duration) -> Duration {
    let half = delay / 2;
    let spread = u64::try_from(half.as_millis()).unwrap_or(u64::MAX).max(1);
    half + Duration::from_millis(random_u64() % spread)
}

/// One connection made again: resume the session with the rooms' positions,
/// then join again, from its position, each room the session did not keep
/// whole.
async fn attempt(session: &Session) -> Result<Arc<Client>, ConnectError> {
    let token = session.greeting().resume_token.clone();
    let positions = session.rooms().positions_json();
    let resume = token.map(|token| (token, positions));
    let (client, greeting) = Session::open(&session.options, resume).await?;
    let resumed = greeting.resumed == Some(true);
    let kept: HashSet<&str> = greeting.rooms.iter().map(String::as_str).collect();
    let recovered: HashSet<&str> = greeting.recovered.iter().map(String::as_str).collect();
    let mut back = Vec::new();
    let mut again = Vec::new();
    {
        let mut rooms = session.rooms();
        for kicked in &greeting.kicked {
            rooms.remove(&kicked.room_id);
        }
        for (id, position) in rooms.positions() {
            let whole = resumed && kept.contains(id.as_str()) && recovered.contains(id.as_str());
            if whole {
                back.push(id);
            } else {
                again.push((id, position));
            }
        }
    }
    tracing::debug!(resumed, ?back, again = again.len(), "connected again");
    *session.greeting() = greeting.clone();
    let rejoins = again.into_iter().map(|(id, since)| {
        let client = &client;
        async move {
            let answer = session.rejoin(client, &id, since.clone()).await;
            (id, since, answer)
        }
    });
    for (id, since, answer) in join_all(rejoins).await {
        match answer {
            Ok(answer) => {
                let recovery = Recovery {
                    resumed: resumed && kept.contains(id.as_str()),
                    recovered: since.is_some() && answer.recovered == Some(true),
                };
                session.rooms().recovered(&id, recovery);
            }
            // Left meanwhile.
            Err(CallError::NotJoined(_)) => {}
            Err(CallError::Refused(refusal)) => {
                tracing::warn!(room = %id, %refusal, "a room could not be joined again");
                session.rooms().remove(&id);
            }
            // The new connection failed too: the next attempt will do.
            Err(error) => {
                tracing::debug!(room = %id, %error, "joining again failed");
                return Err(ConnectError::Transport(crate::Error::Disconnected));
            }
        }
    }
    let mut rooms = session.rooms();
    for id in back {
        let recovery = Recovery {
            resumed: true,
            recovered: true,
        };
        rooms.recovered(&id, recovery);
    }
    Ok(client)
}
