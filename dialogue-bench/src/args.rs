//! The command line of `dialogue-load`, read by hand (a dozen flags do not
//! need an argument-parsing crate).

use std::net::SocketAddrV4;
use std::path::PathBuf;
use std::time::Duration;

use crate::target::{TargetError, parse_target};

/// What to measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// One room: P publishers and N subscribers; deliveries and latency.
    Fanout,
    /// Many rooms of a few members, each member publishing.
    Rooms,
    /// Connections and joins as fast as the server takes them.
    Storm,
    /// Joined connections that do nothing: the server's memory per connection.
    Idle,
    /// Many publishers in a validated room: the cost of each trigger.
    Validation,
    /// Rooms of subscribers whose connections the server cuts mid-run:
    /// what each gets back (`reconnect`).
    Reconnect,
}

impl Scenario {
    /// The flag's spelling.
    pub fn name(self) -> &'static str {
        match self {
            Self::Fanout => "fanout",
            Self::Rooms => "rooms",
            Self::Storm => "storm",
            Self::Idle => "idle",
            Self::Validation => "validation",
            Self::Reconnect => "reconnect",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "fanout" => Self::Fanout,
            "rooms" => Self::Rooms,
            "storm" => Self::Storm,
            "idle" => Self::Idle,
            "validation" => Self::Validation,
            "reconnect" => Self::Reconnect,
            _ => return None,
        })
    }
}

/// How the server is spoken to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// A Dialogue server: rooms of the `rooms` scenario are created first
    /// with `dialogue:createRoom`.
    Dialogue,
    /// A peer (bare socketioxide, Node socket.io): the same event names
    /// (`dialogue:connected`, `join`, `trigger`, `event`), and any room name
    /// is joined as it is, without creating it.
    Bare,
    /// The Node peer with connection state recovery: like `bare`, and a
    /// reconnecting client sends back its session id and last offset.
    Csr,
}

impl Protocol {
    /// The flag's spelling.
    pub fn name(self) -> &'static str {
        match self {
            Self::Dialogue => "dialogue",
            Self::Bare => "bare",
            Self::Csr => "csr",
        }
    }
}

/// Everything a run needs, defaults filled in for the scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The scenario.
    pub scenario: Scenario,
    /// The server (always in 127.0.0.0/8).
    pub target: SocketAddrV4,
    /// A second node of the same service (`fanout`, `reconnect`): every
    /// other subscriber connects to it, publishers stay on `target`.
    pub also: Option<SocketAddrV4>,
    /// `reconnect`: the node to kill with SIGKILL at `cut_at` instead of
    /// asking the server for a cut (its subscribers fail over to the other
    /// node).
    pub kill: Option<u32>,
    /// How to speak to it.
    pub protocol: Protocol,
    /// A name for the server in the report (`ours`, `bare`, `node`).
    pub label: String,
    /// The room of `fanout`, `storm`, `idle` and `validation`.
    pub room: String,
    /// Members that only listen (`fanout`, `validation`).
    pub subscribers: usize,
    /// Members that publish (`fanout`, `validation`; in `rooms` every member).
    pub publishers: usize,
    /// Messages per second of each publisher.
    pub rate: f64,
    /// How long publishers publish.
    pub duration: Duration,
    /// Rooms of the `rooms` scenario.
    pub rooms: usize,
    /// Members per room of the `rooms` scenario.
    pub members: usize,
    /// Connections of `storm` and `idle`.
    pub connections: usize,
    /// New connections per second (0: as fast as they are accepted).
    pub connect_rate: f64,
    /// Handshakes in flight at once.
    pub concurrency: usize,
    /// Source addresses to spread over (0: as many as needed).
    pub source_addrs: usize,
    /// Bytes of padding in each message's text.
    pub pad: usize,
    /// The server's process, for RSS and CPU from /proc.
    pub pid: Option<u32>,
    /// The whole run stops after this, whatever its state.
    pub max_time: Duration,
    /// How long to wait for late deliveries after publishing.
    pub drain: Duration,
    /// `idle`: how long connections stay joined before memory is sampled.
    pub hold: Duration,
    /// Worker threads of the load generator.
    pub threads: usize,
    /// Appends the JSON line to this file too.
    pub json_out: Option<PathBuf>,
    /// `reconnect`: when, after publishing starts, the server is asked to
    /// cut every subscriber.
    pub cut_at: Duration,
}

