//! Answers: the one place that replies to a request, in the form the client
//! chose. With an acknowledgement callback the outcome is one ack
//! (`{ ok: true, ... }` or `{ ok: false, error }`); without one it is the
//! protocol's events (`dialogue:joined`, ...) or `dialogue:error`.

use std::borrow::Cow;
use std::sync::Arc;

use serde::Serialize;
use socketioxide::adapter::Adapter;
use socketioxide::extract::AckSender;

use crate::engine::join::JoinAnswer;
use crate::envelope::StampedEvent;
use crate::protocol::{
    AckError, AckOk, AckRefusal, AuthAnswer, Done, HistoryPage, HistoryPush, Joined, PresencePage,
    RawEnvelope, RawJson, Request, RequestAnswer, RoomAnswer, RoomIdPayload, RoomInfo, RoomsAnswer,
    ServerEvent, TriggerAnswer, WireError,
};
use crate::state::client::ClientState;
use crate::state::connection::{Connection, SendFailure};

/// What a request succeeded with.
pub(crate) enum Answer {
    /// Nothing to say: `{ ok: true }`, no event.
    Done,
    /// Left a room (event form: `dialogue:left`).
    Left(String),
    /// Joined a room (event form: `dialogue:joined`, then the missed
    /// events as `dialogue:event` when recovered, or `dialogue:history`
    /// when the room syncs history).
    Joined(JoinAnswer),
    /// A trigger's stamped event (no event form: the broadcast is it).
    Triggered(Arc<StampedEvent>),
    /// A page of history (event form: `dialogue:historyResponse`).
    History {
        room_id: String,
        event_name: String,
        events: Vec<Arc<StampedEvent>>,
        start: u64,
        end: u64,
    },
    /// The rooms (event form: `dialogue:rooms`).
    Rooms(Vec<RoomInfo>),
    /// A room created (no event form: the `roomCreated` broadcast reaches
    /// the creator too).
    RoomCreated(RoomInfo),
    /// An application request's response (acknowledgement only).
    Requested(Box<serde_json::value::RawValue>),
    /// Who is present (event form: `dialogue:presenceResponse`).
    Presence(PresencePage<'static>),
    /// Fresh credentials taken, expiring then (no event form).
    Authenticated(Option<u64>),
}

/// Where an acknowledgement goes.
pub(crate) enum Ack<A: Adapter> {
    /// The client's callback, through its socket.
    Socket(AckSender<A>),
    /// Written down as JSON: the fuzzing harness has no socket
    /// (the `fuzzing` module).
    #[cfg(feature = "fuzzing")]
    Recorded(Box<dyn FnOnce(String) + Send>),
}

/// Where an answer goes: the client's socket, and its acknowledgement when
/// it asked for one. It owns both, so that an answer given inside a room's
/// delivery order (a join's) can be sent from there.
pub(crate) struct Reply<A: Adapter> {
    client: Arc<ClientState>,
    ack: Option<Ack<A>>,
}

impl<A: Adapter> Reply<A> {
    pub(crate) fn new(client: Arc<ClientState>, ack: Option<Ack<A>>) -> Self {
        Self { client, ack }
    }

    /// Answers `request` with an error: in the acknowledgement, else as
    /// `dialogue:error`.
    pub(crate) fn fail(self, request: &str, error: WireError) {
        tracing::debug!(request, code = %error.code, message = %error.message, "request refused");
        crate::metrics::request_refused(
            Request::from_wire(request).map_or("unknown", Request::key),
            error.code.as_str(),
        );
        match self.ack {
            Some(ack) => Self::sent(&self.client, acknowledge(ack, &AckError::new(&error))),
            None => emit(&*self.client.conn, ServerEvent::Error, &error),
        }
    }

    /// Whether the client asked for an acknowledgement.
    pub(crate) fn has_ack(&self) -> bool {
        self.ack.is_some()
    }

    /// Answers with an application's refusal: its own code and message, as
    /// they are (an acknowledgement; `dialogue:request` has no event form).
    pub(crate) fn refuse(self, request: &str, code: &str, message: &str) {
        tracing::debug!(request, code, message, "request refused by its handler");
        // The application's codes are its own: counted under one label.
        crate::metrics::request_refused("request", "APPLICATION");
        if let Some(ack) = self.ack {
            Self::sent(
                &self.client,
                acknowledge(ack, &AckRefusal::new(code, message)),
            );
        }
    }

    /// A client whose acknowledgement did not fit in its buffer is a slow
    /// member (other answers go through the connection, which drops it
    /// itself).
    fn sent(client: &ClientState, outcome: Result<(), SendFailure>) {
        if outcome == Err(SendFailure::Full) {
            client.conn.drop_slow();
        }
    }

    /// Answers `request` with its outcome.
    pub(crate) fn answer(self, request: Request, answer: Answer) {
        match self.ack {
            Some(ack) => Self::sent(&self.client, send_ack(ack, answer)),
            None => send_events(&*self.client.conn, request, answer),
        }
    }
}

fn envelopes(events: &[Arc<StampedEvent>]) -> Vec<RawEnvelope<'_>> {
    events.iter().map(|e| e.envelope()).collect()
}

