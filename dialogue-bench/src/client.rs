//! One connection of the load generator: its own Engine.IO/Socket.IO client
//! over a tokio-tungstenite WebSocket, a few hundred bytes of state, no
//! client library.
//!
//! A connection connects (from a chosen source address), authenticates,
//! joins its room, then until told to stop: answers pings, counts each
//! delivery of a probe once (duplicates apart), records its latency, and, if
//! it is a publisher, publishes at its rate while the run says so.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use poison_free::Mutex;
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::watch;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use crate::histogram::AtomicHistogram;
use crate::packet::{self, EioPacket, Probe, SioPacket};

/// A std mutex under the name the rest of the crate uses (poisoning is
/// ignored: a panicking connection task must not take the report with it).
mod poison_free {
    /// A mutex whose lock ignores poisoning.
    #[derive(Debug, Default)]
    pub struct Mutex<T>(std::sync::Mutex<T>);

    impl<T> Mutex<T> {
        /// Locks it.
        pub fn lock(&self) -> std::sync::MutexGuard<'_, T> {
            self.0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        }
    }
}

/// The WebSocket of one connection.
pub type Ws = WebSocketStream<TcpStream>;

/// How long one connection may take to connect, authenticate and join.
pub const JOIN_TIMEOUT: Duration = Duration::from_secs(30);

/// Where the run is; every connection watches it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Connections are being opened.
    Connecting,
    /// Publishers publish, from this instant.
    Publish(Instant),
    /// Every connection closes.
    Stop,
}

/// Counters every connection adds to.
#[derive(Debug)]
pub struct Shared {
    /// Time zero of every timestamp in probes.
    pub epoch: Instant,
    /// Socket.IO connections established.
    pub connected: AtomicU64,
    /// Connections joined to their room.
    pub joined: AtomicU64,
    /// Connections that did not get to join.
    pub failed: AtomicU64,
    /// Why they did not, by kind.
    pub failures: Mutex<BTreeMap<String, u64>>,
    /// Joined connections the server (or the network) closed before the end.
    pub dropped: AtomicU64,
    /// Messages published.
    pub sent: AtomicU64,
    /// Deliveries expected: each message times the members of its room.
    pub expected: AtomicU64,
    /// Probes delivered, each (connection, publisher, sequence) once.
    pub delivered: AtomicU64,
    /// Probes delivered again to the same connection.
    pub duplicates: AtomicU64,
    /// `dialogue:event`s without a readable probe.
    pub stray: AtomicU64,
    /// `dialogue:error`s received after joining.
    pub errors: AtomicU64,
    /// The first of them.
    pub first_error: Mutex<Option<String>>,
    /// When the last delivery arrived, microseconds since `epoch`.
    pub last_delivery_us: AtomicU64,
    /// Publish-to-delivery latency, microseconds.
    pub latency: AtomicHistogram,
    /// Connect-to-joined time of each connection, microseconds.
    pub join_time: AtomicHistogram,
    /// Joined members per room index.
    pub room_members: Vec<AtomicU64>,
}

impl Shared {
    /// Counters for `rooms` rooms.
    pub fn new(rooms: usize) -> Self {
        Self {
            epoch: Instant::now(),
            connected: AtomicU64::new(0),
            joined: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            failures: Mutex::default(),
            dropped: AtomicU64::new(0),
            sent: AtomicU64::new(0),
            expected: AtomicU64::new(0),
            delivered: AtomicU64::new(0),
            duplicates: AtomicU64::new(0),
            stray: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            first_error: Mutex::default(),
            last_delivery_us: AtomicU64::new(0),
            latency: AtomicHistogram::default(),
            join_time: AtomicHistogram::default(),
            room_members: (0..rooms).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    /// Microseconds since `epoch`.
    pub fn now_us(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_micros()).unwrap_or(u64::MAX)
    }

    fn fail(&self, kind: String) {
        self.failed.fetch_add(1, Ordering::Relaxed);
        *self.failures.lock().entry(kind).or_insert(0) += 1;
    }

    fn error(&self, payload: &str) {
        self.errors.fetch_add(1, Ordering::Relaxed);
        let mut first = self.first_error.lock();
        if first.is_none() {
            *first = Some(payload.chars().take(300).collect());
        }
    }
}

/// What one connection does.
#[derive(Debug, Clone)]
pub struct ConnPlan {
    /// Its index in the run.
    pub index: usize,
    /// Its room's index, and the room id.
    pub room_index: usize,
    /// The room id.
    pub room: Arc<str>,
    /// Its publisher id, if it publishes.
    pub publisher: Option<u32>,
    /// Where it connects from.
    pub source: Ipv4Addr,
}

/// How publishers publish.
#[derive(Debug, Clone, Copy)]
pub struct PublishPlan {
    /// Messages per second, each publisher.
    pub rate: f64,
    /// For how long.
    pub duration: Duration,
    /// Padding bytes in each text.
    pub pad: usize,
    /// All publishers, to spread their first message over one period.
    pub publishers: u32,
}

/// The WebSocket settings of a connection: small buffers, since 10,000 of
/// them live in one process (tungstenite's defaults are 128 KiB each).
pub fn ws_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0)
}

