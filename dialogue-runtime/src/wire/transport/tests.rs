//! The transport's kill switches and the Closer, without a server.

use super::*;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[test]
fn reads_the_session_from_the_query() {
    assert_eq!(session_of("EIO=4&transport=polling&sid=abc"), Some("abc"));
    assert_eq!(session_of("sid=abc&EIO=4"), Some("abc"));
    assert_eq!(session_of("EIO=4&transport=polling"), None);
    assert_eq!(session_of("sid="), None);
}

fn peer() -> Peer {
    Peer {
        addr: ([127, 0, 0, 1], 1).into(),
        kill: Arc::default(),
    }
}

#[test]
fn closing_kills_the_websocket_and_refuses_later_requests() {
    let closer = Closer::new(Duration::from_secs(60));
    let (handshake, upgrade) = (peer(), peer());
    // Polls of unknown sessions pass, and are not remembered.
    assert!(matches!(closer.record("x", None, true), Verdict::Pass));
    assert!(closer.sessions.lock().is_empty());
    closer.register("s", Some(&handshake));
    assert!(matches!(
        closer.record("s", Some(&upgrade), false),
        Verdict::Pass
    ));
    assert!(matches!(closer.record("s", None, true), Verdict::Watch(_)));
    assert!(closer.close("s"));
    assert!(handshake.kill.is_killed() && upgrade.kill.is_killed());
    assert!(matches!(closer.record("s", None, true), Verdict::Refuse));
    // A polling session has no WebSocket to kill.
    closer.register("p", None);
    assert!(!closer.close("p"));
}

#[test]
fn a_closed_session_is_remembered_until_its_time_is_up() {
    let closer = Closer::new(Duration::ZERO);
    closer.register("open", None);
    closer.forget("open");
    assert!(
        closer.sessions.lock().is_empty(),
        "an open one goes at once"
    );
    closer.register("closed", None);
    closer.close("closed");
    let linger = Closer::new(Duration::from_secs(60));
    linger.register("closed", None);
    linger.close("closed");
    linger.forget("closed");
    assert!(
        matches!(linger.record("closed", None, true), Verdict::Refuse),
        "still refused"
    );
    closer.forget("closed");
    closer.prune();
    assert!(
        closer.sessions.lock().is_empty(),
        "gone once its time is up"
    );
}

#[tokio::test]
async fn a_pending_poll_is_cut_short_by_a_close() {
    let closer = Arc::new(Closer::new(Duration::from_secs(60)));
    closer.register("s", None);
    let Verdict::Watch(closing) = closer.record("s", None, true) else {
        panic!("watched");
    };
    let waiting = tokio::spawn(async move { closing.wait().await });
    tokio::task::yield_now().await;
    closer.close("s");
    tokio::time::timeout(Duration::from_secs(5), waiting)
        .await
        .expect("woken")
        .unwrap();
}

#[tokio::test]
async fn a_killed_connection_fails_pending_and_later_io() {
    let (client, server) = tokio::io::duplex(64);
    let kill = Arc::new(Kill::default());
    let mut server = Killable {
        io: server,
        kill: kill.clone(),
    };
    let mut client = client;
    client.write_all(b"hi").await.unwrap();
    let mut buf = [0u8; 2];
    server.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"hi");
    // A read waiting for data is woken by the kill.
    let reading = tokio::spawn(async move {
        let mut buf = [0u8; 1];
        let result = server.read(&mut buf).await;
        (result, server)
    });
    tokio::task::yield_now().await;
    kill.kill();
    let (result, mut server) = reading.await.unwrap();
    assert_eq!(result.unwrap_err().kind(), io::ErrorKind::ConnectionAborted);
    let error = server.write_all(b"x").await.unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::ConnectionAborted);
}

#[test]
fn an_upgrade_before_its_client_connected_is_killed_with_it() {
    let closer = Closer::new(Duration::from_secs(60));
    let upgrade = peer();
    // The client probes the WebSocket while its namespace still connects.
    assert!(matches!(
        closer.record("early", Some(&upgrade), false),
        Verdict::Pass
    ));
    closer.register("early", None);
    assert!(closer.close("early"), "it has a WebSocket to kill");
    assert!(upgrade.kill.is_killed());
}

#[test]
fn an_upgrade_whose_client_never_came_is_forgotten_but_a_connected_one_stays() {
    let closer = Closer::new(Duration::ZERO);
    let (stray, early) = (peer(), peer());
    closer.record("stray", Some(&stray), false);
    closer.record("early", Some(&early), false);
    closer.register("early", None);
    closer.prune();
    let sessions = closer.sessions.lock();
    assert!(!sessions.contains_key("stray"), "never connected: gone");
    assert!(sessions.contains_key("early"), "connected since: kept");
}