/// What `--help` prints.
pub const USAGE: &str = "\
dialogue-load: a Socket.IO v5 load generator for Dialogue (loopback only)

USAGE: dialogue-load --scenario fanout|rooms|storm|idle|validation|reconnect [OPTIONS]
       dialogue-load --summarize RESULTS.jsonl   (a Markdown table with ratios)
       dialogue-load --compare RESULTS.jsonl A B (two builds: medians, B/A)

  --target HOST:PORT    server, in 127.0.0.0/8 only        [127.0.0.1:3000]
  --also HOST:PORT      a second node: every other subscriber connects
                        to it (fanout, reconnect); publishers stay on target
  --kill PID            reconnect: SIGKILL this node at --cut-at instead of
                        a cut; its subscribers fail over to the other node
  --protocol dialogue|bare|csr   bare: the peers (rooms are joined
                        without dialogue:createRoom); csr: the Node peer
                        with connection state recovery      [dialogue]
  --label NAME          server name in the report           [target]
  --pid PID             server process: RSS and CPU from /proc/PID
  --room ID             room of fanout/storm/idle/validation
                        [chat; storm and idle: sandbox]
  --subscribers N       listening members (fanout 1000, validation 0)
  --publishers N        publishing members (fanout 1, validation 20)
  --rate R              messages/s per publisher (fanout 100, rooms 1,
                        validation 100)
  --duration SECS       publishing time                     [10s]
  --rooms N --members M rooms scenario [1000 x 10]; reconnect [10 x 1000]
  --cut-at SECS         reconnect: cut every subscriber this long after
                        publishing starts                        [8s]
  --connections N       storm and idle                      [10000]
  --connect-rate R      connects/s, 0 = unbounded    [2000; storm 0]
  --concurrency N       handshakes in flight         [256; storm 1000]
  --source-addrs N      spread sources over 127.0.0.2.. (0 = auto) [0]
  --pad BYTES           padding in each text (validation 200) [0]
  --drain SECS          wait for late deliveries                [3s]
  --hold SECS           idle: time joined before sampling       [5s]
  --threads N           load generator worker threads           [2]
  --max-time SECS       hard bound on the whole run             [120s]
  --json-out FILE       also append the JSON line to FILE
";

/// Why the command line was refused.
#[derive(Debug, Clone, PartialEq)]
pub enum ArgError {
    /// `--help` was asked for.
    Help,
    /// A flag this program does not know.
    Unknown(String),
    /// A flag without its value.
    MissingValue(String),
    /// A value that does not read.
    BadValue {
        /// The flag.
        flag: String,
        /// What was given.
        value: String,
        /// What was expected.
        expected: &'static str,
    },
    /// No `--scenario`.
    NoScenario,
    /// The target was refused.
    Target(TargetError),
}

