//! The measurements, one module per figure group of issue 6, sharing one [`Ctx`].

pub(crate) mod ceiling;
pub(crate) mod changes;
pub(crate) mod large;
pub(crate) mod raw;
pub(crate) mod small;
pub(crate) mod throttling;
pub(crate) mod tokens;
pub(crate) mod transfer_child;

use std::future::Future;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use graphlink_graph::DriveClient;

use crate::admin::Admin;
use crate::conn::Product;
use crate::serve::Endpoint;
use crate::throttle_log::ThrottleLog;

/// Sizes of one run (`--quick` or full).
#[derive(Debug, Clone)]
pub(crate) struct Sizes {
    /// Size of the large file in bytes.
    pub large: u64,
    /// Rounds of the large-file transfers (figures: their medians). Even, so that each of the
    /// two orders of the transfers in a round is used as often.
    pub large_rounds: u32,
    /// Rounds of the small-file transfers (figures: their medians; even, as above).
    pub rounds: u32,
    /// Whether one more round runs first, uncounted: the first writes of a run land in memory
    /// the kernel has not used for a while, which on this kind of virtual machine costs several
    /// times more than the following rounds.
    pub warmup: bool,
    /// Number of small files.
    pub small_count: usize,
    /// Size of each small file.
    pub small_size: usize,
    /// Items in the change-detection library.
    pub library: usize,
    /// Files that appear in the library.
    pub new_files: usize,
    /// Graph calls made to count token requests.
    pub token_calls: usize,
    /// Concurrent callers asking a fresh cache for a token.
    pub token_callers: usize,
    /// How long the emulator's ceiling is measured.
    pub ceiling: Duration,
}

impl Sizes {
    /// The full run of issue 6.
    pub(crate) fn full() -> Self {
        Self {
            large: 1 << 30,
            large_rounds: 6,
            rounds: 6,
            warmup: true,
            small_count: 2_000,
            small_size: 16 * 1024,
            library: 100_000,
            new_files: 100,
            token_calls: 10_000,
            token_callers: 1_000,
            ceiling: Duration::from_secs(5),
        }
    }

    /// The CI smoke test: same figures, smaller sizes.
    pub(crate) fn quick() -> Self {
        Self {
            large: 64 << 20,
            large_rounds: 1,
            rounds: 1,
            warmup: false,
            small_count: 200,
            small_size: 16 * 1024,
            library: 5_000,
            new_files: 100,
            token_calls: 10_000,
            token_callers: 1_000,
            ceiling: Duration::from_secs(2),
        }
    }
}

/// Everything a measurement needs.
pub(crate) struct Ctx {
    /// Where the emulator listens.
    pub endpoint: Endpoint,
    /// Its admin API.
    pub admin: Admin,
    /// The product connection used for transfers.
    pub product: Product,
    /// Adele's OneDrive through the product connection.
    pub drive: DriveClient,
    /// The baselines' plain HTTP client (same TLS and CA as the product).
    pub plain: reqwest::Client,
    /// Scratch folder for local files.
    pub work: PathBuf,
    /// Token caches of device-flow connections would live here (unused by client credentials).
    pub cache_dir: PathBuf,
    /// Sizes of this run.
    pub sizes: Sizes,
    /// The client's throttling pauses, as logged by the transport.
    pub throttles: ThrottleLog,
    /// When the run started (for progress lines).
    pub started: Instant,
    /// The emulator child's process id, to read its CPU time.
    pub emulator_pid: Option<u32>,
}

impl Ctx {
    /// Prints a progress line on stderr.
    pub(crate) fn say(&self, what: impl AsRef<str>) {
        eprintln!(
            "[{:>6.1}s] {}",
            self.started.elapsed().as_secs_f64(),
            what.as_ref()
        );
    }
}

/// Runs `work` and returns its output with the wall time it took.
pub(crate) async fn timed<T, F: Future<Output = T>>(work: F) -> (T, Duration) {
    let start = Instant::now();
    let out = work.await;
    (out, start.elapsed())
}

impl Sizes {
    /// The rounds to run, each with whether it counts (the warm-up round does not). Round
    /// numbers alternate the order of the transfers.
    pub(crate) fn rounds_of(&self, counted: u32) -> impl Iterator<Item = (u32, bool)> {
        let warmup = u32::from(self.warmup);
        (0..counted + warmup).map(move |round| (round, round >= warmup))
    }

    /// How figures over `counted` rounds say so: "median of 6 rounds (after a warm-up round)".
    pub(crate) fn median_of(&self, counted: u32) -> String {
        let plural = if counted == 1 { "" } else { "s" };
        let warmup = if self.warmup {
            " (after a warm-up round)"
        } else {
            ""
        };
        format!("median of {counted} round{plural}{warmup}")
    }
}

/// What a progress line of an uncounted round adds.
pub(crate) fn warmup_note(counted: bool) -> &'static str {
    if counted {
        ""
    } else {
        " (warm-up, not counted)"
    }
}

/// Bytes per second as MB/s (10^6 bytes).
pub(crate) fn mb_per_s(bytes: u64, took: Duration) -> f64 {
    bytes as f64 / 1e6 / took.as_secs_f64().max(1e-9)
}

/// The median of `values` (the mean of the middle two for an even count; 0 when empty). Speeds
/// are compared as medians of the rounds: one lucky or unlucky round (disk writeback, another
/// process) moves a best-of figure, not a median.
pub(crate) fn median(values: &[f64]) -> f64 {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    if v.len() % 2 == 1 {
        v[mid]
    } else {
        (v[mid - 1] + v[mid]) / 2.0
    }
}

/// Bytes as MiB.
pub(crate) fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

#[cfg(test)]
mod tests {
    use super::median;

    #[test]
    fn a_warm_up_round_runs_first_and_does_not_count() {
        let full = super::Sizes::full();
        let rounds: Vec<(u32, bool)> = full.rounds_of(2).collect();
        assert_eq!(rounds, [(0, false), (1, true), (2, true)]);
        assert_eq!(
            full.median_of(2),
            "median of 2 rounds (after a warm-up round)"
        );
        let quick = super::Sizes::quick();
        assert_eq!(quick.rounds_of(1).collect::<Vec<_>>(), [(0, true)]);
        assert_eq!(quick.median_of(1), "median of 1 round");
    }

    #[test]
    fn median_of_odd_even_and_empty() {
        assert_eq!(median(&[5.0, 1.0, 3.0]), 3.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(median(&[]), 0.0);
        assert_eq!(median(&[f64::NAN, 2.0]), 2.0);
    }
}
