//! Limits that keep one client from hurting the others, each with its error
//! code.

use std::num::NonZeroU32;

use governor::{DefaultDirectRateLimiter, Quota};

/// The largest `data` (and `meta`) of a trigger, in bytes of JSON, by default.
pub const DEFAULT_MAX_PAYLOAD: usize = 64 * 1024;

/// What one client may do. Every limit is off by default but the payload size
/// and the template instances clients may open.
///
/// | limit | error |
/// |---|---|
/// | `max_payload` | `PAYLOAD_TOO_LARGE` |
/// | `triggers_per_second` | `RATE_LIMITED` |
/// | `history_requests_per_minute` | `RATE_LIMITED` |
/// | `rooms_per_connection` | `JOIN_DENIED` |
/// | `dynamic_rooms`, `dynamic_rooms_per_user` | `PERMISSION_DENIED` |
/// | `max_connections`, `max_connections_per_ip` | the handshake's `connect_error` |
/// | `max_room_instances` | `JOIN_DENIED` |
///
/// ```
/// use std::num::NonZeroU32;
///
/// use dialogue_runtime::Limits;
///
/// let limits = Limits {
///     triggers_per_second: NonZeroU32::new(20),
///     rooms_per_connection: Some(10),
///     ..Limits::default()
/// };
/// assert_eq!(limits.max_payload, 64 * 1024);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// The largest `data` of a trigger, and the largest `meta`, in bytes of
    /// JSON as sent. Default 64 KiB.
    pub max_payload: usize,
    /// Triggers per second per connection (a token bucket: short bursts of
    /// this size are fine).
    pub triggers_per_second: Option<NonZeroU32>,
    /// `getHistory` requests per minute per connection.
    pub history_requests_per_minute: Option<NonZeroU32>,
    /// Rooms one connection may be in at once.
    pub rooms_per_connection: Option<usize>,
    /// Rooms created at run time, in all.
    pub dynamic_rooms: Option<usize>,
    /// Rooms created at run time per user (by clients).
    pub dynamic_rooms_per_user: Option<usize>,
    /// Connections this process holds at once; past it a handshake is
    /// refused (`connect_error` saying why).
    pub max_connections: Option<usize>,
    /// Connections from one address at once (the client's address, behind
    /// trusted proxies the one they forward).
    pub max_connections_per_ip: Option<usize>,
    /// Template instances (`doc:{docId}`, `user:{userId}`) in memory at
    /// once that a client's join (or event stream) may open; past it
    /// opening one more is `JOIN_DENIED`, instances already open stay
    /// joinable, and the server's own pushes are not limited. Default
    /// 100,000: a client joining `doc:<random>` cannot fill the memory.
    pub max_room_instances: Option<usize>,
}

/// Template instances clients may open, by default.
pub const DEFAULT_MAX_ROOM_INSTANCES: usize = 100_000;

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_payload: DEFAULT_MAX_PAYLOAD,
            triggers_per_second: None,
            history_requests_per_minute: None,
            rooms_per_connection: None,
            dynamic_rooms: None,
            dynamic_rooms_per_user: None,
            max_connections: None,
            max_connections_per_ip: None,
            max_room_instances: Some(DEFAULT_MAX_ROOM_INSTANCES),
        }
    }
}

/// One connection's rate limiters, created only for configured limits.
#[derive(Debug, Default)]
pub(crate) struct Rates {
    triggers: Option<DefaultDirectRateLimiter>,
    history: Option<DefaultDirectRateLimiter>,
}

impl Rates {
    pub(crate) fn new(limits: &Limits) -> Self {
        Self {
            triggers: limits
                .triggers_per_second
                .map(|n| DefaultDirectRateLimiter::direct(Quota::per_second(n))),
            history: limits
                .history_requests_per_minute
                .map(|n| DefaultDirectRateLimiter::direct(Quota::per_minute(n))),
        }
    }

    /// Takes a trigger token; `false` when over the rate.
    pub(crate) fn trigger(&self) -> bool {
        self.triggers.as_ref().is_none_or(|l| l.check().is_ok())
    }

    /// Takes a history token; `false` when over the rate.
    pub(crate) fn history(&self) -> bool {
        self.history.as_ref().is_none_or(|l| l.check().is_ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_allows_its_burst_then_refuses() {
        let rates = Rates::new(&Limits {
            triggers_per_second: NonZeroU32::new(3),
            ..Limits::default()
        });
        let allowed = (0..10).filter(|_| rates.trigger()).count();
        assert_eq!(allowed, 3);
        assert!(rates.history(), "unconfigured limits never refuse");
    }
}
