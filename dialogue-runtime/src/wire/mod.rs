//! The wire: the Socket.IO side of the server, on socketioxide with any
//! adapter. A connection's life (`connection`), its requests in order
//! (`queue`), reading and dispatching them (`requests`), the one place that
//! answers (`reply`), and socketioxide behind the state seam (`socket`).
//!
//! Everything here is generic over socketioxide's adapter; the engine below
//! it never names one.

pub(crate) mod connection;
pub(crate) mod people;
pub(crate) mod queue;
pub(crate) mod reply;
pub(crate) mod requests;
pub(crate) mod socket;
pub(crate) mod transport;

use std::sync::Arc;

use serde_json::Value;
use socketioxide::SocketIo;
use socketioxide::adapter::Adapter;
use socketioxide::extract::{SocketRef, TryData};
use socketioxide::handler::ConnectHandler;
use socketioxide_core::adapter::DefinedAdapter;

use crate::engine::Engine;
use crate::engine::clients::Refusal;
use crate::wire::socket::OwnSocket;
use crate::wire::transport::Closer;

/// Serves the protocol on the default namespace of `io`: the middleware sets
/// each socket up before it is acknowledged, the handler greets it. Returns
/// the adapter's initialization (nothing to wait for with the local one).
///
/// The handlers hold the engine weakly: the engine holds `io` (its fan-out
/// and its router), so a strong reference here would be a cycle, and a
/// dropped [`Dialogue`](crate::Dialogue) would never be freed. Upgrading
/// costs one atomic operation per connection, none per message.
pub(crate) fn register<A: Adapter + DefinedAdapter>(
    io: &SocketIo<A>,
    engine: &Arc<Engine>,
    closer: &Arc<Closer>,
) -> A::InitRes {
    let greeter = Arc::downgrade(engine);
    let engine = Arc::downgrade(engine);
    let closer = closer.clone();
    let middleware = move |socket: SocketRef<A>, own: OwnSocket<A>, auth: TryData<Value>| {
        let engine = engine.upgrade();
        let closer = closer.clone();
        async move {
            let engine = engine.ok_or(Refusal::Stopping)?;
            connection::connect(engine, closer, socket, own, connection::auth_object(auth)).await
        }
    };
    let handler = move |socket: SocketRef<A>| {
        let engine = greeter.upgrade();
        async move {
            if let Some(engine) = engine {
                connection::connected(engine, socket).await;
            }
        }
    };
    io.ns("/", handler.with(middleware))
}
