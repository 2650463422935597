//! Server-sent event streams (`GET /api/rooms/{id}/stream`): one-way
//! subscribers of a room that pass the checks of a join but take no seat.
//! Each stream is a tap on the room's delivery (`state::taps`), opened at a
//! point of the room's order, so that what it replays and what it receives
//! live meet without a gap or a repeat.

use std::sync::Arc;

use tokio::sync::mpsc;

use crate::engine::Engine;
use crate::engine::join::{JoinOptions, Seat};
use crate::engine::subscriptions::check_subscriptions;
use crate::envelope::StampedEvent;
use crate::error::{JoinError, RoomNotFound};
use crate::protocol::{JoinRequest, Position};
use crate::spec::Subscriptions;
use crate::state::client::{ClientState, RoomMembership};
use crate::state::delivery::Op;

/// A stream, opened.
pub(crate) struct Opened {
    /// Whether an event of this name goes to the stream.
    pub(crate) filter: RoomMembership,
    /// The room's position when the stream was opened.
    pub(crate) position: Position,
    /// With `Last-Event-ID`: the events missed after it (that the stream
    /// takes), oldest first, or `None` when they cannot all be replayed
    /// (the stream starts with `event: reset`).
    pub(crate) replay: Option<Vec<Arc<StampedEvent>>>,
    /// Every event delivered after `position`.
    pub(crate) live: mpsc::Receiver<Arc<StampedEvent>>,
}

impl Engine {
    /// Opens a stream of `room_id` for `client` (made for the stream, in no
    /// directory): the room (a template instance is made), the events asked
    /// for (`EVENT_NOT_ALLOWED` for names the room does not deliver), a ban,
    /// the secret, required claims and `before_join`; capacity does not
    /// apply.
    pub(crate) async fn open_stream(
        self: &Arc<Self>,
        client: &Arc<ClientState>,
        request: JoinRequest,
        events: Option<Vec<String>>,
        last: Option<Position>,
    ) -> Result<Opened, JoinError> {
        let room = self.room_to_join(client, &request.room_id)?;
        let subscriptions = events.map(Subscriptions::Only);
        check_subscriptions(&room, subscriptions.as_ref())?;
        let options = JoinOptions {
            since: last.clone(),
            subscriptions: subscriptions.clone(),
            request: Some(request),
        };
        self.admit(client, &room, &options, Seat::None).await?;
        let filter = RoomMembership::new(room.clone(), subscriptions.as_ref());
        if last.is_some() {
            room.stream.catch_up().await;
        }
        let (sent, opened) = tokio::sync::oneshot::channel();
        let op: Op = Box::new(move |delivery| {
            Box::pin(async move {
                // Deleted meanwhile: no stream (the sender goes unanswered).
                if delivery.is_closed() {
                    return;
                }
                let live = delivery.taps.add();
                let position = delivery.position();
                let replay =
                    last.map(|since| delivery.recover(&since).ok().map(|(events, _)| events));
                let _ = sent.send((live, position, replay));
            })
        });
        room.stream.delivery().run_in_order(op).await;
        let (live, position, replay) = opened
            .await
            .map_err(|_| JoinError::from(RoomNotFound(room.id.clone())))?;
        // With `Last-Event-ID`: replayed when recovered, else a reset.
        let replay = match replay {
            None => Some(Vec::new()),
            Some(None) => None,
            Some(Some(events)) => Some(
                events
                    .into_iter()
                    .filter(|e| filter.receives(e.event()))
                    .collect(),
            ),
        };
        Ok(Opened {
            filter,
            position,
            replay,
            live,
        })
    }
}
