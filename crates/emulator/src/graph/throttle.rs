//! Optional throttling of Graph requests per app (`graph_requests_per_second` setting): a token
//! bucket per client id holding one second's worth of requests; an empty bucket answers 429
//! with the wait in `Retry-After`. Both the drive routes and the Teams routes pass through it.

use std::time::Duration;

use axum::http::header::RETRY_AFTER;
use axum::http::StatusCode;

use crate::bucket::TokenBuckets;
use crate::web::GraphError;
use crate::AppState;

/// Token buckets by app.
#[derive(Debug, Default)]
pub struct Throttle {
    buckets: TokenBuckets,
}

impl Throttle {
    /// Takes one request from `key`'s bucket refilled at `rate` per second; `Err(wait)` when
    /// the bucket is empty.
    pub fn take(&self, key: &str, rate: f64) -> Result<(), Duration> {
        self.buckets
            .take(key, rate, rate.max(1.0))
            .map_err(|wait| Duration::from_secs_f64(wait.min(3600.0)))
    }
}

/// Applies the `graph_requests_per_second` limit to a request of `app`: Graph's 429
/// `activityLimitReached` with `Retry-After` when its bucket is empty (the pause is noted in
/// the fault registry, so tests can count requests sent during it).
pub fn admit(state: &AppState, app: &str) -> Result<(), GraphError> {
    let Some(rate) = state.settings().graph_requests_per_second else {
        return Ok(());
    };
    state.graph.throttle.take(app, rate).map_err(|wait| {
        state.faults.note_pause(wait);
        GraphError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "TooManyRequests",
            "Too many requests: the application is being throttled.",
        )
        .inner("activityLimitReached")
        .header(RETRY_AFTER, retry_after(wait))
    })
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
