//! Which nodes are alive: each beats in Redis every second, and every node
//! ends the sessions of a node silent for longer than [`SILENT_AFTER`] plus
//! the resume grace period: their seats go, as they would have had that
//! node lived and its connections dropped. Until then its clients can
//! resume on any other node, and take their seats with them.

use std::sync::{Arc, Weak};
use std::time::Duration;

use crate::state::redis::keys::Keys;
use crate::state::redis::link::Link;
use crate::state::redis::registry::RedisRegistry;
use crate::state::redis::scripts;

/// How often a node beats, and looks for dead nodes.
const BEAT_EVERY: Duration = Duration::from_secs(1);

/// How long a node may stay silent before it counts as dead: several beats,
/// so that a slow moment is not a death.
pub(crate) const SILENT_AFTER: Duration = Duration::from_secs(5);

/// This node's part in knowing which nodes live.
pub(crate) struct Nodes {
    link: Arc<Link>,
    keys: Arc<Keys>,
    /// This process's name in Redis.
    pub(crate) node: String,
    /// How long a dead node's sessions are kept for their clients to resume
    /// elsewhere: the resume grace period.
    grace: Duration,
    /// Through which the engine hears of seats given back.
    registry: Weak<RedisRegistry>,
}

impl Nodes {
    pub(crate) fn new(
        link: Arc<Link>,
        keys: Arc<Keys>,
        node: String,
        grace: Duration,
        registry: Weak<RedisRegistry>,
    ) -> Self {
        Self {
            link,
            keys,
            node,
            grace,
            registry,
        }
    }

    /// Beats and reaps for as long as `nodes` lives.
    pub(crate) fn start(self: &Arc<Self>) {
        tokio::spawn(run(Arc::downgrade(self)));
    }

    async fn beat(&self) -> bool {
        let mut script = scripts::HEARTBEAT.prepare_invoke();
        script.key(self.keys.nodes()).arg(&self.node);
        self.link.script::<i64>(&script).await.is_ok()
    }

    /// Ends the sessions of the nodes dead for longer than the grace
    /// period; how many seats that gave back.
    async fn reap(&self) -> usize {
        let after = (SILENT_AFTER + self.grace).as_millis() as u64;
        let mut script = scripts::REAP.prepare_invoke();
        script
            .key(self.keys.nodes())
            .arg(after)
            .arg(self.keys.prefix());
        match self
            .link
            .script::<Vec<(String, String, String)>>(&script)
            .await
        {
            Ok(freed) => {
                let count = freed.len();
                let watcher = self.registry.upgrade().and_then(|r| r.watcher());
                for (room, connection, user) in freed {
                    tracing::info!(room, connection, user, "a dead node's seat was given back");
                    // Its user departs (presence, host), as if it had left.
                    if let Some(watcher) = &watcher {
                        watcher.seat_freed(room, user, connection).await;
                    }
                }
                count
            }
            Err(error) => {
                tracing::debug!(%error, "cannot look for dead nodes");
                0
            }
        }
    }
}

async fn run(nodes: Weak<Nodes>) {
    let mut timer = tokio::time::interval(BEAT_EVERY);
    timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // Beats in a row since Redis last failed: a node reaps only once it has
    // beaten for longer than a death takes, so that after an outage every
    // live node has beaten again before anyone is taken for dead.
    let mut beats_in_a_row = 0u32;
    let needed = (SILENT_AFTER.as_millis() / BEAT_EVERY.as_millis()) as u32 + 1;
    loop {
        timer.tick().await;
        let Some(nodes) = nodes.upgrade() else {
            return;
        };
        if nodes.beat().await {
            beats_in_a_row = beats_in_a_row.saturating_add(1);
        } else {
            beats_in_a_row = 0;
            continue;
        }
        if beats_in_a_row > needed {
            nodes.reap().await;
        }
    }
}
