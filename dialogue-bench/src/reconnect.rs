//! The `reconnect` scenario: rooms of subscribers with one publisher each;
//! mid-run the server cuts every subscriber's connection (its bench-only
//! switch, triggered by the event `bench:cut`), and each subscriber comes
//! back the way its server allows:
//!
//! - `dialogue`: resumes its session (`auth.resume` and its room's
//!   position), or joins again with `since` when the session is gone;
//! - `csr` (Node socket.io with connection state recovery): sends back the
//!   `pid` of its session and the offset of the last event it received;
//! - `bare`: connects and joins again (no recovery: the floor).
//!
//! Reported: the share of expected deliveries received, duplicates, events
//! out of order, and how long after it starts reconnecting (a 0-1 s backoff
//! after the cut, spread as Socket.IO's jitter would) each subscriber
//! receives again.

use std::net::{Ipv4Addr, SocketAddrV4};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::{Semaphore, watch};

use crate::args::{Config, Protocol};
use crate::client::{self, Seen, Ws};
use crate::histogram::Histogram;
use crate::packet::{self, EioPacket, Probe, SioPacket};
use crate::target::source_addresses;

/// What a run measured.
#[derive(Debug, Clone, Default)]
pub struct ReconnectReport {
    /// The server's name in the report.
    pub label: String,
    /// How subscribers came back: `dialogue`, `csr` or `bare`.
    pub protocol: &'static str,
    /// Rooms, one publisher each.
    pub rooms: usize,
    /// Subscribers, all rooms.
    pub subscribers: usize,
    /// Subscribers joined before publishing started.
    pub joined: usize,
    /// Messages published, all rooms.
    pub published: u64,
    /// Deliveries every subscriber should have received.
    pub expected: u64,
    /// Distinct deliveries received.
    pub received: u64,
    /// Deliveries received more than once.
    pub duplicates: u64,
    /// Deliveries received after a later one of the same publisher.
    pub out_of_order: u64,
    /// Subscribers whose connection was cut at least once.
    pub cut: usize,
    /// Subscribers that received again after their cut.
    pub back: usize,
    /// Connection attempts that failed (then tried again).
    pub failed_attempts: u64,
    /// From the start of a subscriber's reconnection (after its backoff)
    /// to its first event on the new connection, median.
    pub recover_ms_p50: f64,
    /// The same, 99th percentile.
    pub recover_ms_p99: f64,
    /// The same, the longest.
    pub recover_ms_max: f64,
    /// The run hit `--max-time` or a publisher failed.
    pub timed_out: bool,
}

impl ReconnectReport {
    /// Received over expected, in percent.
    pub fn delivered_percent(&self) -> f64 {
        if self.expected == 0 {
            return 0.0;
        }
        self.received as f64 * 100.0 / self.expected as f64
    }

    /// One JSON line.
    pub fn json(&self) -> String {
        format!(
            "{{\"scenario\":\"reconnect\",\"label\":{},\"protocol\":\"{}\",\"rooms\":{},\"subscribers\":{},\"joined\":{},\
             \"published\":{},\"expected\":{},\"received\":{},\"delivered_percent\":{:.3},\"duplicates\":{},\
             \"out_of_order\":{},\"cut\":{},\"back\":{},\"failed_attempts\":{},\"recover_ms_p50\":{:.1},\
             \"recover_ms_p99\":{:.1},\"recover_ms_max\":{:.1},\"timed_out\":{}}}",
            packet::json_string(&self.label),
            self.protocol,
            self.rooms,
            self.subscribers,
            self.joined,
            self.published,
            self.expected,
            self.received,
            self.delivered_percent(),
            self.duplicates,
            self.out_of_order,
            self.cut,
            self.back,
            self.failed_attempts,
            self.recover_ms_p50,
            self.recover_ms_p99,
            self.recover_ms_max,
            self.timed_out,
        )
    }

