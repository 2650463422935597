//! The v4 heartbeat's rules, in one place for the two places it runs: the
//! task of a session that started on polling (`Socket::spawn_heartbeat`)
//! and the driver of a session that started on its WebSocket
//! (`transport::ws_driver`), which polls its deadline beside the socket's
//! reads and writes instead of running a task of its own.
//!
//! The rules (upstream's schedule): the first ping at once; each next one
//! an interval after the previous ping, once its pong came; a pong that
//! does not come within the timeout ends the session, and so does a ping
//! that does not fit in the socket's queue (a client that does not read).
//! While an upgrade is under way no ping is sent. A pong no ping waits for
//! (some clients send one first) is ignored.
//!
//! Each caller owns a timer and resets it to the deadline these rules give.

use std::time::Duration;

use tokio::time::Instant;

use crate::{Socket, errors::Error, queue::Queued};

/// Where a session's v4 heartbeat stands: whether a ping waits for its
/// pong. 16 bytes, as the WebSocket driver keeps one per connection; the
/// interval and the timeout come from the engine's configuration.
#[derive(Debug, Default)]
pub(crate) struct PingSchedule {
    /// When the ping that waits for its pong was sent.
    waiting_since: Option<Instant>,
}

/// What the passing of the deadline at some instant calls for.
#[derive(Debug, PartialEq, Eq)]
enum Due {
    /// Send a ping; its pong is due by this instant.
    Ping(Instant),
    /// No ping during an upgrade: look again at this instant.
    Later(Instant),
    /// The pong is overdue.
    TimedOut,
}

impl PingSchedule {
    fn due(&mut self, now: Instant, interval: Duration, timeout: Duration, paused: bool) -> Due {
        if self.waiting_since.is_some() {
            Due::TimedOut
        } else if paused {
            Due::Later(now + interval)
        } else {
            self.waiting_since = Some(now);
            Due::Ping(now + timeout)
        }
    }

    /// The deadline passed: sends a ping when one is due, through the
    /// socket's queue behind what was sent before; the next deadline, or
    /// the session's end (a pong overdue, or a queue too full for a ping).
    pub(crate) fn fire<D: Default + Send + Sync + 'static>(
        &mut self,
        socket: &Socket<D>,
        interval: Duration,
        timeout: Duration,
    ) -> Result<Instant, Error> {
        match self.due(Instant::now(), interval, timeout, socket.is_upgrading()) {
            Due::Ping(next) => {
                #[cfg(feature = "tracing")]
                tracing::trace!(sid = ?socket.id, "emitting ping");
                socket
                    .queue
                    .try_send(Queued::Ping)
                    .map_err(|_| Error::HeartbeatTimeout)?;
                Ok(next)
            }
            Due::Later(next) => Ok(next),
            Due::TimedOut => Err(Error::HeartbeatTimeout),
        }
    }

    /// A pong arrived: the deadline of the next ping, an interval after the
    /// one it answers; `None` when no ping waited for it.
    pub(crate) fn pong(&mut self, interval: Duration) -> Option<Instant> {
        self.waiting_since.take().map(|sent| sent + interval)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INTERVAL: Duration = Duration::from_secs(25);
    const TIMEOUT: Duration = Duration::from_secs(20);

    #[test]
    fn a_ping_then_the_next_an_interval_after_it_once_answered() {
        let start = Instant::now();
        let mut schedule = PingSchedule::default();
        assert_eq!(
            schedule.due(start, INTERVAL, TIMEOUT, false),
            Due::Ping(start + TIMEOUT)
        );
        // Answered late: the next ping is still an interval after the first.
        assert_eq!(schedule.pong(INTERVAL), Some(start + INTERVAL));
        let later = start + INTERVAL;
        assert_eq!(
            schedule.due(later, INTERVAL, TIMEOUT, false),
            Due::Ping(later + TIMEOUT)
        );
    }

    #[test]
    fn an_unanswered_ping_times_out() {
        let start = Instant::now();
        let mut schedule = PingSchedule::default();
        schedule.due(start, INTERVAL, TIMEOUT, false);
        assert_eq!(
            schedule.due(start + TIMEOUT, INTERVAL, TIMEOUT, false),
            Due::TimedOut
        );
        // Even during an upgrade: the pause is for pings, not pongs.
        assert_eq!(
            schedule.due(start + TIMEOUT, INTERVAL, TIMEOUT, true),
            Due::TimedOut
        );
    }

    #[test]
    fn no_ping_during_an_upgrade_and_a_pong_sent_first_is_ignored() {
        let start = Instant::now();
        let mut schedule = PingSchedule::default();
        assert_eq!(schedule.pong(INTERVAL), None, "nothing waited for it");
        assert_eq!(
            schedule.due(start, INTERVAL, TIMEOUT, true),
            Due::Later(start + INTERVAL)
        );
        assert_eq!(schedule.pong(INTERVAL), None, "no ping was sent");
        assert_eq!(
            schedule.due(start + INTERVAL, INTERVAL, TIMEOUT, false),
            Due::Ping(start + INTERVAL + TIMEOUT)
        );
    }
}
