//! The typed Rust client (`dialogue_client::typed`, docs/rust-client.md)
//! against the conformance server, in process on a loopback port: joins,
//! typed triggers and events, requests, presence, templates, and recovery
//! across real cuts (a fault proxy between client and server).

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use dialogue_client::Transport;
use dialogue_client::typed::{
    CallError, ConnectError, ConnectionState, Feed, PresenceChange, Recovery, RefusalCode,
    TypedClient,
};
use dialogue_runtime::protocol::ErrorCode;
use dialogue_runtime::{Dialogue, DialogueBuilder};
use serde_json::json;
use support::conformance::{
    Add, AddResult, ConformanceApp, Fail, LobbyInfo, Message, OrderStatus, OrderUpdated, Status,
    Typing, conformance_app,
};
use support::proxy::FaultProxy;

/// How long any wait may take before it counts as a failure.
const WAIT: Duration = Duration::from_secs(5);

/// A conformance server on a free loopback port; stops with the test's
/// runtime.
struct Server {
    url: String,
    addr: SocketAddr,
    dialogue: Dialogue<ConformanceApp>,
}

impl Server {
    async fn start() -> Self {
        Self::with(ConformanceApp::server()).await
    }

    async fn with(builder: DialogueBuilder<ConformanceApp>) -> Self {
        let dialogue = builder.build().expect("builds");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binds");
        let addr = listener.local_addr().expect("an address");
        let serving = dialogue.clone();
        tokio::spawn(async move { serving.serve_on(listener).await });
        Self {
            url: format!("http://{addr}"),
            addr,
            dialogue,
        }
    }
}

/// `user` connected to `url` over `transport`, reconnecting quickly.
async fn connect(url: &str, user: &str, transport: Transport) -> TypedClient<ConformanceApp> {
    TypedClient::<ConformanceApp>::builder(url)
        .auth(json!({ "userId": user, "name": user }))
        .transport(transport)
        .connect_timeout(WAIT)
        .timeout(WAIT)
        .reconnect_delay(Duration::from_millis(50), Duration::from_millis(200))
        .connect()
        .await
        .unwrap_or_else(|error| panic!("{user} connects: {error}"))
}

fn message(text: &str) -> Message {
    Message {
        text: text.into(),
        sender_id: "s".into(),
    }
}

#[tokio::test]
async fn joins_triggers_and_receives_typed_on_both_transports() {
    let server = Server::start().await;
    for transport in [Transport::WebSocket, Transport::Polling] {
        let alice = connect(&server.url, "alice", transport).await;
        let bob = connect(&server.url, "bob", transport).await;
        assert_eq!(alice.user_id(), "alice");
        assert_eq!(alice.state(), ConnectionState::Connected);

        let alice_chat = alice.join(ConformanceApp::chat()).await.expect("joins");
        let bob_chat = bob.join(ConformanceApp::chat()).await.expect("joins");
        assert_eq!(bob_chat.id(), "chat");
        assert_eq!(bob_chat.name(), "Chat Room");
        let mut messages = bob_chat.events::<Message>().await.expect("listens");
        // `typing` is not among the room's default subscriptions: asking for
        // it subscribes.
        let mut typing = bob_chat.events::<Typing>().await.expect("subscribes");

        let text = format!("hello over {transport:?}");
        let sent = alice_chat.trigger(message(&text)).await.expect("sent");
        assert_eq!(sent.from, "alice");
        assert_eq!(sent.data.text, text);
        assert!(sent.seq >= 1, "{sent:?}");

        let received = messages.recv_timeout(WAIT).await.expect("received");
        assert_eq!(received.data, message(&text));
        assert_eq!((received.from.as_str(), received.seq), ("alice", sent.seq));

        alice_chat
            .trigger(Typing { is_typing: true })
            .await
            .expect("sent");
        let typed = typing.recv_timeout(WAIT).await.expect("received");
        assert!(typed.data.is_typing);
        assert_eq!(typed.seq, sent.seq + 1);
        assert_eq!(bob_chat.position().expect("a position").seq, typed.seq);

        // The room syncs its history on join: a later member reads it typed.
        let carol = connect(&server.url, "carol", transport).await;
        let carol_chat = carol.join(ConformanceApp::chat()).await.expect("joins");
        let history = carol_chat.history::<Message>();
        assert_eq!(history.first().map(|m| m.data.text.as_str()), Some(&*text));

        // The server's schema still rules: an empty text is refused, with
        // the failing field.
        let refused = alice_chat.trigger(message("")).await.expect_err("refused");
        assert_eq!(
            refused.code(),
            Some(ErrorCode::ValidationFailed),
            "{refused}"
        );
        let details = &refused.refusal().expect("a refusal").details;
        assert_eq!(details[0].path, "/text", "{details:?}");
        for client in [alice, bob, carol] {
            client.close().await;
        }
    }
}