    /// A few readable lines.
    pub fn table(&self) -> String {
        format!(
            "reconnect ({}, {}): {} subscribers in {} rooms, {} joined\n  \
             published {}, expected {} deliveries, received {} ({:.3} %)\n  \
             duplicates {}, out of order {}\n  \
             cut {}, back {}, failed attempts {}\n  \
             from reconnecting to the first event: p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms\n",
            self.label,
            self.protocol,
            self.subscribers,
            self.rooms,
            self.joined,
            self.published,
            self.expected,
            self.received,
            self.delivered_percent(),
            self.duplicates,
            self.out_of_order,
            self.cut,
            self.back,
            self.failed_attempts,
            self.recover_ms_p50,
            self.recover_ms_p99,
            self.recover_ms_max,
        )
    }
}

/// One subscriber's tally.
#[derive(Debug, Default)]
struct Tally {
    seen: Seen,
    /// The highest probe seq per publisher (index: the room).
    highest: Vec<Option<u64>>,
    received: u64,
    duplicates: u64,
    out_of_order: u64,
    cut: bool,
    back: bool,
    failed_attempts: u64,
    recover_us: Option<u64>,
}

impl Tally {
    fn delivered(&mut self, probe: Probe) {
        if !self.seen.mark(probe.publisher, probe.seq) {
            self.duplicates += 1;
            return;
        }
        self.received += 1;
        let slot = probe.publisher as usize;
        if self.highest.len() <= slot {
            self.highest.resize(slot + 1, None);
        }
        match self.highest[slot] {
            Some(highest) if probe.seq < highest => self.out_of_order += 1,
            _ => self.highest[slot] = Some(probe.seq),
        }
    }
}

/// How a subscriber comes back.
#[derive(Debug, Default)]
struct Session {
    /// dialogue: the resume token and the room's position.
    token: Option<String>,
    epoch: Option<String>,
    seq: u64,
    /// csr: the session id and the last offset.
    pid: Option<String>,
    offset: Option<String>,
}

