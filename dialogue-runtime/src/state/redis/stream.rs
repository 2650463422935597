//! A room's stream in Redis: one seq for the room across every node
//! (numbered, logged and published by one script), its recent events in a
//! Redis Stream, its kept events in lists. What a node hears of it goes
//! through its intake (`state::redis::intake`).

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;

use crate::envelope::StampedEvent;
use crate::protocol::Position;
use crate::state::delivery::Delivery;
use crate::state::recovery::Window;
use crate::state::redis::appender::{Appender, Numbered, Request};
use crate::state::redis::intake::Intake;
use crate::state::redis::keys::Keys;
use crate::state::redis::link::{Link, Unavailable};
use crate::state::stream::{Append, AppendError, Appended, Stream, Ticket, TicketKind, TriggerId};

/// How long a recovery waits at most for this node to hear what the room
/// accepted elsewhere (events in flight, then missed ones read from the
/// log) before it decides on what the node has.
const CATCH_UP_PATIENCE: Duration = Duration::from_millis(500);

/// A room's stream in Redis (see the module).
pub(crate) struct RedisStream {
    intake: Arc<Intake>,
    /// The room's appends, pipelined in the order numbered.
    appender: Appender,
}

impl RedisStream {
    /// The room's stream; it starts (reads its position from Redis) in its
    /// delivery order, before any join.
    pub(crate) fn new(
        room: &str,
        link: Arc<Link>,
        keys: Arc<Keys>,
        delivery: Arc<Delivery>,
        window: Window,
        keeps: Arc<Vec<(String, NonZeroU32)>>,
    ) -> Self {
        let intake = Intake::start(room, link, keys, delivery, window, keeps);
        Self {
            appender: Appender::start(intake.clone()),
            intake,
        }
    }

    /// What the bus hands the room's events to.
    pub(crate) fn intake(&self) -> &Arc<Intake> {
        &self.intake
    }

    fn unavailable(error: Unavailable) -> AppendError {
        AppendError::Unavailable(error.0)
    }

    /// The kept events of `event`, newest first, `start..end` (`end >
    /// start`), and how many are kept.
    async fn kept(
        &self,
        event: &str,
        start: usize,
        end: usize,
    ) -> Result<(Vec<Arc<StampedEvent>>, usize), Unavailable> {
        let intake = &self.intake;
        let key = intake.keys.history(&intake.room, event);
        let mut pipeline = redis::pipe();
        pipeline
            .cmd("LRANGE")
            .arg(&key)
            .arg(start)
            .arg(end.saturating_sub(1))
            .cmd("LLEN")
            .arg(&key);
        let (jsons, held): (Vec<String>, usize) = intake.link.pipe(&pipeline).await?;
        let events = jsons
            .into_iter()
            .filter_map(|json| super::read_event(&intake.room, 0, json))
            .collect();
        Ok((events, held))
    }
}

impl Stream for RedisStream {
    fn position(&self) -> Position {
        let delivery = self.intake.delivery.position();
        Position {
            epoch: delivery.epoch,
            seq: self.intake.latest().max(delivery.seq),
        }
    }

    fn delivery(&self) -> &Arc<Delivery> {
        &self.intake.delivery
    }

    /// Trigger ids are remembered in Redis, by the append script.
    fn repeated(&self, _id: &TriggerId) -> Option<Arc<StampedEvent>> {
        None
    }

    /// Queues the append on the room's pipeline (in the order numbered,
    /// which is the connection's order) and returns at once: the seq comes
    /// with Redis's answer, awaited by [`complete`](Self::complete), so a
    /// connection's next trigger does not wait for a round trip.
    fn number<'a>(&'a self, append: Append<'a>) -> BoxFuture<'a, Result<Ticket, AppendError>> {
        Box::pin(async move {
            let intake = &self.intake;
            intake.delivery.room_for_more().await;
            let head = append.stamp.head()?;
            // Stands in for the event (its name) until Redis numbers it.
            let stand_in = Arc::new(head.clone().finish(0)?);
            let trigger = append.id.as_ref().map(|id| {
                (
                    intake.keys.trigger(&intake.room, &id.user, &id.id),
                    intake.window.age.as_millis().max(1) as u64,
                )
            });
            let (reply, numbered) = tokio::sync::oneshot::channel();
            self.appender.push(Request {
                head,
                keep: append.keep.map_or(0, NonZeroU32::get),
                trigger,
                kept: append.kept,
                reply,
            });
            Ok(Ticket {
                event: stand_in,
                kind: TicketKind::Numbering(numbered),
            })
        })
    }

