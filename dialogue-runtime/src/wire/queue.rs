//! Each connection's requests, in order.
//!
//! socketioxide runs each event handler in its own task, so two requests of
//! one client could be handled out of order (a trigger before the join sent
//! just before it). Its extractors, however, run in the socket's read loop in
//! arrival order. So the one handler registered per socket is a catch-all
//! whose extractor puts the raw request into this socket's queue, and one task
//! per socket works through the queue: in order, one request at a time, never
//! dropping one (a full queue is answered with an error).
//!
//! One exception keeps a busy publisher fast: consecutive triggers. Each is
//! numbered in its room's order in turn, but the loop does not wait for one
//! to be delivered (and, with a durable store, committed) before numbering
//! the next: up to [`IN_FLIGHT`] are on their way at once, so that their
//! commits and deliveries are batched. Their answers still go out in the
//! order the triggers came, and any other request waits until every
//! trigger before it is answered.

use std::convert::Infallible;
use std::sync::Arc;

use futures_util::stream::FuturesOrdered;
use futures_util::{FutureExt, StreamExt};
use socketioxide::adapter::Adapter;
use socketioxide::extract::AckSender;
use socketioxide::handler::{FromMessage, FromMessageParts, Value as SioValue};
use socketioxide::socket::Socket;
use tokio::sync::{mpsc, oneshot};
use tracing::Instrument;

use crate::engine::Engine;
use crate::engine::hooks::panic_message;
use crate::engine::publish::PublishOutcome;
use crate::error::TriggerError;
use crate::error::{RequestError, ToWire};
use crate::logging::guarded;
use crate::state::client::ClientState;
use crate::wire::reply::{Ack, Reply};
use crate::wire::requests::{self, InFlight};

/// Requests waiting per socket. A client that sends more without waiting for
/// answers is told `RATE_LIMITED` for the excess.
pub(crate) const QUEUE_CAPACITY: usize = 256;

/// Triggers of one connection on their way at once, at most.
const IN_FLIGHT: usize = 64;

/// One request as it arrived.
pub(crate) struct Incoming<A: Adapter> {
    /// `["dialogue:x", ...args]` and any binary attachments.
    pub(crate) value: SioValue,
    /// Present when the client asked for an acknowledgement.
    pub(crate) ack: Option<Ack<A>>,
}

/// What the extractor finds in the socket's extensions.
///
/// A connection's requests go through a queue to one loop, in order. The
/// queue and its loop exist only while there is work: the first request
/// starts them and the loop ends once the queue is empty, so an idle
/// connection (most of them, in a fan-out) holds neither a task nor the
/// queue's first block, about 5 KB each.
///
/// Only the extensions hold the `gate`: when the socket goes (its extensions
/// removed or cleared) before it was greeted, the gate's sender drops with
/// them, and a first loop waiting for the greeting ends instead of waiting
/// forever with the client and its queued requests.
pub(crate) struct Session<A: Adapter> {
    state: Arc<SessionState<A>>,
    /// Opened once `dialogue:connected` is sent; the first loop waits for it.
    gate: Arc<parking_lot::Mutex<Option<oneshot::Sender<()>>>>,
}

impl<A: Adapter> Clone for Session<A> {
    fn clone(&self) -> Self {
        Self {
            state: self.state.clone(),
            gate: self.gate.clone(),
        }
    }
}

impl<A: Adapter> Session<A> {
    /// The session of a new client, its requests held until it is greeted.
    pub(crate) fn new(engine: Arc<Engine>, client: Arc<ClientState>) -> Self {
        let (open, greeted) = oneshot::channel();
        Self {
            state: Arc::new(SessionState {
                engine,
                client,
                work: parking_lot::Mutex::new(Work {
                    queue: None,
                    greeted: Some(greeted),
                }),
            }),
            gate: Arc::new(parking_lot::Mutex::new(Some(open))),
        }
    }

    /// Lets the requests through: the client was greeted.
    pub(crate) fn open(&self) {
        if let Some(open) = self.gate.lock().take() {
            let _ = open.send(());
        }
    }
}

