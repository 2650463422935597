//! Publishing: a client's trigger (membership, the room's rules), then what
//! every event goes through: validation, `before_each`, stamping, the
//! room's stream (order, history, delivery), and the hooks after it.

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::engine::hooks::{self, HookFailure};
use crate::engine::{Engine, Followup};
use crate::envelope::{StampedEvent, now_millis};
use crate::error::{InvalidEventName, TriggerError};
use crate::protocol::EventMessage;
use crate::spec::RoomEvents;
use crate::state::client::ClientState;
use crate::state::room::RoomState;
use crate::state::stream::{
    Append, AppendError, Appended, Kept, Stamp, Ticket, TicketKind, TriggerId,
};

/// A client's trigger, as read from its request.
pub(crate) struct ClientTrigger<'a> {
    pub(crate) room_id: &'a str,
    pub(crate) event: &'a str,
    pub(crate) data: &'a Value,
    pub(crate) meta: Option<&'a Map<String, Value>>,
    /// The client's id for it, to recognize a retry.
    pub(crate) id: Option<&'a str>,
}

/// The answer to a trigger id accepted before: the original, and nothing
/// runs again.
fn repeat(original: Arc<StampedEvent>) -> PublishOutcome {
    PublishOutcome {
        stamped: original,
        transformed: None,
        then: Followup::none(),
    }
}

/// An event a room accepted.
pub(crate) struct PublishOutcome {
    /// The event as stamped and delivered (for a repeated trigger id, the
    /// original).
    pub(crate) stamped: Arc<StampedEvent>,
    /// What `before_each` made of it, which is exactly what was delivered;
    /// `None` when no hook changed it (the payload as given went out).
    pub(crate) transformed: Option<EventMessage>,
    /// `after_each`, `on_triggered` and the room's listeners.
    pub(crate) then: Followup,
}

/// An event numbered in its room's order and on its way: [`finish`]
/// waits until it is committed (with a durable store) and delivered.
/// Numbering is in the request's order; finishing may overlap with the
/// connection's next requests (`wire::queue`).
///
/// [`finish`]: Publishing::finish
pub(crate) struct Publishing {
    engine: Arc<Engine>,
    room: Arc<RoomState>,
    ticket: Ticket,
    /// The message for `after_each`, `on_triggered` and listeners, without
    /// its seq and timestamp yet; `None` when nobody wants it.
    message: Option<EventMessage>,
    /// What `before_each` made of the event.
    transformed: Option<EventMessage>,
    recipients: usize,
}

impl Publishing {
    /// Waits until the event is delivered on this node (committed first,
    /// with a durable store).
    pub(crate) async fn finish(self) -> Result<PublishOutcome, TriggerError> {
        let Self {
            engine,
            room,
            ticket,
            message,
            transformed,
            recipients,
        } = self;
        let event_name = ticket.event.event().to_owned();
        let appended = room
            .stream
            .complete(ticket)
            .await
            .map_err(|error| append_error(&event_name, error))?;
        let stamped = match appended {
            Appended::New(stamped) => stamped,
            // Accepted meanwhile by a racing retry.
            Appended::Repeat(original) => return Ok(repeat(original)),
        };
        tracing::debug!(room = %room.id, event = %event_name, seq = stamped.seq(), "event published");
        crate::metrics::event_accepted();
        let then = match message {
            Some(message) => {
                let message = EventMessage {
                    seq: stamped.seq(),
                    timestamp: stamped.timestamp(),
                    ..message
                };
                Followup::of(async move { engine.after_publish(&room, message, recipients).await })
            }
            None => Followup::none(),
        };
        let transformed = transformed.map(|message| EventMessage {
            seq: stamped.seq(),
            ..message
        });
        Ok(PublishOutcome {
            stamped,
            transformed,
            then,
        })
    }
}

fn append_error(event: &str, error: AppendError) -> TriggerError {
    match error {
        AppendError::Serialize(e) => TriggerError::Serialize {
            event: event.to_owned(),
            reason: e.to_string(),
        },
        AppendError::Unavailable(cause) => TriggerError::Unavailable(cause),
    }
}

impl Engine {
    /// A client's trigger: the name, membership and the room's rules; a
    /// trigger id the room accepted before gets the original back; then the
    /// connection's rate and [`begin_publish`](Self::begin_publish).
    pub(crate) async fn client_trigger(
        self: &Arc<Self>,
        client: &ClientState,
        trigger: ClientTrigger<'_>,
    ) -> Result<Publishing, TriggerError> {
        let ClientTrigger {
            room_id,
            event,
            data,
            meta,
            id,
        } = trigger;
        InvalidEventName::check(event)?;
        let room = self.joined_room(client, room_id)?;
        if !room.config.events.allows(event) {
            return Err(TriggerError::EventNotAllowed {
                room: room_id.to_owned(),
                event: event.to_owned(),
            });
        }
        // In a host-only room only the host triggers (without a host, only
        // the server).
        if room.config.host_only && room.roster.host().as_deref() != Some(&client.user_id) {
            return Err(TriggerError::Refused(format!(
                "only the host triggers in room `{room_id}`"
            )));
        }
        let id = id.map(|id| TriggerId {
            user: client.user_id.clone(),
            id: id.to_owned(),
        });
        if let Some(original) = id.as_ref().and_then(|id| room.stream.repeated(id)) {
            return Ok(Publishing {
                engine: self.clone(),
                room,
                ticket: Ticket {
                    event: original,
                    kind: TicketKind::Repeat,
                },
                message: None,
                transformed: None,
                recipients: 0,
            });
        }
        if !client.rates.trigger() {
            let rate = self.limits.triggers_per_second.map_or(0, |n| n.get());
            return Err(TriggerError::RateLimited(rate));
        }
        self.begin_publish(&room, event, data, &client.user_id, meta, id)
            .await
    }

