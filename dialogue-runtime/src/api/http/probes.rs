//! `/health` and `/ready` (docs/operating.md): whether the process serves,
//! and whether this node should get traffic now (its store takes writes,
//! it is not shutting down). Not behind the API key: load balancers and
//! orchestrators ask them.

use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;

use crate::engine::Engine;
use crate::logging::guarded;

/// The probes' routes, at their configured paths (none when both are off).
pub(crate) fn router(engine: &Arc<Engine>) -> Router {
    let mut router = Router::new();
    if let Some(path) = &engine.probes.health {
        router = router.route(
            path,
            get(|| async { axum::Json(json!({ "status": "ok" })) }),
        );
    }
    if let Some(path) = &engine.probes.ready {
        let engine = engine.clone();
        router = router.route(path, get(move || ready(engine.clone())));
    }
    router
}

/// `200 { status: "ready" }`, or `503 { status: "unavailable", failing:
/// [...] }` naming what fails (`store`, `shutdown`).
async fn ready(engine: Arc<Engine>) -> Response {
    let failing = engine.not_ready();
    if failing.is_empty() {
        return axum::Json(json!({ "status": "ready" })).into_response();
    }
    // The reasons go to the log, not to whoever asks: they may name files.
    // A store that cannot write may sit on the log's disk too: the answer
    // goes out even when the line cannot.
    for (name, why) in &failing {
        guarded(|| tracing::warn!(failing = name, %why, "not ready"));
    }
    let names: Vec<&str> = failing.iter().map(|(name, _)| *name).collect();
    (
        StatusCode::SERVICE_UNAVAILABLE,
        axum::Json(json!({ "status": "unavailable", "failing": names })),
    )
        .into_response()
}