impl std::fmt::Display for ArgError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Help => f.write_str(USAGE),
            Self::Unknown(flag) => write!(f, "unknown flag `{flag}` (see --help)"),
            Self::MissingValue(flag) => write!(f, "`{flag}` needs a value"),
            Self::BadValue {
                flag,
                value,
                expected,
            } => write!(f, "`{flag} {value}`: expected {expected}"),
            Self::NoScenario => write!(
                f,
                "--scenario is required: fanout, rooms, storm, idle or validation"
            ),
            Self::Target(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for ArgError {}

/// Reads a count: digits with optional `_` separators and a `k` suffix.
pub fn parse_count(s: &str) -> Option<usize> {
    let s = s.replace('_', "");
    match s.strip_suffix(['k', 'K']) {
        Some(thousands) => thousands.parse::<usize>().ok()?.checked_mul(1000),
        None => s.parse().ok(),
    }
}

/// Reads a duration: seconds (`10`, `2.5`, `10s`) or `500ms`.
pub fn parse_duration(s: &str) -> Option<Duration> {
    let (number, scale) = if let Some(ms) = s.strip_suffix("ms") {
        (ms, 1e-3)
    } else {
        (s.strip_suffix('s').unwrap_or(s), 1.0)
    };
    let value: f64 = number.parse().ok()?;
    (value.is_finite() && value >= 0.0).then(|| Duration::from_secs_f64(value * scale))
}

fn parse_rate(s: &str) -> Option<f64> {
    let value: f64 = s.parse().ok()?;
    (value.is_finite() && value >= 0.0).then_some(value)
}

/// Reads the arguments (without the program name).
pub fn parse<I, S>(args: I) -> Result<Config, ArgError>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut args = args.into_iter().map(Into::into);
    while let Some(arg) = args.next() {
        if arg == "-h" || arg == "--help" {
            return Err(ArgError::Help);
        }
        let Some(flag) = arg.strip_prefix("--") else {
            return Err(ArgError::Unknown(arg));
        };
        let (flag, value) = match flag.split_once('=') {
            Some((flag, value)) => (flag.to_owned(), value.to_owned()),
            None => {
                let value = args
                    .next()
                    .ok_or_else(|| ArgError::MissingValue(arg.clone()))?;
                (flag.to_owned(), value)
            }
        };
        pairs.push((flag, value));
    }

    let scenario_text = pairs
        .iter()
        .rev()
        .find(|(flag, _)| flag == "scenario")
        .map(|(_, v)| v.clone())
        .ok_or(ArgError::NoScenario)?;
    let scenario = Scenario::parse(&scenario_text).ok_or_else(|| ArgError::BadValue {
        flag: "--scenario".into(),
        value: scenario_text.clone(),
        expected: "fanout, rooms, storm, idle, validation or reconnect",
    })?;
    let mut config = Config::defaults(scenario);

    for (flag, value) in pairs {
        let bad = |expected: &'static str| ArgError::BadValue {
            flag: format!("--{flag}"),
            value: value.clone(),
            expected,
        };
        let count = || parse_count(&value).ok_or_else(|| bad("a count, e.g. 1000 or 10k"));
        let duration =
            || parse_duration(&value).ok_or_else(|| bad("seconds, e.g. 10, 2.5s or 500ms"));
        match flag.as_str() {
            "scenario" => {}
            "target" => config.target = parse_target(&value).map_err(ArgError::Target)?,
            "protocol" => {
                config.protocol = match value.as_str() {
                    "dialogue" => Protocol::Dialogue,
                    "bare" => Protocol::Bare,
                    "csr" => Protocol::Csr,
                    _ => return Err(bad("dialogue, bare or csr")),
                }
            }
            "label" => config.label = value.clone(),
            "room" => {
                if value.is_empty() || value.contains(['"', '\\']) {
                    return Err(bad("a room id without quotes or backslashes"));
                }
                config.room = value.clone();
            }
            "subscribers" => config.subscribers = count()?,
            "publishers" => config.publishers = count()?,
            "rate" => config.rate = parse_rate(&value).ok_or_else(|| bad("messages per second"))?,
            "duration" => config.duration = duration()?,
            "rooms" => config.rooms = count()?,
            "members" => config.members = count()?,
            "connections" => config.connections = count()?,
            "connect-rate" => {
                config.connect_rate =
                    parse_rate(&value).ok_or_else(|| bad("connections per second, 0 unbounded"))?;
            }
            "concurrency" => config.concurrency = count()?.max(1),
            "source-addrs" => config.source_addrs = count()?,
            "pad" => config.pad = count()?,
            "pid" => config.pid = Some(value.parse().map_err(|_| bad("a process id"))?),
            "also" => config.also = Some(parse_target(&value).map_err(ArgError::Target)?),
            "kill" => config.kill = Some(value.parse().map_err(|_| bad("a process id"))?),
            "max-time" => config.max_time = duration()?,
            "drain" => config.drain = duration()?,
            "hold" => config.hold = duration()?,
            "cut-at" => config.cut_at = duration()?,
            "threads" => config.threads = count()?.max(1),
            "json-out" => config.json_out = Some(PathBuf::from(&value)),
            _ => return Err(ArgError::Unknown(format!("--{flag}"))),
        }
    }
    if config.label.is_empty() {
        config.label = config.target.to_string();
    }
    Ok(config)
}

