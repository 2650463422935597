//! Clients: who a connection is (authentication, or the default identity),
//! its greeting, and what its disconnection undoes.

use std::sync::Arc;

use axum::http::HeaderMap;
use serde_json::{Map, Value};

use crate::control::hooks::{Handshake, SocketInfo};
use crate::control::limits::Rates;
use crate::engine::Engine;
use crate::engine::hooks::{self, HookFailure};
use crate::rules::MAX_NAME_LEN;
use crate::state::client::ClientState;
use crate::state::connection::Connection;

/// Why a connection is refused; the client gets the message as
/// `connect_error`.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Refusal {
    #[error("auth.userId must be at most {MAX_NAME_LEN} bytes")]
    UserIdTooLong,
    #[error("the server is shutting down")]
    Stopping,
    /// The authenticate step said no, for this reason.
    #[error("{0}")]
    Denied(String),
    /// The authenticate step failed (logged).
    #[error("authentication failed: internal error")]
    Failed,
    /// The authenticate step named an unusable user id.
    #[error("the authenticated user id must be 1 to {MAX_NAME_LEN} bytes")]
    BadIdentity,
    /// Another connection drew the same id (next to impossible).
    #[error("the server could not give the connection an id; try again")]
    IdClash,
    /// The process holds as many connections as it may.
    #[error("the server is full ({0} connections); try again later")]
    ServerFull(usize),
    /// This address holds as many connections as it may.
    #[error("too many connections from your address (at most {0})")]
    AddressFull(usize),
}

/// Who a connection is, before it has an id.
pub(crate) struct Identified {
    /// The user, or `None` for "the connection's own id".
    user_id: Option<String>,
    claims: Option<Value>,
    meta: Map<String, Value>,
    /// When the credentials run out (Unix milliseconds).
    expires_at: Option<u64>,
}

impl Identified {
    /// The user the handshake named, if any.
    pub(crate) fn user_id(&self) -> Option<&str> {
        self.user_id.as_deref()
    }

    /// Takes the user of a resumed session (the handshake named none).
    pub(crate) fn adopt_user(&mut self, user_id: &str) {
        if self.user_id.is_none() {
            self.user_id = Some(user_id.to_owned());
        }
    }
}

impl Engine {
    /// Establishes who a connection is: the `authenticate` hook when there is
    /// one, else `auth.userId` (see [`default_identity`]). The rest of the
    /// auth object is the client's `meta`.
    pub(crate) async fn identify(
        self: &Arc<Self>,
        auth: &Value,
        headers: &HeaderMap,
        peer: Option<std::net::IpAddr>,
    ) -> Result<Identified, Refusal> {
        if self.is_stopped() {
            return Err(Refusal::Stopping);
        }
        let mut meta = match auth {
            Value::Object(map) => map.clone(),
            _ => Map::new(),
        };
        // A resume token is a secret, and positions belong to the server:
        // neither is the client's `meta`.
        meta.remove("resume");
        meta.remove("positions");
        let handshake = || {
            (Handshake {
                auth: auth.clone(),
                headers: headers.clone(),
                remote_addr: crate::control::proxies::client_ip(
                    peer,
                    headers,
                    &self.trusted_proxies,
                ),
            },)
        };
        let authenticated = match &self.hooks.authenticate {
            None => None,
            Some(_) => {
                hooks::single(self, "authenticate", &self.hooks.authenticate, handshake()).await
            }
        };
        let identified = match authenticated {
            None => {
                let user_id = default_identity(&mut meta)?;
                Identified {
                    user_id,
                    claims: None,
                    meta,
                    expires_at: None,
                }
            }
            Some(Ok(identity)) => {
                if identity.user_id.is_empty() || identity.user_id.len() > MAX_NAME_LEN {
                    return Err(Refusal::BadIdentity);
                }
                meta.remove("userId");
                Identified {
                    user_id: Some(identity.user_id),
                    claims: identity.claims,
                    meta,
                    expires_at: identity.expires_at,
                }
            }
            Some(Err(HookFailure::Refused(reason))) => {
                tracing::debug!(%reason, "connection refused by authenticate");
                return Err(Refusal::Denied(reason));
            }
            Some(Err(HookFailure::Failed)) => return Err(Refusal::Failed),
        };
        Ok(identified)
    }

