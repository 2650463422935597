//! The connected clients, by connection id and by user.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::RwLock;

use crate::client::ClientState;

#[derive(Default)]
struct Maps {
    by_id: HashMap<String, Arc<ClientState>>,
    by_user: HashMap<String, Vec<Arc<ClientState>>>,
}

/// Written on connect and disconnect only; read by the server API.
#[derive(Default)]
pub(crate) struct ClientRegistry {
    maps: RwLock<Maps>,
}

impl ClientRegistry {
    /// Adds a client; `false` if its id is taken.
    pub(crate) fn insert(&self, client: Arc<ClientState>) -> bool {
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

    /// Removes a client.
    pub(crate) fn remove(&self, client: &ClientState) {
        let mut maps = self.maps.write();
        maps.by_id.remove(&client.id);
        if let Some(list) = maps.by_user.get_mut(&client.user_id) {
            list.retain(|c| c.id != client.id);
            if list.is_empty() {
                maps.by_user.remove(&client.user_id);
            }
        }
    }

    /// The client with this connection id.
    pub(crate) fn get(&self, id: &str) -> Option<Arc<ClientState>> {
        self.maps.read().by_id.get(id).cloned()
    }

    /// The connections of one user.
    pub(crate) fn of_user(&self, user_id: &str) -> Vec<Arc<ClientState>> {
        self.maps
            .read()
            .by_user
            .get(user_id)
            .cloned()
            .unwrap_or_default()
    }

    /// Every client.
    pub(crate) fn all(&self) -> Vec<Arc<ClientState>> {
        self.maps.read().by_id.values().cloned().collect()
    }
}