/// Opens a TCP connection from `source` (the kernel picks the port).
pub async fn tcp_connect(source: Ipv4Addr, target: SocketAddrV4) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    if source != Ipv4Addr::LOCALHOST {
        socket.bind(SocketAddr::from((source, 0)))?;
    }
    let stream = socket.connect(SocketAddr::V4(target)).await?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// Why a connection did not join; the report counts them by kind.
#[derive(Debug)]
pub struct JoinFailure(pub String);

/// Reads the next text frame, answering pings meanwhile; an error when the
/// connection ends.
pub async fn next_text(ws: &mut Ws) -> Result<String, JoinFailure> {
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(text))) => {
                if text.as_str() == "2" {
                    ws.send(Message::text("3"))
                        .await
                        .map_err(|e| JoinFailure(format!("ws write: {}", kind_of(&e))))?;
                    continue;
                }
                return Ok(text.as_str().to_owned());
            }
            Some(Ok(Message::Close(_))) | None => return Err(JoinFailure("closed".into())),
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(JoinFailure(format!("ws read: {}", kind_of(&e)))),
        }
    }
}

fn kind_of(error: &tokio_tungstenite::tungstenite::Error) -> String {
    use tokio_tungstenite::tungstenite::Error;
    match error {
        Error::Io(io) => format!("{:?}", io.kind()),
        Error::Http(response) => format!("http {}", response.status()),
        other => other.to_string().chars().take(60).collect(),
    }
}

/// Connects, authenticates as `user_id` and waits for `dialogue:connected`.
pub async fn connect(
    source: Ipv4Addr,
    target: SocketAddrV4,
    user_id: &str,
) -> Result<Ws, JoinFailure> {
    let tcp = tcp_connect(source, target)
        .await
        .map_err(|e| JoinFailure(format!("tcp: {:?}", e.kind())))?;
    let url = format!("ws://{target}/socket.io/?EIO=4&transport=websocket");
    let (mut ws, _) = tokio_tungstenite::client_async_with_config(url, tcp, Some(ws_config()))
        .await
        .map_err(|e| JoinFailure(format!("ws handshake: {}", kind_of(&e))))?;
    let open = next_text(&mut ws).await?;
    if !matches!(packet::parse(&open), Ok(EioPacket::Open(_))) {
        return Err(JoinFailure("no engine.io open".into()));
    }
    let auth = format!("{{\"userId\":{}}}", packet::json_string(user_id));
    send(&mut ws, packet::connect(&auth)).await?;
    let mut connected = false;
    loop {
        let frame = next_text(&mut ws).await?;
        match packet::parse(&frame) {
            // Every server here greets after registering its handlers, so
            // a join sent after the greeting is never lost (socketioxide
            // acknowledges the connect before its handler has run).
            Ok(EioPacket::Message(SioPacket::Connect(_))) => connected = true,
            Ok(EioPacket::Message(SioPacket::ConnectError(_))) => {
                return Err(JoinFailure("connect_error".into()));
            }
            Ok(EioPacket::Message(SioPacket::Event { payload, .. })) if connected => {
                if let Some(("dialogue:connected", _)) = packet::event_name(payload) {
                    return Ok(ws);
                }
            }
            _ => {}
        }
    }
}

/// Sends one text frame.
pub async fn send(ws: &mut Ws, frame: String) -> Result<(), JoinFailure> {
    ws.send(Message::text(frame))
        .await
        .map_err(|e| JoinFailure(format!("ws write: {}", kind_of(&e))))
}

/// Joins `room` (event form) and waits for `dialogue:joined`.
pub async fn join(ws: &mut Ws, room: &str) -> Result<(), JoinFailure> {
    let request = format!("{{\"roomId\":{}}}", packet::json_string(room));
    send(ws, packet::event("dialogue:join", &request, None)).await?;
    loop {
        let frame = next_text(ws).await?;
        if let Ok(EioPacket::Message(SioPacket::Event { payload, .. })) = packet::parse(&frame) {
            match packet::event_name(payload) {
                Some(("dialogue:joined", _)) => return Ok(()),
                Some(("dialogue:error", rest)) => {
                    let code = rest
                        .split("\"code\":\"")
                        .nth(1)
                        .and_then(|s| s.split('"').next())
                        .unwrap_or("?");
                    return Err(JoinFailure(format!("join refused: {code}")));
                }
                _ => {}
            }
        }
    }
}

