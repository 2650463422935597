//! Live notifications: one personal room per user, fed by the application's
//! own HTTP routes.
//!
//! Every user has a room `user:{userId}` that only they may join (the server
//! puts each connection in it on arrival). When something happens to one of
//! their orders, an axum route beside the realtime server pushes an alert and
//! the new badge count into that room, and only that user's tabs receive them.

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

    /// One more unread notification for `user`; the new count.
    fn notify(&self, user: &str) -> u32 {
        let mut unread = lock(&self.unread);
        let count = unread.entry(user.to_owned()).or_insert(0);
        *count += 1;
        *count
    }

    /// `user` read everything.
    fn read_all(&self, user: &str) {
        lock(&self.unread).remove(user);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The realtime server with its hooks, and the whole HTTP application: the
/// shop's routes merged with the Socket.IO endpoint. Serve the router.
pub fn build(shop: Arc<Shop>) -> Result<(Dialogue<NotificationsApp>, Router), BuildError> {
    let on_join = shop.clone();
    let dialogue = Dialogue::<NotificationsApp>::builder()
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
                let inbox = dialogue.user_room(NotificationsApp::inbox(), client.user_id());
                if room_id == inbox.id() {
                    let count = shop.unread(client.user_id());
                    let _ = inbox
                        .trigger(Badge {
                            count,
                            kind: BadgeKind::Notifications,
                        })
                        .await;
                }
            }
        })
        .build()?;

    let state = Routes {
        dialogue: dialogue.clone(),
        shop,
    };
    let routes = Router::new()
        .route("/orders", get(list_orders))
        .route("/orders/{id}/ship", post(ship_order))
        .route("/users/{user}/alerts", post(send_alert))
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
/// wherever they are connected: `order:shipped`, then the new `badge`.
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
    if let Err(failure) = inbox.trigger(shipped).await {
        return trigger_failed(failure);
    }
    let count = routes.shop.notify(&order.owner);
    let badge = Badge {
        count,
        kind: BadgeKind::Notifications,
    };
    if let Err(failure) = inbox.trigger(badge).await {
        return trigger_failed(failure);
    }
    tracing::info!(order = %order.id, user = %order.owner, unread = count, "order shipped");
    Json(serde_json::json!({ "order": order, "unread": count })).into_response()
}

/// `POST /users/{user}/alerts` with an [`Alert`] as JSON: pushes it to that
/// user and counts it unread. The alert is checked against its schema.
async fn send_alert(
    State(routes): State<Routes>,
    Path(user): Path<String>,
    Json(alert): Json<Alert>,
) -> Response {
    let inbox = routes.dialogue.user_room(NotificationsApp::inbox(), &user);
    if let Err(failure) = inbox.trigger(alert).await {
        return trigger_failed(failure);
    }
    let count = routes.shop.notify(&user);
    let _ = inbox
        .trigger(Badge {
            count,
            kind: BadgeKind::Notifications,
        })
        .await;
    tracing::info!(%user, unread = count, "alert sent");
    Json(serde_json::json!({ "unread": count })).into_response()
}

/// `POST /users/{user}/read`: the user read everything; their badge clears.
async fn read_all(State(routes): State<Routes>, Path(user): Path<String>) -> Response {
    routes.shop.read_all(&user);
    let inbox = routes.dialogue.user_room(NotificationsApp::inbox(), &user);
    if let Err(failure) = inbox
        .trigger(Badge {
            count: 0,
            kind: BadgeKind::Notifications,
        })
        .await
    {
        return trigger_failed(failure);
    }
    Json(serde_json::json!({ "unread": 0 })).into_response()
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
