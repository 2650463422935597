//! A fault proxy for tests: a TCP relay on a loopback port between clients
//! and a server, which can cut every connection, hold new ones, stall the
//! server-to-client direction (a client that stops reading, as the server
//! sees it), and shape what it relays ([`Shape`]: latency, a bandwidth
//! limit, byte-at-a-time delivery, a half-open connection whose bytes
//! vanish). Bounded: it relays only what it is given and stops with the
//! test's runtime.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

/// How the proxy treats what it relays, in both directions, from the next
/// chunk on (connections already open included).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Shape {
    /// Each chunk is delivered this long after it was read (pipelined: a
    /// delay, not a rate).
    pub latency: Duration,
    /// At most this many bytes per second each way (`None`: unlimited).
    pub bytes_per_second: Option<u64>,
    /// Delivered one byte per write, each its own TCP segment.
    pub byte_at_a_time: bool,
    /// Half-open: the connection stays open but nothing more is relayed
    /// either way (what a peer behind a dead NAT or a pulled cable looks
    /// like until a timeout notices).
    pub black_hole: bool,
}

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
    shape: watch::Sender<Shape>,
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
            shape: watch::channel(Shape::default()).0,
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

    /// Shapes what it relays from now on.
    pub fn shape(&self, shape: Shape) {
        self.controls.shape.send_replace(shape);
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
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    let up = pipe(client_read, server_write, controls.shape.subscribe(), None);
    let down = pipe(
        server_read,
        client_write,
        controls.shape.subscribe(),
        Some(controls.stall.subscribe()),
    );
    // Whichever ends first ends both: dropping the halves closes the sockets.
    tokio::select! {
        _ = up => {}
        _ = down => {}
        _ = cuts.wait_for(|cuts| *cuts > born) => {}
    }
}

/// Relays one direction with the current [`Shape`]: a reader stamps each
/// chunk with when it may be delivered, a writer delivers it then (so
/// latency does not slow the stream down), at the allowed rate. `stall`,
/// when given, stops reading while set.
async fn pipe(
    mut from: impl AsyncRead + Unpin,
    mut to: impl AsyncWrite + Unpin,
    shape: watch::Receiver<Shape>,
    mut stall: Option<watch::Receiver<bool>>,
) {
    let (chunks, mut queue) = mpsc::channel::<(Instant, Vec<u8>)>(64);
    let reading_shape = shape.clone();
    let read = async move {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            if let Some(stall) = stall.as_mut()
                && stall.wait_for(|stalled| !*stalled).await.is_err()
            {
                break;
            }
            match from.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let now = *reading_shape.borrow();
                    if now.black_hole {
                        continue;
                    }
                    let due = Instant::now() + now.latency;
                    if chunks.send((due, buf[..n].to_vec())).await.is_err() {
                        break;
                    }
                }
            }
        }
    };
    let write = async move {
        // The bandwidth limit as a debt: sleeping for each small piece
        // would round every pause up to the timer's millisecond.
        let mut free_at = Instant::now();
        while let Some((due, chunk)) = queue.recv().await {
            tokio::time::sleep_until(due).await;
            let now = *shape.borrow();
            if now.black_hole {
                continue;
            }
            let pieces: Vec<&[u8]> = if now.byte_at_a_time {
                chunk.chunks(1).collect()
            } else {
                vec![&chunk[..]]
            };
            for piece in pieces {
                if to.write_all(piece).await.is_err() || to.flush().await.is_err() {
                    return;
                }
                if let Some(rate) = now.bytes_per_second {
                    let cost = Duration::from_secs_f64(piece.len() as f64 / rate.max(1) as f64);
                    free_at = free_at.max(Instant::now() - Duration::from_millis(5)) + cost;
                    if free_at > Instant::now() + Duration::from_millis(2) {
                        tokio::time::sleep_until(free_at).await;
                    }
                }
            }
        }
    };
    // The writer ends this direction: when the reader ended (its queue
    // closes once delivered, so nothing read is lost) or a write failed.
    tokio::select! {
        _ = async { read.await; std::future::pending::<()>().await } => {}
        _ = write => {}
    }
}
