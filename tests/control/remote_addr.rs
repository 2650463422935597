//! Hooks see where a client connects from: its TCP peer, or, behind the
//! proxies the application trusts, the address they forward. A forwarded
//! address from anyone else is not believed.

use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use dialogue_runtime::Identity;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::harness::{Server, builder};

/// What the hooks saw: `authenticate`'s and `on_connect`'s addresses.
#[derive(Default)]
struct Seen {
    handshake: Mutex<Vec<Option<IpAddr>>>,
    socket: Mutex<Vec<Option<IpAddr>>>,
}

async fn server(trusted: &[&str], seen: &Arc<Seen>) -> Server {
    let (auth, connect) = (seen.clone(), seen.clone());
    let trusted: Vec<IpAddr> = trusted.iter().map(|ip| ip.parse().unwrap()).collect();
    Server::start(
        builder()
            .trusted_proxies(trusted)
            .authenticate(move |_, handshake| {
                let seen = auth.clone();
                async move {
                    seen.handshake.lock().unwrap().push(handshake.remote_addr);
                    Ok(Identity::user("alice"))
                }
            })
            .on_connect(move |_, info| {
                let seen = connect.clone();
                async move { seen.socket.lock().unwrap().push(info.remote_addr) }
            }),
    )
    .await
}

/// One HTTP/1.1 request with a body; the response's body.
async fn request(
    url: &str,
    method: &str,
    path: &str,
    forwarded: Option<&str>,
    body: &str,
) -> String {
    let authority = url.strip_prefix("http://").unwrap();
    let mut stream = tokio::net::TcpStream::connect(authority).await.unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\nContent-Type: text/plain;charset=UTF-8\r\nContent-Length: {}\r\n",
        body.len()
    );
    if let Some(chain) = forwarded {
        head.push_str(&format!("X-Forwarded-For: {chain}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(
        std::time::Duration::from_secs(5),
        stream.read_to_end(&mut raw),
    )
    .await
    .unwrap()
    .unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    text.split_once("\r\n\r\n").unwrap().1.to_owned()
}

/// Connects over long-polling by hand (every request with `forwarded`),
/// and waits until both hooks ran.
async fn connect(server: &Server, seen: &Seen, forwarded: Option<&str>) {
    let open = request(
        &server.url,
        "GET",
        "/socket.io/?EIO=4&transport=polling",
        forwarded,
        "",
    )
    .await;
    let sid = open
        .split("\"sid\":\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("an engine.io handshake: {open}"))
        .to_owned();
    let path = format!("/socket.io/?EIO=4&transport=polling&sid={sid}");
    let sent = request(&server.url, "POST", &path, forwarded, "40{}").await;
    assert_eq!(sent, "ok");
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    while seen.socket.lock().unwrap().is_empty() {
        assert!(tokio::time::Instant::now() < deadline, "on_connect ran");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn hooks_see_the_peer_and_do_not_believe_a_forwarded_address_from_it() {
    let seen = Arc::new(Seen::default());
    let server = server(&[], &seen).await;
    connect(&server, &seen, Some("5.5.5.5")).await;
    let loopback: Option<IpAddr> = Some("127.0.0.1".parse().unwrap());
    assert_eq!(*seen.handshake.lock().unwrap(), [loopback]);
    assert_eq!(*seen.socket.lock().unwrap(), [loopback]);
}

#[tokio::test]
async fn behind_a_trusted_proxy_hooks_see_the_forwarded_client() {
    let seen = Arc::new(Seen::default());
    let server = server(&["127.0.0.1"], &seen).await;
    // The client wrote 6.6.6.6 itself; the proxy appended the real one.
    connect(&server, &seen, Some("6.6.6.6, 5.5.5.5")).await;
    let client: Option<IpAddr> = Some("5.5.5.5".parse().unwrap());
    assert_eq!(*seen.handshake.lock().unwrap(), [client]);
    assert_eq!(*seen.socket.lock().unwrap(), [client]);
}