/// Creates `rooms` on a Dialogue server through one connection
/// (`dialogue:createRoom` with acknowledgements, 64 in flight). A room that
/// exists already (from an earlier run) counts as created.
pub async fn create_rooms(target: SocketAddrV4, rooms: &[Arc<str>]) -> Result<(), JoinFailure> {
    let mut ws = connect(Ipv4Addr::LOCALHOST, target, "bench-admin").await?;
    const WINDOW: usize = 64;
    let mut next = 0;
    let mut answered = 0;
    while answered < rooms.len() {
        while next < rooms.len() && next - answered < WINDOW {
            let id = packet::json_string(&rooms[next]);
            let body = format!("{{\"id\":{id},\"name\":{id}}}");
            send(
                &mut ws,
                packet::event("dialogue:createRoom", &body, Some(next as u64)),
            )
            .await?;
            next += 1;
        }
        let frame = next_text(&mut ws).await?;
        if let Ok(EioPacket::Message(SioPacket::Ack { payload, .. })) = packet::parse(&frame) {
            if !payload.contains("\"ok\":true") && !payload.contains("ROOM_EXISTS") {
                return Err(JoinFailure(format!(
                    "createRoom refused: {}",
                    payload.chars().take(200).collect::<String>()
                )));
            }
            answered += 1;
        }
    }
    let _ = ws.close(None).await;
    Ok(())
}

/// Which probes one connection has seen: a bit per sequence number, per
/// publisher.
#[derive(Debug, Default)]
pub struct Seen {
    by_publisher: Vec<(u32, Vec<u64>)>,
}

impl Seen {
    /// Marks a probe; `true` the first time.
    pub fn mark(&mut self, publisher: u32, seq: u64) -> bool {
        let bits = match self.by_publisher.iter().position(|(p, _)| *p == publisher) {
            Some(i) => &mut self.by_publisher[i].1,
            None => {
                self.by_publisher.push((publisher, Vec::new()));
                &mut self.by_publisher.last_mut().expect("just pushed").1
            }
        };
        let (word, bit) = ((seq / 64) as usize, seq % 64);
        if bits.len() <= word {
            bits.resize(word + 1, 0);
        }
        let new = bits[word] & (1 << bit) == 0;
        bits[word] |= 1 << bit;
        new
    }
}

/// A publisher's schedule.
#[derive(Debug)]
struct Schedule {
    start: Instant,
    sent: u64,
    total: u64,
}

impl Schedule {
    /// How many messages should have been sent by `now`.
    fn due(&self, now: Instant, rate: f64) -> u64 {
        if now < self.start {
            return 0;
        }
        let due = (now - self.start).as_secs_f64() * rate;
        (due as u64 + 1).min(self.total)
    }

    /// When the next one is due.
    fn next(&self, rate: f64) -> Instant {
        self.start + Duration::from_secs_f64(self.sent as f64 / rate)
    }
}