/// Runs the scenario.
pub async fn run(config: &Config) -> ReconnectReport {
    let started = Instant::now();
    let deadline = started + config.max_time;
    let rooms: Vec<Arc<str>> = (0..config.rooms)
        .map(|i| Arc::from(format!("bench-r{i}")))
        .collect();
    let mut report = ReconnectReport {
        label: config.label.clone(),
        protocol: match config.protocol {
            Protocol::Dialogue => "dialogue",
            Protocol::Bare => "bare",
            Protocol::Csr => "csr",
        },
        rooms: config.rooms,
        subscribers: config.rooms * config.members,
        ..ReconnectReport::default()
    };
    if config.protocol == Protocol::Dialogue
        && let Err(error) = client::create_rooms(config.target, &rooms).await
    {
        eprintln!("dialogue-load: cannot create the rooms: {}", error.0);
        report.timed_out = true;
        return report;
    }

    // Subscribers, at the connect rate.
    let total = config.rooms * config.members;
    let sources = source_addresses(total + config.rooms, config.source_addrs);
    let (stop_tx, stop_rx) = watch::channel(false);
    let joined = Arc::new(AtomicUsize::new(0));
    let gate = Arc::new(Semaphore::new(config.concurrency));
    let mut subscribers = Vec::with_capacity(total);
    for index in 0..total {
        let room = rooms[index / config.members.max(1)].clone();
        // With a second node, every other subscriber starts there.
        let mut targets = vec![config.target];
        if let Some(also) = config.also {
            targets.push(also);
            if index % 2 == 1 {
                targets.reverse();
            }
        }
        let task = Subscriber {
            index,
            user: format!("cut-{index}"),
            room,
            source: sources[index % sources.len()],
            targets,
            protocol: config.protocol,
            stop: stop_rx.clone(),
            joined: joined.clone(),
        };
        let permit = gate.clone().acquire_owned().await.ok();
        subscribers.push(tokio::spawn(task.run(permit)));
        if config.connect_rate > 0.0 {
            let due = started + Duration::from_secs_f64((index + 1) as f64 / config.connect_rate);
            tokio::time::sleep_until(due.into()).await;
        }
    }
    while joined.load(Ordering::Acquire) < total && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    report.joined = joined.load(Ordering::Acquire);
    eprintln!(
        "reconnect: {} of {total} subscribers joined in {:.1} s",
        report.joined,
        started.elapsed().as_secs_f64()
    );

    // Publishers: one per room; the first also asks for the cut.
    let publishing = Instant::now();
    let mut publishers = Vec::new();
    for (index, room) in rooms.iter().enumerate() {
        let plan = Publisher {
            index: index as u32,
            room: room.clone(),
            source: sources[(total + index) % sources.len()],
            target: config.target,
            rate: config.rate,
            duration: config.duration,
            pad: config.pad,
            // Killing a node replaces the server's cut.
            cut_at: (index == 0 && config.kill.is_none()).then_some(config.cut_at),
            start: publishing
                + Duration::from_secs_f64(
                    index as f64 / (config.rate * config.rooms as f64).max(1.0),
                ),
        };
        publishers.push(tokio::spawn(plan.run()));
    }
    if let Some(pid) = config.kill {
        let at = publishing + config.cut_at;
        publishers.push(tokio::spawn(async move {
            tokio::time::sleep_until(at.into()).await;
            kill(pid);
            Ok(0)
        }));
    }
    for publisher in publishers {
        match publisher.await {
            Ok(Ok(sent)) => report.published += sent * config.members as u64,
            Ok(Err(error)) => {
                eprintln!("dialogue-load: a publisher failed: {}", error.0);
                report.timed_out = true;
            }
            Err(_) => report.timed_out = true,
        }
    }
    report.expected = report.published;
    report.published /= config.members.max(1) as u64;
    // Late deliveries and the last recoveries.
    tokio::time::sleep(config.drain).await;
    let _ = stop_tx.send(true);

    let mut recover = Histogram::default();
    for subscriber in subscribers {
        let Ok(tally) = subscriber.await else {
            continue;
        };
        report.received += tally.received;
        report.duplicates += tally.duplicates;
        report.out_of_order += tally.out_of_order;
        report.failed_attempts += tally.failed_attempts;
        report.cut += usize::from(tally.cut);
        report.back += usize::from(tally.back);
        if let Some(us) = tally.recover_us {
            recover.record(us);
        }
    }
    if recover.count() > 0 {
        report.recover_ms_p50 = recover.quantile(0.5) as f64 / 1000.0;
        report.recover_ms_p99 = recover.quantile(0.99) as f64 / 1000.0;
        report.recover_ms_max = recover.max() as f64 / 1000.0;
    }
    report.timed_out |= Instant::now() > deadline;
    report
}

/// One subscriber.
struct Subscriber {
    index: usize,
    user: String,
    room: Arc<str>,
    source: Ipv4Addr,
    /// Its node first, then the one it fails over to (a connection
    /// refused: the node is gone).
    targets: Vec<SocketAddrV4>,
    protocol: Protocol,
    stop: watch::Receiver<bool>,
    joined: Arc<AtomicUsize>,
}

