//! History: pages of a room's events, from its stream and past it from the
//! history store or `on_load`; and the writer that keeps the store and
//! `on_cleanup` up to date behind the broadcast.

use std::sync::{Arc, Weak};

use tokio::sync::{mpsc, oneshot};

use crate::control::hooks::{Evicted, LoadRequest};
use crate::engine::Engine;
use crate::engine::hooks;
use crate::envelope::StampedEvent;
use crate::error::{HistoryError, InvalidEventName};
use crate::protocol::MAX_HISTORY_PAGE;
use crate::state::room::RoomState;
use crate::store::HistoryStore;

/// A page of history.
pub(crate) struct HistoryPageOutcome {
    pub(crate) events: Vec<Arc<StampedEvent>>,
    pub(crate) start: u64,
    pub(crate) end: u64,
}

/// Work on history done off the broadcast path, in acceptance order.
enum Job {
    /// Write an event to the store.
    Record(String, Arc<StampedEvent>),
    /// Tell `on_cleanup` an event left memory.
    Evicted(String, Arc<StampedEvent>),
    /// Answer once every job before it is done.
    Flush(oneshot::Sender<()>),
}

/// The history store, and the queue of its writes and `on_cleanup` calls
/// (one worker, in acceptance order), when either is configured.
pub(crate) struct HistoryWriter {
    store: Option<Arc<dyn HistoryStore>>,
    /// Whether kept events are written to `store` behind the broadcast
    /// (not with the durable store, whose rooms commit them themselves).
    write_behind: bool,
    cleanup: bool,
    jobs: Option<mpsc::UnboundedSender<Job>>,
}

impl HistoryWriter {
    /// Why the history store does not take writes now, if it does not.
    pub(crate) fn store_failure(&self) -> Option<String> {
        self.store.as_ref()?.ready().err().map(|e| e.to_string())
    }

    /// The writer; a worker runs when there is a store or an `on_cleanup`
    /// hook, and ends with the engine.
    pub(crate) fn new(
        store: Option<Arc<dyn HistoryStore>>,
        write_behind: bool,
        cleanup: bool,
        engine: Weak<Engine>,
    ) -> Self {
        let write_behind = write_behind && store.is_some();
        let jobs = (write_behind || cleanup).then(|| spawn_worker(engine));
        Self {
            store,
            write_behind,
            cleanup,
            jobs,
        }
    }

    /// Whether kept events mean work here (a store to write, `on_cleanup`).
    pub(crate) fn listens(&self) -> bool {
        self.jobs.is_some()
    }
}

impl Engine {
    /// Queues what a kept event means for the store (write it) and for
    /// `on_cleanup` (the event it pushed out of memory).
    pub(crate) fn record_history(
        &self,
        room_id: &str,
        event: &Arc<StampedEvent>,
        evicted: Option<Arc<StampedEvent>>,
    ) {
        let writer = &self.history;
        let Some(jobs) = &writer.jobs else {
            return;
        };
        if writer.write_behind {
            let _ = jobs.send(Job::Record(room_id.to_owned(), event.clone()));
        }
        if let Some(evicted) = evicted.filter(|_| writer.cleanup) {
            let _ = jobs.send(Job::Evicted(room_id.to_owned(), evicted));
        }
    }

    /// Waits until the writer has done every job queued so far.
    async fn flush_history(&self) {
        if let Some(jobs) = &self.history.jobs {
            let (done, wait) = oneshot::channel();
            if jobs.send(Job::Flush(done)).is_ok() {
                let _ = wait.await;
            }
        }
    }

    /// A page of `event`'s history in `room`, newest first: from the
    /// stream, and past it from the history store when there is one (or
    /// `on_load`).
    pub(crate) async fn history(
        self: &Arc<Self>,
        room: &RoomState,
        event: &str,
        start: u64,
        end: u64,
    ) -> Result<HistoryPageOutcome, HistoryError> {
        InvalidEventName::check(event)?;
        let end = end.min(start.saturating_add(MAX_HISTORY_PAGE));
        if end <= start {
            return Ok(HistoryPageOutcome {
                events: Vec::new(),
                start,
                end: start,
            });
        }
        let (from_memory, in_memory) = room.stream.page(event, start as usize, end as usize).await;
        let in_memory = in_memory as u64;
        let mut events = from_memory;
        if end > in_memory {
            // What memory dropped is written behind the broadcast: let the
            // writer catch up, so the store (or `on_cleanup`'s database) holds
            // everything up to now.
            self.flush_history().await;
            if let Some(store) = &self.history.store {
                // The store holds every event (write-through): the whole page
                // comes from it, so no index shifts between the two.
                events = store
                    .page(&room.id, event, start, end)
                    .await
                    .map_err(|e| HistoryError::Store(e.0))?;
            } else {
                let request = LoadRequest {
                    room_id: room.id.clone(),
                    event_name: event.to_owned(),
                    start: start.saturating_sub(in_memory),
                    end: end - in_memory,
                };
                let loaded = hooks::single(self, "on_load", &self.hooks.on_load, (request,)).await;
                if let Some(loaded) = loaded {
                    let loaded = loaded.map_err(|_| HistoryError::HookFailed("on_load"))?;
                    for message in loaded.iter().take((end - start.max(in_memory)) as usize) {
                        let stamped = StampedEvent::from_message(message.seq, message)
                            .map_err(|e| HistoryError::Store(e.to_string()))?;
                        events.push(Arc::new(stamped));
                    }
                }
            }
        }
        Ok(HistoryPageOutcome { events, start, end })
    }
}

/// The history worker: store writes and `on_cleanup` calls, one at a time in
/// acceptance order, off the broadcast path. It ends with the engine.
fn spawn_worker(engine: Weak<Engine>) -> mpsc::UnboundedSender<Job> {
    let (tx, mut rx) = mpsc::unbounded_channel::<Job>();
    tokio::spawn(async move {
        while let Some(job) = rx.recv().await {
            let Some(engine) = engine.upgrade() else {
                return;
            };
            match job {
                Job::Record(room, event) => {
                    if let Some(store) = &engine.history.store
                        && let Err(error) = store.record(&room, event).await
                    {
                        tracing::error!(%room, %error, "the history store failed to record an event");
                    }
                }
                Job::Flush(done) => {
                    let _ = done.send(());
                }
                Job::Evicted(room, event) => {
                    let message = match event.message() {
                        Ok(message) => message,
                        Err(error) => {
                            tracing::error!(%room, %error, "cannot read back an evicted event");
                            continue;
                        }
                    };
                    hooks::observe(&engine, "on_cleanup", &engine.hooks.on_cleanup, || {
                        (Evicted {
                            room_id: room,
                            event_name: message.event.clone(),
                            events: vec![message],
                        },)
                    })
                    .await;
                }
            }
        }
    });
    tx
}
