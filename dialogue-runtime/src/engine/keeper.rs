//! The room keeper: deletes the rooms clients created once they stayed
//! empty for the empty-room period, and sweeps unused template instances
//! out of memory, on a timer that stops with the server.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use crate::engine::Engine;
use crate::engine::rooms::Deleter;

impl Engine {
    /// Starts the room keeper: every tenth of the shorter of the empty-room
    /// period and the instances' idle time (50 ms to 5 s), client-created
    /// rooms empty for the whole period are deleted, and unused template
    /// instances leave memory. It stops when
    /// the server does.
    pub(crate) fn keep_rooms(self: &Arc<Self>) {
        let engine = Arc::downgrade(self);
        let shortest = self.empty_room.min(self.rooms.instance_idle());
        let period = (shortest / 10).clamp(Duration::from_millis(50), Duration::from_secs(5));
        tokio::spawn(async move {
            let mut empty_since = HashMap::new();
            loop {
                tokio::time::sleep(period).await;
                let Some(engine) = engine.upgrade() else {
                    return;
                };
                if engine.is_stopped() {
                    return;
                }
                engine.delete_empty_rooms(&mut empty_since).await;
                engine.sweep_instances();
            }
        });
    }

    /// Deletes the client-created rooms found empty for the empty-room
    /// period; `empty_since` remembers when each was first found empty.
    async fn delete_empty_rooms(
        self: &Arc<Self>,
        empty_since: &mut HashMap<String, std::time::Instant>,
    ) {
        let now = std::time::Instant::now();
        let mut expired = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for room in self.state.registry.all() {
            if room.config.created_by.is_none() || room.size() > 0 {
                continue;
            }
            seen.insert(room.id.clone());
            let since = *empty_since.entry(room.id.clone()).or_insert(now);
            if now.duration_since(since) >= self.empty_room {
                expired.push(room.id.clone());
            }
        }
        empty_since.retain(|id, _| seen.contains(id));
        for id in expired {
            empty_since.remove(&id);
            // Closed only if still empty, atomically against joins: a join
            // that took its seat meanwhile keeps the room; one that comes
            // after finds it closed (ROOM_NOT_FOUND), as for any deletion.
            let Some(room) = self.room(&id) else {
                continue;
            };
            if !room.seats.close_if_empty().await {
                continue;
            }
            tracing::info!(room = %id, empty = ?self.empty_room, "an empty room created by a client was deleted");
            if let Ok(then) = self.delete_room(&id, Deleter::Server).await {
                then.run().await;
            }
        }
    }
}
