//! Admission: how many connections this process holds, in all and per
//! address, against the configured caps. A connection holds a [`Ticket`]
//! from its handshake to its end; dropping the ticket gives its place back,
//! so a handshake refused later (by authentication) or a socket that goes
//! can never leak a place.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use parking_lot::Mutex;

/// Why a connection is not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Full {
    /// The process holds `max_connections` already.
    Process(usize),
    /// This address holds `max_connections_per_ip` already.
    Address(usize),
}

/// The counts, under one lock held for a few instructions per handshake.
#[derive(Debug, Default)]
pub(crate) struct Admission {
    max_total: Option<usize>,
    max_per_ip: Option<usize>,
    counts: Mutex<Counts>,
}

#[derive(Debug, Default)]
struct Counts {
    total: usize,
    by_ip: HashMap<IpAddr, usize>,
}

/// A connection's place; given back when dropped.
#[derive(Debug)]
pub(crate) struct Ticket {
    admission: Arc<Admission>,
    ip: Option<IpAddr>,
}

impl Admission {
    pub(crate) fn new(max_total: Option<usize>, max_per_ip: Option<usize>) -> Arc<Self> {
        Arc::new(Self {
            max_total,
            max_per_ip,
            counts: Mutex::new(Counts::default()),
        })
    }

    /// A place for a connection from `ip`, or why there is none.
    pub(crate) fn admit(self: &Arc<Self>, ip: Option<IpAddr>) -> Result<Ticket, Full> {
        let mut counts = self.counts.lock();
        if let Some(max) = self.max_total.filter(|&max| counts.total >= max) {
            return Err(Full::Process(max));
        }
        let per_ip = self.max_per_ip.zip(ip);
        if let Some((max, ip)) = per_ip
            && counts.by_ip.get(&ip).copied().unwrap_or(0) >= max
        {
            return Err(Full::Address(max));
        }
        counts.total += 1;
        if let Some((_, ip)) = per_ip {
            *counts.by_ip.entry(ip).or_default() += 1;
        }
        Ok(Ticket {
            admission: self.clone(),
            ip: per_ip.map(|(_, ip)| ip),
        })
    }

    /// Connections held now.
    pub(crate) fn count(&self) -> usize {
        self.counts.lock().total
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut counts = self.admission.counts.lock();
        counts.total = counts.total.saturating_sub(1);
        if let Some(ip) = self.ip
            && let Some(n) = counts.by_ip.get_mut(&ip)
        {
            *n -= 1;
            if *n == 0 {
                counts.by_ip.remove(&ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_are_capped_and_given_back() {
        let admission = Admission::new(Some(3), Some(2));
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let first = admission.admit(Some(a)).unwrap();
        let _second = admission.admit(Some(a)).unwrap();
        assert_eq!(admission.admit(Some(a)).unwrap_err(), Full::Address(2));
        let _third = admission.admit(Some(b)).unwrap();
        assert_eq!(admission.admit(None).unwrap_err(), Full::Process(3));
        drop(first);
        assert_eq!(admission.count(), 2);
        assert!(admission.admit(Some(a)).is_ok(), "a's place came back");
    }
}
