//! The rooms created at run time, shared by every node: a hash of their
//! options in Redis (one creation of an id wins, by `HSETNX`), and a word
//! on the control channel for each change, on which every other node makes
//! or tears down its own copy and tells its own clients. A node that
//! (re)subscribes reads the whole hash, since changes published meanwhile
//! went unheard; when Redis lost its data (restarted empty), the nodes
//! register again the rooms they have, with new epochs.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, OnceLock, Weak};

use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::spec::{HistorySync, RoomEvents, Subscriptions};
use crate::state::redis::keys::Keys;
use crate::state::redis::link::Link;
use crate::state::redis::scripts;
use crate::state::registry::{
    Counts, MemoryRegistry, RegistryError, RegistryWatcher, RoomRegistry,
};
use crate::state::room::{RoomOptions, RoomState};

/// A room's options as the shared registry holds them: the secret as its
/// salted hash only.
#[derive(Serialize, Deserialize)]
struct SharedRoom {
    id: String,
    name: String,
    description: Option<String>,
    max_size: Option<u32>,
    events: RoomEvents,
    server_events: Vec<String>,
    default_subscriptions: Subscriptions,
    sync_history_on_join: HistorySync,
    required_claims: BTreeMap<String, Value>,
    created_by: Option<String>,
    host: Option<String>,
    secret: Option<String>,
    host_only: bool,
    presence: bool,
}

impl SharedRoom {
    fn of(options: &RoomOptions) -> Self {
        Self {
            id: options.id.clone(),
            name: options.name.clone(),
            description: options.description.clone(),
            max_size: options.max_size,
            events: options.events.clone(),
            server_events: options.server_events.clone(),
            default_subscriptions: options.default_subscriptions.clone(),
            sync_history_on_join: options.sync_history_on_join,
            required_claims: options.required_claims.clone(),
            created_by: options.created_by.clone(),
            host: options.host.clone(),
            secret: options.secret.as_ref().map(crate::RoomSecret::to_hex),
            host_only: options.host_only,
            presence: options.presence,
        }
    }

    fn options(self) -> RoomOptions {
        let secret = self.secret.as_deref().and_then(|text| {
            let secret = crate::RoomSecret::from_hex(text);
            if secret.is_none() {
                tracing::error!(room = %self.id, "a room's secret in Redis does not read");
            }
            secret
        });
        RoomOptions {
            id: self.id,
            name: self.name,
            description: self.description,
            max_size: self.max_size,
            events: self.events,
            server_events: self.server_events,
            default_subscriptions: self.default_subscriptions,
            sync_history_on_join: self.sync_history_on_join,
            required_claims: self.required_claims,
            created_by: self.created_by,
            host: self.host,
            secret,
            host_only: self.host_only,
            presence: self.presence,
        }
    }
}

/// Options as JSON, for Redis.
fn to_json(options: &RoomOptions) -> String {
    serde_json::to_string(&SharedRoom::of(options)).unwrap_or_else(|error| {
        // Plain data: only a map key that is not a string fails, and
        // claims' keys are strings.
        tracing::error!(room = %options.id, %error, "cannot write a room's options");
        String::from("{}")
    })
}

/// Options from Redis's JSON; `None` (logged) when they do not read.
fn from_json(json: &str) -> Option<RoomOptions> {
    serde_json::from_str::<SharedRoom>(json)
        .map(SharedRoom::options)
        .map_err(|error| tracing::error!(%error, "a room's options in Redis do not read"))
        .ok()
}

/// The shared registry of one node (see the module).
pub(crate) struct RedisRegistry {
    view: MemoryRegistry,
    link: Arc<Link>,
    keys: Arc<Keys>,
    node: String,
    watcher: OnceLock<Arc<dyn RegistryWatcher>>,
    me: Weak<Self>,
    /// Whether the view was read from Redis once (or tried, Redis away).
    synced: tokio::sync::watch::Sender<bool>,
}

/// How long a room list waits for a starting node's first read of the
/// rooms.
const SETTLE_FOR: std::time::Duration = std::time::Duration::from_secs(2);

impl RedisRegistry {
    pub(crate) fn new(link: Arc<Link>, keys: Arc<Keys>, node: String) -> Arc<Self> {
        Arc::new_cyclic(|me| Self {
            view: MemoryRegistry::default(),
            link,
            keys,
            node,
            watcher: OnceLock::new(),
            me: me.clone(),
            synced: tokio::sync::watch::channel(false).0,
        })
    }

    /// What follows other nodes' changes, once the engine watches.
    pub(crate) fn watcher(&self) -> Option<Arc<dyn RegistryWatcher>> {
        self.watcher.get().cloned()
    }

    /// Registers a room: `Ok(true)` when this call made it.
    async fn create(&self, options: &RoomOptions) -> Result<bool, RegistryError> {
        let mut script = scripts::CREATE_ROOM.prepare_invoke();
        script
            .key(self.keys.rooms())
            .key(self.keys.closed(&options.id))
            .arg(&options.id)
            .arg(to_json(options))
            .arg(self.keys.control_channel())
            .arg(&self.node);
        self.link
            .script::<i64>(&script)
            .await
            .map(|made| made == 1)
            .map_err(|error| RegistryError::Unavailable(error.0))
    }