/// What a request loop shares with the extractor.
struct SessionState<A: Adapter> {
    engine: Arc<Engine>,
    client: Arc<ClientState>,
    /// The running loop's queue, and (until the first loop takes it) the
    /// signal that the client was greeted. One lock decides both "a loop is
    /// running, queue there" and "the loop found nothing and ends", so no
    /// request is ever queued to a loop that has ended.
    work: parking_lot::Mutex<Work<A>>,
}

struct Work<A: Adapter> {
    queue: Option<mpsc::Sender<Incoming<A>>>,
    greeted: Option<oneshot::Receiver<()>>,
}

impl<A: Adapter> SessionState<A> {
    /// Queues a request, starting a loop when none is running; gives the
    /// request back when the queue is full.
    fn enqueue(self: &Arc<Self>, incoming: Incoming<A>) -> Result<(), Incoming<A>> {
        let mut work = self.work.lock();
        let queue = match &work.queue {
            Some(queue) => queue,
            None => {
                let (queue, requests) = mpsc::channel(QUEUE_CAPACITY);
                let greeted = work.greeted.take();
                tokio::spawn(work_through(self.clone(), requests, greeted));
                work.queue.insert(queue)
            }
        };
        match queue.try_send(incoming) {
            Ok(()) => Ok(()),
            Err(mpsc::error::TrySendError::Full(incoming)) => Err(incoming),
            // The loop's end is decided under this lock, with the queue
            // taken away: a queue that is here has a loop reading it, unless
            // the connection went before it was greeted (then nobody is left
            // to answer).
            Err(mpsc::error::TrySendError::Closed(_)) => Ok(()),
        }
    }

    /// The next request, or `None` (the loop ends, the queue goes) when
    /// there is none.
    fn next(&self, requests: &mut mpsc::Receiver<Incoming<A>>) -> Option<Incoming<A>> {
        if let Ok(incoming) = requests.try_recv() {
            return Some(incoming);
        }
        let mut work = self.work.lock();
        match requests.try_recv() {
            Ok(incoming) => Some(incoming),
            Err(_) => {
                work.queue = None;
                None
            }
        }
    }
}

/// The catch-all handler's extractor: queues the request, in arrival order.
pub(crate) struct Enqueued;

impl<A: Adapter> FromMessage<A> for Enqueued {
    type Error = Infallible;

    fn from_message(
        socket: Arc<Socket<A>>,
        mut value: SioValue,
        ack_id: Option<i64>,
    ) -> Result<Self, Infallible> {
        let ack = match ack_id {
            Some(_) => Some(Ack::Socket(AckSender::from_message_parts(
                &socket, &mut value, &ack_id,
            )?)),
            None => None,
        };
        let Some(session) = socket.extensions.get::<Session<A>>() else {
            // The socket is disconnecting: nobody is left to answer.
            return Ok(Self);
        };
        if let Err(incoming) = session.state.enqueue(Incoming { value, ack }) {
            let reply = Reply::new(session.state.client.clone(), incoming.ack);
            reply.fail("request", RequestError::Overloaded.to_wire());
        }
        Ok(Self)
    }
}

