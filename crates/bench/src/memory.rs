//! The process's resident memory: current size and high-water mark (`VmRSS`, `VmHWM` from
//! `/proc/self/status`), and resetting the mark (`5` into `/proc/self/clear_refs`) so that one
//! phase's peak can be measured on its own.

/// Resets the resident-memory high-water mark to the current size. False where that is not
/// possible (not Linux, or not permitted).
pub(crate) fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// The resident-memory high-water mark in bytes, if known.
pub(crate) fn peak_rss() -> Option<u64> {
    status_field("VmHWM:")
}

/// The current resident memory in bytes, if known.
pub(crate) fn current_rss() -> Option<u64> {
    status_field("VmRSS:")
}

fn status_field(name: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    parse_kib_field(&status, name)
}

/// Reads a `Name:   1234 kB` line of `/proc/*/status` as bytes.
fn parse_kib_field(status: &str, name: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with(name))?;
    let kib: u64 = line[name.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib * 1024)
}

/// Measures the peak resident memory while `work` runs: resets the high-water mark first.
/// Returns the work's output and the peak in bytes (`None` when it cannot be measured alone).
pub(crate) async fn peak_during<F: std::future::Future>(work: F) -> (F::Output, Option<u64>) {
    let reset = reset_peak();
    let out = work.await;
    (out, if reset { peak_rss() } else { None })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines_are_read_as_bytes() {
        let status = "Name:\tbench\nVmHWM:\t  218356 kB\nVmRSS:\t   13552 kB\n";
        assert_eq!(parse_kib_field(status, "VmHWM:"), Some(218_356 * 1024));
        assert_eq!(parse_kib_field(status, "VmRSS:"), Some(13_552 * 1024));
        assert_eq!(parse_kib_field(status, "VmSwap:"), None);
        assert_eq!(parse_kib_field("VmHWM:\tlots kB\n", "VmHWM:"), None);
    }

    #[test]
    fn this_process_reports_its_memory() {
        if cfg!(target_os = "linux") {
            assert!(current_rss().is_some_and(|r| r > 0));
            assert!(peak_rss().is_some_and(|r| r > 0));
        }
    }
}
