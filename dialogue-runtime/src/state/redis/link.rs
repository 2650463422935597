//! One node's connection to Redis for commands: made when first needed and
//! made again after it broke, so that a node starts while Redis is down and
//! comes back with it without a restart.

use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Client, RedisError};

/// How long connecting may take before the request is answered
/// `UNAVAILABLE`.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// How long one command may wait for Redis's answer.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(2);

/// Redis could not be reached or did not answer: nothing was done (or, for a
/// timeout, it is not known; every write is idempotent by seq or member id).
#[derive(Debug, Clone, thiserror::Error)]
#[error("redis is unavailable: {0}")]
pub(crate) struct Unavailable(pub(crate) String);

impl From<RedisError> for Unavailable {
    fn from(error: RedisError) -> Self {
        Self(error.to_string())
    }
}

/// A multiplexed connection shared by every task of the node. Commands are
/// pipelined on it (no pool, no lock held across a command): cloning the
/// handle is an `Arc` increment.
pub(crate) struct Link {
    client: Client,
    connection: parking_lot::Mutex<Option<MultiplexedConnection>>,
    /// Held while connecting, so that a burst of requests after an outage
    /// makes one connection, not one each.
    connecting: tokio::sync::Mutex<()>,
}

impl Link {
    pub(crate) fn new(client: Client) -> Self {
        Self {
            client,
            connection: parking_lot::Mutex::new(None),
            connecting: tokio::sync::Mutex::new(()),
        }
    }

    /// The client, for connections of another kind (pub/sub).
    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    /// The connection, made now if there is none.
    pub(crate) async fn get(&self) -> Result<MultiplexedConnection, Unavailable> {
        if let Some(connection) = self.connection.lock().clone() {
            return Ok(connection);
        }
        let _connecting = self.connecting.lock().await;
        if let Some(connection) = self.connection.lock().clone() {
            return Ok(connection);
        }
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT));
        let connection = self
            .client
            .get_multiplexed_async_connection_with_config(&config)
            .await?;
        *self.connection.lock() = Some(connection.clone());
        Ok(connection)
    }

    /// Notes a failed command: when the connection itself failed, the next
    /// command makes a new one.
    pub(crate) fn failed(&self, error: &RedisError) -> Unavailable {
        if error.is_io_error()
            || error.is_connection_dropped()
            || error.is_connection_refusal()
            || error.is_timeout()
            || error.is_unrecoverable_error()
        {
            *self.connection.lock() = None;
        }
        Unavailable(error.to_string())
    }

    /// Runs `command` on the connection, noting a failure.
    pub(crate) async fn run<T: redis::FromRedisValue>(
        &self,
        command: &redis::Cmd,
    ) -> Result<T, Unavailable> {
        let mut connection = self.get().await?;
        command
            .query_async(&mut connection)
            .await
            .map_err(|error| self.failed(&error))
    }

    /// Runs `pipeline` on the connection, noting a failure.
    pub(crate) async fn pipe<T: redis::FromRedisValue>(
        &self,
        pipeline: &redis::Pipeline,
    ) -> Result<T, Unavailable> {
        let mut connection = self.get().await?;
        pipeline
            .query_async(&mut connection)
            .await
            .map_err(|error| self.failed(&error))
    }

    /// Runs `script` on the connection, noting a failure.
    pub(crate) async fn script<T: redis::FromRedisValue>(
        &self,
        script: &redis::ScriptInvocation<'_>,
    ) -> Result<T, Unavailable> {
        let mut connection = self.get().await?;
        script
            .invoke_async(&mut connection)
            .await
            .map_err(|error| self.failed(&error))
    }
}
