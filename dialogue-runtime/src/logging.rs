//! Logging that cannot take the server down with it.
//!
//! A subscriber may panic while it records: tracing-subscriber's `fmt`
//! layer reports a failed write with `eprintln!`, which panics when stderr
//! is unwritable too, and a full disk is exactly when a log file stops
//! taking writes. Where a panic would leave work unanswered (a committer
//! holding others' writes, a handler reporting a panic it contained), the
//! line is recorded through [`guarded`].

/// Records a log line, swallowing a panic of the subscriber: the line is
/// lost, the caller goes on.
pub(crate) fn guarded(record: impl FnOnce()) {
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(record));
}
