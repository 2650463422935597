//! The OpenAPI 3.1 document of an application's HTTP API (docs/http-api.md):
//! every route of the protocol's table, its bodies and answers as JSON
//! Schemas from the protocol's types (schemars), and the application's
//! declared events as the bodies `POST /rooms/{id}/events` takes.

use dialogue_core::protocol::{
    ErrorCode, HistoryPage, HttpCreateRoom, HttpError, HttpKick, PresencePage, RoomAnswer,
    RoomsAnswer, TriggerAnswer,
};
use dialogue_core::spec::AppSpec;
use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, SchemaGenerator};
use serde_json::{Map, Value, json};

/// The OpenAPI 3.1 document of `spec`'s HTTP API served under `base` (e.g.
/// `/api`): paths are written with the prefix, as the protocol says.
///
/// ```
/// # use dialogue_core::spec::AppSpec;
/// let spec: AppSpec = serde_json::from_str(r#"{ "name": "Empty", "events": [], "rooms": [] }"#).unwrap();
/// let document = dialogue_codegen::openapi(&spec, "/api");
/// assert_eq!(document["openapi"], "3.1.0");
/// assert!(document["paths"]["/api/rooms/{id}/events"]["post"].is_object());
/// ```
pub fn openapi(spec: &AppSpec, base: &str) -> Value {
    let base = format!("/{}", base.trim_matches('/'));
    let base = if base == "/" { String::new() } else { base };
    // OpenAPI 3.1 schemas are JSON Schema 2020-12, kept under components.
    let mut settings = SchemaSettings::draft2020_12();
    settings.definitions_path = "/components/schemas".into();
    settings.meta_schema = None;
    let mut generator = settings.into_generator();
    let rooms = schema_of::<RoomsAnswer<'static>>(&mut generator);
    let room = schema_of::<RoomAnswer<'static>>(&mut generator);
    let create = schema_of::<HttpCreateRoom>(&mut generator);
    let trigger = schema_of::<TriggerAnswer<'static>>(&mut generator);
    let history = schema_of::<HistoryPage<'static>>(&mut generator);
    let presence = schema_of::<PresencePage<'static>>(&mut generator);
    let kick = schema_of::<HttpKick>(&mut generator);
    let error = schema_of::<HttpError>(&mut generator);
    let mut components: Map<String, Value> = generator.take_definitions(true).into_iter().collect();
    // Each declared event, as a body of `POST /rooms/{id}/events`.
    let mut bodies = Vec::new();
    for event in &spec.events {
        let name = format!("Publish_{}", event.type_name);
        let payload = hoist_defs(&event.schema, &event.type_name, &mut components);
        components.insert(
            name.clone(),
            json!({
                "type": "object",
                "description": format!("Publishes `{}`.", event.name),
                "required": ["event", "data"],
                "properties": {
                    "event": { "const": event.name },
                    "data": payload,
                    "meta": { "type": "object" },
                },
            }),
        );
        bodies.push(json!({ "$ref": format!("#/components/schemas/{name}") }));
    }
    bodies.push(json!({
        "type": "object",
        "description": "Any other name, into a room that takes any event (`*`); else 400 EVENT_NOT_ALLOWED.",
        "required": ["event"],
        "properties": { "event": { "type": "string" }, "data": {}, "meta": { "type": "object" } },
    }));
    let publish = json!({ "oneOf": bodies });
    let errors = |statuses: &[u16]| -> Value {
        let mut out = Map::new();
        out.insert(
            "401".into(),
            response("Missing or wrong API key (`UNAUTHORIZED`).", &error),
        );
        for status in statuses {
            let codes: Vec<&str> = ErrorCode::ALL
                .iter()
                .filter(|code| code.http_status() == *status)
                .map(|code| code.as_str())
                .collect();
            out.insert(
                status.to_string(),
                response(&format!("An error: {}.", codes.join(", ")), &error),
            );
        }
        Value::Object(out)
    };
    let op = |summary: &str, ok: (&str, Value), statuses: &[u16]| -> Value {
        let mut responses = errors(statuses);
        if let Some(map) = responses.as_object_mut() {
            map.insert(ok.0.to_owned(), ok.1);
        }
        json!({ "summary": summary, "responses": responses })
    };
    let id =
        json!({ "name": "id", "in": "path", "required": true, "schema": { "type": "string" } });
    let mut paths = Map::new();
    paths.insert(
        format!("{base}/rooms"),
        json!({
            "get": op("Every room clients may list.", ("200", response("The rooms.", &rooms)), &[500]),
            "post": with_body(
                op("Creates a room (no host); `roomCreated` reaches every client.", ("201", response("The room.", &room)), &[400, 403, 409, 413, 500]),
                &create,
            ),
        }),
    );
    paths.insert(
        format!("{base}/rooms/{{id}}"),
        json!({
            "parameters": [id],
            "get": op("One room in memory.", ("200", response("The room.", &room)), &[404]),
            "delete": op("Deletes a room that is not declared; its members are removed.", ("204", json!({ "description": "Deleted." })), &[403, 404]),
        }),
    );
    paths.insert(
        format!("{base}/rooms/{{id}}/events"),
        json!({
            "parameters": [id],
            "post": with_body(
                op("Publishes an event as the server (`from: \"system\"`): validated, through `before_each`, numbered and delivered like any event.", ("201", response("The stamped envelope.", &trigger)), &[400, 404, 413, 422, 500, 503]),
                &publish,
            ),
        }),
    );
    paths.insert(
        format!("{base}/rooms/{{id}}/history"),
        json!({
            "parameters": [
                id,
                { "name": "event", "in": "query", "required": true, "schema": { "type": "string" } },
                { "name": "start", "in": "query", "schema": { "type": "integer", "minimum": 0 } },
                { "name": "end", "in": "query", "schema": { "type": "integer", "minimum": 0 } },
            ],
            "get": op("A page of one event's history, newest first.", ("200", response("The page.", &history)), &[400, 404, 500]),
        }),
    );
    paths.insert(
        format!("{base}/rooms/{{id}}/presence"),
        json!({
            "parameters": [id],
            "get": op("Who is present, in a room with presence.", ("200", response("The members.", &presence)), &[400, 404]),
        }),
    );
    paths.insert(
        format!("{base}/rooms/{{id}}/stream"),
        json!({
            "parameters": [
                id,
                { "name": "token", "in": "query", "description": "A JWT, as a socket's `auth.token`.", "schema": { "type": "string" } },
                { "name": "userId", "in": "query", "description": "The user, as a socket's `auth.userId` (without authentication configured).", "schema": { "type": "string" } },
                { "name": "events", "in": "query", "description": "Comma-separated event names (default: the room's default subscriptions).", "schema": { "type": "string" } },
                { "name": "secret", "in": "query", "description": "The room's secret, for a room with one.", "schema": { "type": "string" } },
                { "name": "Last-Event-ID", "in": "header", "description": "`epoch:seq` of the last event received: what was missed is replayed, or the stream starts with `event: reset`.", "schema": { "type": "string" } },
            ],
            "get": {
                "summary": "The room's events as server-sent events: `id: epoch:seq`, `data:` the EventMessage; a comment at least every 15 s. Authenticated like a socket (not with the API key) and checked like a join, without a seat.",
                "security": [],
                "responses": {
                    "200": { "description": "The stream.", "content": { "text/event-stream": { "schema": { "type": "string" } } } },
                    "400": response("`events` names what the room does not deliver (`EVENT_NOT_ALLOWED`).", &error),
                    "401": response("Authentication failed (`UNAUTHORIZED`).", &error),
                    "403": response("A join check refused (`JOIN_DENIED`).", &error),
                    "404": response("No such room (`ROOM_NOT_FOUND`).", &error),
                },
            },
        }),
    );
    paths.insert(
        format!("{base}/rooms/{{id}}/kick"),
        json!({
            "parameters": [id],
            "post": with_body(
                op("Removes every connection of a user, as a host's kick (with `ban`, for as long as the room exists).", ("204", json!({ "description": "Kicked." })), &[400, 404]),
                &kick,
            ),
        }),
    );
    paths.insert(
        format!("{base}/users/{{userId}}/connections"),
        json!({
            "parameters": [{ "name": "userId", "in": "path", "required": true, "schema": { "type": "string" } }],
            "delete": op("Closes every connection of the user and ends its sessions (204 even when it has none).", ("204", json!({ "description": "Closed." })), &[]),
        }),
    );
    paths.insert(
        format!("{base}/openapi.json"),
        json!({
            "get": {
                "summary": "This document (no key needed).",
                "security": [],
                "responses": { "200": { "description": "The OpenAPI document.", "content": { "application/json": { "schema": { "type": "object" } } } } },
            },
        }),
    );
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": format!("{} HTTP API", spec.name),
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The HTTP API of a Dialogue server for backends (docs/http-api.md). Every route but this document needs `Authorization: Bearer <key>`.",
        },
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": { "apiKey": { "type": "http", "scheme": "bearer" } },
        },
        "security": [{ "apiKey": [] }],
    })
}