    /// The state of a new client on `conn`, with a fresh connection id.
    pub(crate) fn new_client(
        &self,
        identified: Identified,
        conn: Box<dyn Connection>,
    ) -> Result<Arc<ClientState>, Refusal> {
        let id = new_client_id();
        // Registered once greeted (see `greeted`); ids are random, so a
        // clash is next to impossible, but checked.
        if self.state.directory.get(&id).is_some() {
            return Err(Refusal::IdClash);
        }
        let user_id = identified.user_id.unwrap_or_else(|| id.clone());
        let client = ClientState::new(
            id,
            user_id,
            identified.claims,
            identified.meta,
            conn,
            Rates::new(&self.limits),
        );
        client.set_expires_at(identified.expires_at);
        Ok(Arc::new(client))
    }

    /// A client was greeted (`dialogue:connected`): it joins the directory,
    /// then `on_connect` and `on_connected` run. `false` when its id is
    /// taken (it must be disconnected).
    pub(crate) async fn greeted(self: &Arc<Self>, client: &Arc<ClientState>) -> bool {
        if !self.state.directory.insert(client.clone()) {
            tracing::error!(client = %client.id, "two connections drew the same id; refusing the second");
            return false;
        }
        // Gone while being greeted: its disconnection may have looked for
        // it in the directory before it was there.
        if !client.is_connected() {
            self.state.directory.remove(client);
            return false;
        }
        self.watch_expiry(client);
        hooks::observe(self, "on_connect", &self.hooks.on_connect, || {
            (socket_info(self, client),)
        })
        .await;
        hooks::observe(self, "on_connected", &self.hooks.on_connected, || {
            (client.clone(),)
        })
        .await;
        true
    }
}

/// The identity of a connection without an authenticate hook
/// (docs/conformance.md): `auth.userId` when it is a non-empty string, else
/// `None` (the connection's id). `userId` leaves `meta`. `auth.token` never
/// becomes the user id: a token is a secret.
fn default_identity(meta: &mut Map<String, Value>) -> Result<Option<String>, Refusal> {
    match meta.remove("userId") {
        Some(Value::String(id)) if id.len() > MAX_NAME_LEN => Err(Refusal::UserIdTooLong),
        Some(Value::String(id)) if !id.is_empty() => Ok(Some(id)),
        _ => Ok(None),
    }
}

/// A new public connection id: unique, and unrelated to the transport's
/// session id (a credential of the polling transport).
pub(crate) fn new_client_id() -> String {
    format!("{:016x}", crate::state::random_u64())
}

/// What the raw-socket hooks learn of a client.
pub(crate) fn socket_info(engine: &Engine, client: &ClientState) -> SocketInfo {
    let headers = client.conn.headers();
    SocketInfo {
        client_id: client.id.clone(),
        user_id: client.user_id.clone(),
        auth: client.meta.clone(),
        remote_addr: crate::control::proxies::client_ip(
            client.conn.peer(),
            &headers,
            &engine.trusted_proxies,
        ),
        headers,
        transport: client.conn.transport().as_str(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn identity(auth: Value) -> Result<(Option<String>, Map<String, Value>), Refusal> {
        let mut meta = match auth {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        default_identity(&mut meta).map(|user| (user, meta))
    }

    #[test]
    fn identity_comes_from_user_id_and_never_from_the_token() {
        let (user, meta) =
            identity(json!({ "userId": "ada", "token": "s3cret", "role": "admin" })).unwrap();
        assert_eq!(user.as_deref(), Some("ada"));
        assert_eq!(meta["token"], "s3cret");
        assert_eq!(meta["role"], "admin");
        assert!(meta.get("userId").is_none());

        for auth in [
            json!({ "token": "s3cret" }),
            json!({ "userId": 7 }),
            json!({ "userId": "" }),
            json!(null),
        ] {
            assert_eq!(identity(auth.clone()).unwrap().0, None, "{auth}");
        }
        let long = json!({ "userId": "x".repeat(MAX_NAME_LEN + 1) });
        assert!(matches!(identity(long), Err(Refusal::UserIdTooLong)));
    }

    #[test]
    fn client_ids_are_unique() {
        let ids: std::collections::HashSet<String> = (0..10_000).map(|_| new_client_id()).collect();
        assert_eq!(ids.len(), 10_000);
    }
}
