//! Live notifications: one personal room per user, fed by backends through
//! the built-in HTTP API and by the shop's own routes.
//!
//! Every user has a room `user:{userId}` that only they may join (the server
//! puts each connection in it on arrival), and only that user's tabs receive
//! what is published there:
//!
//! - a backend publishes an [`Alert`] with the HTTP API (docs/http-api.md),
//!   `POST /api/rooms/user:{userId}/events` with `{ "event": "alert",
//!   "data": {...} }`: validated against `Alert`'s schema, kept in history,
//!   delivered; no route of ours is involved;
//! - the shop's routes keep what is its own logic: shipping an order
//!   (`order:shipped`), reading everything (the badge clears), listing orders.
//!
//! The unread count follows by itself: whichever way a notification (an
//! `alert` or an `order:shipped`) reaches an inbox, the `on_triggered` hook
//! counts it and publishes the new [`Badge`] there. A badge is not a
//! notification, so publishing one counts nothing (and the hook never feeds
//! itself).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use dialogue_runtime::prelude::*;
use dialogue_runtime::{BuildError, TriggerError};

/// How an alert looks: a colour and an icon in the page.
#[derive(Serialize, Deserialize, JsonSchema, TS, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
#[schemars(inline)]
pub enum AlertKind {
    Info,
    Warning,
    Error,
    Success,
}

/// A link shown with an alert.
#[derive(Serialize, Deserialize, JsonSchema, TS, Debug, Clone, PartialEq)]
pub struct AlertAction {
    /// The button's text.
    #[schemars(length(min = 1, max = 40))]
    pub label: String,
    /// Where it leads (a path of the site).
    #[schemars(length(min = 1, max = 500))]
    pub url: String,
}

/// A notification for one user; the last 20 are sent again when they connect.
#[derive(Event, Serialize, Deserialize, JsonSchema, TS, Debug, Clone, PartialEq)]
#[event(name = "alert", history = 20)]
pub struct Alert {
    /// A short title.
    #[schemars(length(min = 1, max = 100))]
    pub title: String,
    /// The text.
    #[schemars(length(min = 1, max = 1000))]
    pub message: String,
    /// How it looks.
    pub kind: AlertKind,
    /// An optional link.
    pub action: Option<AlertAction>,
}

/// One of the user's orders left the warehouse.
#[derive(Event, Serialize, Deserialize, JsonSchema, TS, Debug, Clone, PartialEq)]
#[event(name = "order:shipped", history = 20)]
#[serde(rename_all = "camelCase")]
pub struct OrderShipped {
    /// The order.
    pub order_id: String,
    /// What is in it.
    pub item: String,
    /// Where to follow the parcel.
    pub tracking_url: String,
}

/// What a badge counts.
#[derive(Serialize, Deserialize, JsonSchema, TS, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
#[schemars(inline)]
pub enum BadgeKind {
    Messages,
    Notifications,
    Tasks,
}

/// The number on a badge: how many notifications are unread.
#[derive(Event, Serialize, Deserialize, JsonSchema, TS, Debug, Clone, PartialEq)]
#[event(name = "badge")]
pub struct Badge {
    /// The count, never negative.
    pub count: u32,
    /// Which badge.
    pub kind: BadgeKind,
}

dialogue! {
    /// Notifications pushed to one user at a time.
    pub NotificationsApp {
        /// Each user's own room: only the server writes here, only the user
        /// reads it. Recent alerts and shipments are sent on joining.
        inbox: {
            id: "user:{userId}",
            name: "Notifications",
            events: [],
            server_events: [Alert, OrderShipped, Badge],
            sync_history_on_join: true,
        },
    }
}

/// An order in the shop's (in-memory) database.
#[derive(Serialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    /// Its id.
    pub id: String,
    /// Who bought it: the user who is notified.
    pub owner: String,
    /// What it is.
    pub item: String,
    /// Whether it left the warehouse.
    pub shipped: bool,
}

/// The shop: orders and each user's unread count, shared by the routes and
/// the hooks.
#[derive(Debug, Default)]
pub struct Shop {
    orders: Mutex<HashMap<String, Order>>,
    unread: Mutex<HashMap<String, u32>>,
    /// Taken while a count changes and its badge is published, so that the
    /// badge published last carries the latest count.
    badges: tokio::sync::Mutex<()>,
}