impl Config {
    /// The defaults of a scenario.
    pub fn defaults(scenario: Scenario) -> Self {
        let mut config = Self {
            scenario,
            target: SocketAddrV4::new(std::net::Ipv4Addr::LOCALHOST, 3000),
            protocol: Protocol::Dialogue,
            label: String::new(),
            room: "chat".into(),
            subscribers: 0,
            publishers: 0,
            rate: 0.0,
            duration: Duration::from_secs(10),
            rooms: 0,
            members: 0,
            connections: 0,
            connect_rate: 2000.0,
            concurrency: 256,
            source_addrs: 0,
            pad: 0,
            pid: None,
            max_time: Duration::from_secs(120),
            drain: Duration::from_secs(3),
            hold: Duration::from_secs(5),
            threads: 2,
            json_out: None,
            cut_at: Duration::from_secs(8),
            also: None,
            kill: None,
        };
        match scenario {
            Scenario::Fanout => {
                config.subscribers = 1000;
                config.publishers = 1;
                config.rate = 100.0;
            }
            Scenario::Rooms => {
                config.rooms = 1000;
                config.members = 10;
                config.rate = 1.0;
            }
            Scenario::Storm => {
                config.connections = 10_000;
                config.connect_rate = 0.0;
                config.concurrency = 1000;
                config.room = "sandbox".into();
            }
            Scenario::Idle => {
                config.connections = 10_000;
                config.room = "sandbox".into();
            }
            Scenario::Validation => {
                config.publishers = 20;
                config.rate = 100.0;
                config.pad = 200;
            }
            Scenario::Reconnect => {
                config.rooms = 10;
                config.members = 1000;
                config.rate = 5.0;
                config.duration = Duration::from_secs(20);
                config.drain = Duration::from_secs(5);
            }
        }
        config
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenario_defaults_and_overrides() {
        let config = parse(["--scenario", "fanout"]).unwrap();
        assert_eq!(config.scenario, Scenario::Fanout);
        assert_eq!(config.subscribers, 1000);
        assert_eq!(config.publishers, 1);
        assert_eq!(config.room, "chat");
        assert_eq!(config.label, "127.0.0.1:3000");

        let config = parse([
            "--subscribers=10k",
            "--scenario",
            "fanout",
            "--rate",
            "2.5",
            "--duration",
            "500ms",
            "--target",
            "127.0.0.1:4001",
            "--protocol",
            "bare",
            "--label",
            "node",
            "--pid",
            "42",
            "--max-time",
            "30s",
        ])
        .unwrap();
        assert_eq!(config.subscribers, 10_000);
        assert_eq!(config.rate, 2.5);
        assert_eq!(config.duration, Duration::from_millis(500));
        assert_eq!(config.target.port(), 4001);
        assert_eq!(config.protocol, Protocol::Bare);
        assert_eq!(config.label, "node");
        assert_eq!(config.pid, Some(42));
        assert_eq!(config.max_time, Duration::from_secs(30));

        let storm = parse(["--scenario", "storm", "--connections", "1_000"]).unwrap();
        assert_eq!(storm.connections, 1000);
        assert_eq!(storm.connect_rate, 0.0);
        assert_eq!(storm.room, "sandbox");
    }

    #[test]
    fn refusals() {
        assert_eq!(parse(Vec::<String>::new()), Err(ArgError::NoScenario));
        assert_eq!(parse(["--help"]), Err(ArgError::Help));
        assert_eq!(
            parse(["--scenario", "fanout", "--nope", "1"]),
            Err(ArgError::Unknown("--nope".into()))
        );
        assert_eq!(
            parse(["--scenario", "fanout", "--rate"]),
            Err(ArgError::MissingValue("--rate".into()))
        );
        assert!(matches!(
            parse(["--scenario", "fanout", "--rate", "fast"]),
            Err(ArgError::BadValue { .. })
        ));
        assert!(matches!(
            parse(["--scenario", "party"]),
            Err(ArgError::BadValue { .. })
        ));
        assert!(matches!(
            parse(["--scenario", "fanout", "--target", "192.168.1.1:3000"]),
            Err(ArgError::Target(TargetError::NotLoopback(_)))
        ));
        assert!(matches!(
            parse(["--scenario", "fanout", "--room", "a\"b"]),
            Err(ArgError::BadValue { .. })
        ));
        assert_eq!(parse(["stray"]), Err(ArgError::Unknown("stray".into())));
    }

    #[test]
    fn counts_and_durations() {
        assert_eq!(parse_count("10k"), Some(10_000));
        assert_eq!(parse_count("1_000"), Some(1000));
        assert_eq!(parse_count("x"), None);
        assert_eq!(parse_duration("10"), Some(Duration::from_secs(10)));
        assert_eq!(parse_duration("2.5s"), Some(Duration::from_millis(2500)));
        assert_eq!(parse_duration("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(parse_duration("-1"), None);
        assert_eq!(parse_duration("soon"), None);
    }
}
