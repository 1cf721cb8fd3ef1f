//! Token buckets by key (one per app): each holds up to `burst` tokens, refilled continuously at
//! `rate` per second, and a request takes one. The limiters of the Graph and Teams sides are
//! policies over these (which key, which burst, how the wait is rounded and sent).

use std::collections::HashMap;
use std::time::Instant;

use parking_lot::Mutex;

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

/// A token bucket per key, created full on first use.
#[derive(Debug, Default)]
pub struct TokenBuckets {
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl TokenBuckets {
    /// Takes one token from `key`'s bucket (refilled at `rate` per second, holding at most
    /// `burst`), or answers how many seconds until one is available. A rate that is not a
    /// positive finite number turns limiting off.
    pub fn take(&self, key: &str, rate: f64, burst: f64) -> Result<(), f64> {
        if !(rate.is_finite() && rate > 0.0) {
            return Ok(());
        }
        let now = Instant::now();
        let mut buckets = self.buckets.lock();
        let bucket = buckets.entry(key.to_string()).or_insert(Bucket {
            tokens: burst,
            last: now,
        });
        let elapsed = now.saturating_duration_since(bucket.last).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * rate).min(burst);
        bucket.last = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err((1.0 - bucket.tokens) / rate)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_bucket_gives_its_burst_then_names_the_wait() {
        let b = TokenBuckets::default();
        for _ in 0..3 {
            assert!(b.take("a", 2.0, 3.0).is_ok());
        }
        let wait = b.take("a", 2.0, 3.0).unwrap_err();
        assert!(wait > 0.0 && wait <= 0.5, "{wait}");
        assert!(b.take("A", 2.0, 3.0).is_ok(), "keys are taken as given");
        assert!(b.take("a", 0.0, 3.0).is_ok(), "no rate, no limit");
        assert!(b.take("a", f64::NAN, 3.0).is_ok());
        assert!(b.take("a", f64::INFINITY, 3.0).is_ok());
    }
}