/// The acknowledgement form: `{ ok: true, ...answer }`.
fn send_ack<A: Adapter>(ack: Ack<A>, answer: Answer) -> Result<(), SendFailure> {
    match &answer {
        Answer::Done | Answer::Left(_) => acknowledge(ack, &AckOk::new(Done {})),
        Answer::Joined(joined) => acknowledge(
            ack,
            &AckOk::new(Joined {
                room_id: Cow::Borrowed(&joined.room.id),
                room_name: Cow::Borrowed(&joined.room.config.name),
                position: joined.position.clone(),
                recovered: joined.recovered,
                missed: (joined.recovered == Some(true)).then(|| envelopes(&joined.missed)),
                history: joined.history.as_deref().map(envelopes),
            }),
        ),
        Answer::Triggered(stamped) => acknowledge(
            ack,
            &AckOk::new(TriggerAnswer {
                message: stamped.envelope(),
            }),
        ),
        Answer::History {
            room_id,
            event_name,
            events,
            start,
            end,
        } => acknowledge(
            ack,
            &AckOk::new(HistoryPage {
                room_id: Cow::Borrowed(room_id),
                event_name: Cow::Borrowed(event_name),
                events: envelopes(events),
                start: *start,
                end: *end,
            }),
        ),
        Answer::Rooms(rooms) => acknowledge(
            ack,
            &AckOk::new(RoomsAnswer {
                rooms: Cow::Borrowed(rooms),
            }),
        ),
        Answer::RoomCreated(room) => acknowledge(
            ack,
            &AckOk::new(RoomAnswer {
                room: Cow::Borrowed(room),
            }),
        ),
        Answer::Requested(data) => acknowledge(
            ack,
            &AckOk::new(RequestAnswer {
                data: RawJson(data),
            }),
        ),
        Answer::Presence(page) => acknowledge(ack, &AckOk::new(page)),
        Answer::Authenticated(expires_at) => acknowledge(
            ack,
            &AckOk::new(AuthAnswer {
                expires_at: *expires_at,
            }),
        ),
    }
}

/// The event form: the events the protocol answers `request` with
/// ([`Request::answers`]).
pub(crate) fn send_events(conn: &dyn Connection, request: Request, answer: Answer) {
    let sent = |event: ServerEvent| {
        debug_assert!(
            request.answers().contains(&event),
            "{request:?} is not answered with {event:?} (protocol::messages)"
        );
        event
    };
    match answer {
        Answer::Done
        | Answer::Triggered(_)
        | Answer::RoomCreated(_)
        | Answer::Requested(_)
        | Answer::Authenticated(_) => {}
        Answer::Left(room_id) => emit(conn, sent(ServerEvent::Left), &RoomIdPayload::new(&room_id)),
        Answer::Joined(joined) => {
            let room = &joined.room;
            let payload = Joined {
                room_id: Cow::Borrowed(&room.id),
                room_name: Cow::Borrowed(&room.config.name),
                position: joined.position.clone(),
                recovered: joined.recovered,
                missed: None,
                history: None,
            };
            emit(conn, sent(ServerEvent::Joined), &payload);
            // What was missed, oldest first, before any live event: this
            // runs in the room's delivery order.
            for event in &joined.missed {
                emit(conn, sent(ServerEvent::Event), event.json());
            }
            if let Some(history) = &joined.history {
                let push = HistoryPush {
                    room_id: Cow::Borrowed(&room.id),
                    events: envelopes(history),
                };
                emit(conn, sent(ServerEvent::History), &push);
            }
        }
        Answer::History {
            room_id,
            event_name,
            events,
            start,
            end,
        } => {
            let page = HistoryPage {
                room_id: Cow::Borrowed(&room_id),
                event_name: Cow::Borrowed(&event_name),
                events: envelopes(&events),
                start,
                end,
            };
            emit(conn, sent(ServerEvent::HistoryResponse), &page);
        }
        Answer::Rooms(rooms) => emit(conn, sent(ServerEvent::Rooms), &rooms),
        Answer::Presence(page) => emit(conn, sent(ServerEvent::PresenceResponse), &page),
    }
}

fn acknowledge<A: Adapter, T: Serialize>(ack: Ack<A>, answer: &T) -> Result<(), SendFailure> {
    #[allow(
        clippy::infallible_destructuring_match,
        reason = "a second variant exists with the `fuzzing` feature"
    )]
    let ack = match ack {
        Ack::Socket(ack) => ack,
        #[cfg(feature = "fuzzing")]
        Ack::Recorded(record) => {
            let json = serde_json::to_string(answer).map_err(|_| SendFailure::Serialize)?;
            record(json);
            return Ok(());
        }
    };
    ack.send(answer).map_err(|error| {
        let failure = match error {
            socketioxide::SendError::Socket(socketioxide::SocketError::InternalChannelFull) => {
                SendFailure::Full
            }
            _ => SendFailure::Gone,
        };
        undelivered("acknowledgement", failure);
        failure
    })
}

fn emit<T: Serialize + ?Sized>(conn: &dyn Connection, event: ServerEvent, payload: &T) {
    if let Err(failure) = conn.emit(event.wire_name(), payload) {
        undelivered(event.wire_name(), failure);
    }
}

/// Logs an answer that could not be queued: the client left, or stopped
/// reading (it is dropped as a slow member, and resumes).
fn undelivered(what: &str, failure: SendFailure) {
    tracing::debug!(what, ?failure, "an answer was not delivered");
}
