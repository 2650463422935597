//! A fault proxy for tests: a TCP relay on a loopback port between clients
//! and a server, which can cut every connection, hold new ones, and stall
//! the server-to-client direction (a client that stops reading, as the
//! server sees it). Bounded: it relays only what it is given and stops with
//! the test's runtime.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// A running proxy.
pub struct FaultProxy {
    addr: SocketAddr,
    controls: Arc<Controls>,
}

struct Controls {
    /// Bumped by `cut`: every connection older than the new value closes.
    cuts: watch::Sender<u64>,
    /// While true, accepted connections wait before being relayed.
    hold: watch::Sender<bool>,
    /// While true, nothing is read from the server.
    stall: watch::Sender<bool>,
    accepted: AtomicUsize,
}

impl FaultProxy {
    /// Relays `127.0.0.1:<free port>` to `upstream`.
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("binds");
        let addr = listener.local_addr().expect("address");
        let controls = Arc::new(Controls {
            cuts: watch::channel(0).0,
            hold: watch::channel(false).0,
            stall: watch::channel(false).0,
            accepted: AtomicUsize::new(0),
        });
        let shared = controls.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                shared.accepted.fetch_add(1, Ordering::Relaxed);
                tokio::spawn(relay(client, upstream, shared.clone()));
            }
        });
        Self { addr, controls }
    }

    /// The proxy's URL, for a client.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Closes every connection relayed now (both sides).
    pub fn cut(&self) {
        self.controls.cuts.send_modify(|cuts| *cuts += 1);
    }

    /// New connections wait until [`release`](Self::release).
    pub fn hold(&self) {
        self.controls.hold.send_replace(true);
    }

    /// Lets held and new connections through.
    pub fn release(&self) {
        self.controls.hold.send_replace(false);
    }

    /// Stops reading from the server on every connection (the server's
    /// buffers for them fill), until [`resume`](Self::resume).
    pub fn stall(&self) {
        self.controls.stall.send_replace(true);
    }

    /// Reads from the server again.
    pub fn resume(&self) {
        self.controls.stall.send_replace(false);
    }

    /// How many connections it accepted so far.
    pub fn accepted(&self) -> usize {
        self.controls.accepted.load(Ordering::Relaxed)
    }
}

/// Relays one connection until either side closes or it is cut.
async fn relay(client: TcpStream, upstream: SocketAddr, controls: Arc<Controls>) {
    let mut cuts = controls.cuts.subscribe();
    let born = *cuts.borrow_and_update();
    let mut hold = controls.hold.subscribe();
    // Held: wait for release (or a cut, which drops the connection).
    tokio::select! {
        _ = hold.wait_for(|held| !*held) => {}
        _ = cuts.wait_for(|cuts| *cuts > born) => return,
    }
    let Ok(server) = TcpStream::connect(upstream).await else {
        return;
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let up = async {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            match client_read.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if server_write.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            }
        }
    };
    let mut stall = controls.stall.subscribe();
    let down = async {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            if stall.wait_for(|stalled| !*stalled).await.is_err() {
                break;
            }
            match server_read.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if client_write.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            }
        }
    };
    // Whichever ends first ends both: dropping the halves closes the sockets.
    tokio::select! {
        _ = up => {}
        _ = down => {}
        _ = cuts.wait_for(|cuts| *cuts > born) => {}
    }
}
