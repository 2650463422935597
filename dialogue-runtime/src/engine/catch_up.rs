//! A client catching up on a room it resumes: its missed events are sent as
//! fast as it reads them, outside the room's delivery order (so that a
//! client slower than the room never holds the room up), until what is left
//! is small enough to send inside the order, where its socket then joins
//! the room's keys and live events take over with nothing in between. The
//! step inside the order never drops the client: when its buffer is full
//! there, the step stops short, and pacing goes on from where it stopped.
//!
//! Why pace at all: a member dropped as slow is by definition further behind
//! than its outgoing buffer holds, so its replay cannot be queued at once.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;

use crate::envelope::StampedEvent;
use crate::protocol::{Position, ServerEvent};
use crate::state::client::ClientState;
use crate::state::connection::SendFailure;
use crate::state::delivery::Op;
use crate::state::room::RoomState;

/// Times the step inside the order may stop short before the client counts
/// as too slow to catch up.
const ATTEMPTS: usize = 20;

/// How a resumed membership came back.
pub(crate) enum Rejoined {
    /// Its socket is in the room's keys, its missed events sent.
    Joined,
    /// The room was deleted meanwhile: nothing to join.
    Skipped,
    /// The client went, or was dropped: its session keeps the rest.
    Gone,
}

/// What the step inside the room's order did.
enum InOrder {
    Joined,
    Skipped,
    Gone,
    /// The client's buffer filled up after this seq: pace from there.
    Behind(u64),
}

/// Brings one resumed membership back: paced catch-up when it has missed
/// events (`missed`: those up to the seq they reach), then the step inside
/// the room's order that sends the rest and joins the room's `keys`.
pub(crate) async fn rejoin_room(
    client: &Arc<ClientState>,
    room: &Arc<RoomState>,
    keys: Vec<String>,
    missed: Option<(Vec<Arc<StampedEvent>>, u64)>,
) -> Rejoined {
    let mut upto = match missed {
        None => None,
        Some((events, upto)) => match catch_up(client, room, events, upto).await {
            Some(upto) => Some(upto),
            None => return Rejoined::Gone,
        },
    };
    for _ in 0..ATTEMPTS {
        let (done, outcome) = oneshot::channel();
        let op = in_order(client.clone(), room.clone(), keys.clone(), upto, done);
        room.stream.delivery().run_in_order(op).await;
        match outcome.await.unwrap_or(InOrder::Gone) {
            InOrder::Joined => return Rejoined::Joined,
            InOrder::Skipped => return Rejoined::Skipped,
            InOrder::Gone => return Rejoined::Gone,
            InOrder::Behind(reached) => {
                let since = Position {
                    epoch: room.stream.delivery().epoch().to_string(),
                    seq: reached,
                };
                let Ok((events, latest)) = room.stream.delivery().recover(&since) else {
                    tracing::warn!(room = %room.id, client = %client.id, "the recovery window moved past a client catching up; it reconnects to recover");
                    client.conn.drop_transport();
                    return Rejoined::Gone;
                };
                upto = match catch_up(client, room, events, latest).await {
                    Some(upto) => Some(upto),
                    None => return Rejoined::Gone,
                };
            }
        }
    }
    client.conn.drop_slow();
    Rejoined::Gone
}

/// The step inside the room's order: what was delivered since `upto`, then
/// the keys (so no live event comes before a missed one, none twice).
fn in_order(
    client: Arc<ClientState>,
    room: Arc<RoomState>,
    keys: Vec<String>,
    upto: Option<u64>,
    done: oneshot::Sender<InOrder>,
) -> Op {
    Box::new(move |delivery| {
        Box::pin(async move {
            // Deleted meanwhile (or the membership moved on): its keys are
            // not to be joined, whatever may use them next.
            if delivery.is_closed() || !client.is_member_of(&room) {
                let _ = done.send(InOrder::Skipped);
                return;
            }
            if let Some(upto) = upto {
                let since = Position {
                    epoch: delivery.epoch().to_string(),
                    seq: upto,
                };
                let Ok((later, _)) = delivery.recover(&since) else {
                    tracing::warn!(room = %room.id, client = %client.id, "the recovery window moved past a resuming client; it reconnects to recover");
                    client.conn.drop_transport();
                    let _ = done.send(InOrder::Gone);
                    return;
                };
                let name = ServerEvent::Event.wire_name();
                let mut reached = upto;
                for event in &later {
                    if client.receives(&room.id, event.event()) {
                        match client.conn.offer_raw(name, event.json()) {
                            Ok(()) | Err(SendFailure::Serialize) => {}
                            Err(SendFailure::Full) => {
                                let _ = done.send(InOrder::Behind(reached));
                                return;
                            }
                            Err(SendFailure::Gone) => {
                                let _ = done.send(InOrder::Gone);
                                return;
                            }
                        }
                    }
                    reached = event.seq();
                }
            }
            client.conn.join(keys);
            let _ = done.send(InOrder::Joined);
        })
    })
}

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