impl Subscriber {
    async fn run(mut self, mut permit: Option<tokio::sync::OwnedSemaphorePermit>) -> Tally {
        let mut tally = Tally::default();
        let mut session = Session::default();
        let mut first = true;
        let mut cut_at: Option<Instant> = None;
        let mut node = 0;
        while !*self.stop.borrow() {
            let connected = self.open(&session, self.targets[node]).await;
            permit.take();
            let (mut ws, ack, greeting, early) = match connected {
                Ok(open) => open,
                Err(_) => {
                    tally.failed_attempts += 1;
                    // The next attempt goes to the other node, as a
                    // balancer skips a node that refuses connections.
                    node = (node + 1) % self.targets.len();
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    continue;
                }
            };
            if let Some(token) = field(&greeting, "resumeToken") {
                session.token = Some(token.to_owned());
            }
            let kept = match self.protocol {
                Protocol::Dialogue => {
                    greeting.contains("\"resumed\":true")
                        && greeting.contains(&format!("\"rooms\":[\"{}\"", self.room))
                }
                Protocol::Csr => {
                    let pid = field(&ack, "pid").map(str::to_owned);
                    let kept = pid.is_some() && pid == session.pid;
                    session.pid = pid;
                    kept
                }
                Protocol::Bare => false,
            };
            // Socket.IO's recovery replays before its greeting.
            for event in &early {
                self.event(event, &mut session, &mut tally, &mut cut_at);
            }
            if !kept && client::send(&mut ws, self.join(&session)).await.is_err() {
                continue;
            }
            let mut waiting_join = !kept;
            loop {
                let frame = tokio::select! {
                    frame = client::next_text(&mut ws) => frame,
                    _ = self.stop.changed() => return tally,
                };
                let Ok(frame) = frame else {
                    break;
                };
                let payload = match packet::parse(&frame) {
                    Ok(EioPacket::Message(SioPacket::Event { payload, .. })) => payload,
                    // Disconnected from the namespace (bare socketioxide's
                    // cut): the connection is over.
                    Ok(EioPacket::Message(SioPacket::Disconnect)) | Ok(EioPacket::Close) => break,
                    _ => continue,
                };
                match packet::event_name(payload) {
                    Some(("dialogue:joined", rest)) if waiting_join => {
                        waiting_join = false;
                        if let Some(epoch) = field(rest, "epoch") {
                            session.epoch = Some(epoch.to_owned());
                            session.seq =
                                number_after(rest, "\"seq\":").unwrap_or(0).max(session.seq);
                        }
                        if first {
                            first = false;
                            self.joined.fetch_add(1, Ordering::AcqRel);
                        }
                    }
                    Some(("dialogue:event", rest)) => {
                        self.event(rest, &mut session, &mut tally, &mut cut_at);
                    }
                    _ => {}
                }
            }
            let _ = ws.close(None).await;
            if *self.stop.borrow() {
                break;
            }
            // Cut: back after a client's first backoff step (spread over a
            // second, as Socket.IO's jitter would).
            tally.cut = true;
            let jitter = (self.index as u64).wrapping_mul(2_654_435_761) % 1000;
            tokio::time::sleep(Duration::from_millis(jitter)).await;
            // Timed from here: what the server takes, not the backoff.
            cut_at.get_or_insert_with(Instant::now);
        }
        tally
    }

    /// One `dialogue:event` (its arguments): the position, the offset, the
    /// probe.
    fn event(
        &self,
        rest: &str,
        session: &mut Session,
        tally: &mut Tally,
        cut_at: &mut Option<Instant>,
    ) {
        if let Some(seq) = last_number_after(rest, "\"seq\":") {
            session.seq = session.seq.max(seq);
        }
        if self.protocol == Protocol::Csr
            && let Some(offset) = trailing_string(rest)
        {
            session.offset = Some(offset.to_owned());
        }
        if let Some(probe) = Probe::find(rest) {
            if let Some(at) = cut_at.take() {
                tally.back = true;
                tally.recover_us = Some(at.elapsed().as_micros() as u64);
            }
            tally.delivered(probe);
        }
    }