impl Shop {
    /// A shop with a few orders of `alice` and `bob`, to try the routes on.
    pub fn demo() -> Self {
        let shop = Self::default();
        for (id, owner, item) in [
            ("1001", "alice", "a teapot"),
            ("1002", "bob", "a bicycle bell"),
            ("1003", "alice", "two mugs"),
        ] {
            shop.add_order(id, owner, item);
        }
        shop
    }

    /// Records a new order.
    pub fn add_order(&self, id: &str, owner: &str, item: &str) {
        let order = Order {
            id: id.to_owned(),
            owner: owner.to_owned(),
            item: item.to_owned(),
            shipped: false,
        };
        lock(&self.orders).insert(id.to_owned(), order);
    }

    /// Every order, by id.
    pub fn orders(&self) -> Vec<Order> {
        let mut orders: Vec<Order> = lock(&self.orders).values().cloned().collect();
        orders.sort_by(|a, b| a.id.cmp(&b.id));
        orders
    }

    /// How many notifications `user` has not read.
    pub fn unread(&self, user: &str) -> u32 {
        lock(&self.unread).get(user).copied().unwrap_or(0)
    }

    /// Changes `user`'s unread count and publishes the new [`Badge`] into
    /// their inbox; the new count.
    async fn update_badge(
        &self,
        dialogue: &Dialogue<NotificationsApp>,
        user: &str,
        change: Change,
    ) -> Result<u32, TriggerError> {
        let _turn = self.badges.lock().await;
        let count = {
            let mut unread = lock(&self.unread);
            match change {
                Change::Same => unread.get(user).copied().unwrap_or(0),
                Change::OneMore => {
                    let count = unread.entry(user.to_owned()).or_insert(0);
                    *count = count.saturating_add(1);
                    *count
                }
                Change::AllRead => {
                    unread.remove(user);
                    0
                }
            }
        };
        let badge = Badge {
            count,
            kind: BadgeKind::Notifications,
        };
        dialogue
            .user_room(NotificationsApp::inbox(), user)
            .trigger(badge)
            .await?;
        Ok(count)
    }
}

/// How an unread count changes before its badge is published.
#[derive(Debug, Clone, Copy)]
enum Change {
    /// It does not: the badge is shown again.
    Same,
    /// A notification arrived.
    OneMore,
    /// The user read everything.
    AllRead,
}

/// The events counted unread when they reach an inbox. Not [`Badge`]: the
/// badge the hook publishes must not count, or it would count itself.
const NOTIFICATIONS: [&str; 2] = [Alert::NAME, OrderShipped::NAME];

