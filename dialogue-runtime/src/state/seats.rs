//! Membership and capacity of one room: who holds a seat, taken atomically
//! against `maxSize`.

use std::collections::HashSet;

use futures_util::future::{self, BoxFuture};
use parking_lot::Mutex;

/// Why a seat could not be taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SeatError {
    /// The room holds this many members already.
    Full(u32),
    /// The room was deleted.
    Closed,
    /// The shared state (Redis) could not be reached: nothing was taken.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    Unavailable(String),
}

/// The seats of one room. Members are connection ids.
///
/// Changes go to the backend's authority (async, atomic: racing joins never
/// overfill a room); `count` and `members` read this node's view.
pub(crate) trait Seats: Send + Sync + 'static {
    /// Takes a seat for `member` unless the room is closed or holds `max`
    /// members; a member taking its seat again succeeds.
    fn take<'a>(
        &'a self,
        member: &'a str,
        max: Option<u32>,
    ) -> BoxFuture<'a, Result<(), SeatError>>;

    /// Gives a seat back; whether `member` held one.
    fn release<'a>(&'a self, member: &'a str) -> BoxFuture<'a, bool>;

    /// Moves `from`'s seat to `to` (a session resumed on a new
    /// connection), without ever freeing it; whether `from` held one.
    fn transfer<'a>(&'a self, from: &'a str, to: &'a str) -> BoxFuture<'a, bool>;

    /// Closes the room: no seat can be taken afterwards. Hands back the
    /// members that held one.
    fn close(&self) -> BoxFuture<'_, Vec<String>>;

    /// Closes this node's view of a room another node deleted (and closed
    /// at the authority): no seat is taken here any more; this node's
    /// members, whose seats it gives back (a join that raced the deletion
    /// must not hold a seat of a room made again with the id).
    fn closed_elsewhere(&self) -> BoxFuture<'_, Vec<String>> {
        self.close()
    }

    /// Closes the room if nobody holds a seat, atomically against takes;
    /// whether it did.
    fn close_if_empty(&self) -> BoxFuture<'_, bool>;

    /// Members now.
    fn count(&self) -> usize;

    /// Brings [`count`](Self::count) up to date with the authority, where
    /// other nodes change it (before a room list is shown).
    fn refresh(&self) -> BoxFuture<'_, ()> {
        Box::pin(future::ready(()))
    }

    /// Whether [`count`](Self::count) is the authority's own (in memory),
    /// not a view that other nodes change meanwhile: a full room is then
    /// refused before its hooks run, else only by taking the seat.
    fn count_is_exact(&self) -> bool {
        true
    }

    /// The members now.
    fn members(&self) -> Vec<String>;

    /// Whether the room was closed.
    fn is_closed(&self) -> bool;
}

/// Seats in this process's memory: one lock per room, held only to check and
/// take a seat.
#[derive(Debug, Default)]
pub(crate) struct MemorySeats {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    members: HashSet<String>,
    closed: bool,
}

impl Seats for MemorySeats {
    fn take<'a>(
        &'a self,
        member: &'a str,
        max: Option<u32>,
    ) -> BoxFuture<'a, Result<(), SeatError>> {
        let mut inner = self.inner.lock();
        let taken = if inner.closed {
            Err(SeatError::Closed)
        } else if inner.members.contains(member) {
            Ok(())
        } else if let Some(max) = max.filter(|&max| inner.members.len() >= max as usize) {
            Err(SeatError::Full(max))
        } else {
            inner.members.insert(member.to_owned());
            Ok(())
        };
        Box::pin(future::ready(taken))
    }

    fn release<'a>(&'a self, member: &'a str) -> BoxFuture<'a, bool> {
        let held = self.inner.lock().members.remove(member);
        Box::pin(future::ready(held))
    }

    fn transfer<'a>(&'a self, from: &'a str, to: &'a str) -> BoxFuture<'a, bool> {
        let mut inner = self.inner.lock();
        let held = inner.members.remove(from);
        if held && !inner.closed {
            inner.members.insert(to.to_owned());
        }
        Box::pin(future::ready(held))
    }

    fn close(&self) -> BoxFuture<'_, Vec<String>> {
        let mut inner = self.inner.lock();
        inner.closed = true;
        let members = inner.members.drain().collect();
        Box::pin(future::ready(members))
    }

    fn close_if_empty(&self) -> BoxFuture<'_, bool> {
        let mut inner = self.inner.lock();
        let empty = inner.members.is_empty();
        if empty {
            inner.closed = true;
        }
        Box::pin(future::ready(empty))
    }

    fn count(&self) -> usize {
        self.inner.lock().members.len()
    }

    fn members(&self) -> Vec<String> {
        self.inner.lock().members.iter().cloned().collect()
    }

    fn is_closed(&self) -> bool {
        self.inner.lock().closed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn seats_are_bounded_idempotent_and_closed_for_good() {
        let seats = MemorySeats::default();
        assert_eq!(seats.take("a", Some(2)).await, Ok(()));
        assert_eq!(seats.take("a", Some(2)).await, Ok(()), "again");
        assert_eq!(seats.take("b", Some(2)).await, Ok(()));
        assert_eq!(seats.take("c", Some(2)).await, Err(SeatError::Full(2)));
        assert_eq!(seats.count(), 2);
        assert!(seats.transfer("a", "a2").await, "a resumed as a2");
        assert_eq!(
            seats.take("c", Some(2)).await,
            Err(SeatError::Full(2)),
            "never freed"
        );
        assert!(seats.release("a2").await);
        assert!(!seats.release("a").await);
        let mut members = seats.close().await;
        members.sort();
        assert_eq!(members, ["b"]);
        assert!(!seats.transfer("b", "b2").await, "closed");
        assert_eq!(seats.take("d", None).await, Err(SeatError::Closed));
        assert!(seats.is_closed());
        assert_eq!(seats.count(), 0);
        let occupied = MemorySeats::default();
        occupied.take("x", None).await.unwrap();
        assert!(!occupied.close_if_empty().await, "someone is there");
        assert_eq!(occupied.take("y", None).await, Ok(()), "still open");
        let empty = MemorySeats::default();
        assert!(empty.close_if_empty().await);
        assert_eq!(empty.take("z", None).await, Err(SeatError::Closed));
    }
}
