//! End-to-end tests against a real in-process socketioxide server, over the wire, each run
//! once per transport (`websocket::*` and `polling::*`).

use std::{future::Future, net::SocketAddr, time::Duration};

use bytes::Bytes;
use dialogue_client::{Client, ClientBuilder, DisconnectReason, Error, Transport, packet};
use serde_json::{Value, json};
use socketioxide::{
    SocketIo,
    extract::{AckSender, Data, SocketRef},
    handler::ConnectHandler,
    socket::DisconnectReason as ServerDisconnectReason,
};
use tokio::sync::mpsc;

/// The server's ping interval: short, so that heartbeats happen during the tests.
const PING_INTERVAL: Duration = Duration::from_millis(300);
/// The server's ping timeout: a client that does not answer pings is dropped after
/// `PING_INTERVAL + PING_TIMEOUT`.
const PING_TIMEOUT: Duration = Duration::from_millis(200);
/// Upper bound for any single expected event.
const WAIT: Duration = Duration::from_secs(3);
/// Upper bound for a whole test.
const TEST_LIMIT: Duration = Duration::from_secs(20);

/// A running socketioxide server and what its handlers report.
struct TestServer {
    url: String,
    /// `"<socket id> <reason>"` for every server-side socket disconnection.
    disconnects: mpsc::UnboundedReceiver<String>,
}

impl TestServer {
    fn client(&self, transport: Transport) -> ClientBuilder {
        ClientBuilder::new(&self.url)
            .transport(transport)
            .connect_timeout(WAIT)
    }

    async fn connect(&self, transport: Transport) -> Client {
        self.client(transport)
            .connect()
            .await
            .expect("connects to the test server")
    }

    async fn next_disconnect(&mut self) -> String {
        tokio::time::timeout(WAIT, self.disconnects.recv())
            .await
            .expect("the server reports a disconnection in time")
            .expect("the server is still running")
    }
}

