//! A room's appends on this node, pipelined: each append is queued in the
//! order it was numbered (a connection's requests in the order sent), and
//! one task sends whatever is waiting as one pipeline of `APPEND` scripts.
//! Redis runs a pipeline's commands in order, so the seqs follow the queue;
//! a busy publisher's events cost one round trip per batch, not per event
//! (without it one connection publishes at most one event per round trip).
//!
//! The answers are handled in the same order: each event is stamped with
//! its seq, handed to history (`kept`), and accepted by the intake, then its
//! numberer hears back.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use crate::envelope::{Head, StampedEvent};
use crate::state::redis::intake::{Accepted, Intake};
use crate::state::redis::scripts;
use crate::state::stream::{AppendError, Kept};

/// The most appends sent in one pipeline: enough to batch a busy room,
/// few enough that a batch's answers come back quickly.
const MAX_BATCH: usize = 256;

/// One append waiting for its pipeline.
pub(crate) struct Request {
    pub(crate) head: Head,
    /// How many of its name the room keeps (0: none).
    pub(crate) keep: u32,
    /// Its trigger id's key, and how long (ms) the id is remembered.
    pub(crate) trigger: Option<(String, u64)>,
    pub(crate) kept: Option<Kept>,
    pub(crate) reply: oneshot::Sender<Result<Numbered, AppendError>>,
}

/// What Redis made of an append.
pub(crate) enum Numbered {
    /// A new event, accepted by the intake; `drain`: its numberer drains
    /// the delivery.
    New {
        event: Arc<StampedEvent>,
        drain: bool,
    },
    /// Its trigger id was accepted before, as this seq.
    Repeat(u64),
}

/// The queue of a room's appends.
pub(crate) struct Appender {
    queue: mpsc::UnboundedSender<Request>,
}

impl Appender {
    /// Starts the room's pipelining task; it ends when the appender is
    /// dropped (with its stream).
    pub(crate) fn start(intake: Arc<Intake>) -> Self {
        let (queue, requests) = mpsc::unbounded_channel();
        tokio::spawn(run(intake, requests));
        Self { queue }
    }

    /// Queues `request`, after every append queued before it.
    pub(crate) fn push(&self, request: Request) {
        if let Err(refused) = self.queue.send(request) {
            let _ = refused.0.reply.send(Err(AppendError::Unavailable(
                "the room's appends stopped".into(),
            )));
        }
    }
}

async fn run(intake: Arc<Intake>, mut requests: mpsc::UnboundedReceiver<Request>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = requests.recv().await {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match requests.try_recv() {
                Ok(request) => batch.push(request),
                Err(_) => break,
            }
        }
        send(&intake, &mut batch).await;
    }
}

/// Sends one batch as a pipeline and answers each append, in order.
async fn send(intake: &Arc<Intake>, batch: &mut Vec<Request>) {
    let mut pipeline = redis::pipe();
    // Loaded with every batch (cheap: Redis keeps it by its hash), so that
    // a Redis restarted empty runs the batch rather than refusing it.
    pipeline.load_script(&scripts::APPEND).ignore();
    for request in batch.iter() {
        let mut script = scripts::APPEND.prepare_invoke();
        let keep = request.keep;
        script
            .key(&intake.own.epoch)
            .key(&intake.own.seq)
            .key(&intake.own.log)
            .key(match keep {
                0 => String::new(),
                _ => intake.keys.history(&intake.room, &request.head.event),
            })
            .key(match &request.trigger {
                Some((key, _)) => key.as_str(),
                None => "",
            })
            .arg(crate::state::new_epoch())
            .arg(&request.head.json)
            .arg(intake.window.size.max(1))
            .arg(keep)
            .arg(request.trigger.as_ref().map_or(0, |(_, ttl)| *ttl))
            .arg(intake.keys.events_channel())
            .arg(&intake.room);
        pipeline.invoke_script(&script);
    }
    type Answer = (String, u64, u8, Option<String>);
    // Each append answered on its own: a script refused (Redis out of
    // memory, say) fails that append only, not those Redis ran before it.
    pipeline.ignore_errors();
    let answers = intake
        .link
        .pipe::<Vec<redis::RedisResult<Answer>>>(&pipeline)
        .await;
    let answers = match answers {
        Ok(answers) if answers.len() == batch.len() => answers,
        Ok(answers) => {
            let error = format!(
                "Redis answered {} of {} appends",
                answers.len(),
                batch.len()
            );
            for request in batch.drain(..) {
                let _ = request
                    .reply
                    .send(Err(AppendError::Unavailable(error.clone())));
            }
            return;
        }
        Err(error) => {
            for request in batch.drain(..) {
                let _ = request
                    .reply
                    .send(Err(AppendError::Unavailable(error.0.clone())));
            }
            return;
        }
    };
    for (request, answer) in batch.drain(..).zip(answers) {
        let numbered = match answer {
            Ok((_, seq, 1, _)) => Ok(Numbered::Repeat(seq)),
            Ok((epoch, seq, _, evicted)) => {
                numbered(intake, request.head, request.kept, &epoch, seq, evicted)
            }
            Err(error) => Err(AppendError::Unavailable(error.to_string())),
        };
        let _ = request.reply.send(numbered);
    }
}

/// A new event with its seq: kept for history, accepted by the intake.
fn numbered(
    intake: &Arc<Intake>,
    head: Head,
    kept: Option<Kept>,
    epoch: &str,
    seq: u64,
    evicted: Option<String>,
) -> Result<Numbered, AppendError> {
    let event = Arc::new(head.finish(seq)?);
    // The history store and `on_cleanup` hear of it on the node that
    // accepted it (each node of its own events), in seq order.
    if let Some(kept) = kept {
        let evicted = evicted.and_then(|json| super::read_event(&intake.room, 0, json));
        kept(&event, evicted);
    }
    let accepted = intake.accept(epoch, event.clone());
    if accepted == Accepted::OtherEpoch {
        intake.start_over();
    }
    Ok(Numbered::New {
        event,
        drain: accepted == Accepted::Drain,
    })
}
