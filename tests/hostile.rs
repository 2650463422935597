//! Hostile clients over the real wire (docs/reliability.md): each case runs
//! against a conformance server in its own process, then checks that the
//! server answered with a documented code or closed that connection, still
//! serves a well-behaved client, and holds a bounded amount of memory (its
//! RSS, read from /proc, is printed for docs/reliability.md and bounded
//! loosely: the point is "not proportional to what the attacker sent").
//!
//! The protocol's own limits (a payload past `maxPayload`, a frame far past
//! the transport's limit, rooms per connection, rooms created per user,
//! connections per process and per address, rates) have their tests in
//! tests/control/limits.rs; a member that stops reading has its own in
//! tests/serve/recovery.rs.

mod support;

use std::collections::HashMap;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use support::server_process::ServerProcess;
use support::wire::{ask, connect_user, join};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>;

/// How long a case waits for one answer or close.
const WAIT: Duration = Duration::from_secs(15);

/// The server's resident memory, in KiB.
fn rss_kib(server: &ServerProcess) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", server.pid())).unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

/// The server's open file descriptors.
fn fds(server: &ServerProcess) -> usize {
    std::fs::read_dir(format!("/proc/{}/fd", server.pid()))
        .map(|dir| dir.count())
        .unwrap_or(0)
}

/// A Socket.IO client written by hand on a raw WebSocket, connected and
/// greeted: what a hostile client controls byte for byte.
async fn raw(server: &ServerProcess, user: &str) -> Ws {
    let url = format!(
        "{}/socket.io/?EIO=4&transport=websocket",
        server.url.replace("http://", "ws://")
    );
    // The client side accepts anything: the server's limits are tested.
    let config = WebSocketConfig::default()
        .max_message_size(None)
        .max_frame_size(None);
    let (mut ws, _) = tokio_tungstenite::connect_async_with_config(url, Some(config), true)
        .await
        .expect("the WebSocket opens");
    let open = text(&mut ws).await.expect("engine.io open");
    assert!(open.starts_with('0'), "{open}");
    ws.send(Message::text(format!("40{}", json!({ "userId": user }))))
        .await
        .unwrap();
    let connect = text(&mut ws).await.expect("socket.io connect");
    assert!(connect.starts_with("40"), "{connect}");
    let hello = text(&mut ws).await.expect("the greeting");
    assert!(hello.contains("dialogue:connected"), "{hello}");
    ws
}

/// The next text frame (answering pings), or `None` once closed.
async fn text(ws: &mut Ws) -> Option<String> {
    loop {
        let frame = tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("an answer or a close in time");
        match frame {
            Some(Ok(Message::Text(text))) if text.as_str() == "2" => {
                let _ = ws.send(Message::text("3")).await;
            }
            Some(Ok(Message::Text(text))) => return Some(text.as_str().to_owned()),
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return None,
            Some(Ok(_)) => {}
        }
    }
}

/// The acknowledgement `43<id>[answer]` of request `id`, or `None` once
/// the server closed the connection. Acknowledgements of other requests
/// met on the way are kept in `stash`: a flood past the request queue is
/// refused at once, before the queued requests are answered.
async fn ack_of(ws: &mut Ws, stash: &mut HashMap<u64, Value>, id: u64) -> Option<Value> {
    loop {
        if let Some(answer) = stash.remove(&id) {
            return Some(answer);
        }
        let frame = text(ws).await?;
        let Some(rest) = frame.strip_prefix("43") else {
            continue;
        };
        let digits = rest.find('[').expect("an ack has arguments");
        let got: u64 = rest[..digits].parse().expect("an ack id");
        let args: Vec<Value> = serde_json::from_str(&rest[digits..]).expect("an ack is JSON");
        stash.insert(got, args.into_iter().next().expect("one answer"));
    }
}

/// [`ack_of`] for a client that has one request in flight.
async fn ack(ws: &mut Ws, id: u64) -> Option<Value> {
    ack_of(ws, &mut HashMap::new(), id).await
}

/// The code of a refusal `{ ok: false, error: { code } }`.
fn code(answer: &Value) -> &str {
    assert_eq!(answer["ok"], false, "{answer}");
    answer["error"]["code"].as_str().expect("a code")
}

