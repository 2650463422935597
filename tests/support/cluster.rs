//! Two conformance nodes on one Redis behind a round-robin balancer, for
//! the suites that run in two-node mode (docs/scaling.md): each new
//! connection goes to the next node. WebSocket only (polling needs sticky
//! sessions). For synchronous tests: the balancer runs on a runtime of its
//! own, stopped with the cluster.

#![allow(dead_code)]

use crate::support::balancer::Balancer;
use crate::support::redis_server::{Persistence, RedisServer};
use crate::support::server_process::ServerProcess;

/// A running cluster: dropped, it stops the nodes, the balancer and Redis.
pub struct Cluster {
    // Dropped in this order: the balancer's runtime, the nodes, Redis.
    runtime: tokio::runtime::Runtime,
    balancer: Balancer,
    pub nodes: Vec<ServerProcess>,
    pub redis: RedisServer,
}

impl Cluster {
    /// Two nodes with the switches `envs` (and `DIALOGUE_REDIS_URL`).
    pub fn start(envs: &[(&str, &str)]) -> Self {
        let redis = RedisServer::start(Persistence::Off);
        let url = redis.url();
        let nodes: Vec<ServerProcess> = ["one", "two"]
            .into_iter()
            .map(|name| {
                let mut all = envs.to_vec();
                all.push(("DIALOGUE_REDIS_URL", &url));
                all.push(("DIALOGUE_NODE_ID", name));
                ServerProcess::start(&all)
            })
            .collect();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime for the balancer");
        let urls: Vec<&str> = nodes.iter().map(|node| node.url.as_str()).collect();
        let balancer = runtime.block_on(Balancer::start(&urls));
        Self {
            runtime,
            balancer,
            nodes,
            redis,
        }
    }

    /// The balancer's `http://127.0.0.1:PORT`, for clients.
    pub fn url(&self) -> String {
        self.balancer.url()
    }

    /// Stops both nodes with SIGTERM; whether each stopped cleanly.
    pub fn stop(self) -> Vec<std::process::ExitStatus> {
        let Self { runtime, nodes, .. } = self;
        drop(runtime);
        nodes.into_iter().map(ServerProcess::stop).collect()
    }
}
