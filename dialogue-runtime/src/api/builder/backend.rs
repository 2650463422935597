//! Where a server's state lives, chosen from the builder's settings: Redis
//! (several nodes), the durable store, or memory.

use std::sync::Arc;

use crate::spec::AppSpec;

use super::{Chosen, DialogueBuilder};
use crate::DialogueApp;
use crate::error::BuildError;
use crate::state::Memory;
use crate::store::HistoryStore;

impl<A: DialogueApp> DialogueBuilder<A> {
    /// Shares the server's state with the other nodes that use the Redis at
    /// `url` (`redis://host:port/db`): one seq per room across nodes,
    /// history and the recovery window in Redis, `maxSize` held across
    /// nodes, presence, hosts and bans, the rooms created at run time, and
    /// sessions (a resume token is good on any node; docs/scaling.md). Nothing connects until the server
    /// runs; while Redis is unreachable, what needs it is answered
    /// `UNAVAILABLE` and `/ready` says 503. With Redis, Redis is the store of
    /// record: setting [`store`](Self::store) too fails [`build`](Self::build).
    ///
    /// ```no_run
    /// # use dialogue_runtime::prelude::*;
    /// # #[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
    /// # pub struct Message { pub text: String }
    /// # dialogue! { pub ChatApp { chat: { name: "Chat Room", events: [Message] } } }
    /// # fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let dialogue = Dialogue::<ChatApp>::builder().redis("redis://127.0.0.1:6379").build()?;
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "redis")]
    pub fn redis(mut self, url: impl Into<String>) -> Self {
        self.redis = Some(url.into());
        self
    }

    /// Names this node in logs and in Redis (default: `node`); each start
    /// adds a random suffix in Redis, so a node started again is a new
    /// node there. Only used with [`redis`](Self::redis).
    ///
    /// ```no_run
    /// # use dialogue_runtime::prelude::*;
    /// # #[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
    /// # pub struct Message { pub text: String }
    /// # dialogue! { pub ChatApp { chat: { name: "Chat Room", events: [Message] } } }
    /// # fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let dialogue = Dialogue::<ChatApp>::builder()
    ///     .redis("redis://127.0.0.1:6379")
    ///     .node_id("eu-1")
    ///     .build()?;
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "redis")]
    pub fn node_id(mut self, name: impl Into<String>) -> Self {
        self.node_id = Some(name.into());
        self
    }

    /// Where state lives: in the durable store when one is set (its writer
    /// started, keeping at least the recovery window), else in memory; and
    /// the history store pages past memory come from, written behind the
    /// broadcast or not.
    pub(super) fn backend(&mut self, spec: &'static AppSpec) -> Result<Chosen, BuildError> {
        #[cfg(feature = "redis")]
        if let Some(url) = self.redis.take() {
            #[cfg(feature = "sqlite")]
            if self.durable.is_some() {
                return Err(BuildError::RedisAndStore);
            }
            if self.store.is_some() {
                return Err(BuildError::RedisAndStore);
            }
            let keeps = spec
                .events
                .iter()
                .filter_map(|event| Some((event.name.clone(), event.history?)))
                .collect();
            let name = self.node_id.take().unwrap_or_else(|| "node".to_owned());
            let redis =
                crate::state::redis::Redis::new(&url, &name, self.window, self.grace, keeps)
                    .map_err(|error| BuildError::Redis(error.to_string()))?;
            return Ok((Box::new(redis), None, false));
        }
        #[cfg(feature = "sqlite")]
        if let Some(durable) = self.durable.take() {
            let store = durable.map_err(|e| BuildError::Store(e.0))?;
            store
                .start(self.window.size as u64, self.window.age)
                .map_err(|e| BuildError::Store(e.0))?;
            let keeps = spec
                .events
                .iter()
                .filter_map(|event| Some((event.name.clone(), event.history?)))
                .collect();
            let history: Arc<dyn HistoryStore> = Arc::new(store.clone());
            return Ok((
                Box::new(crate::state::Durable::new(store, keeps)),
                Some(history),
                false,
            ));
        }
        let _ = spec;
        Ok((Box::new(Memory::new()), self.store.take(), true))
    }
}
