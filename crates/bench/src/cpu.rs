//! CPU time used by a process (user + system, from `/proc/PID/stat`), to split what a measured
//! step cost between the client (this process) and the emulator (its child process).

use std::time::Duration;

/// Clock ticks per second of `/proc/*/stat` times (`USER_HZ`, 100 on Linux).
const TICKS_PER_SECOND: u64 = 100;

/// User + system CPU time of process `pid` (this process when `None`), if known.
pub(crate) fn process_cpu(pid: Option<u32>) -> Option<Duration> {
    let path = match pid {
        Some(pid) => format!("/proc/{pid}/stat"),
        None => "/proc/self/stat".to_string(),
    };
    parse_stat(&std::fs::read_to_string(path).ok()?)
}

/// `utime + stime` of a `/proc/PID/stat` line. The command name (field 2) may hold spaces and
/// parentheses, so fields are counted after its last `)`.
fn parse_stat(stat: &str) -> Option<Duration> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the name: state is field 3, utime field 14, stime field 15.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(Duration::from_millis(
        (utime + stime) * 1000 / TICKS_PER_SECOND,
    ))
}

/// CPU used by the client and the emulator between two readings.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CpuMark {
    client: Option<Duration>,
    emulator: Option<Duration>,
}

impl CpuMark {
    /// Reads both processes now.
    pub(crate) fn now(emulator_pid: Option<u32>) -> Self {
        Self {
            client: process_cpu(None),
            emulator: emulator_pid.and_then(|p| process_cpu(Some(p))),
        }
    }

    /// (client, emulator) CPU used since `self`, when both readings are known.
    pub(crate) fn since(&self, emulator_pid: Option<u32>) -> Option<(Duration, Duration)> {
        let later = Self::now(emulator_pid);
        Some((
            later.client?.checked_sub(self.client?)?,
            later.emulator?.checked_sub(self.emulator?)?,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_user_and_system_time_after_odd_names() {
        let line = "1234 (tokio (rt) 1) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 8 0 100 0 0";
        assert_eq!(parse_stat(line), Some(Duration::from_secs(3)));
        assert_eq!(parse_stat("garbage"), None);
        assert!(process_cpu(None).is_some());
    }
}
