//! Records when the client was told to pause: a tracing layer that catches the shared transport's
//! "throttled: pausing the connection" events (emitted once per 429/503 answer, with the server's
//! `Retry-After` as `delay_ms`). From these the benchmark computes the waits the server asked for.

use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::Context;
use tracing_subscriber::Layer;

/// One throttling answer the client received: when, and the wait asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttle {
    /// When the client handled the answer.
    pub at: Instant,
    /// The wait the server asked for.
    pub delay: Duration,
}

/// The recorded throttling answers (shared with the layer).
#[derive(Debug, Clone, Default)]
pub struct ThrottleLog {
    events: Arc<Mutex<Vec<Throttle>>>,
}

impl ThrottleLog {
    /// The layer to install in the tracing subscriber.
    pub fn layer(&self) -> ThrottleLayer {
        ThrottleLayer { log: self.clone() }
    }

    /// Forgets what was recorded.
    pub fn clear(&self) {
        self.events.lock().clear();
    }

    /// What was recorded.
    pub fn events(&self) -> Vec<Throttle> {
        self.events.lock().clone()
    }
}

/// The length of the union of the intervals `[at, at + delay)`: the time during which at least
/// one wait the server asked for was in force (overlapping waits count once, since a pause holds
/// back the whole connection).
pub fn union_of_waits(events: &[Throttle]) -> Duration {
    let mut spans: Vec<(Instant, Instant)> =
        events.iter().map(|e| (e.at, e.at + e.delay)).collect();
    spans.sort();
    let mut total = Duration::ZERO;
    let mut current: Option<(Instant, Instant)> = None;
    for (start, end) in spans {
        current = match current {
            Some((s, e)) if start <= e => Some((s, e.max(end))),
            Some((s, e)) => {
                total += e - s;
                Some((start, end))
            }
            None => Some((start, end)),
        };
    }
    if let Some((s, e)) = current {
        total += e - s;
    }
    total
}

/// The tracing layer.
#[derive(Debug)]
pub struct ThrottleLayer {
    log: ThrottleLog,
}

#[derive(Default)]
struct Fields {
    message: String,
    delay_ms: Option<u64>,
}

impl Visit for Fields {
    fn record_u64(&mut self, field: &Field, value: u64) {
        if field.name() == "delay_ms" {
            self.delay_ms = Some(value);
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message = value.to_string();
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.message = format!("{value:?}");
        }
    }
}

impl<S: Subscriber> Layer<S> for ThrottleLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let meta = event.metadata();
        if *meta.level() != Level::WARN || !meta.target().starts_with("graphlink_http") {
            return;
        }
        let mut fields = Fields::default();
        event.record(&mut fields);
        if let (true, Some(ms)) = (fields.message.starts_with("throttled"), fields.delay_ms) {
            self.log.events.lock().push(Throttle {
                at: Instant::now(),
                delay: Duration::from_millis(ms),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing_subscriber::layer::SubscriberExt;

    #[test]
    fn overlapping_waits_count_once() {
        let t0 = Instant::now();
        let at = |ms: u64, delay: u64| Throttle {
            at: t0 + Duration::from_millis(ms),
            delay: Duration::from_millis(delay),
        };
        assert_eq!(union_of_waits(&[]), Duration::ZERO);
        // [0,1000) and [500,1500) overlap: 1500; [3000,4000) apart: +1000; a wait inside: +0.
        let events = [at(3000, 1000), at(0, 1000), at(500, 1000), at(3100, 100)];
        assert_eq!(union_of_waits(&events), Duration::from_millis(2500));
    }

    #[test]
    fn the_transport_throttling_event_is_recorded() {
        let log = ThrottleLog::default();
        let subscriber = tracing_subscriber::registry().with(log.layer());
        tracing::subscriber::with_default(subscriber, || {
            tracing::warn!(target: "graphlink_http::retry", status = 429u64, delay_ms = 1000u64, "throttled: pausing the connection");
            tracing::warn!(target: "graphlink_http::retry", status = 500u64, delay_ms = 250u64, "transient server error: retrying");
            tracing::warn!(target: "other", delay_ms = 1000u64, "throttled: elsewhere");
        });
        let events = log.events();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].delay, Duration::from_secs(1));
    }
}
