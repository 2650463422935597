//! The system under test: one server on a SQLite store, or two nodes on
//! one Redis, and each slot's client behind a fault proxy of its own per
//! node (so that its transport can be cut alone).

use std::collections::BTreeMap;
use std::path::PathBuf;

use dialogue_client::{Client, ClientBuilder, Transport};
use serde_json::Value;

use crate::harness::{Server, WAIT, arg, eventually};
use crate::support::conformance::ConformanceApp;
use crate::support::proxy::FaultProxy;
use crate::support::redis_server::{Persistence, RedisServer};

use super::watcher::Watcher;
use super::{SLOTS, user};

/// How many servers, and what they keep their state in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Topology {
    /// One server on a SQLite file (restarts keep rooms and positions).
    One,
    /// Two nodes in process on one `redis-server` (docs/scaling.md); no
    /// restarts.
    Two,
}

pub struct System {
    pub topology: Topology,
    pub nodes: Vec<Server>,
    /// The directory of the server's SQLite file, removed at the end.
    dir: PathBuf,
    /// Two nodes' Redis, stopped when the system is dropped.
    redis: Option<RedisServer>,
    /// `proxies[node][slot]`.
    proxies: Vec<Vec<FaultProxy>>,
    /// The node each slot's connection (or held session) is on.
    pub node_of: [usize; SLOTS],
    pub clients: Vec<Option<Client>>,
    pub tokens: Vec<Option<String>>,
    /// Each slot's position per room: the epoch and the latest seq it knows of.
    pub positions: Vec<BTreeMap<&'static str, (String, u64)>>,
    /// The page that watches `chat` over SSE.
    pub watcher: Option<Watcher>,
}

fn address(server: &Server) -> std::net::SocketAddr {
    server.url.trim_start_matches("http://").parse().unwrap()
}

async fn proxies_to(server: &Server) -> Vec<FaultProxy> {
    let mut proxies = Vec::new();
    for _ in 0..SLOTS {
        proxies.push(FaultProxy::start(address(server)).await);
    }
    proxies
}

/// The conformance server on the store in `dir`.
async fn on_store(dir: &std::path::Path) -> Server {
    let dialogue = ConformanceApp::server()
        .api_key(API_KEY)
        .store(dir.join("model.sqlite"))
        .build()
        .expect("builds");
    Server::serve(dialogue).await
}

/// A conformance node on the Redis at `url`.
async fn on_redis(url: &str, name: &str) -> Server {
    let dialogue = ConformanceApp::server()
        .api_key(API_KEY)
        .redis(url)
        .node_id(name)
        // Held sessions outlive any sequence, also those of a node that
        // was restarted (its old self counts as dead after 5 s).
        .resume_grace(std::time::Duration::from_secs(600))
        .build()
        .expect("builds");
    Server::serve(dialogue).await
}

/// A system dropped without [`System::stop`] (a failing sequence unwinds)
/// still stops its nodes: left running, they would go on reconnecting to
/// their Redis's port, which a later sequence's `redis-server` may get,
/// and mix their rooms into that sequence's.
impl Drop for System {
    fn drop(&mut self) {
        for node in &self.nodes {
            let dialogue = node.dialogue.clone();
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                runtime.spawn(async move { dialogue.shutdown().await });
            }
        }
    }
}

/// Shuts `server` down, bounded, and waits until it no longer serves.
async fn stop_serving(server: &mut Server) {
    tokio::time::timeout(WAIT * 3, server.dialogue.shutdown())
        .await
        .expect("the server stops in time");
    tokio::time::timeout(WAIT, &mut server.serving)
        .await
        .expect("serving ends")
        .expect("the task ends well")
        .expect("served without error");
}

/// The HTTP API's key.
const API_KEY: &str = "model-key";

/// The two nodes' names.
const NAMES: [&str; 2] = ["one", "two"];

impl System {
    pub async fn start(topology: Topology) -> Self {
        let dir = crate::support::temp_dir("model");
        let (nodes, redis) = match topology {
            Topology::One => (vec![on_store(&dir).await], None),
            Topology::Two => {
                let redis = tokio::task::spawn_blocking(|| RedisServer::start(Persistence::Off))
                    .await
                    .expect("redis-server starts");
                let url = redis.url();
                let nodes = vec![
                    on_redis(&url, NAMES[0]).await,
                    on_redis(&url, NAMES[1]).await,
                ];
                (nodes, Some(redis))
            }
        };
        let mut proxies = Vec::new();
        for node in &nodes {
            proxies.push(proxies_to(node).await);
        }
        Self {
            topology,
            nodes,
            dir,
            redis,
            proxies,
            node_of: [0; SLOTS],
            clients: (0..SLOTS).map(|_| None).collect(),
            tokens: vec![None; SLOTS],
            positions: vec![BTreeMap::new(); SLOTS],
            watcher: None,
        }
    }

    /// Connects `slot` to `node` with this handshake `auth`; the greeting.
    pub async fn connect(&mut self, slot: usize, node: usize, auth: Value) -> Value {
        let node = node % self.nodes.len();
        let client = ClientBuilder::new(self.proxies[node][slot].url())
            .transport(Transport::WebSocket)
            .connect_timeout(WAIT)
            .auth(auth)
            .connect()
            .await
            .expect("connects");
        let first = client.recv_timeout(WAIT).await.expect("greeted");
        assert_eq!(first.name, "dialogue:connected", "{first:?}");
        let greeting = arg(&first).clone();
        self.tokens[slot] = greeting["resumeToken"]
            .as_str()
            .or_else(|| greeting["token"].as_str())
            .map(str::to_owned);
        self.clients[slot] = Some(client);
        self.node_of[slot] = node;
        greeting
    }

