//! Client-side pacing of channel posts: Teams allows about two per second per app per tenant,
//! so posts are spaced out before they are sent rather than refused and retried.

use std::time::{Duration, Instant};

/// How fast channel posts are sent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pacing {
    /// Posts per second (zero or less: no pacing).
    pub rate_per_sec: f64,
    /// Posts that may go out at once before the rate applies (at least 1).
    pub burst: u32,
}

impl Default for Pacing {
    /// Two posts per second, two at once: Teams' documented channel-post limit.
    fn default() -> Self {
        Self {
            rate_per_sec: 2.0,
            burst: 2,
        }
    }
}

impl Pacing {
    /// No pacing (the server's throttling and `Retry-After` still apply).
    pub fn off() -> Self {
        Self {
            rate_per_sec: 0.0,
            burst: 1,
        }
    }

    fn enabled(&self) -> bool {
        self.rate_per_sec.is_finite() && self.rate_per_sec > 0.0
    }
}

/// A token bucket; `take` says how long to wait when no post is available yet.
#[derive(Debug)]
pub(crate) struct Bucket {
    pacing: Pacing,
    tokens: f64,
    last: Option<Instant>,
}

impl Bucket {
    pub(crate) fn new(pacing: Pacing) -> Self {
        Self {
            pacing,
            tokens: f64::from(pacing.burst.max(1)),
            last: None,
        }
    }

    /// Takes one post at `now`, or returns how long until one is available.
    pub(crate) fn take(&mut self, now: Instant) -> Result<(), Duration> {
        if !self.pacing.enabled() {
            return Ok(());
        }
        let burst = f64::from(self.pacing.burst.max(1));
        if let Some(last) = self.last {
            let elapsed = now.saturating_duration_since(last).as_secs_f64();
            self.tokens = (self.tokens + elapsed * self.pacing.rate_per_sec).min(burst);
        }
        self.last = Some(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            let secs = (1.0 - self.tokens) / self.pacing.rate_per_sec;
            Err(Duration::from_secs_f64(secs.min(3600.0)))
        }
    }
}

/// An async pacer over a [`Bucket`]; waiters are served in arrival order.
#[derive(Debug)]
pub(crate) struct Pacer {
    bucket: tokio::sync::Mutex<Bucket>,
}

impl Pacer {
    pub(crate) fn new(pacing: Pacing) -> Self {
        Self {
            bucket: tokio::sync::Mutex::new(Bucket::new(pacing)),
        }
    }

    /// Waits until one more post may be sent.
    pub(crate) async fn acquire(&self) {
        let mut bucket = self.bucket.lock().await;
        loop {
            match bucket.take(Instant::now()) {
                Ok(()) => return,
                Err(wait) => tokio::time::sleep(wait).await,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_allows_the_burst_then_spaces_posts_at_the_rate() {
        let start = Instant::now();
        let mut b = Bucket::new(Pacing {
            rate_per_sec: 2.0,
            burst: 2,
        });
        assert!(b.take(start).is_ok());
        assert!(b.take(start).is_ok());
        assert_eq!(b.take(start), Err(Duration::from_millis(500)));
        assert!(b.take(start + Duration::from_millis(500)).is_ok());
        let wait = b.take(start + Duration::from_millis(600)).unwrap_err();
        assert!(wait.abs_diff(Duration::from_millis(400)) < Duration::from_millis(1));
        // Refill never exceeds the burst.
        let later = start + Duration::from_secs(60);
        assert!(b.take(later).is_ok());
        assert!(b.take(later).is_ok());
        assert!(b.take(later).is_err());

        let mut off = Bucket::new(Pacing::off());
        for _ in 0..100 {
            assert!(off.take(start).is_ok());
        }
    }
}
