//! The one retry policy of graphlink: which failures are retried, how long to wait, and how a
//! throttling answer pauses the whole connection.

use std::future::Future;
use std::time::{Duration, SystemTime};

use rand::Rng;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::StatusCode;

use crate::PauseGate;

/// Whether a request may be sent twice without harm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Idempotency {
    /// GET, PUT of a whole body, DELETE, PATCH of fixed values: safe to repeat.
    Idempotent,
    /// POST that creates something: repeated only when the server certainly did not act on it
    /// (429/503 refusals, failures to connect).
    NonIdempotent,
}

/// What to do with one attempt's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryDecision {
    /// Final: hand the response or error to the caller.
    Final,
    /// Throttled: pause the whole connection for the given time (the server's `Retry-After`,
    /// or the backoff when it gave none), then retry.
    Throttled(Duration),
    /// Transient: wait the given time (this request only) and retry.
    Backoff(Duration),
}

/// Retry limits and backoff shape.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// First backoff step.
    pub base_delay: Duration,
    /// Longest single backoff step (a server's `Retry-After` may be longer and is honoured).
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 8,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(30),
        }
    }
}

/// Parses `Retry-After`: whole seconds, decimal seconds (`2.128`) or an HTTP date.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<f64>() {
        if secs.is_finite() && secs >= 0.0 {
            return Some(Duration::from_secs_f64(secs.min(86_400.0)));
        }
        return None;
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(
        date.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

impl RetryPolicy {
    /// Exponential backoff with full jitter for the given retry number (0-based).
    pub fn backoff(&self, retry: u32) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(1u32.checked_shl(retry.min(20)).unwrap_or(u32::MAX));
        let cap = exp.min(self.max_delay);
        let jitter = rand::thread_rng().gen_range(0.5..=1.0);
        cap.mul_f64(jitter)
    }

    /// Decides what to do with a response status, given the retry number (0-based) that just failed.
    pub fn decide_status(
        &self,
        status: StatusCode,
        headers: &HeaderMap,
        retry: u32,
        idempotency: Idempotency,
    ) -> RetryDecision {
        if retry >= self.max_retries {
            return RetryDecision::Final;
        }
        match status.as_u16() {
            429 | 503 => RetryDecision::Throttled(
                retry_after(headers).unwrap_or_else(|| self.backoff(retry)),
            ),
            500 | 502 | 504 | 509 if idempotency == Idempotency::Idempotent => {
                RetryDecision::Backoff(retry_after(headers).unwrap_or_else(|| self.backoff(retry)))
            }
            _ => RetryDecision::Final,
        }
    }

    /// Decides what to do with a transport error.
    pub fn decide_error(
        &self,
        error: &reqwest::Error,
        retry: u32,
        idempotency: Idempotency,
    ) -> RetryDecision {
        if retry >= self.max_retries || error.is_builder() || error.is_redirect() {
            return RetryDecision::Final;
        }
        // A failure to connect means nothing reached the server: always safe.
        if error.is_connect() || idempotency == Idempotency::Idempotent {
            return RetryDecision::Backoff(self.backoff(retry));
        }
        RetryDecision::Final
    }
}

/// Sends requests under a [`RetryPolicy`] and a connection's [`PauseGate`].
#[derive(Debug, Clone, Default)]
pub struct Sender {
    /// The retry policy.
    pub policy: RetryPolicy,
    /// The connection-wide pause.
    pub gate: PauseGate,
}

impl Sender {
    /// A sender with the given policy and pause gate.
    pub fn new(policy: RetryPolicy, gate: PauseGate) -> Self {
        Self { policy, gate }
    }

    /// Runs `attempt` until it yields a final outcome. `attempt` builds and sends one request
    /// (it is called again for every retry, so bodies are rebuilt). Before each attempt the
    /// connection-wide pause is awaited; a throttled answer extends that pause for everyone.
    /// After a pause the first attempt let through is the gate's probe (see
    /// [`crate::Pass`]): its outcome decides whether the other requests go or keep waiting. A
    /// final answer (success or error), a retry for another reason, a transport failure or a
    /// cancelled call all open the gate; only a throttled answer keeps it shut.
    pub async fn send<F, Fut>(
        &self,
        idempotency: Idempotency,
        mut attempt: F,
    ) -> Result<reqwest::Response, reqwest::Error>
    where
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = Result<reqwest::Response, reqwest::Error>>,
    {
        let mut retry = 0u32;
        loop {
            // Emits the `graphlink_http::send` TRACE event when it lets this attempt through.
            let pass = self.gate.wait().await;
            let outcome = attempt(retry).await;
            let decision = match &outcome {
                Ok(resp) => {
                    self.policy
                        .decide_status(resp.status(), resp.headers(), retry, idempotency)
                }
                Err(err) => self.policy.decide_error(err, retry, idempotency),
            };
            match decision {
                // Dropping the pass reports "not throttled": after a pause, the gate opens.
                RetryDecision::Final => return outcome,
                RetryDecision::Throttled(delay) => {
                    // Pause first, so that nothing is let through once the answer is in hand;
                    // then log; then extend the pause to `delay` after the log's instant, so
                    // that a reader of the log sees the whole wait within [event, event + delay).
                    pass.throttled(delay);
                    tracing::warn!(
                        status = outcome.as_ref().map(|r| r.status().as_u16()).unwrap_or(0),
                        delay_ms = delay.as_millis() as u64,
                        "throttled: pausing the connection"
                    );
                    self.gate.pause_for(delay);
                }
                RetryDecision::Backoff(delay) => {
                    drop(pass);
                    match &outcome {
                        Ok(resp) => tracing::warn!(
                            status = resp.status().as_u16(),
                            delay_ms = delay.as_millis() as u64,
                            "transient server error: retrying"
                        ),
                        Err(err) => tracing::warn!(
                            error = %describe_transport_error(err),
                            delay_ms = delay.as_millis() as u64,
                            "transport error: retrying"
                        ),
                    }
                    tokio::time::sleep(delay).await;
                }
            }
            retry += 1;
        }
    }
}

