//! The application's requests (`dialogue:request`): each declared request's
//! compiled schema and its one handler, and asking one.
//!
//! Checked in the protocol's order: the name (`UNKNOWN_REQUEST`), the room
//! when one is given (`ROOM_NOT_FOUND`, `NOT_IN_ROOM`), the payload
//! (`VALIDATION_FAILED`); then the handler runs like a hook, bounded by the
//! hook timeout with panics caught, so that a failing handler is `INTERNAL`
//! and the connection goes on.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use serde_json::value::RawValue;

use crate::control::requests::{Refusal, is_application_code};
use crate::engine::Engine;
use crate::engine::hooks::panic_message;
use crate::engine::validation::{self, EventRuntime};
use crate::error::{AskError, BuildError, NotInRoom, RoomNotFound};
use crate::spec::AppSpec;
use crate::state::client::ClientState;
use crate::state::room::RoomState;

/// A handler as the engine calls it: the caller, the request's room when
/// one was given, and the payload already validated; the response written.
pub(crate) type HandlerFn = dyn Fn(
        Arc<Engine>,
        Arc<ClientState>,
        Option<Arc<RoomState>>,
        Box<RawValue>,
    ) -> BoxFuture<'static, Result<Box<RawValue>, Refusal>>
    + Send
    + Sync;

/// One declared request, ready to ask.
struct Declared {
    schema: EventRuntime,
    handler: Arc<HandlerFn>,
}

/// Every declared request of the application, by wire name.
#[derive(Default)]
pub(crate) struct RequestTable {
    requests: HashMap<String, Declared>,
}

impl RequestTable {
    /// Compiles the schemas of `spec`'s requests and pairs each with its
    /// handler; a request without one, or a handler without a request, is
    /// a build error.
    pub(crate) fn build(
        spec: &AppSpec,
        mut handlers: HashMap<String, Arc<HandlerFn>>,
    ) -> Result<Self, BuildError> {
        let mut requests = HashMap::with_capacity(spec.requests.len());
        for request in &spec.requests {
            let handler = handlers.remove(&request.name).ok_or_else(|| {
                BuildError::RequestWithoutHandler {
                    request: request.name.clone(),
                    type_name: request.type_name.clone(),
                }
            })?;
            let schema = validation::compile(&request.name, &request.schema)?;
            requests.insert(request.name.clone(), Declared { schema, handler });
        }
        if let Some(request) = handlers.into_keys().next() {
            return Err(BuildError::UndeclaredRequest { request });
        }
        Ok(Self { requests })
    }
}

impl Engine {
    /// Asks the request `name` for `client`: the checks in the protocol's
    /// order, then its handler.
    pub(crate) async fn ask(
        self: &Arc<Self>,
        client: &Arc<ClientState>,
        name: &str,
        data: Option<&RawValue>,
        room_id: Option<&str>,
    ) -> Result<Box<RawValue>, AskError> {
        let Some(declared) = self.requests.requests.get(name) else {
            return Err(AskError::Unknown(name.to_owned()));
        };
        let room = match room_id {
            None => None,
            Some(id) => Some(client.room(id).ok_or_else(|| -> AskError {
                if self.room_exists(id) {
                    NotInRoom(id.to_owned()).into()
                } else {
                    RoomNotFound(id.to_owned()).into()
                }
            })?),
        };
        // A missing payload is `null`: the schema decides whether that is
        // one (an empty request is written `{}`).
        let data = data.map_or("null", RawValue::get);
        // JSON the schema cannot even read (a number out of range) fails it.
        let value: serde_json::Value =
            serde_json::from_str(data).map_err(|error| AskError::Invalid {
                request: name.to_owned(),
                summary: error.to_string(),
                issues: vec![crate::protocol::ValidationIssue {
                    path: String::new(),
                    message: error.to_string(),
                }],
            })?;
        if let Err(issues) = declared.schema.validate(&value) {
            let summary = issues
                .first()
                .map(|issue| format!("{} {}", display_path(&issue.path), issue.message))
                .unwrap_or_default();
            return Err(AskError::Invalid {
                request: name.to_owned(),
                summary,
                issues,
            });
        }
        let payload = RawValue::from_string(data.to_owned()).map_err(|_| AskError::Failed)?;
        self.run_handler(name, declared, client, room, payload)
            .await
    }

    /// The handler, isolated like a hook: bounded by the hook timeout, a
    /// panic caught, a failure logged.
    async fn run_handler(
        self: &Arc<Self>,
        name: &str,
        declared: &Declared,
        client: &Arc<ClientState>,
        room: Option<Arc<RoomState>>,
        payload: Box<RawValue>,
    ) -> Result<Box<RawValue>, AskError> {
        let handler = &declared.handler;
        let call = std::panic::catch_unwind(AssertUnwindSafe(|| {
            handler(self.clone(), client.clone(), room, payload)
        }));
        let future = match call {
            Ok(future) => future,
            Err(panic) => {
                tracing::error!(request = name, reason = %panic_message(&*panic), "a request handler panicked");
                return Err(AskError::Failed);
            }
        };
        let timeout = self.hooks.timeout;
        match tokio::time::timeout(timeout, AssertUnwindSafe(future).catch_unwind()).await {
            Ok(Ok(Ok(response))) => Ok(response),
            Ok(Ok(Err(Refusal::Refused { code, message }))) if is_application_code(&code) => {
                Err(AskError::Refused { code, message })
            }
            Ok(Ok(Err(Refusal::Refused { code, .. }))) => {
                tracing::error!(
                    request = name,
                    code,
                    "a request handler refused with a code that is not UPPER_SNAKE_CASE"
                );
                Err(AskError::Failed)
            }
            Ok(Ok(Err(Refusal::Failed(error)))) => {
                tracing::error!(request = name, %error, "a request handler failed");
                Err(AskError::Failed)
            }
            Ok(Err(panic)) => {
                tracing::error!(request = name, reason = %panic_message(&*panic), "a request handler panicked");
                Err(AskError::Failed)
            }
            Err(_) => {
                tracing::error!(
                    request = name,
                    ?timeout,
                    "a request handler ran out of time"
                );
                Err(AskError::Failed)
            }
        }
    }
}

/// A JSON pointer as a message reads it: `/a`, or "the payload" for the
/// root.
fn display_path(path: &str) -> &str {
    if path.is_empty() {
        "(the payload)"
    } else {
        path
    }
}