#[tokio::test]
async fn requests_answer_typed_or_with_their_code() {
    let server = Server::start().await;
    let client = connect(&server.url, "asker", Transport::WebSocket).await;

    let sum = client.request(Add { a: 2, b: 40 }).await.expect("answered");
    assert_eq!(sum, AddResult { sum: 42 });

    let too_big = client
        .request(Add {
            a: 2_000_000_000,
            b: 1,
        })
        .await
        .expect_err("refused");
    let refusal = too_big.refusal().expect("a refusal");
    assert_eq!(refusal.code, RefusalCode::Application("TOO_BIG".into()));
    assert_eq!(too_big.code(), None, "not one of the protocol's codes");

    let failed = client.request(Fail {}).await.expect_err("fails");
    assert_eq!(failed.code(), Some(ErrorCode::Internal), "{failed}");

    // A request about a room is answered to its members.
    let lobby = client.join(ConformanceApp::lobby()).await.expect("joins");
    let sum = lobby.request(Add { a: 1, b: 1 }).await.expect("answered");
    assert_eq!(sum.sum, 2);
}

#[tokio::test]
async fn presence_is_typed_by_the_apps_info() {
    let server = Server::start().await;
    let alice = connect(&server.url, "alice", Transport::WebSocket).await;
    let bob = connect(&server.url, "bob", Transport::WebSocket).await;

    let alice_lobby = alice.join(ConformanceApp::lobby()).await.expect("joins");
    let mut changes = alice_lobby.presence_changes();
    let here = alice_lobby.presence().await.expect("presence");
    assert_eq!(here.count, 1);
    assert_eq!(here.members[0].user_id, "alice");
    let name = here.members[0].info.as_ref().and_then(|i| i.name.clone());
    assert_eq!(
        name.as_deref(),
        Some("alice"),
        "from the handshake's auth.name"
    );

    let bob_lobby = bob.join(ConformanceApp::lobby()).await.expect("joins");
    // Alice's own arrival may come first: every member hears every diff.
    let arrival = next_change(&mut changes, |c| {
        c.joined.iter().any(|m| m.user_id == "bob")
    })
    .await;
    assert_eq!(arrival.joined.len(), 1, "{arrival:?}");

    let info = LobbyInfo {
        name: Some("Bob".into()),
        status: Some(Status::Away),
    };
    bob_lobby.set_presence(&info).await.expect("set");
    let update = next_change(&mut changes, |c| !c.updated.is_empty()).await;
    assert_eq!(update.updated[0].user_id, "bob");
    assert_eq!(
        update.updated[0].info.as_ref(),
        Some(&info),
        "typed: {update:?}"
    );
    assert_eq!(alice_lobby.presence().await.expect("presence").count, 2);

    // Presence exists only in rooms declared with it.
    let chat = bob.join(ConformanceApp::chat()).await.expect("joins");
    let error = chat.set_presence(&info).await.expect_err("no presence");
    assert_eq!(error.code(), Some(ErrorCode::InvalidRequest), "{error}");

    bob.close().await;
    let departure = next_change(&mut changes, |c| !c.left.is_empty()).await;
    assert_eq!(departure.left[0].user_id, "bob", "{departure:?}");
}

/// The next presence change that `wanted` picks, within [`WAIT`].
async fn next_change(
    changes: &mut Feed<PresenceChange<LobbyInfo>>,
    wanted: impl Fn(&PresenceChange<LobbyInfo>) -> bool,
) -> PresenceChange<LobbyInfo> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let change = changes.recv_timeout(left).await.expect("a presence change");
        if wanted(&change) {
            return change;
        }
    }
}