/// The socket's request loop: one request at a time, in arrival order. A
/// request whose handling panics is answered `INTERNAL`; the loop goes on.
async fn work_through<A: Adapter>(
    session: Arc<SessionState<A>>,
    mut requests: mpsc::Receiver<Incoming<A>>,
    greeted: Option<oneshot::Receiver<()>>,
) {
    // The first loop of a connection waits for its greeting and on_connected.
    if let Some(greeted) = greeted
        && greeted.await.is_err()
    {
        // Gone before it was greeted: nothing of its will be answered. The
        // queue stays, closed, so that no later request starts a loop.
        return;
    }
    let (engine, client) = (&session.engine, &session.client);
    // Every log line about this client's requests carries who it is (at
    // ERROR level, like the request span, so errors always have it).
    let span = tracing::error_span!("client", client = %client.id, user = %client.user_id);
    let mut in_flight: FuturesOrdered<InFlight<A>> = FuturesOrdered::new();
    loop {
        // The next request; while triggers are on their way, answer them as
        // they are delivered, and end the loop only once none is left.
        let incoming = if in_flight.is_empty() {
            match session.next(&mut requests) {
                Some(incoming) => incoming,
                None => break,
            }
        } else {
            match requests.try_recv() {
                Ok(incoming) => incoming,
                Err(_) => {
                    tokio::select! {
                        biased;
                        incoming = requests.recv() => match incoming {
                            Some(incoming) => incoming,
                            None => break,
                        },
                        Some((reply, outcome)) = in_flight.next() => {
                            answer(client, reply, outcome).instrument(span.clone()).await;
                            continue;
                        }
                    }
                }
            }
        };
        // `next` never waits, so give other tasks their turn as a channel's
        // `recv` would (tokio's cooperative budget).
        tokio::task::consume_budget().await;
        // Answer what was delivered meanwhile; before anything but a
        // trigger (or with too many on their way), everything before it.
        while let Some(Some((reply, outcome))) = in_flight.next().now_or_never() {
            answer(client, reply, outcome)
                .instrument(span.clone())
                .await;
        }
        if !requests::is_trigger(&incoming.value) || in_flight.len() >= IN_FLIGHT {
            while let Some((reply, outcome)) = in_flight.next().await {
                answer(client, reply, outcome)
                    .instrument(span.clone())
                    .await;
                if in_flight.len() < IN_FLIGHT && requests::is_trigger(&incoming.value) {
                    break;
                }
            }
        }
        let handled = std::panic::AssertUnwindSafe(requests::handle(engine, client, incoming))
            .catch_unwind()
            .instrument(span.clone())
            .await;
        match handled {
            Ok(Some(trigger)) => in_flight.push_back(contained(client, trigger)),
            Ok(None) => {}
            Err(panic) => failed::<A>(client, &*panic),
        }
    }
    // The queue is gone: answer what is still on its way, in order.
    while let Some((reply, outcome)) = in_flight.next().await {
        answer(client, reply, outcome)
            .instrument(span.clone())
            .await;
    }
}

/// Answers a trigger that was delivered (or refused); a panic answering it
/// is contained like any request's.
async fn answer<A: Adapter>(
    client: &Arc<ClientState>,
    reply: Reply<A>,
    outcome: Result<PublishOutcome, TriggerError>,
) {
    let answered = std::panic::AssertUnwindSafe(requests::answer_trigger(reply, outcome))
        .catch_unwind()
        .await;
    if let Err(panic) = answered {
        failed::<A>(client, &*panic);
    }
}

/// A trigger on its way whose finishing panics is answered `INTERNAL` (as
/// an event: its acknowledgement went down with it).
fn contained<A: Adapter>(client: &Arc<ClientState>, trigger: InFlight<A>) -> InFlight<A> {
    let client = client.clone();
    Box::pin(async move {
        match std::panic::AssertUnwindSafe(trigger).catch_unwind().await {
            Ok(done) => done,
            Err(panic) => {
                let reason = panic_message(&*panic);
                guarded(
                    || tracing::error!(client = %client.id, %reason, "finishing a trigger panicked"),
                );
                (
                    Reply::new(client, None),
                    Err(TriggerError::HookFailed("trigger")),
                )
            }
        }
    })
}

/// A request whose handling panicked: logged, and the client told.
fn failed<A: Adapter>(client: &Arc<ClientState>, panic: &(dyn std::any::Any + Send)) {
    let reason = panic_message(panic);
    guarded(
        || tracing::error!(client = %client.id, user = %client.user_id, %reason, "a request handler panicked"),
    );
    // The acknowledgement, if any, went down with the handler; the client
    // still learns that its request failed.
    Reply::<A>::new(client.clone(), None).fail("request", RequestError::Failed.to_wire());
}