    /// [`begin_publish`](Self::begin_publish), then [`Publishing::finish`]:
    /// the server's own triggers.
    pub(crate) async fn publish(
        self: &Arc<Self>,
        room: &Arc<RoomState>,
        event: &str,
        data: &Value,
        from: &str,
        meta: Option<&Map<String, Value>>,
        id: Option<TriggerId>,
    ) -> Result<PublishOutcome, TriggerError> {
        self.begin_publish(room, event, data, from, meta, id)
            .await?
            .finish()
            .await
    }

    /// Validates, lets `before_each` refuse or transform, stamps, keeps and
    /// delivers one event through the room's stream. The server's own
    /// triggers come here directly (it may push any event into any room).
    ///
    /// The envelope is written once, in the stream's order; the broadcast,
    /// history and join sync all send those bytes.
    pub(crate) async fn begin_publish(
        self: &Arc<Self>,
        room: &Arc<RoomState>,
        event: &str,
        data: &Value,
        from: &str,
        meta: Option<&Map<String, Value>>,
        id: Option<TriggerId>,
    ) -> Result<Publishing, TriggerError> {
        let declared = self.events.get(event);
        // Rooms that take any event (`*`, and rooms created by clients) pass
        // data through; everywhere else a declared event is validated.
        let validator = declared.filter(|_| !matches!(room.config.events, RoomEvents::Any));
        let validate = |data: &Value| match validator {
            Some(declared) => declared
                .validate(data)
                .map_err(|issues| TriggerError::Validation {
                    event: event.to_owned(),
                    issues,
                }),
            None => Ok(()),
        };
        validate(data)?;

        let transformed = if self.hooks.before_each.is_empty() {
            None
        } else {
            let proposed = EventMessage {
                event: event.to_owned(),
                room_id: room.id.clone(),
                data: data.clone(),
                from: from.to_owned(),
                timestamp: now_millis(),
                seq: 0,
                meta: meta.cloned(),
            };
            let message = match hooks::transform(
                self,
                "before_each",
                &self.hooks.before_each,
                proposed,
            )
            .await
            {
                Ok(message) => message,
                Err(HookFailure::Refused(reason)) => return Err(TriggerError::Refused(reason)),
                Err(HookFailure::Failed) => return Err(TriggerError::HookFailed("before_each")),
            };
            if message.event != event || message.room_id != room.id {
                tracing::error!(room = %room.id, event, "before_each changed the event name or room");
                return Err(TriggerError::HookFailed("before_each"));
            }
            if message.data != *data && validate(&message.data).is_err() {
                tracing::error!(room = %room.id, event, "before_each made the payload invalid");
                return Err(TriggerError::HookFailed("before_each"));
            }
            Some(message)
        };

        // Without `before_each`, the envelope is written straight from the
        // borrowed payload; with it, the hook's message is what is written.
        let stamp: Stamp<'_> = match &transformed {
            Some(message) => Stamp::Message(message),
            None => Stamp::Parts {
                room_id: &room.id,
                event,
                data,
                from,
                meta,
            },
        };
        // Counting walks the recipients: only when a hook wants the count.
        let recipients = match self.hooks.after_each.is_empty() {
            true => 0,
            false => room.fanout.recipients(event),
        };
        // The store and `on_cleanup` hear of kept events in seq order: under
        // the stream's lock (queuing a job never blocks).
        // Only when someone listens: the write-behind store or `on_cleanup`.
        let keep = declared.and_then(|d| d.history());
        let kept: Option<Kept> = (keep.is_some() && self.history.listens()).then(|| {
            let (engine, room_id) = (self.clone(), room.id.clone());
            Box::new(move |kept: &Arc<StampedEvent>, evicted| {
                engine.record_history(&room_id, kept, evicted);
            }) as Kept
        });
        // Nobody listening: no message to build (its payload clone saved).
        let wants_message = !self.hooks.after_each.is_empty()
            || !self.hooks.on_triggered.is_empty()
            || room.has_listeners(event);
        let message = wants_message.then(|| match &transformed {
            Some(message) => message.clone(),
            None => EventMessage {
                event: event.to_owned(),
                room_id: room.id.clone(),
                data: data.clone(),
                from: from.to_owned(),
                timestamp: 0,
                seq: 0,
                meta: meta.cloned(),
            },
        });
        let ticket = room
            .stream
            .number(Append {
                keep,
                stamp,
                id,
                kept,
            })
            .await
            .map_err(|error| append_error(event, error))?;
        Ok(Publishing {
            engine: self.clone(),
            room: room.clone(),
            ticket,
            message,
            transformed,
            recipients,
        })
    }

    /// What follows a publication: `after_each`, `on_triggered`, then the
    /// room's listeners (each in its own task).
    async fn after_publish(
        self: &Arc<Self>,
        room: &RoomState,
        message: EventMessage,
        recipients: usize,
    ) {
        hooks::observe(self, "after_each", &self.hooks.after_each, || {
            (message.clone(), recipients)
        })
        .await;
        hooks::observe(self, "on_triggered", &self.hooks.on_triggered, || {
            (message.clone(),)
        })
        .await;
        for listener in room.listeners_of(&message.event) {
            tokio::spawn(listener(&message));
        }
    }
}
