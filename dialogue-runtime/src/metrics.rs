//! What the server measures, through the `metrics` facade (docs/operating.md
//! lists every name): an application that installs a recorder (the
//! conformance server: metrics-exporter-prometheus at `/metrics`) sees them;
//! without one, or without the `metrics` feature, each call is a no-op.
//!
//! Labels are bounded: a request's name, an error code, an outcome. Never a
//! room id, a user id or anything a client chooses.

/// Names, in one place.
#[cfg_attr(not(feature = "metrics"), allow(dead_code))]
pub(crate) mod names {
    pub(crate) const CONNECTIONS: &str = "dialogue_connections";
    pub(crate) const MEMBERS: &str = "dialogue_members";
    pub(crate) const ROOMS: &str = "dialogue_rooms";
    pub(crate) const EVENTS_ACCEPTED: &str = "dialogue_events_accepted_total";
    pub(crate) const REQUESTS_REFUSED: &str = "dialogue_requests_refused_total";
    pub(crate) const REQUEST_SECONDS: &str = "dialogue_request_duration_seconds";
    pub(crate) const RECOVERIES: &str = "dialogue_recoveries_total";
    pub(crate) const SLOW_MEMBERS: &str = "dialogue_slow_members_dropped_total";
    pub(crate) const DELIVERIES: &str = "dialogue_deliveries_total";
    pub(crate) const COMMIT_SECONDS: &str = "dialogue_store_commit_duration_seconds";
    pub(crate) const COMMIT_BATCH: &str = "dialogue_store_commit_batch_size";
    pub(crate) const COMMITS_HELD: &str = "dialogue_store_commits_held_seconds";
    pub(crate) const GAPS: &str = "dialogue_redis_gaps_total";
}

/// An event a room accepted (numbered, kept, delivered).
pub(crate) fn event_accepted() {
    #[cfg(feature = "metrics")]
    metrics::counter!(names::EVENTS_ACCEPTED).increment(1);
}

/// A request refused with `code` (a trigger's refusal is an event refused).
pub(crate) fn request_refused(request: &'static str, code: &'static str) {
    #[cfg(feature = "metrics")]
    metrics::counter!(names::REQUESTS_REFUSED, "request" => request, "code" => code).increment(1);
    #[cfg(not(feature = "metrics"))]
    let _ = (request, code);
}

/// How long a request took, from its arrival to its answer.
pub(crate) fn request_seconds(request: &'static str, seconds: f64) {
    #[cfg(feature = "metrics")]
    metrics::histogram!(names::REQUEST_SECONDS, "request" => request).record(seconds);
    #[cfg(not(feature = "metrics"))]
    let _ = (request, seconds);
}

/// A join or a resume with a position: recovered or not.
pub(crate) fn recovery(recovered: bool) {
    #[cfg(feature = "metrics")]
    metrics::counter!(names::RECOVERIES, "outcome" => if recovered { "recovered" } else { "not_recovered" })
        .increment(1);
    #[cfg(not(feature = "metrics"))]
    let _ = recovered;
}

/// One commit of the durable store: how long, and how many events.
#[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
pub(crate) fn commit(seconds: f64, events: usize) {
    #[cfg(feature = "metrics")]
    {
        metrics::histogram!(names::COMMIT_SECONDS).record(seconds);
        metrics::histogram!(names::COMMIT_BATCH).record(events as f64);
    }
    #[cfg(not(feature = "metrics"))]
    let _ = (seconds, events);
}

/// Commits were held while a checkpoint made the durable store's WAL start
/// over: for how long.
#[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
pub(crate) fn commits_held(seconds: f64) {
    #[cfg(feature = "metrics")]
    metrics::histogram!(names::COMMITS_HELD).record(seconds);
    #[cfg(not(feature = "metrics"))]
    let _ = seconds;
}

/// A node noticed it missed a room's events from Redis: `repaired` from the
/// room's log, or not (the log no longer held them; the node's delivery
/// started over from the room's position).
#[cfg_attr(not(feature = "redis"), allow(dead_code))]
pub(crate) fn gap(repaired: bool) {
    #[cfg(feature = "metrics")]
    metrics::counter!(names::GAPS, "outcome" => if repaired { "repaired" } else { "unrepaired" })
        .increment(1);
    #[cfg(not(feature = "metrics"))]
    let _ = repaired;
}

/// What the state says when a scrape asks.
pub(crate) struct Snapshot {
    pub(crate) connections: usize,
    pub(crate) members: usize,
    pub(crate) rooms: usize,
    pub(crate) slow_members: u64,
    /// `None` when deliveries are not counted.
    pub(crate) deliveries: Option<u64>,
}

/// The gauges (and the counters kept as atomics), set from the state when a
/// scrape asks.
pub(crate) fn gauges(now: Snapshot) {
    #[cfg(feature = "metrics")]
    {
        metrics::gauge!(names::CONNECTIONS).set(now.connections as f64);
        metrics::gauge!(names::MEMBERS).set(now.members as f64);
        metrics::gauge!(names::ROOMS).set(now.rooms as f64);
        metrics::counter!(names::SLOW_MEMBERS).absolute(now.slow_members);
        if let Some(deliveries) = now.deliveries {
            metrics::counter!(names::DELIVERIES).absolute(deliveries);
        }
    }
    #[cfg(not(feature = "metrics"))]
    let _ = now;
}
