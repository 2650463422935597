//! A round-robin TCP balancer for tests of several nodes: each new
//! connection goes to the next node, skipping a node that refuses it (a
//! killed one), as a load balancer with health checks would. It relays
//! bytes only, so WebSocket works and HTTP long-polling does not (polling
//! needs sticky sessions; docs/scaling.md). It stops with the test's
//! runtime.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::net::{TcpListener, TcpStream};

/// A running balancer.
pub struct Balancer {
    addr: SocketAddr,
    served: Arc<Vec<AtomicUsize>>,
}

impl Balancer {
    /// Balances `127.0.0.1:<free port>` over `nodes` (their `http://` URLs).
    pub async fn start(nodes: &[&str]) -> Self {
        let nodes: Vec<SocketAddr> = nodes
            .iter()
            .map(|url| {
                url.trim_start_matches("http://")
                    .parse()
                    .unwrap_or_else(|e| panic!("a node's address {url}: {e}"))
            })
            .collect();
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("binds");
        let addr = listener.local_addr().expect("address");
        let served: Arc<Vec<AtomicUsize>> =
            Arc::new(nodes.iter().map(|_| AtomicUsize::new(0)).collect());
        let counts = served.clone();
        tokio::spawn(async move {
            let next = AtomicUsize::new(0);
            while let Ok((mut client, _)) = listener.accept().await {
                let start = next.fetch_add(1, Ordering::Relaxed);
                let mut upstream = None;
                for offset in 0..nodes.len() {
                    let index = (start + offset) % nodes.len();
                    if let Ok(stream) = TcpStream::connect(nodes[index]).await {
                        counts[index].fetch_add(1, Ordering::Relaxed);
                        upstream = Some(stream);
                        break;
                    }
                }
                let Some(mut upstream) = upstream else {
                    continue; // no node up: the client's connection closes
                };
                let _ = client.set_nodelay(true);
                let _ = upstream.set_nodelay(true);
                tokio::spawn(async move {
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                });
            }
        });
        Self { addr, served }
    }

    /// `http://127.0.0.1:PORT`, for clients.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// How many connections each node was given, in the order given.
    pub fn served(&self) -> Vec<usize> {
        self.served
            .iter()
            .map(|count| count.load(Ordering::Relaxed))
            .collect()
    }
}
