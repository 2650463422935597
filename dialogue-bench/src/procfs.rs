//! The server's memory and CPU time, read from `/proc/PID`.

/// Clock ticks per second of `/proc/PID/stat` (`getconf CLK_TCK`): 100 on
/// every Linux this runs on.
pub const TICKS_PER_SECOND: u64 = 100;

/// Clock ticks (of `cpu_ticks`, `own_cpu_ticks`) in seconds.
///
/// ```
/// assert_eq!(dialogue_bench::procfs::secs(250), 2.5);
/// ```
pub fn secs(ticks: u64) -> f64 {
    ticks as f64 / TICKS_PER_SECOND as f64
}

/// Resident memory (`VmRSS`) of a process, in KiB.
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status_field_kib(&status, "VmRSS:")
}

/// A `kB` field of a `/proc/PID/status` text.
pub fn status_field_kib(status: &str, field: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}

/// User plus system CPU time of a process, in clock ticks.
pub fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat_cpu_ticks(&stat)
}

/// `utime + stime` of a `/proc/PID/stat` line (fields 14 and 15, counted
/// after the parenthesised command name, which may hold spaces).
pub fn stat_cpu_ticks(stat: &str) -> Option<u64> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// The CPU time of this process, in clock ticks.
pub fn own_cpu_ticks() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    stat_cpu_ticks(&stat)
}

/// The 1-minute load average of the machine.
pub fn loadavg() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_status_and_stat() {
        let status = "Name:\tconformance\nVmPeak:\t  9000 kB\nVmRSS:\t   12345 kB\nThreads:\t3\n";
        assert_eq!(status_field_kib(status, "VmRSS:"), Some(12_345));
        assert_eq!(status_field_kib(status, "VmSwap:"), None);
        let stat = "1234 (my (odd) name) S 1 1234 1234 0 -1 4194560 500 0 0 0 700 45 0 0 20 0 3 0";
        assert_eq!(stat_cpu_ticks(stat), Some(745));
        assert_eq!(stat_cpu_ticks("garbage"), None);
    }

    #[test]
    fn reads_this_process() {
        assert!(rss_kib(std::process::id()).is_some_and(|kib| kib > 0));
        assert!(own_cpu_ticks().is_some());
        assert!(loadavg().is_some());
    }
}
