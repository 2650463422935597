//! [`Feed`]: what a joined room hands out over time (its events of one type,
//! presence changes, recoveries), in order.

use std::time::Duration;

use tokio::sync::mpsc;

use super::CallError;

/// A stream of values from a joined room, in the order the server sent
/// them; it ends (`None`) when the room is left, the client is closed or the
/// server removes the client from the room.
///
/// Values wait in the feed until read, so a slow reader loses nothing;
/// dropping the feed stops it.
///
/// ```no_run
/// # use dialogue_client::typed::{CallError, Feed};
/// # async fn read(mut feed: Feed<u32>) -> Result<(), CallError> {
/// while let Some(value) = feed.recv().await {
///     println!("{value}");
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct Feed<T> {
    rx: mpsc::UnboundedReceiver<T>,
}

/// The typed events of one name in one room: what
/// [`JoinedRoom::events`](super::JoinedRoom::events) returns.
pub type Events<E> = Feed<dialogue_core::protocol::EventMessage<E>>;

impl<T> Feed<T> {
    /// A feed and the sender the room's dispatch writes to.
    pub(crate) fn channel() -> (mpsc::UnboundedSender<T>, Self) {
        let (tx, rx) = mpsc::unbounded_channel();
        (tx, Self { rx })
    }

    /// The next value; `None` once the feed has ended and every value before
    /// was read.
    pub async fn recv(&mut self) -> Option<T> {
        self.rx.recv().await
    }

    /// Like [`recv`](Self::recv), bounded: [`CallError::Timeout`] when
    /// nothing comes in time, [`CallError::Closed`] when the feed ended.
    pub async fn recv_timeout(&mut self, timeout: Duration) -> Result<T, CallError> {
        match tokio::time::timeout(timeout, self.rx.recv()).await {
            Ok(Some(value)) => Ok(value),
            Ok(None) => Err(CallError::Closed),
            Err(_) => Err(CallError::Timeout(timeout)),
        }
    }

    /// A value already received, if any, without waiting.
    pub fn try_recv(&mut self) -> Option<T> {
        self.rx.try_recv().ok()
    }
}