    /// A word of the control channel about rooms: `created` (options) or
    /// `deleted` (id), from the node `node`.
    pub(crate) fn heard(&self, what: &str, node: &str, body: &str) {
        if node == self.node {
            return; // this node's own change, done already
        }
        let Some(watcher) = self.watcher.get() else {
            return; // not serving yet: the first resync reads it
        };
        match what {
            "created" => {
                if let Some(options) = from_json(body) {
                    watcher.created(options);
                }
            }
            "deleted" => {
                tokio::spawn(watcher.deleted(body.to_owned()));
            }
            _ => {}
        }
    }

    /// Brings this node's view in line with Redis: after a start, and
    /// after the subscription broke (changes published meanwhile went
    /// unheard).
    pub(crate) async fn resync(&self) {
        let Some(watcher) = self.watcher.get() else {
            return;
        };
        let kept: Result<Option<String>, _> = self
            .link
            .run(redis::cmd("GET").arg(self.keys.rooms_kept()))
            .await;
        match kept {
            Err(error) => {
                tracing::debug!(%error, "cannot read the shared rooms; trying at the next subscription");
                return;
            }
            // Redis lost its data: the rooms this node has are registered
            // again (their epochs changed with it).
            Ok(None) => {
                for room in self.view.all() {
                    if let Err(error) = self.create(&room.config).await {
                        tracing::warn!(room = %room.id, ?error, "cannot register a room again");
                    }
                }
                let marked: Result<(), _> = self
                    .link
                    .run(redis::cmd("SET").arg(self.keys.rooms_kept()).arg(1))
                    .await;
                if let Err(error) = marked {
                    tracing::debug!(%error, "cannot mark the shared rooms");
                }
            }
            Ok(Some(_)) => {}
        }
        let all: Result<HashMap<String, String>, _> = self
            .link
            .run(redis::cmd("HGETALL").arg(self.keys.rooms()))
            .await;
        match all {
            Ok(all) => {
                let rooms = all.values().filter_map(|json| from_json(json)).collect();
                watcher.resync(rooms).await;
            }
            Err(error) => tracing::debug!(%error, "cannot read the shared rooms"),
        }
    }
}

impl RoomRegistry for RedisRegistry {
    fn get(&self, id: &str) -> Option<Arc<RoomState>> {
        self.view.get(id)
    }

    fn all(&self) -> Vec<Arc<RoomState>> {
        self.view.all()
    }

    fn counts(&self, creator: &str) -> Counts {
        self.view.counts(creator)
    }

    fn insert(&self, room: Arc<RoomState>) -> BoxFuture<'_, Result<(), RegistryError>> {
        Box::pin(async move {
            if self.view.get(&room.id).is_some() || !self.create(&room.config).await? {
                return Err(RegistryError::Exists);
            }
            if self.view.adopt(room) {
                Ok(())
            } else {
                Err(RegistryError::Exists)
            }
        })
    }

    fn remove<'a>(
        &'a self,
        id: &'a str,
    ) -> BoxFuture<'a, Result<Option<Arc<RoomState>>, RegistryError>> {
        Box::pin(async move {
            let mut script = scripts::DELETE_ROOM.prepare_invoke();
            script
                .key(self.keys.rooms())
                .arg(id)
                .arg(self.keys.control_channel())
                .arg(&self.node);
            let removed = self
                .link
                .script::<i64>(&script)
                .await
                .map_err(|error| RegistryError::Unavailable(error.0))?;
            // Not there: deleted by another node, whose word is on its way.
            Ok(if removed == 1 {
                self.view.drop_view(id)
            } else {
                None
            })
        })
    }

    fn adopt(&self, room: Arc<RoomState>) -> bool {
        self.view.adopt(room)
    }

    fn drop_view(&self, id: &str) -> Option<Arc<RoomState>> {
        self.view.drop_view(id)
    }

    fn watch(&self, watcher: Arc<dyn RegistryWatcher>) {
        if self.watcher.set(watcher).is_ok() {
            // The rooms other nodes made before this one started.
            let me = self.me.clone();
            tokio::spawn(async move {
                if let Some(me) = me.upgrade() {
                    me.resync().await;
                    me.synced.send_replace(true);
                }
            });
        }
    }

    fn settled(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let mut synced = self.synced.subscribe();
            let _ = tokio::time::timeout(SETTLE_FOR, synced.wait_for(|synced| *synced)).await;
        })
    }

    fn look_up<'a>(&'a self, id: &'a str) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let Some(watcher) = self.watcher.get() else {
                return;
            };
            let json: Result<Option<String>, _> = self
                .link
                .run(redis::cmd("HGET").arg(self.keys.rooms()).arg(id))
                .await;
            if let Ok(Some(json)) = json
                && let Some(options) = from_json(&json)
            {
                watcher.created(options);
            }
        })
    }
}