/// The whole life of one connection. Reports to `shared`; returns when the
/// phase says stop (or the connection ends).
pub async fn run(
    plan: ConnPlan,
    target: SocketAddrV4,
    publish: PublishPlan,
    shared: Arc<Shared>,
    mut phase: watch::Receiver<Phase>,
    joined: tokio::sync::OwnedSemaphorePermit,
) {
    let began = shared.now_us();
    let user_id = match plan.publisher {
        Some(p) => format!("p{p}"),
        None => format!("u{}", plan.index),
    };
    let setup = async {
        let mut ws = connect(plan.source, target, &user_id).await?;
        shared.connected.fetch_add(1, Ordering::Relaxed);
        join(&mut ws, &plan.room).await?;
        Ok::<_, JoinFailure>(ws)
    };
    let mut ws = match tokio::time::timeout(JOIN_TIMEOUT, setup).await {
        Ok(Ok(ws)) => ws,
        Ok(Err(JoinFailure(kind))) => {
            shared.fail(kind);
            return;
        }
        Err(_) => {
            shared.fail("timeout".into());
            return;
        }
    };
    shared.room_members[plan.room_index].fetch_add(1, Ordering::Relaxed);
    shared.joined.fetch_add(1, Ordering::Relaxed);
    shared
        .join_time
        .record(shared.now_us().saturating_sub(began));
    drop(joined);

    let room_json = packet::json_string(&plan.room);
    let sender_json = packet::json_string(&user_id);
    let mut seen = Seen::default();
    let mut schedule: Option<Schedule> = None;
    let far = Instant::now() + Duration::from_secs(86_400);
    let timer = tokio::time::sleep_until(far.into());
    tokio::pin!(timer);

    // A phase set before this connection joined counts too.
    let mut pending_phase = Some(*phase.borrow_and_update());
    loop {
        if let Some(current) = pending_phase.take() {
            match current {
                Phase::Stop => break,
                Phase::Publish(start) => {
                    if let (Some(p), None) = (plan.publisher, &schedule)
                        && publish.rate > 0.0
                    {
                        // Spread publishers' first messages over one period.
                        let offset = f64::from(p % publish.publishers.max(1))
                            / f64::from(publish.publishers.max(1))
                            / publish.rate;
                        let s = Schedule {
                            start: start + Duration::from_secs_f64(offset),
                            sent: 0,
                            total: (publish.rate * publish.duration.as_secs_f64()).round() as u64,
                        };
                        timer.as_mut().reset(s.next(publish.rate).into());
                        schedule = Some(s);
                    }
                }
                Phase::Connecting => {}
            }
        }
        tokio::select! {
            biased;
            changed = phase.changed() => {
                if changed.is_err() {
                    break;
                }
                pending_phase = Some(*phase.borrow_and_update());
            }
            () = &mut timer => {
                let Some(s) = schedule.as_mut() else {
                    timer.as_mut().reset(far.into());
                    continue;
                };
                let due = s.due(Instant::now(), publish.rate);
                let Some(p) = plan.publisher else { continue };
                let members = shared.room_members[plan.room_index].load(Ordering::Relaxed);
                let mut failed = false;
                while s.sent < due {
                    let probe = Probe { publisher: p, seq: s.sent, sent_us: shared.now_us() };
                    let data = format!(
                        "{{\"roomId\":{room_json},\"event\":\"message\",\"data\":{{\"text\":\"{}\",\"senderId\":{sender_json}}}}}",
                        probe.text(publish.pad)
                    );
                    if ws.feed(Message::text(packet::event("dialogue:trigger", &data, None))).await.is_err() {
                        failed = true;
                        break;
                    }
                    s.sent += 1;
                    shared.sent.fetch_add(1, Ordering::Relaxed);
                    shared.expected.fetch_add(members, Ordering::Relaxed);
                }
                if failed || ws.flush().await.is_err() {
                    shared.dropped.fetch_add(1, Ordering::Relaxed);
                    break;
                }
                if s.sent >= s.total {
                    timer.as_mut().reset(far.into());
                } else {
                    timer.as_mut().reset(s.next(publish.rate).into());
                }
            }
            frame = ws.next() => match frame {
                Some(Ok(Message::Text(text))) => {
                    let text = text.as_str();
                    if text == "2" {
                        if ws.send(Message::text("3")).await.is_err() {
                            shared.dropped.fetch_add(1, Ordering::Relaxed);
                            break;
                        }
                    } else if text.starts_with("42[\"dialogue:event\"") {
                        match Probe::find(text) {
                            Some(probe) => {
                                let now = shared.now_us();
                                if seen.mark(probe.publisher, probe.seq) {
                                    shared.delivered.fetch_add(1, Ordering::Relaxed);
                                    shared.latency.record(now.saturating_sub(probe.sent_us));
                                    shared.last_delivery_us.fetch_max(now, Ordering::Relaxed);
                                } else {
                                    shared.duplicates.fetch_add(1, Ordering::Relaxed);
                                }
                            }
                            None => {
                                shared.stray.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                    } else if text.starts_with("42[\"dialogue:error\"") {
                        shared.error(text);
                    } else if text.starts_with('1') || text.starts_with("41") {
                        shared.dropped.fetch_add(1, Ordering::Relaxed);
                        break;
                    }
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => {
                    shared.dropped.fetch_add(1, Ordering::Relaxed);
                    break;
                }
                Some(Ok(_)) => {}
            },
        }
    }
    // Dropping the socket closes it; a close handshake for 10,000 sockets
    // would only slow the end of the run.
    drop(ws);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seen_counts_each_probe_once() {
        let mut seen = Seen::default();
        assert!(seen.mark(0, 0));
        assert!(!seen.mark(0, 0));
        assert!(seen.mark(0, 1000));
        assert!(seen.mark(7, 0));
        assert!(!seen.mark(7, 0));
        assert!(!seen.mark(0, 1000));
        assert!(seen.mark(0, 63));
        assert!(seen.mark(0, 64));
    }

    #[test]
    fn schedules_pace_at_the_rate() {
        let start = Instant::now();
        let s = Schedule {
            start,
            sent: 0,
            total: 10,
        };
        assert_eq!(s.due(start, 100.0), 1);
        assert_eq!(s.due(start + Duration::from_millis(45), 100.0), 5);
        assert_eq!(s.due(start + Duration::from_secs(5), 100.0), 10);
        let s = Schedule {
            start,
            sent: 3,
            total: 10,
        };
        assert_eq!(s.next(100.0), start + Duration::from_millis(30));
    }
}
