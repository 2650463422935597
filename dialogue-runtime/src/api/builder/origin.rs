//! The Origin check of WebSocket upgrades: browsers send no CORS preflight
//! before opening a WebSocket, so the server refuses, with 403, an upgrade
//! from an origin its CORS setting does not allow (long-polling requests are
//! refused by the browser itself, through the CORS headers).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::control::cors::Cors;

/// The middleware: passes every request but a refused upgrade.
pub(super) async fn check_upgrade_origin(
    State(cors): State<Arc<Cors>>,
    request: Request,
    next: Next,
) -> Response {
    let headers = request.headers();
    let upgrade = headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    if upgrade {
        let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
        let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
        if !cors.allows_upgrade(origin, host) {
            tracing::debug!(
                ?origin,
                "a WebSocket upgrade from an origin not allowed was refused"
            );
            return (StatusCode::FORBIDDEN, "origin not allowed").into_response();
        }
    }
    next.run(request).await
}