/// An event's payload schema for the document: its `$defs` move into the
/// components (under their own names, or prefixed with the event's type
/// when another schema took the name) and its references follow them, so
/// that every tool resolves them as OpenAPI references.
fn hoist_defs(schema: &Value, owner: &str, components: &mut Map<String, Value>) -> Value {
    let mut payload = schema.clone();
    let mut renamed: Vec<(String, String)> = Vec::new();
    if let Some(object) = payload.as_object_mut() {
        object.remove("$schema");
        if let Some(Value::Object(defs)) = object.remove("$defs") {
            for (name, def) in defs {
                let target = match components.get(&name) {
                    None => name.clone(),
                    Some(existing) if *existing == def => name.clone(),
                    Some(_) => format!("{owner}_{name}"),
                };
                renamed.push((name, target.clone()));
                components.insert(target, def);
            }
        }
    }
    let targets: Vec<String> = renamed.iter().map(|(_, target)| target.clone()).collect();
    rewrite_refs(&mut payload, &renamed);
    for target in targets {
        if let Some(def) = components.get_mut(&target) {
            rewrite_refs(def, &renamed);
        }
    }
    payload
}

/// Points `#/$defs/NAME` references at the components.
fn rewrite_refs(value: &mut Value, renamed: &[(String, String)]) {
    match value {
        Value::Object(object) => {
            for (key, inner) in object.iter_mut() {
                if key == "$ref"
                    && let Value::String(reference) = inner
                    && let Some(name) = reference.strip_prefix("#/$defs/")
                {
                    let target = renamed
                        .iter()
                        .find(|(from, _)| from == name)
                        .map_or(name, |(_, to)| to.as_str());
                    *reference = format!("#/components/schemas/{target}");
                } else {
                    rewrite_refs(inner, renamed);
                }
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|item| rewrite_refs(item, renamed)),
        _ => {}
    }
}

/// `T`'s schema: a `$ref` into the components for a named type.
fn schema_of<T: JsonSchema>(generator: &mut SchemaGenerator) -> Value {
    generator.subschema_for::<T>().to_value()
}

fn response(description: &str, schema: &Value) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": schema } } })
}

fn with_body(mut operation: Value, schema: &Value) -> Value {
    if let Some(object) = operation.as_object_mut() {
        object.insert(
            "requestBody".into(),
            json!({ "required": true, "content": { "application/json": { "schema": schema } } }),
        );
    }
    operation
}
