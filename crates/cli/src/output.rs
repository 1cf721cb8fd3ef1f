//! How commands print: human text on a terminal, one JSON object per result with `--json`.

use std::io::IsTerminal;

/// Output mode of a command.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Output {
    /// Print JSON instead of text.
    pub json: bool,
}

impl Output {
    /// Prints a result: `value` as one JSON line with `--json`, else the human text.
    pub(crate) fn result(&self, value: &serde_json::Value, human: impl FnOnce() -> String) {
        if self.json {
            println!("{value}");
        } else {
            let text = human();
            if !text.is_empty() {
                println!("{text}");
            }
        }
    }

    /// Whether progress bars should be drawn (a terminal on stderr and no `--json`).
    pub(crate) fn progress_bars(&self) -> bool {
        !self.json && std::io::stderr().is_terminal()
    }
}

/// Seconds since the epoch of a time, for JSON.
pub(crate) fn unix_secs(t: std::time::SystemTime) -> u64 {
    t.duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs()
}

/// A time as RFC 3339 UTC text.
pub(crate) fn rfc3339(t: std::time::SystemTime) -> String {
    let secs = unix_secs(t) as i64;
    time::OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|d| {
            d.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| secs.to_string())
}