    fn complete(&self, ticket: Ticket) -> BoxFuture<'_, Result<Appended, AppendError>> {
        Box::pin(async move {
            let intake = &self.intake;
            let delivery = &intake.delivery;
            let (event, drain) = match ticket.kind {
                TicketKind::Numbering(numbered) => match numbered.await {
                    Ok(Ok(Numbered::New { event, drain })) => (event, drain),
                    Ok(Ok(Numbered::Repeat(seq))) => {
                        let original = intake
                            .range(seq, seq, None)
                            .await
                            .map_err(Self::unavailable)?;
                        return match original.into_iter().next() {
                            Some(event) => Ok(Appended::Repeat(event)),
                            None => Err(AppendError::Unavailable(format!(
                                "the event accepted with this trigger id (seq {seq}) is no longer held"
                            ))),
                        };
                    }
                    Ok(Err(error)) => return Err(error),
                    Err(_) => {
                        return Err(AppendError::Unavailable(
                            "the room's appends stopped".into(),
                        ));
                    }
                },
                TicketKind::Deliver { drain } => (ticket.event, drain),
                TicketKind::Repeat => return Ok(Appended::Repeat(ticket.event)),
                #[cfg(feature = "sqlite")]
                TicketKind::Commit(_) => {
                    return Err(AppendError::Unavailable(
                        "a Redis stream has nothing to commit".into(),
                    ));
                }
            };
            if drain {
                delivery.drain().await;
            }
            delivery.settled(event.seq()).await;
            Ok(Appended::New(event))
        })
    }

    /// Another node's events reach this one through pub/sub, a moment
    /// later: a resume here right after them must not decide its recovery
    /// on the part heard so far.
    fn catch_up(&self) -> BoxFuture<'_, ()> {
        Box::pin(self.intake.catch_up(CATCH_UP_PATIENCE))
    }

    fn forget(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let intake = &self.intake;
            let room = &intake.room;
            let mut command = redis::cmd("DEL");
            command
                .arg(&intake.own.epoch)
                .arg(&intake.own.seq)
                .arg(&intake.own.log);
            for (event, _) in intake.keeps.iter() {
                command.arg(intake.keys.history(room, event));
            }
            if let Err(error) = intake.link.run::<()>(&command).await {
                tracing::warn!(room = %room, %error, "cannot delete the room's stream in Redis");
            }
        })
    }

    fn latest(&self, per_event: Option<usize>) -> BoxFuture<'_, Vec<Arc<StampedEvent>>> {
        Box::pin(async move {
            let mut all = Vec::new();
            for (event, keep) in self.intake.keeps.iter() {
                let count = per_event
                    .unwrap_or(keep.get() as usize)
                    .min(keep.get() as usize);
                if count == 0 {
                    continue;
                }
                match self.kept(event, 0, count).await {
                    Ok((events, _)) => all.extend(events),
                    Err(error) => {
                        tracing::warn!(room = %self.intake.room, %error, "cannot read the room's history");
                    }
                }
            }
            all.sort_by_key(|event| std::cmp::Reverse(event.seq()));
            all
        })
    }

    fn page<'a>(
        &'a self,
        event: &'a str,
        start: usize,
        end: usize,
    ) -> BoxFuture<'a, (Vec<Arc<StampedEvent>>, usize)> {
        Box::pin(async move {
            if end <= start {
                let intake = &self.intake;
                let key = intake.keys.history(&intake.room, event);
                let held = intake.link.run(redis::cmd("LLEN").arg(key)).await;
                return (Vec::new(), held.unwrap_or(0));
            }
            self.kept(event, start, end).await.unwrap_or_else(|error| {
                tracing::warn!(room = %self.intake.room, %error, "cannot read the room's history");
                (Vec::new(), 0)
            })
        })
    }
}
