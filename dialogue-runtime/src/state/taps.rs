//! Taps on a room's delivery: subscribers that are not sockets (server-sent
//! event streams) get each event this node delivers, in seq order, as the
//! `Arc` the delivery holds.
//!
//! The delivery checks one atomic count per event and takes the lock only
//! when a tap exists, so rooms without streams pay nothing. A tap whose
//! queue is full is dropped (its stream ends, and the client comes back
//! with `Last-Event-ID` and recovers), so that no stream can stall a room.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use parking_lot::Mutex;
use tokio::sync::mpsc;

use crate::envelope::StampedEvent;

/// Events a tap may have waiting before it is dropped.
pub(crate) const TAP_QUEUE: usize = 1024;

/// The taps of one room's delivery.
#[derive(Default)]
pub(crate) struct Taps {
    count: AtomicUsize,
    senders: Mutex<Vec<mpsc::Sender<Arc<StampedEvent>>>>,
}

impl Taps {
    /// A new tap: it gets every event delivered from now on.
    pub(crate) fn add(&self) -> mpsc::Receiver<Arc<StampedEvent>> {
        let (sender, receiver) = mpsc::channel(TAP_QUEUE);
        let mut senders = self.senders.lock();
        // Streams that ended are pruned here too, not only when an event
        // comes: a quiet room with reconnecting streams stays small.
        senders.retain(|sender| !sender.is_closed());
        senders.push(sender);
        self.count.store(senders.len(), Ordering::Release);
        receiver
    }

    /// Hands `event` to every tap; drops those gone or full.
    pub(crate) fn send(&self, event: &Arc<StampedEvent>) {
        if self.count.load(Ordering::Acquire) == 0 {
            return;
        }
        let mut senders = self.senders.lock();
        senders.retain(|sender| sender.try_send(event.clone()).is_ok());
        self.count.store(senders.len(), Ordering::Release);
    }

    /// Drops every tap (the room was deleted): their streams end.
    pub(crate) fn close(&self) {
        self.senders.lock().clear();
        self.count.store(0, Ordering::Release);
    }
}