    /// Connects with this protocol's way of coming back; the connect
    /// acknowledgement, the greeting, and the events that came before it.
    async fn open(
        &self,
        session: &Session,
        target: SocketAddrV4,
    ) -> Result<(Ws, String, String, Vec<String>), client::JoinFailure> {
        let user = packet::json_string(&self.user);
        let auth = match (self.protocol, session) {
            (
                Protocol::Dialogue,
                Session {
                    token: Some(token),
                    epoch: Some(epoch),
                    ..
                },
            ) => format!(
                "{{\"userId\":{user},\"resume\":{},\"positions\":{{{}:{{\"epoch\":{},\"seq\":{}}}}}}}",
                packet::json_string(token),
                packet::json_string(&self.room),
                packet::json_string(epoch),
                session.seq
            ),
            (
                Protocol::Csr,
                Session {
                    pid: Some(pid),
                    offset,
                    ..
                },
            ) => match offset {
                Some(offset) => format!(
                    "{{\"userId\":{user},\"pid\":{},\"offset\":{}}}",
                    packet::json_string(pid),
                    packet::json_string(offset)
                ),
                None => format!("{{\"userId\":{user},\"pid\":{}}}", packet::json_string(pid)),
            },
            _ => format!("{{\"userId\":{user}}}"),
        };
        let tcp = client::tcp_connect(self.source, target)
            .await
            .map_err(|e| client::JoinFailure(format!("tcp: {:?}", e.kind())))?;
        let url = format!("ws://{target}/socket.io/?EIO=4&transport=websocket");
        let (mut ws, _) =
            tokio_tungstenite::client_async_with_config(url, tcp, Some(client::ws_config()))
                .await
                .map_err(|_| client::JoinFailure("ws handshake".into()))?;
        let open = client::next_text(&mut ws).await?;
        if !matches!(packet::parse(&open), Ok(EioPacket::Open(_))) {
            return Err(client::JoinFailure("no engine.io open".into()));
        }
        client::send(&mut ws, packet::connect(&auth)).await?;
        let mut ack = None;
        let mut early = Vec::new();
        loop {
            let frame = client::next_text(&mut ws).await?;
            match packet::parse(&frame) {
                Ok(EioPacket::Message(SioPacket::Connect(payload))) => {
                    ack = Some(payload.to_owned());
                }
                Ok(EioPacket::Message(SioPacket::ConnectError(_))) => {
                    return Err(client::JoinFailure("connect_error".into()));
                }
                // Socket.IO's recovery replays even before its connect
                // acknowledgement.
                Ok(EioPacket::Message(SioPacket::Event { payload, .. })) => {
                    match packet::event_name(payload) {
                        Some(("dialogue:connected", rest)) if ack.is_some() => {
                            return Ok((ws, ack.unwrap_or_default(), rest.to_owned(), early));
                        }
                        Some(("dialogue:event", rest)) => early.push(rest.to_owned()),
                        _ => {}
                    }
                }
                _ => {}
            }
        }
    }

    /// The join: with `since` for a Dialogue server when the room's position
    /// is known.
    fn join(&self, session: &Session) -> String {
        let room = packet::json_string(&self.room);
        let body = match (self.protocol, &session.epoch) {
            (Protocol::Dialogue, Some(epoch)) => format!(
                "{{\"roomId\":{room},\"since\":{{\"epoch\":{},\"seq\":{}}}}}",
                packet::json_string(epoch),
                session.seq
            ),
            _ => format!("{{\"roomId\":{room}}}"),
        };
        packet::event("dialogue:join", &body, None)
    }
}

/// One publisher.
struct Publisher {
    index: u32,
    room: Arc<str>,
    source: Ipv4Addr,
    target: SocketAddrV4,
    rate: f64,
    duration: Duration,
    pad: usize,
    /// When (after `start`) to ask the server for the cut.
    cut_at: Option<Duration>,
    start: Instant,
}

