//! The clients connected to this node, by connection id and by user.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::RwLock;

use crate::state::client::ClientState;

/// Where the engine finds the clients connected to this node. Written on
/// connect and disconnect only; read by the server API.
pub(crate) trait ClientDirectory: Send + Sync + 'static {
    /// Adds a client; `false` if its id is taken.
    fn insert(&self, client: Arc<ClientState>) -> bool;

    /// Removes a client.
    fn remove(&self, client: &ClientState);

    /// The client with this connection id.
    fn get(&self, id: &str) -> Option<Arc<ClientState>>;

    /// The connections of one user.
    fn of_user(&self, user_id: &str) -> Vec<Arc<ClientState>>;

    /// Every client.
    fn all(&self) -> Vec<Arc<ClientState>>;
}

#[derive(Default)]
struct Maps {
    by_id: HashMap<String, Arc<ClientState>>,
    by_user: HashMap<String, Vec<Arc<ClientState>>>,
}

/// The directory in this process's memory.
#[derive(Default)]
pub(crate) struct MemoryDirectory {
    maps: RwLock<Maps>,
}

impl ClientDirectory for MemoryDirectory {
    fn insert(&self, client: Arc<ClientState>) -> bool {
        let mut maps = self.maps.write();
        if maps.by_id.contains_key(&client.id) {
            return false;
        }
        maps.by_user
            .entry(client.user_id.clone())
            .or_default()
            .push(client.clone());
        maps.by_id.insert(client.id.clone(), client);
        true
    }

    fn remove(&self, client: &ClientState) {
        let mut maps = self.maps.write();
        maps.by_id.remove(&client.id);
        if let Some(list) = maps.by_user.get_mut(&client.user_id) {
            list.retain(|c| c.id != client.id);
            if list.is_empty() {
                maps.by_user.remove(&client.user_id);
            }
        }
    }

    fn get(&self, id: &str) -> Option<Arc<ClientState>> {
        self.maps.read().by_id.get(id).cloned()
    }

    fn of_user(&self, user_id: &str) -> Vec<Arc<ClientState>> {
        self.maps
            .read()
            .by_user
            .get(user_id)
            .cloned()
            .unwrap_or_default()
    }

    fn all(&self) -> Vec<Arc<ClientState>> {
        self.maps.read().by_id.values().cloned().collect()
    }
}
