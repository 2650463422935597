//! A router serving the engine keeps the engine alive.
//!
//! The Socket.IO handlers hold the engine weakly (`wire::register`: a strong
//! reference would be a cycle through the engine's own `io`), so the router
//! [`Dialogue::router`](crate::Dialogue::router) hands out holds it
//! instead: served alone, after the `Dialogue` was dropped, it still serves.
//! A service wrapper, not a middleware: nothing runs per request.

use std::sync::Arc;
use std::task::{Context, Poll};

use crate::engine::Engine;

/// The layer: wraps each route in [`Kept`].
#[derive(Clone)]
pub(crate) struct KeepEngine(pub(crate) Arc<Engine>);

impl<S> tower_layer::Layer<S> for KeepEngine {
    type Service = Kept<S>;

    fn layer(&self, inner: S) -> Kept<S> {
        Kept {
            inner,
            _engine: self.0.clone(),
        }
    }
}

/// A route, and the engine it needs.
#[derive(Clone)]
pub(crate) struct Kept<S> {
    inner: S,
    _engine: Arc<Engine>,
}

impl<S: tower_service::Service<R>, R> tower_service::Service<R> for Kept<S> {
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: R) -> S::Future {
        self.inner.call(request)
    }
}
