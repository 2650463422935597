//! Where the load goes (loopback only) and where it comes from (source
//! addresses spread over 127.0.0.2 and up when one address's ephemeral
//! ports would run short).

use std::net::{Ipv4Addr, SocketAddrV4};

/// Connections per source address before another is used: below the
/// 28,232 ports of Linux's default ephemeral range (32768 to 60999), with
/// room for the server's own and for sockets in TIME_WAIT from earlier runs.
pub const CONNECTIONS_PER_SOURCE: usize = 20_000;

/// Why a target is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetError {
    /// Not `HOST:PORT`, or the host is not an IPv4 address nor `localhost`.
    Unreadable(String),
    /// Not in 127.0.0.0/8.
    NotLoopback(Ipv4Addr),
}

impl std::fmt::Display for TargetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unreadable(s) => write!(
                f,
                "target `{s}` is not HOST:PORT with an IPv4 loopback host (e.g. 127.0.0.1:3000)"
            ),
            Self::NotLoopback(ip) => write!(
                f,
                "target {ip} is not in 127.0.0.0/8: dialogue-load only loads this machine's loopback"
            ),
        }
    }
}

impl std::error::Error for TargetError {}

/// Reads `HOST:PORT` (or a bare `PORT`, meaning 127.0.0.1) and refuses any
/// host outside 127.0.0.0/8. Names are not resolved, except `localhost`.
pub fn parse_target(text: &str) -> Result<SocketAddrV4, TargetError> {
    let unreadable = || TargetError::Unreadable(text.to_owned());
    let text = text
        .trim()
        .trim_start_matches("http://")
        .trim_start_matches("ws://")
        .trim_end_matches('/');
    if let Ok(port) = text.parse::<u16>() {
        return Ok(SocketAddrV4::new(Ipv4Addr::LOCALHOST, port));
    }
    let (host, port) = text.rsplit_once(':').ok_or_else(unreadable)?;
    let port: u16 = port.parse().map_err(|_| unreadable())?;
    let ip = if host.eq_ignore_ascii_case("localhost") {
        Ipv4Addr::LOCALHOST
    } else {
        host.parse::<Ipv4Addr>().map_err(|_| unreadable())?
    };
    check_loopback(ip)?;
    Ok(SocketAddrV4::new(ip, port))
}

/// Refuses an address outside 127.0.0.0/8.
pub fn check_loopback(ip: Ipv4Addr) -> Result<(), TargetError> {
    if ip.is_loopback() {
        Ok(())
    } else {
        Err(TargetError::NotLoopback(ip))
    }
}

/// The source addresses for `connections`: `requested` of them when given
/// (above 0), else as many as [`CONNECTIONS_PER_SOURCE`] calls for. One
/// address is 127.0.0.1 (the kernel's choice, no explicit bind); more are
/// 127.0.0.2, 127.0.0.3, ... (at most 253 of them).
pub fn source_addresses(connections: usize, requested: usize) -> Vec<Ipv4Addr> {
    let count = if requested > 0 {
        requested
    } else {
        connections.div_ceil(CONNECTIONS_PER_SOURCE).max(1)
    }
    .min(253);
    if count == 1 {
        return vec![Ipv4Addr::LOCALHOST];
    }
    (0..count)
        .map(|i| Ipv4Addr::new(127, 0, 0, 2 + i as u8))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_targets_only() {
        assert_eq!(
            parse_target("127.0.0.1:3000"),
            Ok("127.0.0.1:3000".parse().unwrap())
        );
        assert_eq!(
            parse_target("localhost:80"),
            Ok("127.0.0.1:80".parse().unwrap())
        );
        assert_eq!(parse_target("4000"), Ok("127.0.0.1:4000".parse().unwrap()));
        assert_eq!(
            parse_target("http://127.1.2.3:9/"),
            Ok("127.1.2.3:9".parse().unwrap())
        );
        assert_eq!(
            parse_target("10.0.0.1:3000"),
            Err(TargetError::NotLoopback(Ipv4Addr::new(10, 0, 0, 1)))
        );
        assert_eq!(
            parse_target("0.0.0.0:3000"),
            Err(TargetError::NotLoopback(Ipv4Addr::UNSPECIFIED))
        );
        assert!(matches!(
            parse_target("example.com:80"),
            Err(TargetError::Unreadable(_))
        ));
        assert!(matches!(
            parse_target("[::1]:80"),
            Err(TargetError::Unreadable(_))
        ));
        assert!(matches!(
            parse_target("127.0.0.1"),
            Err(TargetError::Unreadable(_))
        ));
    }

    #[test]
    fn sources_spread_when_ports_run_short() {
        assert_eq!(source_addresses(10_000, 0), [Ipv4Addr::LOCALHOST]);
        assert_eq!(
            source_addresses(50_000, 0),
            [
                Ipv4Addr::new(127, 0, 0, 2),
                Ipv4Addr::new(127, 0, 0, 3),
                Ipv4Addr::new(127, 0, 0, 4)
            ]
        );
        assert_eq!(source_addresses(10, 2).len(), 2);
        assert_eq!(source_addresses(10, 1_000).len(), 253);
        assert_eq!(
            *source_addresses(10, 1_000).last().unwrap(),
            Ipv4Addr::new(127, 0, 0, 254)
        );
    }
}
