//! The newest live one of the things made for a room on this node: what the
//! bus routes a room's events (and roster changes) to.
//!
//! Why a list and not just the last one made: two copies of a room can be
//! made at once on a node (a join that looks the room up in Redis, and the
//! word of its creation on the control channel; or a `createRoom` here
//! racing that word), and only one of them is kept. When the one dropped was
//! made last, routing to "the last one made" sent the room's events to a
//! copy that was gone, so this node's members heard nothing more of the
//! room, and no gap was ever noticed (found by the two-node e2e suite
//! beside two CPU hogs: a member that saw none of 450 events). Routing to
//! the newest that is still alive falls back to the copy that was kept; a
//! room made again after a deletion is newer than the one being torn down.

use std::sync::{Arc, Weak};

/// Weak handles, oldest first; dead ones are dropped as new ones come.
pub(crate) struct Newest<T>(Vec<Weak<T>>);

impl<T> Default for Newest<T> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<T> Newest<T> {
    /// Adds `item` as the newest.
    pub(crate) fn push(&mut self, item: &Arc<T>) {
        self.0.retain(|weak| weak.strong_count() > 0);
        self.0.push(Arc::downgrade(item));
    }

    /// The newest one still alive.
    pub(crate) fn newest(&self) -> Option<Arc<T>> {
        self.0.iter().rev().find_map(Weak::upgrade)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_newest_alive_one_wins() {
        let mut newest = Newest::default();
        let kept = Arc::new("kept");
        newest.push(&kept);
        let made_last = Arc::new("made last, then dropped");
        newest.push(&made_last);
        assert_eq!(newest.newest().as_deref(), Some(&"made last, then dropped"));
        drop(made_last);
        assert_eq!(newest.newest().as_deref(), Some(&"kept"), "falls back");
        let again = Arc::new("made again");
        newest.push(&again);
        assert_eq!(newest.newest().as_deref(), Some(&"made again"));
        assert_eq!(newest.0.len(), 2, "the dead one was dropped");
        drop((kept, again));
        assert!(newest.newest().is_none());
    }
}
