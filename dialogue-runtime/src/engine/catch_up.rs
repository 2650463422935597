//! A client catching up on a room it resumes: its missed events are sent as
//! fast as it reads them, outside the room's delivery order (so that a
//! client slower than the room never holds the room up), until what is left
//! is small enough to send inside the order, where its socket then joins
//! the room's keys and live events take over with nothing in between.
//!
//! Why pace at all: a member dropped as slow is by definition further behind
//! than its outgoing buffer holds, so its replay cannot be queued at once.

use std::sync::Arc;
use std::time::Duration;

use crate::envelope::StampedEvent;
use crate::protocol::{Position, ServerEvent};
use crate::state::client::ClientState;
use crate::state::connection::SendFailure;
use crate::state::room::RoomState;

/// Events left at most for the step inside the room's order; more are
/// paced first.
const IN_ORDER_AT_MOST: usize = 64;

/// How long a catching-up client may take nothing from a full buffer before
/// it counts as a slow member (Socket.IO's own ping timeout).
const STALL: Duration = Duration::from_secs(20);

/// How long to wait for room in a full buffer before offering again.
const RETRY: Duration = Duration::from_millis(5);

/// Sends `client` the events of `room` it receives among `events` (which
/// reach seq `upto`), then what the room delivered meanwhile, paced, until
/// at most [`IN_ORDER_AT_MOST`] events are left. Returns the seq sent up
/// to; `None` when the client went, or was dropped (too slow, or the
/// recovery window moved past it: it reconnects and recovers again).
pub(crate) async fn catch_up(
    client: &ClientState,
    room: &RoomState,
    events: Vec<Arc<StampedEvent>>,
    upto: u64,
) -> Option<u64> {
    let delivery = room.stream.delivery();
    let (mut batch, mut upto) = (events, upto);
    loop {
        send_paced(client, &room.id, &batch).await?;
        let since = Position {
            epoch: delivery.epoch().to_string(),
            seq: upto,
        };
        match delivery.recover(&since) {
            Ok((later, reached)) if later.len() > IN_ORDER_AT_MOST => {
                (batch, upto) = (later, reached);
            }
            Ok(_) => return Some(upto),
            Err(_) => {
                tracing::warn!(room = %room.id, client = %client.id, "the recovery window moved past a client catching up; it reconnects to recover");
                client.conn.drop_transport();
                return None;
            }
        }
    }
}

/// Sends each event of `events` that `client` receives in `room`, waiting
/// while its buffer is full.
async fn send_paced(client: &ClientState, room: &str, events: &[Arc<StampedEvent>]) -> Option<()> {
    let name = ServerEvent::Event.wire_name();
    for event in events {
        if !client.receives(room, event.event()) {
            continue;
        }
        let mut waited = Duration::ZERO;
        loop {
            match client.conn.offer_raw(name, event.json()) {
                Ok(()) | Err(SendFailure::Serialize) => break,
                Err(SendFailure::Gone) => return None,
                Err(SendFailure::Full) if waited < STALL => {
                    tokio::time::sleep(RETRY).await;
                    waited += RETRY;
                }
                Err(SendFailure::Full) => {
                    client.conn.drop_slow();
                    return None;
                }
            }
        }
    }
    Some(())
}
