//! Authentication on a live connection: a connection's credentials run out
//! at their expiry (a JWT's `exp`), unless it sent fresh ones
//! (`dialogue:auth`) before. At the expiry the client gets `dialogue:error
//! TOKEN_EXPIRED` and its transport is closed with its session held, so that
//! it resumes with a fresh token and misses nothing.

use std::sync::{Arc, Weak};
use std::time::Duration;

use serde_json::json;

use crate::control::hooks::Handshake;
use crate::engine::Engine;
use crate::engine::hooks::{self, HookFailure};
use crate::envelope::now_millis;
use crate::error::AuthError;
use crate::protocol::{ErrorCode, ServerEvent, WireError};
use crate::state::client::ClientState;

impl Engine {
    /// Watches `client`'s expiry, for as long as it is connected: a task
    /// that sleeps until the expiry, and again when it was pushed back.
    pub(crate) fn watch_expiry(self: &Arc<Self>, client: &Arc<ClientState>) {
        if client.expires_at().is_none() {
            return;
        }
        let (engine, client) = (Arc::downgrade(self), Arc::downgrade(client));
        tokio::spawn(async move { expire_when_due(engine, client).await });
    }

    /// `dialogue:auth`: checks `token` with the authentication step, for
    /// the same user; on success the connection's expiry follows the new
    /// token. Answers the new expiry (Unix milliseconds).
    pub(crate) async fn refresh(
        self: &Arc<Self>,
        client: &Arc<ClientState>,
        token: &str,
    ) -> Result<Option<u64>, AuthError> {
        if self.hooks.authenticate.is_none() {
            return Err(AuthError::NotConfigured);
        }
        let handshake = Handshake {
            auth: json!({ "token": token }),
            headers: client.conn.headers(),
            remote_addr: client.conn.peer(),
        };
        let identity =
            match hooks::single(self, "authenticate", &self.hooks.authenticate, (handshake,)).await
            {
                Some(Ok(identity)) => identity,
                Some(Err(HookFailure::Refused(reason))) => return Err(AuthError::Invalid(reason)),
                Some(Err(HookFailure::Failed)) | None => return Err(AuthError::Failed),
            };
        if identity.user_id != client.user_id {
            return Err(AuthError::OtherUser);
        }
        if identity.expires_at.is_some_and(|at| at <= now_millis()) {
            return Err(AuthError::Invalid("token expired".to_owned()));
        }
        client.set_expires_at(identity.expires_at);
        tracing::debug!(client = %client.id, expires_at = ?identity.expires_at, "credentials refreshed");
        Ok(identity.expires_at)
    }
}

/// Sleeps until the client's expiry; at it, unless pushed back meanwhile,
/// tells the client and drops its transport (its session is held).
async fn expire_when_due(engine: Weak<Engine>, client: Weak<ClientState>) {
    loop {
        let Some(due) = client.upgrade().and_then(|c| c.expires_at()) else {
            return;
        };
        let now = now_millis();
        if due > now {
            tokio::time::sleep(Duration::from_millis(due - now)).await;
            continue;
        }
        let (Some(engine), Some(client)) = (engine.upgrade(), client.upgrade()) else {
            return;
        };
        if !client.is_connected() || engine.is_stopped() {
            return;
        }
        tracing::info!(client = %client.id, user = %client.user_id, "credentials expired: the connection is dropped, its session held");
        let error = WireError::new(
            ErrorCode::TokenExpired,
            "the connection's token expired: reconnect with a fresh one (the session is held)",
        );
        let _ = client.conn.emit(ServerEvent::Error.wire_name(), &error);
        // Time for the error to leave (a polling client takes it with its
        // next poll), then the transport closes; the client is marked
        // dropped, so that its session is held.
        drop(engine);
        tokio::time::sleep(crate::engine::NOTICE_FLUSH).await;
        // A fresh token that arrived meanwhile keeps the connection.
        let refreshed = client.expires_at().is_none_or(|at| at > now_millis());
        if client.is_connected() && !refreshed {
            client.conn.drop_transport();
        }
        if refreshed {
            continue;
        }
        return;
    }
}
