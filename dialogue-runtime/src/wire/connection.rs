//! One socket's life: who it is at connect (and which session it resumes),
//! its greeting, and what its disconnection undoes or holds.

use std::sync::Arc;

use serde_json::{Map, Value};
use socketioxide::adapter::Adapter;
use socketioxide::extract::{SocketRef, TryData};
use socketioxide::socket::DisconnectReason;

use crate::engine::Engine;
use crate::engine::clients::Refusal;
use crate::engine::sessions::{Ending, Resuming};
use crate::protocol::{Connected, ServerEvent};
use crate::state::client::ClientState;
use crate::state::fanout::GREETED;
use crate::wire::queue::{Enqueued, Session};
use crate::wire::socket::{OwnSocket, SocketConnection};
use crate::wire::transport::Closer;

/// What the middleware found out for the greeting: the session the
/// handshake resumes, if any.
struct Pending(parking_lot::Mutex<Option<Resuming>>);

/// The connect middleware: runs before socketioxide acknowledges the
/// connection, so the handlers exist before the first request can arrive.
pub(crate) async fn connect<A: Adapter>(
    engine: Arc<Engine>,
    closer: Arc<Closer>,
    socket: SocketRef<A>,
    own: OwnSocket<A>,
    auth: Value,
) -> Result<(), Refusal> {
    let parts = socket.req_parts();
    let peer = crate::wire::socket::peer_of(parts);
    // A place first: a full server refuses before any work. The ticket goes
    // with the socket and gives the place back when it goes (or now, when
    // the handshake is refused below).
    let address = crate::control::proxies::client_ip(peer, &parts.headers, &engine.trusted_proxies);
    let ticket = engine.admission.admit(address).map_err(|full| match full {
        crate::state::admission::Full::Process(max) => Refusal::ServerFull(max),
        crate::state::admission::Full::Address(max) => Refusal::AddressFull(max),
    })?;
    let mut identified = engine.identify(&auth, &parts.headers, peer).await?;
    let resuming = engine.find_session(&auth, identified.user_id()).await;
    if let Resuming::Found(takeover, _) = &resuming {
        identified.adopt_user(takeover.previous.user_id());
    }
    let conn = SocketConnection::new(own.0, closer.clone(), engine.state.counters.clone());
    let client = match engine.new_client(identified, Box::new(conn)) {
        Ok(client) => client,
        Err(refusal) => {
            closer.forget(socket.id.as_str());
            return Err(refusal);
        }
    };
    socket
        .extensions
        .insert(Session::<A>::new(engine.clone(), client.clone()));
    socket.extensions.insert(client.clone());
    socket.extensions.insert(Arc::new(ticket));
    socket
        .extensions
        .insert(Arc::new(Pending(parking_lot::Mutex::new(Some(resuming)))));
    socket.on_fallback(async |_: Enqueued| {});
    let transport = client.conn.transport().as_str();
    socket.on_disconnect(
        async move |socket: SocketRef<A>, reason: DisconnectReason| {
            disconnected(&engine, &socket, reason).await;
            closer.forget(socket.id.as_str());
        },
    );
    tracing::info!(client = %client.id, user = %client.user_id, transport, "client connected");
    Ok(())
}

/// The connect handler, after socketioxide acknowledged the connection: the
/// first thing a client receives is `dialogue:connected` (with its session),
/// then what a resumed session missed; only then are its requests worked
/// through.
pub(crate) async fn connected<A: Adapter>(engine: Arc<Engine>, socket: SocketRef<A>) {
    let Some(client) = socket.extensions.get::<Arc<ClientState>>() else {
        return;
    };
    let resuming = socket
        .extensions
        .get::<Arc<Pending>>()
        .and_then(|pending| pending.0.lock().take())
        .unwrap_or(Resuming::Fresh);
    let greeting = engine.greet_session(&client, resuming).await;
    let hello = Connected {
        resumed: greeting.resumed,
        rooms: greeting.rooms.clone(),
        recovered: greeting.recovered.clone(),
        kicked: greeting.kicked.as_ref().map(|rooms| {
            rooms
                .iter()
                .map(|(room, reason)| crate::protocol::Kicked {
                    room_id: room.clone().into(),
                    reason: reason.clone().map(Into::into),
                })
                .collect()
        }),
        ..Connected::new(&client.id, &client.user_id, greeting.token.as_str())
    };
    let _ = client.conn.emit(ServerEvent::Connected.wire_name(), &hello);
    // Gone (or dropped) while its rooms came back: it is not greeted, and
    // no connect hook runs after its disconnect hooks.
    if !engine.rejoin(&client, greeting).await {
        return;
    }
    // Only now may anything else reach the client: broadcasts to everyone,
    // and the server API (which finds clients in the directory).
    socket.join(GREETED);
    if !engine.greeted(&client).await {
        let _ = socket.disconnect();
        return;
    }
    // The client's requests are worked through only now, so `on_connected`
    // may put it in rooms before it asks for anything.
    if let Some(session) = socket.extensions.get::<Session<A>>() {
        session.open();
    }
}

/// Cleanup when a socket goes, whatever the reason.
async fn disconnected<A: Adapter>(
    engine: &Arc<Engine>,
    socket: &SocketRef<A>,
    reason: DisconnectReason,
) {
    // Removing the session takes the extractor's way to the request loop (a
    // running loop drains what is queued, then ends; one still waiting for
    // the greeting ends now, its gate gone) and breaks the cycle
    // socket → extensions → client → socket.
    socket.extensions.remove::<Session<A>>();
    if let Some(client) = socket.extensions.remove::<Arc<ClientState>>() {
        let ending = ending_of(&client, reason);
        tracing::info!(client = %client.id, user = %client.user_id, ?reason, ?ending, "client disconnected");
        // At shutdown the server forgot its clients already.
        if !engine.is_stopped() {
            engine.connection_gone(&client, ending).await;
        }
    }
    socket.extensions.clear();
}

/// What a disconnection means for the session: the client asked, or the
/// server closed the connection for good (namespace level), ends it; a
/// dropped transport holds it.
fn ending_of(client: &ClientState, reason: DisconnectReason) -> Ending {
    if client.is_taken_over() {
        return Ending::TakenOver;
    }
    // Dropped by the server (a slow member): socketioxide reports a
    // namespace disconnect or a transport error, the session is held.
    if client.was_dropped() {
        return Ending::Dropped;
    }
    match reason {
        DisconnectReason::ClientNSDisconnect
        | DisconnectReason::ServerNSDisconnect
        | DisconnectReason::ClosingServer => Ending::Ended,
        DisconnectReason::TransportClose
        | DisconnectReason::TransportError
        | DisconnectReason::HeartbeatTimeout
        | DisconnectReason::MultipleHttpPollingError
        | DisconnectReason::PacketParsingError => Ending::Dropped,
    }
}

/// Reads the handshake's auth object; anything but an object counts as none.
pub(crate) fn auth_object(auth: TryData<Value>) -> Value {
    match auth.0 {
        Ok(value @ Value::Object(_)) => value,
        _ => Value::Object(Map::new()),
    }
}
