//! A running server's upkeep: its metrics' gauges, and stopping it.

use crate::DialogueApp;
use crate::api::dialogue::Dialogue;
use crate::engine::sessions::Ending;

impl<A: DialogueApp> Dialogue<A> {
    /// Sets the gauges of docs/operating.md (connections, members, rooms,
    /// slow members dropped) from the server's state, through the `metrics`
    /// facade: call it when a scrape asks, before rendering (the
    /// conformance server's `/metrics` does). Counters and histograms are
    /// kept as things happen.
    ///
    /// ```no_run
    /// # use dialogue_runtime::prelude::*;
    /// # #[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
    /// # pub struct Message { pub text: String }
    /// # dialogue! { pub ChatApp { chat: { name: "Chat Room", events: [Message] } } }
    /// # fn run(dialogue: Dialogue<ChatApp>) {
    /// dialogue.record_metrics();
    /// # }
    /// ```
    pub fn record_metrics(&self) {
        let engine = &self.engine;
        let rooms = engine.all_rooms();
        let members = rooms.iter().map(|room| room.size()).sum();
        let counters = &engine.state.counters;
        let relaxed = std::sync::atomic::Ordering::Relaxed;
        crate::metrics::gauges(crate::metrics::Snapshot {
            connections: engine.admission.count(),
            members,
            rooms: rooms.len(),
            slow_members: counters.slow_members.load(relaxed),
            deliveries: counters
                .counts_deliveries()
                .then(|| counters.deliveries.load(relaxed)),
        });
    }

    /// Stops the server: tells every client (`dialogue:shutdown`), refuses
    /// new connections, forgets every client (as their disconnection would),
    /// closes their transports (a client reconnects by itself, to another
    /// node when there is one), then ends [`serve`](Self::serve). Returns
    /// when the clients are disconnected, or after the shutdown bound
    /// ([`DialogueBuilder::shutdown_timeout`](crate::DialogueBuilder::shutdown_timeout),
    /// 10 s by default). Events were committed before they were answered,
    /// so nothing acknowledged waits in the store. Calling it again does
    /// nothing.
    pub async fn shutdown(&self) {
        let engine = &self.engine;
        if engine.is_stopped() {
            return;
        }
        // Before anything closes: every greeted client hears why.
        engine.broadcast_all(
            crate::protocol::ServerEvent::Shutdown,
            &crate::protocol::Done {},
        );
        engine.stop();
        // Time for the notice to leave (a polling client takes it with its
        // next poll) while new connections are already refused.
        tokio::time::sleep(crate::engine::NOTICE_FLUSH.min(engine.shutdown_bound)).await;
        // Bounded as a whole: hooks that take long, or a transport that does
        // not drain, must not hold the process past the bound.
        let bound = engine.shutdown_bound;
        let sequence = async {
            // socketioxide's close does not run disconnect handlers: clean up
            // first. Disconnecting a client takes the way to its request
            // loop (which ends once what is queued is answered).
            for client in engine.state.directory.all() {
                engine.connection_gone(&client, Ending::Ended).await;
                client.conn.detach();
            }
            engine.state.fanout.close().await;
        };
        if tokio::time::timeout(bound, sequence).await.is_err() {
            tracing::warn!(?bound, "the shutdown did not finish within its bound");
        }
        engine.stop_signal.send_replace(true);
    }
}
