//! Optional throttling of Graph requests per app (`graph_requests_per_second` setting): a token
//! bucket per client id; an empty bucket answers 429 with the wait in `Retry-After`.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

/// Token buckets by app.
#[derive(Debug, Default)]
pub struct Throttle {
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl Throttle {
    /// Takes one request from `key`'s bucket refilled at `rate` per second; `Err(wait)` when
    /// the bucket is empty.
    pub fn take(&self, key: &str, rate: f64) -> Result<(), Duration> {
        if !(rate.is_finite() && rate > 0.0) {
            return Ok(());
        }
        let burst = rate.max(1.0);
        let now = Instant::now();
        let mut buckets = self.buckets.lock();
        let b = buckets.entry(key.to_string()).or_insert(Bucket {
            tokens: burst,
            last: now,
        });
        b.tokens = (b.tokens + now.duration_since(b.last).as_secs_f64() * rate).min(burst);
        b.last = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64(
                ((1.0 - b.tokens) / rate).min(3600.0),
            ))
        }
    }
}

/// `Retry-After` text for a wait: seconds with up to three decimals, at least 0.001.
pub fn retry_after(wait: Duration) -> String {
    let secs = (wait.as_secs_f64() * 1000.0).ceil().max(1.0) / 1000.0;
    let text = format!("{secs:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_allows_the_burst_then_asks_to_wait() {
        let t = Throttle::default();
        assert!(t.take("a", 2.0).is_ok());
        assert!(t.take("a", 2.0).is_ok());
        let wait = t.take("a", 2.0).unwrap_err();
        assert!(wait > Duration::ZERO && wait <= Duration::from_millis(500));
        assert!(t.take("b", 2.0).is_ok(), "buckets are per app");
        assert!(t.take("a", 0.0).is_ok(), "no rate, no throttling");
        assert_eq!(retry_after(Duration::from_millis(250)), "0.25");
        assert_eq!(retry_after(Duration::from_secs(2)), "2");
    }
}