/// Describes a transport error without its URL (which may be a pre-authenticated link):
/// what kind of failure it was, and the innermost cause.
pub fn describe_transport_error(err: &reqwest::Error) -> String {
    let kind = if err.is_timeout() {
        "timed out"
    } else if err.is_connect() {
        "could not connect"
    } else if err.is_body() || err.is_decode() {
        "the response body broke off"
    } else if err.is_request() {
        "the request failed"
    } else {
        "transport error"
    };
    let mut cause = None;
    let mut source = std::error::Error::source(err);
    while let Some(e) = source {
        cause = Some(e.to_string());
        source = e.source();
    }
    match cause {
        Some(cause) => format!("{kind}: {cause}"),
        None => kind.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn retry_after_accepts_integer_decimal_and_http_date() {
        assert_eq!(retry_after(&headers("3")), Some(Duration::from_secs(3)));
        assert_eq!(
            retry_after(&headers("2.128")),
            Some(Duration::from_secs_f64(2.128))
        );
        let in_5s = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(5));
        let d = retry_after(&headers(&in_5s)).unwrap();
        assert!(
            d <= Duration::from_secs(5) && d >= Duration::from_secs(3),
            "{d:?}"
        );
        assert_eq!(retry_after(&headers("soon")), None);
        assert_eq!(retry_after(&headers("-1")), None);
        assert_eq!(retry_after(&HeaderMap::new()), None);
    }

    #[test]
    fn decision_table() {
        let p = RetryPolicy::default();
        let h = headers("1");
        let none = HeaderMap::new();
        let s = |c| StatusCode::from_u16(c).unwrap();
        use Idempotency::*;
        assert_eq!(
            p.decide_status(s(429), &h, 0, NonIdempotent),
            RetryDecision::Throttled(Duration::from_secs(1))
        );
        assert_eq!(
            p.decide_status(s(503), &h, 0, Idempotent),
            RetryDecision::Throttled(Duration::from_secs(1))
        );
        assert!(matches!(
            p.decide_status(s(500), &none, 0, Idempotent),
            RetryDecision::Backoff(_)
        ));
        assert_eq!(
            p.decide_status(s(500), &none, 0, NonIdempotent),
            RetryDecision::Final
        );
        for code in [502, 504, 509] {
            assert!(matches!(
                p.decide_status(s(code), &none, 0, Idempotent),
                RetryDecision::Backoff(_)
            ));
        }
        for code in [200, 400, 401, 403, 404, 409, 412, 416, 507] {
            assert_eq!(
                p.decide_status(s(code), &none, 0, Idempotent),
                RetryDecision::Final
            );
        }
        assert_eq!(
            p.decide_status(s(429), &h, p.max_retries, Idempotent),
            RetryDecision::Final
        );
    }

    /// Three calls of `send` on a paused connection; `answers` gives the status of each attempt
    /// in the order they are made. Returns the instant (seconds after the start) of each attempt.
    async fn three_sends_after_a_pause(answers: &'static [u16]) -> Vec<f64> {
        use std::sync::{Arc, Mutex};
        let sender = Sender::new(RetryPolicy::default(), PauseGate::new());
        sender.gate.pause_for(Duration::from_secs(1));
        let start = tokio::time::Instant::now();
        let attempts = Arc::new(Mutex::new(Vec::new()));
        let tasks: Vec<_> = (0..3)
            .map(|_| {
                let sender = sender.clone();
                let attempts = attempts.clone();
                tokio::spawn(async move {
                    sender
                        .send(Idempotency::Idempotent, |_| {
                            let mut attempts = attempts.lock().unwrap();
                            attempts.push(start.elapsed().as_secs_f64());
                            let status = answers.get(attempts.len() - 1).copied().unwrap_or(200);
                            let mut answer = axum::http::Response::builder().status(status);
                            if status == 429 {
                                answer = answer.header(RETRY_AFTER, "1");
                            }
                            let answer = reqwest::Response::from(answer.body("").unwrap());
                            async move { Ok(answer) }
                        })
                        .await
                        .unwrap()
                        .status()
                })
            })
            .collect();
        for task in tasks {
            assert_eq!(task.await.unwrap(), StatusCode::OK);
        }
        let attempts = attempts.lock().unwrap().clone();
        attempts
    }

    #[tokio::test(start_paused = true)]
    async fn a_throttled_probe_holds_back_the_other_requests() {
        // The probe at 1 s is throttled again: nobody else is sent until the next probe at 2 s,
        // whose success releases the other two.
        let attempts = three_sends_after_a_pause(&[429, 200]).await;
        assert_eq!(attempts, [1.0, 2.0, 2.0, 2.0]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_probe_retried_for_another_reason_opens_the_gate() {
        // The probe gets a 500 (backoff, this request only): the others go at once.
        let attempts = three_sends_after_a_pause(&[500]).await;
        assert_eq!(&attempts[..3], [1.0, 1.0, 1.0]);
        assert_eq!(attempts.len(), 4);
        assert!(attempts[3] > 1.0 && attempts[3] <= 1.25, "{attempts:?}");
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy {
            max_retries: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
        };
        assert!(p.backoff(0) <= Duration::from_millis(100));
        assert!(p.backoff(3) >= Duration::from_millis(400));
        assert!(p.backoff(30) <= Duration::from_secs(1));
    }
}
