//! The latest volatile message of a socket, waiting for its transport.

use std::{
    sync::Mutex,
    task::{Context, Poll},
};

use futures_util::task::AtomicWaker;

use crate::queue::Queued;

/// The latest volatile message of a socket: a newer one replaces it, and
/// the transport that holds the socket's queue takes it when it is ready.
///
/// Why not a `watch` channel: a channel is an allocation of its own (about
/// 0.5 KB, with room for eight groups of waiters) for every socket, and
/// volatile messages are rare; a slot and a waker live inside the socket.
/// A transport polls it, which is what a WebSocket's single task needs
/// (`transport::ws_driver`).
#[derive(Debug, Default)]
pub(crate) struct Volatile {
    slot: Mutex<Option<Queued>>,
    waker: AtomicWaker,
}

impl Volatile {
    /// Replaces the waiting message, if any, and wakes the transport.
    pub(crate) fn put(&self, message: Queued) {
        *self.slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(message);
        self.waker.wake();
    }

    /// Takes the waiting message, or registers the task to be woken by the
    /// next one. Only the holder of the socket's queue calls it.
    pub(crate) fn poll_take(&self, cx: &mut Context<'_>) -> Poll<Queued> {
        if let Some(message) = self.take() {
            return Poll::Ready(message);
        }
        self.waker.register(cx.waker());
        // A message put between the first look and the registration woke
        // no one: look again.
        match self.take() {
            Some(message) => Poll::Ready(message),
            None => Poll::Pending,
        }
    }

    fn take(&self) -> Option<Queued> {
        self.slot.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use engineioxide_core::Str;
    use futures_util::task::noop_waker_ref;

    fn text(queued: Queued) -> Str {
        match queued {
            Queued::Message(msg) => msg,
            other => panic!("expected a message, got {other:?}"),
        }
    }

    #[test]
    fn the_latest_message_replaces_the_one_waiting() {
        let volatile = Volatile::default();
        let mut cx = Context::from_waker(noop_waker_ref());
        assert!(volatile.poll_take(&mut cx).is_pending());
        volatile.put(Queued::Message("first".into()));
        volatile.put(Queued::Message("second".into()));
        match volatile.poll_take(&mut cx) {
            Poll::Ready(queued) => assert_eq!(text(queued), "second"),
            Poll::Pending => panic!("a message was waiting"),
        }
        assert!(volatile.poll_take(&mut cx).is_pending(), "taken once");
    }

    #[tokio::test]
    async fn a_message_wakes_the_task_waiting_for_it() {
        let volatile = std::sync::Arc::new(Volatile::default());
        let waiting = tokio::spawn({
            let volatile = volatile.clone();
            async move { std::future::poll_fn(|cx| volatile.poll_take(cx)).await }
        });
        tokio::task::yield_now().await;
        volatile.put(Queued::Message("hello".into()));
        let queued = tokio::time::timeout(std::time::Duration::from_secs(1), waiting)
            .await
            .expect("the waiting task should be woken")
            .unwrap();
        assert_eq!(text(queued), "hello");
    }
}
