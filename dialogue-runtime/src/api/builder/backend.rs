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
