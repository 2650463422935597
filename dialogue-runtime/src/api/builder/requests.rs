//! The builder's `on_request`: one typed handler per declared request,
//! wrapped so that the engine calls it with its own values.

use std::future::Future;
use std::sync::Arc;

use serde_json::value::RawValue;

use super::DialogueBuilder;
use crate::api::client::ConnectedClient;
use crate::api::dialogue::Dialogue;
use crate::api::requests::RequestContext;
use crate::api::room::Room;
use crate::control::requests::Refusal;
use crate::{DialogueApp, PayloadSerialize, Request};

impl<A: DialogueApp> DialogueBuilder<A> {
    /// Answers the request `R` (listed in `requests: [...]` in `dialogue!`)
    /// with `handler`. Every declared request needs exactly one handler:
    /// `build` fails otherwise. The payload reaches it validated against
    /// `R`'s schema; what it returns goes to the client as `{ ok: true,
    /// data }`; a [`Refusal`] goes as `{ ok: false, error: { code, message
    /// } }` with the application's code; a failure, a panic or a handler
    /// that runs past the hook timeout is `INTERNAL` (docs/requests.md).
    ///
    /// ```
    /// use dialogue_runtime::prelude::*;
    /// use dialogue_runtime::Refusal;
    ///
    /// #[derive(Request, Serialize, Deserialize, JsonSchema, TS)]
    /// #[request(response = AddResult)]
    /// pub struct Add { pub a: i64, pub b: i64 }
    ///
    /// #[derive(Serialize, Deserialize, JsonSchema, TS)]
    /// pub struct AddResult { pub sum: i64 }
    ///
    /// # #[derive(Event, Serialize, Deserialize, JsonSchema, TS)]
    /// # pub struct Message { pub text: String }
    /// dialogue! {
    ///     pub MathApp {
    ///         requests: [Add],
    ///         chat: { name: "Chat", events: [Message] },
    ///     }
    /// }
    ///
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let dialogue = Dialogue::<MathApp>::builder()
    ///     .on_request(|_ctx, add: Add| async move {
    ///         if add.a > 1_000_000_000 {
    ///             return Err(Refusal::new("TOO_BIG", "a is over 1,000,000,000"));
    ///         }
    ///         Ok(AddResult { sum: add.a + add.b })
    ///     })
    ///     .build()?;
    /// # let _ = dialogue;
    /// # Ok(())
    /// # }
    /// ```
    pub fn on_request<R, F, Fut>(mut self, handler: F) -> Self
    where
        R: Request,
        F: Fn(RequestContext<A>, R) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<R::Response, Refusal>> + Send + 'static,
    {
        let handler = Arc::new(handler);
        let wrapped: Arc<crate::engine::handlers::HandlerFn> =
            Arc::new(move |engine, client, room, payload: Box<RawValue>| {
                let handler = handler.clone();
                Box::pin(async move {
                    let mut reader = serde_json::Deserializer::from_str(payload.get());
                    let request = R::deserialize_payload(&mut reader).map_err(|error| {
                        // The schema let through what the type refuses.
                        Refusal::fail(format!(
                            "the payload does not read as `{}`: {error}",
                            R::NAME
                        ))
                    })?;
                    let context = RequestContext {
                        dialogue: Dialogue::from_engine(engine.clone()),
                        client: ConnectedClient::new(client, engine.clone()),
                        room: room.map(|room| Room::new(room, engine)),
                    };
                    let response = handler(context, request).await?;
                    let mut out = Vec::new();
                    response
                        .serialize_payload(&mut serde_json::Serializer::new(&mut out))
                        .map_err(Refusal::fail)?;
                    let text = String::from_utf8(out).map_err(Refusal::fail)?;
                    RawValue::from_string(text).map_err(Refusal::fail)
                })
            });
        if self.requests.insert(R::NAME.to_owned(), wrapped).is_some() {
            self.twice_requests.push(R::NAME);
        }
        self
    }
}