/// The user whose inbox `room_id` is, if it is one.
fn inbox_owner(dialogue: &Dialogue<NotificationsApp>, room_id: &str) -> Option<String> {
    let owner = dialogue.room_by_id(room_id)?.owner()?.to_owned();
    let inbox = dialogue.user_room(NotificationsApp::inbox(), &owner);
    (inbox.id() == room_id).then_some(owner)
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The realtime server with its hooks, and the whole HTTP application: the
/// shop's routes merged with the Socket.IO endpoint and, with an `api_key`,
/// the HTTP API under `/api` (`Authorization: Bearer <api_key>`). Serve the
/// router.
pub fn build(
    shop: Arc<Shop>,
    api_key: Option<&str>,
) -> Result<(Dialogue<NotificationsApp>, Router), BuildError> {
    let (on_join, on_notification) = (shop.clone(), shop.clone());
    let mut builder = Dialogue::<NotificationsApp>::builder()
        // Everyone lands in their own room; nobody else can join it (the
        // runtime refuses `user:alice` to anyone but alice).
        .on_connected(|dialogue, client| async move {
            let inbox = dialogue.user_room(NotificationsApp::inbox(), client.user_id());
            match client.join(inbox.id()).await {
                Ok(()) => {
                    tracing::info!(user = client.user_id(), room = inbox.id(), "inbox opened")
                }
                Err(error) => {
                    tracing::warn!(user = client.user_id(), %error, "cannot open the inbox")
                }
            }
        })
        // Whoever opens their inbox sees their badge at once.
        .on_joined(move |dialogue, client, room_id| {
            let shop = on_join.clone();
            async move {
                let user = client.user_id();
                if room_id == dialogue.user_room(NotificationsApp::inbox(), user).id()
                    && let Err(error) = shop.update_badge(&dialogue, user, Change::Same).await
                {
                    tracing::warn!(%user, %error, "cannot show the badge");
                }
            }
        })
        // Every notification that reaches an inbox, from the HTTP API, a
        // route or anywhere else, is counted once and the badge follows.
        .on_triggered(move |dialogue, message| {
            let shop = on_notification.clone();
            async move {
                if !NOTIFICATIONS.contains(&message.event.as_str()) {
                    return;
                }
                let Some(user) = inbox_owner(&dialogue, &message.room_id) else {
                    return;
                };
                match shop.update_badge(&dialogue, &user, Change::OneMore).await {
                    Ok(unread) => {
                        tracing::info!(%user, event = %message.event, unread, "notified")
                    }
                    Err(error) => tracing::warn!(%user, %error, "cannot update the badge"),
                }
            }
        });
    if let Some(key) = api_key {
        builder = builder.api_key(key);
    }
    let dialogue = builder.build()?;

    let state = Routes {
        dialogue: dialogue.clone(),
        shop,
    };
    let routes = Router::new()
        .route("/orders", get(list_orders))
        .route("/orders/{id}/ship", post(ship_order))
        .route("/users/{user}/read", post(read_all))
        .with_state(state);
    let app = routes.merge(dialogue.router());
    Ok((dialogue, app))
}

/// What the routes share.
#[derive(Clone)]
struct Routes {
    dialogue: Dialogue<NotificationsApp>,
    shop: Arc<Shop>,
}

/// `GET /orders`: every order.
async fn list_orders(State(routes): State<Routes>) -> Json<Vec<Order>> {
    Json(routes.shop.orders())
}

/// `POST /orders/{id}/ship`: marks the order shipped and tells its owner,
/// wherever they are connected: `order:shipped`, then (from the hook) the
/// new `badge`.
async fn ship_order(State(routes): State<Routes>, Path(id): Path<String>) -> Response {
    let order = {
        let mut orders = lock(&routes.shop.orders);
        match orders.get_mut(&id) {
            None => return error(StatusCode::NOT_FOUND, format!("no order {id}")),
            Some(order) if order.shipped => {
                return error(
                    StatusCode::CONFLICT,
                    format!("order {id} has already shipped"),
                );
            }
            Some(order) => {
                order.shipped = true;
                order.clone()
            }
        }
    };
    let inbox = routes
        .dialogue
        .user_room(NotificationsApp::inbox(), &order.owner);
    let shipped = OrderShipped {
        order_id: order.id.clone(),
        item: order.item.clone(),
        tracking_url: format!("/orders/{}/track", order.id),
    };
    // The trigger returns once the hooks ran: the badge is out, counted.
    if let Err(failure) = inbox.trigger(shipped).await {
        return trigger_failed(failure);
    }
    let unread = routes.shop.unread(&order.owner);
    tracing::info!(order = %order.id, user = %order.owner, unread, "order shipped");
    Json(serde_json::json!({ "order": order, "unread": unread })).into_response()
}

/// `POST /users/{user}/read`: the user read everything; their badge clears.
async fn read_all(State(routes): State<Routes>, Path(user): Path<String>) -> Response {
    let cleared = routes
        .shop
        .update_badge(&routes.dialogue, &user, Change::AllRead)
        .await;
    match cleared {
        Ok(unread) => Json(serde_json::json!({ "unread": unread })).into_response(),
        Err(failure) => trigger_failed(failure),
    }
}

/// A failed push: a payload its schema refuses is the caller's mistake (422),
/// anything else the server's.
fn trigger_failed(failure: TriggerError) -> Response {
    match failure {
        TriggerError::Validation { .. } => {
            error(StatusCode::UNPROCESSABLE_ENTITY, failure.to_string())
        }
        other => {
            tracing::error!(error = %other, "cannot notify");
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "cannot notify".to_owned(),
            )
        }
    }
}

fn error(status: StatusCode, message: String) -> Response {
    (status, Json(serde_json::json!({ "error": message }))).into_response()
}
