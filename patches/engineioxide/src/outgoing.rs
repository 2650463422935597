//! A socket's outgoing queue: a bounded channel that holds no memory while
//! it is empty.
//!
//! Why not tokio's `mpsc`: a bounded `mpsc` channel is an allocation of its
//! own (512 bytes of shared state, cache-padded) plus blocks of 32 slots,
//! and a channel keeps its first block for as long as it lives: 1.8 KB for
//! every socket, idle or not. Here the queue lives inside the socket, its
//! items in a `VecDeque` that is freed when a drain leaves it empty and
//! larger than a few items, so an idle socket holds 64 bytes and one that
//! receives a message now and then a few items' room at most.
//!
//! The sender side is any holder of the socket (emits, the heartbeat); the
//! receiver side is the transport that holds [`Socket::internal_rx`]'s
//! lock (`crate::socket::Socket`), which alone may take from the queue.

use std::{
    collections::VecDeque,
    sync::{Mutex, MutexGuard},
    task::{Context, Poll},
};

use futures_util::task::AtomicWaker;
use tokio::sync::{Notify, mpsc::error::TrySendError};

use crate::queue::Queued;

/// Items a drained queue keeps room for; past it the room is freed.
const KEPT_ROOM: usize = 4;

/// A bounded queue of [`Queued`] items (see the module's documentation).
#[derive(Debug)]
pub(crate) struct Outgoing {
    state: Mutex<State>,
    capacity: usize,
    /// The task of the transport that takes from the queue.
    receiver: AtomicWaker,
    /// Those waiting for the queue to close ([`Outgoing::closed`]).
    closing: Notify,
}

#[derive(Debug, Default)]
struct State {
    items: VecDeque<Queued>,
    /// Places promised to permits not used yet.
    reserved: usize,
    closed: bool,
}

/// A place in the queue, reserved: [`Permit::send`] fills it, dropping the
/// permit gives it back.
#[derive(Debug)]
pub(crate) struct Permit<'a> {
    queue: &'a Outgoing,
}

impl Outgoing {
    /// A queue of at most `capacity` items (at least one).
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            state: Mutex::new(State::default()),
            capacity: capacity.max(1),
            receiver: AtomicWaker::new(),
            closing: Notify::new(),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while the lock is held leaves the queue consistent (each
        // change is a single push, pop or count), so a poisoned lock is used
        // as it is.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether one more item may be queued or reserved.
    fn room(&self, state: &State) -> Result<(), TrySendError<()>> {
        if state.closed {
            Err(TrySendError::Closed(()))
        } else if state.items.len() + state.reserved >= self.capacity {
            Err(TrySendError::Full(()))
        } else {
            Ok(())
        }
    }

    /// Queues `item` under the lock `state`, then wakes the receiver.
    fn enqueue(&self, mut state: MutexGuard<'_, State>, item: Queued) {
        state.items.push_back(item);
        drop(state);
        self.receiver.wake();
    }

    /// Queues `item` if there is room.
    pub(crate) fn try_send(&self, item: Queued) -> Result<(), TrySendError<Queued>> {
        let state = self.state();
        match self.room(&state) {
            Ok(()) => {
                self.enqueue(state, item);
                Ok(())
            }
            Err(TrySendError::Closed(())) => Err(TrySendError::Closed(item)),
            Err(TrySendError::Full(())) => Err(TrySendError::Full(item)),
        }
    }

    /// Queues `item` even past the capacity (one noop that ends a polling
    /// request during an upgrade); fails only when the queue is closed.
    pub(crate) fn push(&self, item: Queued) -> Result<(), Queued> {
        let state = self.state();
        if state.closed {
            return Err(item);
        }
        self.enqueue(state, item);
        Ok(())
    }

    /// Reserves a place for one item.
    pub(crate) fn try_reserve(&self) -> Result<Permit<'_>, TrySendError<()>> {
        let mut state = self.state();
        self.room(&state)?;
        state.reserved += 1;
        Ok(Permit { queue: self })
    }

    /// Whether the queue is closed: nothing can be sent any more.
    pub(crate) fn is_closed(&self) -> bool {
        self.state().closed
    }

    /// Waits until the queue is closed.
    pub(crate) async fn closed(&self) {
        loop {
            let notified = self.closing.notified();
            let mut notified = std::pin::pin!(notified);
            // Registered before the look, so that a close between the two
            // is not missed.
            notified.as_mut().enable();
            if self.is_closed() {
                return;
            }
            notified.await;
        }
    }

    /// Closes the queue: sends fail from now on (items already queued and
    /// permits already given still arrive).
    pub(crate) fn close(&self) {
        self.state().closed = true;
        self.closing.notify_waiters();
        self.receiver.wake();
    }

    /// Takes the next item, if one is queued (receiver side only).
    pub(crate) fn try_recv(&self) -> Option<Queued> {
        Self::pop(&mut self.state())
    }

    /// Takes the next item under the lock; gives a burst's room back once
    /// the queue is drained.
    fn pop(state: &mut State) -> Option<Queued> {
        let item = state.items.pop_front();
        if state.items.is_empty() && state.items.capacity() > KEPT_ROOM {
            state.items = VecDeque::new();
        }
        item
    }