#[tokio::test]
async fn rooms_refuse_with_their_codes_and_templates_join_by_instance() {
    let server = Server::start().await;
    let clients = [
        connect(&server.url, "u1", Transport::WebSocket).await,
        connect(&server.url, "u2", Transport::WebSocket).await,
        connect(&server.url, "u3", Transport::WebSocket).await,
    ];
    let first = clients[0].join(ConformanceApp::small()).await.expect("1");
    clients[1].join(ConformanceApp::small()).await.expect("2");
    let full = clients[2]
        .join(ConformanceApp::small())
        .await
        .expect_err("full");
    assert_eq!(full.code(), Some(ErrorCode::RoomFull), "{full}");

    let doc = clients[0]
        .join_instance(ConformanceApp::doc("readme"))
        .await
        .expect("joins");
    assert_eq!(doc.id(), "doc:readme");
    doc.trigger(message("in the doc")).await.expect("sent");
    let template = clients[0]
        .join(conformance_app::Doc)
        .await
        .expect_err("a template");
    assert!(matches!(template, CallError::Template(_)), "{template}");

    // `*` takes any event from clients; `events: []` none, but its members
    // receive what the server pushes there.
    let sandbox = clients[1]
        .join(ConformanceApp::sandbox())
        .await
        .expect("joins");
    let mut orders = sandbox.events::<OrderUpdated>().await.expect("listens");
    let order = OrderUpdated {
        order_id: "o7".into(),
        status: OrderStatus::Pending,
    };
    sandbox.trigger(order.clone()).await.expect("any event");
    assert_eq!(orders.recv_timeout(WAIT).await.expect("got it").data, order);
    let readonly = clients[1]
        .join(ConformanceApp::readonly())
        .await
        .expect("joins");
    let mut pushed = readonly.events::<Message>().await.expect("listens");
    let push = server.dialogue.room(ConformanceApp::readonly());
    push.trigger(message("from the server"))
        .await
        .expect("pushed");
    let received = pushed.recv_timeout(WAIT).await.expect("received");
    assert_eq!(
        (received.from.as_str(), received.data.text.as_str()),
        ("system", "from the server")
    );

    // Leaving ends the room's feeds, and the membership.
    let mut events = first.events::<Message>().await.expect("listens");
    let still = first.clone();
    first.leave().await.expect("left");
    assert!(events.recv_timeout(WAIT).await.is_err(), "the feed ended");
    assert!(!still.is_joined());
    let after = still
        .trigger(message("gone"))
        .await
        .expect_err("not joined");
    assert!(matches!(after, CallError::NotJoined(_)), "{after}");

    let refused = TypedClient::<ConformanceApp>::builder(&server.url)
        .auth(json!("not an object"))
        .connect()
        .await
        .expect_err("refused");
    assert!(matches!(refused, ConnectError::InvalidAuth(_)), "{refused}");
}

/// Reads `n` messages and returns their texts, in order.
async fn texts(events: &mut dialogue_client::typed::Events<Message>, n: usize) -> Vec<String> {
    let mut texts = Vec::new();
    for _ in 0..n {
        let message = events.recv_timeout(WAIT).await.expect("a message");
        texts.push(message.data.text);
    }
    texts
}

