//! What a request handler receives besides the request: the
//! [`RequestContext`].

use crate::api::client::ConnectedClient;
use crate::api::dialogue::Dialogue;
use crate::api::room::Room;

/// Who asks, where, and the server to act with: the first argument of every
/// request handler (`DialogueBuilder::on_request`).
#[derive(Clone)]
pub struct RequestContext<A> {
    /// The server: trigger events, look up rooms and clients.
    pub dialogue: Dialogue<A>,
    /// The connection that asked.
    pub client: ConnectedClient,
    /// The room the request names (`roomId`), of which the caller is a
    /// member; `None` when it names none.
    pub room: Option<Room>,
}

impl<A> std::fmt::Debug for RequestContext<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestContext")
            .field("client", &self.client.id())
            .field("room", &self.room.as_ref().map(Room::id))
            .finish_non_exhaustive()
    }
}