    /// Takes the next item, or registers the task to be woken by one:
    /// `Ready(None)` once the queue is closed and empty, with no permit
    /// outstanding (receiver side only).
    pub(crate) fn poll_recv(&self, cx: &mut Context<'_>) -> Poll<Option<Queued>> {
        if let Some(item) = self.try_recv() {
            return Poll::Ready(Some(item));
        }
        self.receiver.register(cx.waker());
        let mut state = self.state();
        // An item queued between the first look and the registration woke
        // no one: look again.
        if let Some(item) = Self::pop(&mut state) {
            return Poll::Ready(Some(item));
        }
        if state.closed && state.reserved == 0 {
            return Poll::Ready(None);
        }
        drop(state);
        Poll::Pending
    }

    /// Waits for the next item (receiver side only).
    #[cfg(any(test, feature = "__test_harness"))]
    pub(crate) async fn recv(&self) -> Option<Queued> {
        std::future::poll_fn(|cx| self.poll_recv(cx)).await
    }
}

impl Permit<'_> {
    /// Fills the reserved place with `item`.
    pub(crate) fn send(self, item: Queued) {
        let queue = self.queue;
        std::mem::forget(self);
        let mut state = queue.state();
        state.reserved -= 1;
        queue.enqueue(state, item);
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        let mut state = self.queue.state();
        state.reserved -= 1;
        let wake = state.closed && state.reserved == 0;
        drop(state);
        if wake {
            // The receiver may wait for this permit before it sees the end.
            self.queue.receiver.wake();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use engineioxide_core::Str;
    use futures_util::task::noop_waker_ref;
    use std::{sync::Arc, time::Duration};

    fn message(text: &'static str) -> Queued {
        Queued::Message(Str::from(text))
    }

    fn text(item: Option<Queued>) -> String {
        match item {
            Some(Queued::Message(msg)) => msg.to_string(),
            other => panic!("expected a message, got {other:?}"),
        }
    }

    #[test]
    fn items_come_out_in_order_up_to_the_capacity() {
        let queue = Outgoing::new(2);
        queue.try_send(message("a")).unwrap();
        let permit = queue.try_reserve().unwrap();
        assert!(matches!(
            queue.try_send(message("c")),
            Err(TrySendError::Full(_))
        ));
        assert!(matches!(queue.try_reserve(), Err(TrySendError::Full(()))));
        permit.send(message("b"));
        assert_eq!(text(queue.try_recv()), "a");
        assert_eq!(text(queue.try_recv()), "b");
        assert!(queue.try_recv().is_none());
    }

    #[test]
    fn a_dropped_permit_gives_its_place_back() {
        let queue = Outgoing::new(1);
        drop(queue.try_reserve().unwrap());
        queue.try_send(message("a")).unwrap();
    }

    #[test]
    fn a_drained_queue_frees_the_room_of_a_burst() {
        let queue = Outgoing::new(128);
        for _ in 0..100 {
            queue.try_send(message("x")).unwrap();
        }
        while queue.try_recv().is_some() {}
        assert_eq!(queue.state().items.capacity(), 0);
        // A message now and then keeps its small room.
        queue.try_send(message("y")).unwrap();
        queue.try_recv();
        assert!(queue.state().items.capacity() <= KEPT_ROOM);
    }

    #[test]
    fn a_closed_queue_refuses_sends_and_ends_after_its_items() {
        let queue = Outgoing::new(4);
        queue.try_send(message("a")).unwrap();
        let permit = queue.try_reserve().unwrap();
        queue.close();
        assert!(queue.is_closed());
        assert!(matches!(
            queue.try_send(message("b")),
            Err(TrySendError::Closed(_))
        ));
        assert!(matches!(queue.try_reserve(), Err(TrySendError::Closed(()))));
        assert!(queue.push(Queued::Noop).is_err());
        let mut cx = Context::from_waker(noop_waker_ref());
        assert_eq!(
            text(match queue.poll_recv(&mut cx) {
                Poll::Ready(item) => item,
                Poll::Pending => panic!("an item was queued"),
            }),
            "a"
        );
        // A permit given before the close still arrives.
        assert!(queue.poll_recv(&mut cx).is_pending());
        permit.send(message("c"));
        assert!(matches!(queue.poll_recv(&mut cx), Poll::Ready(Some(_))));
        assert!(matches!(queue.poll_recv(&mut cx), Poll::Ready(None)));
    }

    #[tokio::test]
    async fn the_receiver_and_those_waiting_for_the_close_are_woken() {
        let queue = Arc::new(Outgoing::new(4));
        let receiving = tokio::spawn({
            let queue = queue.clone();
            async move { queue.recv().await }
        });
        let closing = tokio::spawn({
            let queue = queue.clone();
            async move { queue.closed().await }
        });
        tokio::task::yield_now().await;
        queue.try_send(message("hello")).unwrap();
        let item = tokio::time::timeout(Duration::from_secs(1), receiving)
            .await
            .expect("the receiver should be woken")
            .unwrap();
        assert_eq!(text(item), "hello");
        assert!(!closing.is_finished());
        queue.close();
        tokio::time::timeout(Duration::from_secs(1), closing)
            .await
            .expect("closed() should resolve")
            .unwrap();
    }
}
