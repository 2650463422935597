//! What applications call: the server ([`Dialogue`](dialogue::Dialogue)),
//! its builder, and the handles of rooms and clients.

pub(crate) mod builder;
pub(crate) mod client;
pub(crate) mod dialogue;
pub(crate) mod http;
pub(crate) mod keep_engine;
pub(crate) mod lifecycle;
pub(crate) mod requests;
pub(crate) mod room;