#[derive(Debug)]
struct Refused(&'static str);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

/// Connect middleware: refuses `{"token": "refuse"}`.
async fn check_auth(Data(auth): Data<Value>) -> Result<(), Refused> {
    match auth.get("token").and_then(Value::as_str) {
        Some("refuse") => Err(Refused("token refused")),
        _ => Ok(()),
    }
}

fn register_handlers(s: &SocketRef, auth: Value, reports: mpsc::UnboundedSender<String>) {
    s.emit("welcome", &(s.id.to_string(), auth)).ok();
    s.on("echo", async |s: SocketRef, Data(data): Data<Value>| {
        s.emit("echo", &data).ok();
    });
    s.on(
        "add",
        async |Data((a, b)): Data<(i64, i64)>, ack: AckSender| {
            ack.send(&(a + b, "sum")).ok();
        },
    );
    s.on("no_ack", async || {});
    s.on("multi", async |s: SocketRef| {
        s.emit("multi", &(1, "two", json!({ "three": 3 }))).ok();
    });
    s.on("burst", async |s: SocketRef| {
        for (name, n) in [("a", 1), ("b", 2), ("c", 3)] {
            s.emit(name, &n).ok();
        }
    });
    s.on("ask", async |s: SocketRef| {
        let answer = match s.emit_with_ack::<_, Value>("question", &"ready?") {
            Ok(ack) => match ack.await {
                Ok(value) => value,
                Err(err) => json!(format!("ack error: {err}")),
            },
            Err(err) => json!(format!("send error: {err}")),
        };
        s.emit("answer", &answer).ok();
    });
    s.on("upload", async |s: SocketRef, Data(bytes): Data<Bytes>| {
        s.emit("upload_ok", &(bytes.len(), bytes.to_vec())).ok();
    });
    s.on("download", async |s: SocketRef| {
        s.emit("download", &Bytes::from_static(&[9, 8, 7])).ok();
    });
    s.on("kick", async |s: SocketRef| {
        s.disconnect().ok();
    });
    s.on_disconnect(async move |s: SocketRef, reason: ServerDisconnectReason| {
        reports.send(format!("{} {reason:?}", s.id)).ok();
    });
}

async fn start_server() -> TestServer {
    let (layer, io) = SocketIo::builder()
        .ping_interval(PING_INTERVAL)
        .ping_timeout(PING_TIMEOUT)
        .build_layer();
    let (reports, disconnects) = mpsc::unbounded_channel();

    let root_reports = reports.clone();
    let on_connect = async move |s: SocketRef, Data(auth): Data<Value>| {
        register_handlers(&s, auth, root_reports.clone());
    };
    io.ns("/", on_connect.with(check_auth));
    io.ns(
        "/admin",
        async move |s: SocketRef, Data(auth): Data<Value>| {
            s.emit("welcome_admin", &s.ns()).ok();
            register_handlers(&s, auth, reports.clone());
        },
    );

    let app = axum::Router::new()
        .route("/", axum::routing::get(async || "ok"))
        .layer(layer);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds a local port");
    let addr: SocketAddr = listener.local_addr().expect("has a local address");
    tokio::spawn(async move {
        axum::serve(listener, app).await.ok();
    });
    TestServer {
        url: format!("http://{addr}"),
        disconnects,
    }
}

/// Runs a test body with a hard time limit, so that nothing can hang.
async fn bounded(body: impl Future<Output = ()>) {
    tokio::time::timeout(TEST_LIMIT, body)
        .await
        .expect("the test finished within its time limit");
}

async fn connect_returns_socket_id(transport: Transport) {
    let server = start_server().await;
    let client = server.connect(transport).await;
    assert!(client.is_connected());
    assert!(!client.id().is_empty());
    assert_eq!(client.namespace(), "/");
    assert_eq!(client.transport(), transport);
    assert_eq!(client.handshake().ping_interval, 300);
    assert_eq!(client.handshake().ping_timeout, 200);
    let welcome = client.recv_timeout(WAIT).await.expect("a welcome event");
    assert_eq!(welcome.name, "welcome");
    assert_eq!(welcome.args[0], json!(client.id()));
}

async fn auth_reaches_the_server(transport: Transport) {
    let server = start_server().await;
    let auth = json!({ "token": "let-me-in", "user": { "id": 7 } });
    let client = server
        .client(transport)
        .auth(auth.clone())
        .connect()
        .await
        .expect("the middleware accepts the token");
    let welcome = client.expect_event("welcome", WAIT).await.expect("welcome");
    assert_eq!(welcome.args, vec![json!(client.id()), auth]);
}

async fn middleware_refusal_is_a_typed_error(transport: Transport) {
    let server = start_server().await;
    let result = server
        .client(transport)
        .auth(json!({ "token": "refuse" }))
        .connect()
        .await;
    match result {
        Err(Error::ConnectRefused { message, .. }) => assert_eq!(message, "token refused"),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

async fn unknown_namespace_is_refused(transport: Transport) {
    let server = start_server().await;
    let result = server.client(transport).namespace("nope").connect().await;
    match result {
        Err(Error::ConnectRefused { message, .. }) => assert_eq!(message, "Invalid namespace"),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

async fn custom_namespace_works(transport: Transport) {
    let server = start_server().await;
    let client = server
        .client(transport)
        .namespace("/admin")
        .connect()
        .await
        .expect("connects to /admin");
    assert_eq!(client.namespace(), "/admin");
    let welcome = client.expect_event("welcome_admin", WAIT).await.unwrap();
    assert_eq!(welcome.args, vec![json!("/admin")]);
    client.emit("echo", json!("in admin")).unwrap();
    let echo = client.expect_event("echo", WAIT).await.unwrap();
    assert_eq!(echo.args, vec![json!("in admin")]);
}

async fn namespace_from_url_path(transport: Transport) {
    let server = start_server().await;
    let client = ClientBuilder::new(format!("{}/admin", server.url))
        .transport(transport)
        .connect_timeout(WAIT)
        .connect()
        .await
        .expect("connects to /admin");
    assert_eq!(client.namespace(), "/admin");
    client.expect_event("welcome_admin", WAIT).await.unwrap();
}

async fn echo_roundtrip(transport: Transport) {
    let server = start_server().await;
    let client = server.connect(transport).await;
    let data = json!({ "text": "héllo", "list": [1, 2.5, null, true] });
    client.emit("echo", data.clone()).unwrap();
    let echo = client.expect_event("echo", WAIT).await.unwrap();
    assert_eq!(echo.args, vec![data]);
    assert_eq!(echo.ack_id, None);
    assert!(echo.attachments.is_empty());
}

async fn events_keep_their_order(transport: Transport) {
    let server = start_server().await;
    let client = server.connect(transport).await;
    assert_eq!(client.recv_timeout(WAIT).await.unwrap().name, "welcome");
    for i in 0..20 {
        client.emit("echo", json!(i)).unwrap();
    }
    for i in 0..20 {
        let event = client.recv_timeout(WAIT).await.unwrap();
        assert_eq!(
            (event.name.as_str(), &event.args[..]),
            ("echo", &[json!(i)][..])
        );
    }
}

async fn expect_event_keeps_other_events_queued(transport: Transport) {
    let server = start_server().await;
    let client = server.connect(transport).await;
    client.emit_args("burst", vec![]).unwrap();
    let c = client.expect_event("c", WAIT).await.unwrap();
    assert_eq!(c.args, vec![json!(3)]);
    // welcome, a and b were skipped over and are still there, in order.
    let names: Vec<String> = [
        client.recv_timeout(WAIT).await.unwrap(),
        client.recv_timeout(WAIT).await.unwrap(),
        client.recv_timeout(WAIT).await.unwrap(),
    ]
    .into_iter()
    .map(|event| event.name)
    .collect();
    assert_eq!(names, ["welcome", "a", "b"]);
    assert!(matches!(
        client.recv_timeout(Duration::from_millis(100)).await,
        Err(Error::Timeout(_))
    ));
}

async fn ack_returns_the_server_values(transport: Transport) {
    let server = start_server().await;
    let client = server.connect(transport).await;
    let ack = client
        .emit_args_with_ack("add", vec![json!(2), json!(3)], WAIT)
        .await
        .expect("the server acknowledges");
    assert_eq!(ack, vec![json!(5), json!("sum")]);
    // Ack ids are per client and keep working.
    let ack = client
        .emit_args_with_ack("add", vec![json!(-1), json!(1)], WAIT)
        .await
        .unwrap();
    assert_eq!(ack, vec![json!(0), json!("sum")]);
    assert_eq!(client.pending_acks(), 0);
}

async fn ack_timeout_releases_the_slot(transport: Transport) {
    let server = start_server().await;
    let client = server.connect(transport).await;
    let timeout = Duration::from_millis(200);
    let result = client.emit_with_ack("no_ack", json!(1), timeout).await;
    assert!(
        matches!(result, Err(Error::AckTimeout(t)) if t == timeout),
        "{result:?}"
    );
    assert_eq!(client.pending_acks(), 0);
    let ack = client
        .emit_args_with_ack("add", vec![json!(1), json!(1)], WAIT)
        .await
        .unwrap();
    assert_eq!(ack[0], json!(2));
}

async fn server_event_with_several_args(transport: Transport) {
    let server = start_server().await;
    let client = server.connect(transport).await;
    client.emit_args("multi", vec![]).unwrap();
    let multi = client.expect_event("multi", WAIT).await.unwrap();
    assert_eq!(
        multi.args,
        vec![json!(1), json!("two"), json!({ "three": 3 })]
    );
}

async fn server_ack_request_is_exposed_and_answered(transport: Transport) {
    let server = start_server().await;
    let client = server.connect(transport).await;
    client.emit_args("ask", vec![]).unwrap();
    let question = client.expect_event("question", WAIT).await.unwrap();
    assert_eq!(question.args, vec![json!("ready?")]);
    let ack_id = question.ack_id.expect("the server asked for an ack");
    client.ack(ack_id, vec![json!("yes")]).unwrap();
    let answer = client.expect_event("answer", WAIT).await.unwrap();
    assert_eq!(answer.args, vec![json!("yes")]);
}

async fn binary_emit_reaches_the_handler_as_binary(transport: Transport) {
    let server = start_server().await;
    let client = server.connect(transport).await;
    client.emit_binary("upload", vec![0, 1, 2, 255]).unwrap();
    let ok = client.expect_event("upload_ok", WAIT).await.unwrap();
    assert_eq!(ok.args, vec![json!(4), json!([0, 1, 2, 255])]);
}

async fn binary_from_the_server_is_reassembled(transport: Transport) {
    let server = start_server().await;
    let client = server.connect(transport).await;
    client.emit_args("download", vec![]).unwrap();
    let download = client.expect_event("download", WAIT).await.unwrap();
    assert_eq!(download.args.len(), 1);
    assert_eq!(packet::placeholder_num(&download.args[0]), Some(0));
    assert_eq!(download.attachments, vec![Bytes::from_static(&[9, 8, 7])]);
}

async fn server_disconnect_is_observed(transport: Transport) {
    let mut server = start_server().await;
    let client = server.connect(transport).await;
    client.emit_args("kick", vec![]).unwrap();
    let reason = client.wait_disconnected(WAIT).await.unwrap();
    assert_eq!(reason, DisconnectReason::ServerDisconnect);
    assert!(!client.is_connected());
    assert_eq!(
        client.disconnect_reason(),
        Some(DisconnectReason::ServerDisconnect)
    );
    // Events received before the disconnection are still handed out, then recv ends.
    assert_eq!(client.recv_timeout(WAIT).await.unwrap().name, "welcome");
    assert!(matches!(
        client.recv_timeout(WAIT).await,
        Err(Error::Disconnected)
    ));
    assert!(matches!(
        client.emit("echo", json!(1)),
        Err(Error::Disconnected)
    ));
    let report = server.next_disconnect().await;
    assert_eq!(report, format!("{} ServerNSDisconnect", client.id()));
}

async fn malformed_packet_closes_the_engine_and_is_observed(transport: Transport) {
    let mut server = start_server().await;
    let client = server.connect(transport).await;
    client.send_raw("9 not a packet").unwrap();
    let reason = client.wait_disconnected(WAIT).await.unwrap();
    assert_eq!(reason, DisconnectReason::TransportClose);
    assert!(!client.is_connected());
    let report = server.next_disconnect().await;
    assert!(report.starts_with(client.id()), "{report}");
}

async fn send_raw_is_sent_verbatim(transport: Transport) {
    let server = start_server().await;
    let client = server.connect(transport).await;
    client.send_raw(r#"2["echo","raw"]"#).unwrap();
    let echo = client.expect_event("echo", WAIT).await.unwrap();
    assert_eq!(echo.args, vec![json!("raw")]);
}

async fn client_disconnect_reaches_the_server(transport: Transport) {
    let mut server = start_server().await;
    let client = server.connect(transport).await;
    client.disconnect().await;
    assert!(!client.is_connected());
    assert_eq!(
        client.disconnect_reason(),
        Some(DisconnectReason::ClientDisconnect)
    );
    let report = server.next_disconnect().await;
    assert_eq!(report, format!("{} ClientNSDisconnect", client.id()));
    assert!(matches!(
        client.emit("echo", json!(1)),
        Err(Error::Disconnected)
    ));
    // A second call is harmless.
    client.disconnect().await;
}

async fn dropping_the_client_closes_the_connection(transport: Transport) {
    let mut server = start_server().await;
    let client = server.connect(transport).await;
    let id = client.id().to_owned();
    drop(client);
    let report = server.next_disconnect().await;
    assert_eq!(report, format!("{id} TransportClose"));
}

async fn connection_outlives_many_ping_intervals(transport: Transport) {
    let mut server = start_server().await;
    let client = server.connect(transport).await;
    // Five ping intervals: without pongs the server would drop the client after 500 ms.
    tokio::time::sleep(PING_INTERVAL * 5).await;
    assert!(client.is_connected(), "{:?}", client.disconnect_reason());
    client.emit("echo", json!("still here")).unwrap();
    let echo = client.expect_event("echo", WAIT).await.unwrap();
    assert_eq!(echo.args, vec![json!("still here")]);
    assert!(
        server.disconnects.try_recv().is_err(),
        "the server dropped a socket"
    );
}

async fn connect_timeout_is_a_typed_error(transport: Transport) {
    // Accepts TCP connections (through the backlog) but never answers.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = silent.local_addr().unwrap();
    let timeout = Duration::from_millis(300);
    let result = ClientBuilder::new(format!("http://{addr}"))
        .transport(transport)
        .connect_timeout(timeout)
        .connect()
        .await;
    assert!(
        matches!(result, Err(Error::ConnectTimeout(t)) if t == timeout),
        "{result:?}"
    );
    drop(silent);
}

async fn unreachable_server_is_an_error(transport: Transport) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let result = ClientBuilder::new(format!("http://{addr}"))
        .transport(transport)
        .connect_timeout(WAIT)
        .connect()
        .await;
    match (transport, result) {
        (Transport::WebSocket, Err(Error::WebSocket(_))) => {}
        (Transport::Polling, Err(Error::Http(_))) => {}
        (_, other) => panic!("expected a transport error, got {other:?}"),
    }
}

macro_rules! for_both_transports {
    ($($name:ident),* $(,)?) => {
        mod websocket {
            $(
                #[tokio::test]
                async fn $name() {
                    super::bounded(super::$name(super::Transport::WebSocket)).await;
                }
            )*
        }
        mod polling {
            $(
                #[tokio::test]
                async fn $name() {
                    super::bounded(super::$name(super::Transport::Polling)).await;
                }
            )*
        }
    };
}

for_both_transports!(
    connect_returns_socket_id,
    auth_reaches_the_server,
    middleware_refusal_is_a_typed_error,
    unknown_namespace_is_refused,
    custom_namespace_works,
    namespace_from_url_path,
    echo_roundtrip,
    events_keep_their_order,
    expect_event_keeps_other_events_queued,
    ack_returns_the_server_values,
    ack_timeout_releases_the_slot,
    server_event_with_several_args,
    server_ack_request_is_exposed_and_answered,
    binary_emit_reaches_the_handler_as_binary,
    binary_from_the_server_is_reassembled,
    server_disconnect_is_observed,
    malformed_packet_closes_the_engine_and_is_observed,
    send_raw_is_sent_verbatim,
    client_disconnect_reaches_the_server,
    dropping_the_client_closes_the_connection,
    connection_outlives_many_ping_intervals,
    connect_timeout_is_a_typed_error,
    unreachable_server_is_an_error,
);
