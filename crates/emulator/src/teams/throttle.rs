//! Channel-post throttling: a token bucket per app (the tenant is the emulator's one tenant),
//! refilled at `channel_post_rate_per_sec` up to `channel_post_burst` posts.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::bucket::TokenBuckets;

/// The buckets of every app, and how many posts were refused.
#[derive(Default)]
pub struct Throttle {
    buckets: TokenBuckets,
    throttled: AtomicU64,
}

impl std::fmt::Debug for Throttle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Throttle")
            .field("throttled", &self.throttled())
            .finish_non_exhaustive()
    }
}

impl Throttle {
    /// Takes one post from `app`'s bucket, or says how long until one is available. A rate of
    /// zero or less turns throttling off.
    pub fn take(&self, app: &str, rate_per_sec: f64, burst: u32) -> Result<(), Duration> {
        let burst = f64::from(burst.max(1));
        self.buckets
            .take(&app.to_ascii_lowercase(), rate_per_sec, burst)
            .map_err(|wait| {
                self.throttled.fetch_add(1, Ordering::Relaxed);
                // Round up to whole milliseconds so the client never comes back a hair too early.
                Duration::from_millis((wait * 1000.0).ceil() as u64 + 1)
            })
    }

    /// How many posts were refused with 429 so far.
    pub fn throttled(&self) -> u64 {
        self.throttled.load(Ordering::Relaxed)
    }
}

/// `Retry-After` text for a wait: decimal seconds (`0.347`), as Graph sometimes sends.
pub fn retry_after_text(wait: Duration) -> String {
    format!("{:.3}", wait.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_refusal_with_a_wait() {
        let t = Throttle::default();
        for _ in 0..4 {
            assert!(t.take("app", 2.0, 4).is_ok());
        }
        let wait = t.take("APP", 2.0, 4).unwrap_err();
        assert!(wait > Duration::ZERO && wait <= Duration::from_millis(502));
        assert_eq!(t.throttled(), 1);
        assert!(t.take("other", 2.0, 4).is_ok());
        assert!(t.take("app", 0.0, 4).is_ok());
        assert_eq!(retry_after_text(Duration::from_millis(2128)), "2.128");
    }
}