#[tokio::test]
async fn a_cut_loses_nothing_the_session_resumes() {
    let server = Server::start().await;
    let proxy = FaultProxy::start(server.addr).await;
    let alice = connect(&proxy.url(), "alice", Transport::WebSocket).await;
    let bob = connect(&server.url, "bob", Transport::WebSocket).await;
    let alice_chat = alice.join(ConformanceApp::chat()).await.expect("joins");
    let bob_chat = bob.join(ConformanceApp::chat()).await.expect("joins");
    let mut messages = alice_chat.events::<Message>().await.expect("listens");
    let mut recoveries = alice_chat.recoveries();
    let mut bobs = bob_chat.events::<Message>().await.expect("listens");
    bob_chat.trigger(message("before")).await.expect("sent");
    assert_eq!(texts(&mut messages, 1).await, ["before"]);
    let first_id = alice.client_id();

    proxy.hold();
    proxy.cut();
    for text in ["while away 1", "while away 2", "while away 3"] {
        bob_chat.trigger(message(text)).await.expect("sent");
    }
    // A trigger made while disconnected waits for the connection, and goes
    // once.
    let pending = tokio::spawn({
        let alice_chat = alice_chat.clone();
        async move { alice_chat.trigger(message("from the tunnel")).await }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(alice.state(), ConnectionState::Reconnecting);
    proxy.release();

    let back = recoveries.recv_timeout(WAIT).await.expect("comes back");
    assert_eq!(
        back,
        Recovery {
            resumed: true,
            recovered: true
        }
    );
    let sent = pending
        .await
        .expect("the task")
        .expect("sent once connected");
    assert_eq!(sent.from, "alice");
    assert_ne!(alice.client_id(), first_id, "a new connection");
    assert_eq!(
        texts(&mut messages, 4).await,
        [
            "while away 1",
            "while away 2",
            "while away 3",
            "from the tunnel"
        ]
    );
    let bob_saw = texts(&mut bobs, 5).await;
    assert_eq!(bob_saw[4], "from the tunnel", "{bob_saw:?}");

    bob_chat.trigger(message("after")).await.expect("sent");
    assert_eq!(texts(&mut messages, 1).await, ["after"], "nothing twice");
    assert_eq!(texts(&mut bobs, 1).await, ["after"], "nothing twice");
}

#[tokio::test]
async fn past_the_grace_period_the_rooms_are_joined_again_from_their_position() {
    let builder = ConformanceApp::server().resume_grace(Duration::from_millis(200));
    let server = Server::with(builder).await;
    let proxy = FaultProxy::start(server.addr).await;
    let alice = connect(&proxy.url(), "alice", Transport::WebSocket).await;
    let bob = connect(&server.url, "bob", Transport::WebSocket).await;
    let alice_orders = alice.join(ConformanceApp::orders()).await.expect("joins");
    let bob_orders = bob.join(ConformanceApp::orders()).await.expect("joins");
    let mut updates = alice_orders
        .events::<OrderUpdated>()
        .await
        .expect("listens");
    let mut recoveries = alice_orders.recoveries();

    proxy.hold();
    proxy.cut();
    // Long enough for the server to end the session.
    tokio::time::sleep(Duration::from_millis(800)).await;
    for id in ["o1", "o2"] {
        let update = OrderUpdated {
            order_id: id.into(),
            status: OrderStatus::Shipped,
        };
        bob_orders.trigger(update).await.expect("sent");
    }
    proxy.release();

    let back = recoveries.recv_timeout(WAIT).await.expect("comes back");
    assert_eq!(
        back,
        Recovery {
            resumed: false,
            recovered: true
        }
    );
    for id in ["o1", "o2"] {
        let update = updates.recv_timeout(WAIT).await.expect("replayed");
        assert_eq!(update.data.order_id, id);
    }
    let history = alice_orders
        .get_history::<OrderUpdated>(0, 10)
        .await
        .expect("a page");
    assert_eq!(history.len(), 2, "newest first: {history:?}");
    assert_eq!(history[0].data.order_id, "o2");
}

#[tokio::test]
async fn past_the_recovery_window_the_room_says_to_reload_and_history_has_it_all() {
    let builder = ConformanceApp::server()
        .resume_grace(Duration::from_millis(200))
        .recovery_window(1, Duration::from_secs(300));
    let server = Server::with(builder).await;
    let proxy = FaultProxy::start(server.addr).await;
    let alice = connect(&proxy.url(), "alice", Transport::WebSocket).await;
    let bob = connect(&server.url, "bob", Transport::WebSocket).await;
    let alice_chat = alice.join(ConformanceApp::chat()).await.expect("joins");
    let bob_chat = bob.join(ConformanceApp::chat()).await.expect("joins");
    let mut messages = alice_chat.events::<Message>().await.expect("listens");
    let mut recoveries = alice_chat.recoveries();

    proxy.hold();
    proxy.cut();
    tokio::time::sleep(Duration::from_millis(800)).await;
    for text in ["m1", "m2", "m3"] {
        bob_chat.trigger(message(text)).await.expect("sent");
    }
    proxy.release();

    let back = recoveries.recv_timeout(WAIT).await.expect("comes back");
    assert_eq!(
        back,
        Recovery {
            resumed: false,
            recovered: false
        },
        "the window holds one event of the three"
    );
    let page = alice_chat
        .get_history::<Message>(0, 10)
        .await
        .expect("a page");
    let texts_read: Vec<&str> = page.iter().map(|m| m.data.text.as_str()).collect();
    assert_eq!(texts_read, ["m3", "m2", "m1"]);

    // Nothing was replayed; live events flow again.
    bob_chat.trigger(message("live")).await.expect("sent");
    assert_eq!(texts(&mut messages, 1).await, ["live"]);
}