impl Publisher {
    /// Publishes; how many messages it sent.
    async fn run(self) -> Result<u64, client::JoinFailure> {
        let mut ws =
            client::connect(self.source, self.target, &format!("pub-{}", self.index)).await?;
        client::join(&mut ws, &self.room).await?;
        let room = packet::json_string(&self.room);
        let total = (self.duration.as_secs_f64() * self.rate).round() as u64;
        let mut cut = self.cut_at;
        let clock = Instant::now();
        for seq in 0..total {
            let due = self.start + Duration::from_secs_f64(seq as f64 / self.rate);
            // Read (and answer pings) while waiting.
            loop {
                let now = Instant::now();
                if now >= due {
                    break;
                }
                tokio::select! {
                    frame = client::next_text(&mut ws) => { frame?; }
                    _ = tokio::time::sleep_until(due.into()) => break,
                }
            }
            if let Some(at) = cut
                && self.start.elapsed() >= at
            {
                cut = None;
                let body = format!("{{\"roomId\":{room},\"event\":\"bench:cut\",\"data\":null}}");
                client::send(&mut ws, packet::event("dialogue:trigger", &body, None)).await?;
            }
            let probe = Probe {
                publisher: self.index,
                seq,
                sent_us: clock.elapsed().as_micros() as u64,
            };
            let text = packet::json_string(&probe.text(self.pad));
            let body =
                format!("{{\"roomId\":{room},\"event\":\"m\",\"data\":{{\"text\":{text}}}}}");
            client::send(&mut ws, packet::event("dialogue:trigger", &body, None)).await?;
        }
        let _ = ws.close(None).await;
        Ok(total)
    }
}

/// The string value of `"name":"..."` in a JSON text (no escapes in it).
fn field<'a>(json: &'a str, name: &str) -> Option<&'a str> {
    let key = format!("\"{name}\":\"");
    let at = json.find(&key)? + key.len();
    json[at..].split('"').next()
}

/// The number after the first `key`.
fn number_after(json: &str, key: &str) -> Option<u64> {
    let at = json.find(key)? + key.len();
    digits(&json[at..])
}

/// The number after the last `key`.
fn last_number_after(json: &str, key: &str) -> Option<u64> {
    let at = json.rfind(key)? + key.len();
    digits(&json[at..])
}

fn digits(text: &str) -> Option<u64> {
    let end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    text[..end].parse().ok()
}

/// The last argument of an event's array when it is a string: the offset
/// Socket.IO's connection state recovery appends (`...,"OFFSET"]`).
fn trailing_string(args: &str) -> Option<&str> {
    let body = args.trim_end().strip_suffix(']')?.strip_suffix('"')?;
    let start = body.rfind('"')?;
    let before = body[..start].trim_end();
    before.ends_with(',').then(|| &body[start + 1..])
}

/// Kills the process `pid` with SIGKILL (a node dying mid-run), through
/// `kill(1)`: the bench's only signal, to a process its script started.
fn kill(pid: u32) {
    eprintln!("reconnect: killing node {pid}");
    match std::process::Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
    {
        Ok(status) if status.success() => {}
        Ok(status) => eprintln!("dialogue-load: kill {pid} exited {status}"),
        Err(error) => eprintln!("dialogue-load: cannot run kill: {error}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_fields_numbers_and_offsets() {
        let joined = r#"{"roomId":"r","position":{"epoch":"e1","seq":42},"recovered":true}]"#;
        assert_eq!(field(joined, "epoch"), Some("e1"));
        assert_eq!(number_after(joined, "\"seq\":"), Some(42));
        let event = r#"{"event":"m","data":{"text":"b 0 1 2"},"seq":7}]"#;
        assert_eq!(last_number_after(event, "\"seq\":"), Some(7));
        assert_eq!(trailing_string(r#"{"a":1},"1700-3"]"#), Some("1700-3"));
        assert_eq!(trailing_string(r#"{"a":"x"}]"#), None);
    }

    #[test]
    fn a_tally_counts_duplicates_and_disorder() {
        let mut tally = Tally::default();
        for seq in [0, 1, 3, 2, 3] {
            tally.delivered(Probe {
                publisher: 0,
                seq,
                sent_us: 0,
            });
        }
        assert_eq!(
            (tally.received, tally.duplicates, tally.out_of_order),
            (4, 1, 1)
        );
    }
}
