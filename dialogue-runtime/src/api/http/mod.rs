//! The HTTP API for backends (docs/http-api.md): rooms, publishing,
//! history, presence, kicks and disconnections over plain HTTP with a bearer
//! key, under `/api` by default, with the same rules as the socket requests
//! (validation, limits, hooks, history, seqs).
//!
//! Every answer is JSON; every error is `{ error: { code, message, details?
//! } }` with the status of its code (`ErrorCode::http_status`), written in
//! one place ([`ApiError`]). Bodies are read as bytes under a limit and
//! parsed here, so that an oversized or malformed body gets the API's own
//! error, not the framework's.

pub(crate) mod probes;
mod rooms;
mod stream;

use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use serde::de::DeserializeOwned;

use crate::engine::Engine;
use crate::error::ToWire;
use crate::protocol::{ErrorCode, HttpError, WireError};

/// What every handler holds: the engine, and the OpenAPI document once
/// written.
#[derive(Clone)]
pub(crate) struct Api {
    pub(crate) engine: Arc<Engine>,
    openapi: Arc<OnceLock<String>>,
}

/// The API's router, to nest at its path. `None` when no key is set.
pub(crate) fn router(engine: &Arc<Engine>) -> Option<Router> {
    engine.http_api.as_ref()?;
    let api = Api {
        engine: engine.clone(),
        openapi: Arc::new(OnceLock::new()),
    };
    // Room for the largest payload the socket side takes, and its envelope.
    let body_limit = engine.limits.max_payload.saturating_mul(2) + 16 * 1024;
    let protected = Router::new()
        .route("/rooms", get(rooms::list).post(rooms::create))
        .route("/rooms/{id}", get(rooms::get).delete(rooms::delete))
        .route("/rooms/{id}/events", post(rooms::publish))
        .route("/rooms/{id}/history", get(rooms::history))
        .route("/rooms/{id}/presence", get(rooms::presence))
        .route("/rooms/{id}/kick", post(rooms::kick))
        .route(
            "/users/{user_id}/connections",
            delete(rooms::disconnect_user),
        )
        .route_layer(middleware::from_fn_with_state(api.clone(), require_key));
    Some(
        Router::new()
            .route("/openapi.json", get(openapi))
            // Authenticated like a socket, not with the key.
            .route("/rooms/{id}/stream", get(stream::stream))
            .merge(protected)
            .fallback(not_found)
            .layer(DefaultBodyLimit::max(body_limit))
            .with_state(api),
    )
}

/// `Authorization: Bearer <key>`, compared in constant time; else 401.
async fn require_key(State(api): State<Api>, request: Request, next: Next) -> Response {
    let presented = bearer(request.headers());
    let admitted = match (&api.engine.http_api, presented) {
        (Some(settings), Some(key)) => settings.key.admits(key),
        _ => false,
    };
    if !admitted {
        return ApiError::new(
            ErrorCode::Unauthorized,
            "send the API key as `Authorization: Bearer <key>`",
        )
        .into_response();
    }
    next.run(request).await
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, key) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| key.trim())
}

/// `GET /api/openapi.json`: written once, on first ask.
async fn openapi(State(api): State<Api>) -> Response {
    let path = api
        .engine
        .http_api
        .as_ref()
        .map_or("/api", |settings| settings.path.as_str());
    let document = api.openapi.get_or_init(|| {
        let value = dialogue_codegen::openapi(api.engine.spec, path);
        serde_json::to_string_pretty(&value).unwrap_or_else(|_| "{}".to_owned())
    });
    (
        [(header::CONTENT_TYPE, "application/json")],
        document.clone(),
    )
        .into_response()
}

async fn not_found() -> Response {
    ApiError::new(ErrorCode::InvalidRequest, "no such route of the HTTP API")
        .with_status(StatusCode::NOT_FOUND)
        .into_response()
}

/// An error of the HTTP API, answered as `{ error }` with its code's status.
#[derive(Debug)]
pub(crate) struct ApiError {
    error: WireError,
    status: Option<StatusCode>,
}

impl ApiError {
    pub(crate) fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            error: WireError::new(code, message),
            status: None,
        }
    }

    /// Another status than the code's (a route that does not exist).
    fn with_status(mut self, status: StatusCode) -> Self {
        self.status = Some(status);
        self
    }
}

impl<E: ToWire> From<E> for ApiError {
    fn from(error: E) -> Self {
        Self {
            error: error.to_wire(),
            status: None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status.unwrap_or_else(|| {
            StatusCode::from_u16(self.error.code.http_status())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
        });
        (status, axum::Json(HttpError { error: self.error })).into_response()
    }
}

/// A JSON body of type `T`, read under the body limit: too large is 413
/// `PAYLOAD_TOO_LARGE`, unreadable JSON or a missing field 400
/// `INVALID_REQUEST`.
pub(crate) struct Body<T>(pub(crate) T);

impl<T: DeserializeOwned, S: Send + Sync> axum::extract::FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::new(
                        ErrorCode::PayloadTooLarge,
                        "the body is over the API's limit",
                    )
                } else {
                    ApiError::new(ErrorCode::InvalidRequest, rejection.body_text())
                }
            })?;
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| ApiError::new(ErrorCode::InvalidRequest, "the body is not UTF-8"))?;
        if !text.trim_start().starts_with('{') {
            return Err(ApiError::new(
                ErrorCode::InvalidRequest,
                "the body must be a JSON object",
            ));
        }
        serde_json::from_str(text)
            .map(Body)
            .map_err(|error| ApiError::new(ErrorCode::InvalidRequest, error.to_string()))
    }
}
