//! What the application controls: its hooks (and what they receive), who may
//! connect (authentication, CORS) and how much a client may do (limits).
//!
//! Nothing here reaches into the engine: these are the types and rules the
//! engine and the builder share.

pub(crate) mod api_key;
pub(crate) mod cors;
pub(crate) mod hooks;
pub(crate) mod jwt;
pub(crate) mod limits;
pub(crate) mod proxies;
pub(crate) mod requests;
pub(crate) mod secret;