    pub fn client(&self, slot: usize) -> &Client {
        self.clients[slot].as_ref().expect("connected")
    }

    /// Cuts `slot`'s transport where it is: its session is held.
    pub fn cut(&self, slot: usize) {
        self.proxies[self.node_of[slot]][slot].cut();
    }

    /// With two nodes, the members of `room` over every node, as Redis
    /// counts them (its seats: one per connection or held session).
    pub fn seats_in_redis(&self, room: &str) -> Option<usize> {
        let redis = self.redis.as_ref()?;
        let answer = redis
            .command(&["SCARD", &format!("dialogue:{{{room}}}:seats")])
            .expect("Redis answers");
        Some(
            answer
                .trim()
                .trim_start_matches(':')
                .parse()
                .unwrap_or_else(|_| panic!("SCARD answered {answer:?}")),
        )
    }

    /// `room`'s epoch as `node` tells it once settled
    /// (`Room::settled_position`: on two nodes a node reads each room's
    /// position from Redis once it starts); on two nodes it must be the one
    /// in Redis.
    pub async fn epoch_of(&self, node: usize, room: &str) -> String {
        let told = self.nodes[node]
            .dialogue
            .room_by_id(room)
            .expect("a declared room")
            .settled_position()
            .await
            .epoch;
        if let Some(redis) = self.redis.as_ref() {
            let key = format!("dialogue:{{{room}}}:epoch");
            let answer = redis.command(&["GET", &key]).expect("Redis answers");
            // A bulk string: `$len`, then the value.
            assert_eq!(
                answer.lines().nth(1),
                Some(told.as_str()),
                "node {node} tells {room}'s epoch, Redis holds {answer:?}"
            );
        }
        told
    }

    /// Stops the one server (every connection ends) and starts it again on
    /// the same file, behind new proxies.
    pub async fn restart(&mut self) {
        assert_eq!(self.topology, Topology::One, "restarts are of one server");
        stop_serving(&mut self.nodes[0]).await;
        for client in self.clients.iter_mut() {
            if let Some(client) = client.take() {
                client
                    .wait_disconnected(WAIT)
                    .await
                    .expect("the shutdown ends the connection");
            }
        }
        self.nodes[0] = on_store(&self.dir).await;
        self.proxies[0] = proxies_to(&self.nodes[0]).await;
        self.watch_again(0).await;
    }

    /// After `node` restarted: a watcher whose stream was there comes back
    /// to it, from its last event.
    async fn watch_again(&mut self, node: usize) {
        if let Some(mut watcher) = self.watcher.take() {
            if watcher.is_open() && watcher.node == node {
                watcher.reopen(self, node).await;
            }
            self.watcher = Some(watcher);
        }
    }

    /// Stops one of two nodes (its connections end) and starts it again on
    /// Redis under the same name, behind new proxies.
    pub async fn restart_node(&mut self, node: usize) {
        assert_eq!(self.topology, Topology::Two, "nodes are restarted on Redis");
        stop_serving(&mut self.nodes[node]).await;
        for slot in 0..SLOTS {
            if self.node_of[slot] == node
                && let Some(client) = self.clients[slot].take()
            {
                client
                    .wait_disconnected(WAIT)
                    .await
                    .expect("the shutdown ends the connection");
            }
        }
        let url = self.redis.as_ref().expect("Redis").url();
        self.nodes[node] = on_redis(&url, NAMES[node]).await;
        self.proxies[node] = proxies_to(&self.nodes[node]).await;
        self.watch_again(node).await;
    }

    /// `method /api{path}` on `node`, with the key.
    pub async fn api(
        &self,
        node: usize,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> crate::support::http::Reply {
        let node = &self.nodes[node % self.nodes.len()];
        crate::support::http::send(
            method,
            &format!("{}/api{path}", node.url),
            Some(API_KEY),
            body.as_ref(),
        )
        .await
    }

    /// Takes `slot`'s client, whose connection the server is ending, and
    /// waits until it is gone on both sides (`what` says why it ends).
    pub async fn lose(&mut self, slot: usize, what: &str) {
        let client = self.clients[slot].take().expect("connected");
        client.wait_disconnected(WAIT).await.expect(what);
        self.gone(slot).await;
    }

    /// Waits until the node `slot` was on no longer lists its user as
    /// connected.
    pub async fn gone(&self, slot: usize) {
        let user = user(slot);
        let dialogue = &self.nodes[self.node_of[slot]].dialogue;
        eventually(&format!("{user} is gone"), || {
            dialogue.get_clients(&user).is_empty()
        })
        .await;
    }

    /// Ends every connection and node, and removes the files.
    pub async fn stop(mut self) {
        self.watcher = None;
        for client in self.clients.iter_mut().filter_map(Option::take) {
            client.disconnect().await;
        }
        for node in &self.nodes {
            node.dialogue.shutdown().await;
        }
        let _ = std::fs::remove_dir_all(&self.dir);
        if let Some(redis) = self.redis.take() {
            let _ = tokio::task::spawn_blocking(move || drop(redis)).await;
        }
    }
}