/// Another client, connected now, is served as usual.
async fn others_are_served(server: &ServerProcess) {
    let other = connect_user(&server.url, "bystander").await;
    let answer = join(&other, "chat").await;
    assert_eq!(answer["ok"], true, "{answer}");
    let sum = ask(
        &other,
        "dialogue:request",
        json!({ "name": "add", "data": { "a": 2, "b": 3 } }),
    )
    .await;
    assert_eq!(sum["data"]["sum"], 5, "{sum}");
    other.disconnect().await;
}

/// The server with a payload limit of 4 MiB: deep nesting and huge arrays
/// reach the JSON readers instead of being cut by size first.
fn roomy_server() -> ServerProcess {
    ServerProcess::start(&[("DIALOGUE_MAX_PAYLOAD", "4194304")])
}

#[tokio::test]
async fn json_nested_100_000_deep_is_refused_without_a_stack_overflow() {
    let server = roomy_server();
    let before = rss_kib(&server);
    let mut ws = raw(&server, "nester").await;
    let deep = format!("{}0{}", "[".repeat(100_000), "]".repeat(100_000));
    // In the payload of a trigger, in the request's own fields, and as the
    // whole argument.
    let frames = [
        format!(r#"421["dialogue:trigger",{{"roomId":"sandbox","event":"x","data":{deep}}}]"#),
        format!(r#"422["dialogue:join",{{"roomId":{deep}}}]"#),
        format!(r#"423["dialogue:join",{deep}]"#),
    ];
    let mut outcomes = Vec::new();
    for (n, frame) in frames.into_iter().enumerate() {
        ws.send(Message::text(frame)).await.unwrap();
        match ack(&mut ws, n as u64 + 1).await {
            Some(answer) => outcomes.push(code(&answer).to_owned()),
            None => {
                outcomes.push("closed".into());
                ws = raw(&server, "nester").await;
            }
        }
    }
    eprintln!("nested 100,000 deep: {outcomes:?}");
    for outcome in &outcomes {
        assert!(
            ["INVALID_REQUEST", "closed"].contains(&outcome.as_str()),
            "{outcomes:?}"
        );
    }
    others_are_served(&server).await;
    let after = rss_kib(&server);
    eprintln!("nested: RSS {before} KiB before, {after} KiB after");
    assert!(after < before + 64 * 1024, "{before} → {after} KiB");
}

#[tokio::test]
async fn an_array_of_a_million_elements_is_refused_by_size() {
    let server = roomy_server();
    let before = rss_kib(&server);
    let mut ws = raw(&server, "hoarder").await;
    let join = r#"420["dialogue:join",{"roomId":"sandbox"}]"#;
    ws.send(Message::text(join)).await.unwrap();
    assert_eq!(ack(&mut ws, 0).await.unwrap()["ok"], true);
    // A million numbers: 2 MB, under the transport's limit here, over no
    // payload limit; the trigger is accepted (it is valid), once.
    let million = format!("[{}0]", "0,".repeat(999_999));
    let frame =
        format!(r#"421["dialogue:trigger",{{"roomId":"sandbox","event":"x","data":{million}}}]"#);
    ws.send(Message::text(frame)).await.unwrap();
    let answer = ack(&mut ws, 1).await.expect("answered");
    assert_eq!(
        answer["ok"], true,
        "a valid 2 MB payload under a 4 MiB limit: {answer}"
    );
    // Eight million: past the payload limit, cut by the transport.
    let huge = format!("[{}0]", "0,".repeat(8_000_000));
    let frame =
        format!(r#"422["dialogue:trigger",{{"roomId":"sandbox","event":"x","data":{huge}}}]"#);
    // The server may close while the frame is still on its way.
    if ws.send(Message::text(frame)).await.is_ok() {
        assert_eq!(ack(&mut ws, 2).await, None, "the connection is closed");
    }
    others_are_served(&server).await;
    let after = rss_kib(&server);
    eprintln!("million: RSS {before} KiB before, {after} KiB after");
    assert!(after < before + 128 * 1024, "{before} → {after} KiB");
}

#[tokio::test]
async fn invalid_utf8_and_binary_where_json_is_expected() {
    let server = ServerProcess::start(&[]);
    // Invalid UTF-8 in a text frame: the WebSocket layer closes it. Written
    // as a raw frame (tungstenite will not send one).
    let mut stream = TcpStream::connect(server.url.trim_start_matches("http://"))
        .await
        .unwrap();
    let request = "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\n\
        Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\
        Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut buffer = vec![0u8; 4096];
    let n = stream.read(&mut buffer).await.unwrap();
    assert!(
        String::from_utf8_lossy(&buffer[..n]).starts_with("HTTP/1.1 101"),
        "upgraded"
    );
    // A masked text frame "4\xff\xfe" (client frames are masked; mask 0).
    stream
        .write_all(&[0x81, 0x83, 0, 0, 0, 0, b'4', 0xff, 0xfe])
        .await
        .unwrap();
    let closed = tokio::time::timeout(WAIT, async {
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return true,
                Ok(n) if buffer[..n].contains(&0x88) => return true,
                Ok(_) => {}
            }
        }
    })
    .await
    .expect("closed in time");
    assert!(closed);

    // A binary attachment where a request's JSON is expected: refused with
    // a code, the connection stays.
    let mut ws = raw(&server, "binary").await;
    ws.send(Message::text(
        r#"451-1["dialogue:join",{"_placeholder":true,"num":0}]"#,
    ))
    .await
    .unwrap();
    ws.send(Message::binary(vec![1u8, 2, 3])).await.unwrap();
    let answer = ack(&mut ws, 1).await.expect("answered");
    assert_eq!(code(&answer), "INVALID_REQUEST", "{answer}");
    // A binary frame with no packet waiting for it: socketioxide closes.
    ws.send(Message::binary(vec![0xffu8; 64])).await.unwrap();
    let after = text(&mut ws).await;
    assert!(
        matches!(after.as_deref(), None | Some("1")),
        "closed (engine.io `1`): {after:?}"
    );
    others_are_served(&server).await;
}

#[tokio::test]
async fn one_client_asking_for_ten_thousand_rooms_holds_at_most_its_cap() {
    let server = ServerProcess::start(&[]);
    let before = rss_kib(&server);
    let mut ws = raw(&server, "greedy").await;
    let mut joined = 0;
    let mut stash = HashMap::new();
    let mut refused = std::collections::BTreeMap::<String, usize>::new();
    // Template instances `doc:{n}`, each a new room: sent in batches of
    // 500 without waiting, as a flood would be.
    for batch in 0..20u64 {
        for n in 0..500u64 {
            let id = batch * 500 + n;
            ws.send(Message::text(format!(
                r#"42{id}["dialogue:join",{{"roomId":"doc:{id}"}}]"#
            )))
            .await
            .unwrap();
        }
        for n in 0..500u64 {
            let answer = ack_of(&mut ws, &mut stash, batch * 500 + n)
                .await
                .expect("answered");
            if answer["ok"] == true {
                joined += 1;
            } else {
                *refused.entry(code(&answer).to_owned()).or_default() += 1;
            }
        }
    }
    eprintln!("10,000 joins: {joined} joined, refused {refused:?}");
    assert_eq!(joined, 100, "the default cap of rooms per connection");
    // Past the cap, JOIN_DENIED; past the request queue (256 per
    // connection), RATE_LIMITED at once.
    assert_eq!(refused.values().sum::<usize>(), 9_900, "{refused:?}");
    assert!(
        refused.get("JOIN_DENIED").is_some_and(|n| *n > 0),
        "{refused:?}"
    );
    assert!(
        refused
            .keys()
            .all(|code| ["JOIN_DENIED", "RATE_LIMITED"].contains(&code.as_str())),
        "{refused:?}"
    );
    // 100,000 rooms asked to be created: at most 20 per user. Sent in
    // batches the request queue holds (a client that sends thousands
    // without reading its answers is dropped as a slow member, above).
    let mut created = 0;
    let mut refusals = std::collections::BTreeMap::<String, usize>::new();
    for batch in 0..400u64 {
        let first = 100_000 + batch * 250;
        for id in first..first + 250 {
            ws.send(Message::text(format!(
                r#"42{id}["dialogue:createRoom",{{"id":"made-{id}","name":"x"}}]"#
            )))
            .await
            .unwrap();
        }
        for id in first..first + 250 {
            let answer = ack_of(&mut ws, &mut stash, id).await.expect("answered");
            if answer["ok"] == true {
                created += 1;
            } else {
                *refusals.entry(code(&answer).to_owned()).or_default() += 1;
            }
        }
    }
    eprintln!("100,000 creations: refused {refusals:?}");
    assert!(
        refusals.keys().all(|code| code == "PERMISSION_DENIED"),
        "{refusals:?}"
    );
    eprintln!("100,000 creations: {created} created");
    assert_eq!(created, 20, "the default cap of rooms created per user");
    others_are_served(&server).await;
    let after = rss_kib(&server);
    eprintln!("rooms: RSS {before} KiB before, {after} KiB after");
    assert!(after < before + 64 * 1024, "{before} → {after} KiB");
}

#[tokio::test]
async fn handshakes_that_never_finish_are_closed() {
    // Short timeouts so that the case takes seconds: a socket.io handshake
    // is bounded by the ping interval and timeout.
    let server = ServerProcess::start(&[
        ("DIALOGUE_PING_SECS", "1"),
        ("DIALOGUE_PING_TIMEOUT_SECS", "1"),
    ]);
    let address = server.url.trim_start_matches("http://").to_owned();
    let fds_before = fds(&server);
    let before = rss_kib(&server);
    // 300 WebSockets that open engine.io and never send the socket.io
    // CONNECT, and 300 polling sessions that never poll again.
    let url = format!(
        "{}/socket.io/?EIO=4&transport=websocket",
        server.url.replace("http://", "ws://")
    );
    let mut sockets = Vec::new();
    for _ in 0..300 {
        let (ws, _) = tokio_tungstenite::connect_async(url.clone()).await.unwrap();
        sockets.push(ws);
    }
    for _ in 0..300 {
        let mut stream = TcpStream::connect(&address).await.unwrap();
        stream
            .write_all(
                b"GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            )
            .await
            .unwrap();
        let mut reply = Vec::new();
        stream.read_to_end(&mut reply).await.unwrap();
        assert!(String::from_utf8_lossy(&reply).contains("\"sid\""));
    }
    others_are_served(&server).await;
    // Each WebSocket is closed by the server: the handshake timed out.
    let mut closed = 0;
    for mut ws in sockets {
        let end = tokio::time::timeout(WAIT, async {
            loop {
                match ws.next().await {
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                    Some(Ok(_)) => {}
                }
            }
        })
        .await;
        if end.is_ok() {
            closed += 1;
        }
    }
    assert_eq!(closed, 300, "every unfinished handshake was closed");
    // Polling sessions that never poll end at the heartbeat's timeout; their
    // descriptors are gone with the requests.
    support::wire::eventually("the descriptors come back", || {
        fds(&server) <= fds_before + 5
    })
    .await;
    let after = rss_kib(&server);
    eprintln!(
        "unfinished handshakes: fds {fds_before} → {}, RSS {before} → {after} KiB",
        fds(&server)
    );
    others_are_served(&server).await;
}

#[tokio::test]
async fn raw_connections_that_never_speak_are_closed() {
    let server = ServerProcess::start(&[]);
    let address = server.url.trim_start_matches("http://").to_owned();
    let fds_before = fds(&server);
    // 200 TCP connections that send nothing, and 200 that send half a
    // request line: a slowloris holding descriptors.
    let mut silent = Vec::new();
    for n in 0..400 {
        let mut stream = TcpStream::connect(&address).await.unwrap();
        if n % 2 == 1 {
            stream
                .write_all(b"GET /socket.io/?EIO=4&tra")
                .await
                .unwrap();
        }
        silent.push(stream);
    }
    others_are_served(&server).await;
    let held = fds(&server);
    eprintln!("silent connections: fds {fds_before} → {held}");
    // The server closes them: each read ends.
    let mut closed = 0;
    for mut stream in silent {
        let mut buffer = [0u8; 256];
        let end = tokio::time::timeout(Duration::from_secs(60), async {
            loop {
                match stream.read(&mut buffer).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
            }
        })
        .await;
        if end.is_ok() {
            closed += 1;
        }
    }
    assert_eq!(closed, 400, "every silent connection was closed");
    support::wire::eventually("the descriptors come back", || {
        fds(&server) <= fds_before + 5
    })
    .await;
}
