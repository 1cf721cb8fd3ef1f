//! Records when the client was told to pause and when it sent requests: a tracing layer that
//! catches the shared transport's "throttled: pausing the connection" events (emitted once per
//! 429/503 answer, with the server's `Retry-After` as `delay_ms`) and its `graphlink_http::send`
//! TRACE events (emitted by the connection's pause gate for every attempt it lets through). From
//! these the benchmark computes the waits the server asked for, and counts the requests the client
//! sent while one of those waits was in force.
//!
//! The transport sets its pause before logging the throttling event and extends it to `delay`
//! after the event, and emits the send event while its gate decides; so a request it let through
//! before a pause is recorded before that pause's event, and one let through when the pause ended
//! is recorded after `event + delay`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use graphlink_http::SEND_EVENT_TARGET;
use parking_lot::Mutex;
use tracing::field::{Field, Visit};
use tracing::level_filters::LevelFilter;
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::filter::{Filtered, Targets};
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

/// One throttling answer the client received: when, and the wait asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Throttle {
    /// When the client handled the answer.
    pub at: Instant,
    /// The wait the server asked for.
    pub delay: Duration,
}

/// The recorded throttling answers and request sends (shared with the layer).
#[derive(Debug, Clone, Default)]
pub(crate) struct ThrottleLog {
    events: Arc<Mutex<Vec<Throttle>>>,
    sends: Arc<Mutex<Vec<Instant>>>,
}

impl ThrottleLog {
    /// The layer to install in the tracing subscriber, with its own filter: it sees the
    /// transport's WARN events and its send TRACE events, nothing else (other layers' levels are
    /// unaffected, and other TRACE callsites stay disabled).
    pub(crate) fn layer<S>(&self) -> Filtered<ThrottleLayer, Targets, S>
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
    {
        let targets = Targets::new()
            .with_target("graphlink_http", LevelFilter::WARN)
            .with_target(SEND_EVENT_TARGET, LevelFilter::TRACE);
        ThrottleLayer { log: self.clone() }.with_filter(targets)
    }

    /// Forgets what was recorded.
    pub(crate) fn clear(&self) {
        self.events.lock().clear();
        self.sends.lock().clear();
    }

    /// The throttling answers recorded.
    pub(crate) fn events(&self) -> Vec<Throttle> {
        self.events.lock().clone()
    }

    /// When the client sent each request attempt recorded.
    pub(crate) fn sends(&self) -> Vec<Instant> {
        self.sends.lock().clone()
    }
}

/// The intervals `[at, at + delay)` merged into disjoint, sorted spans (overlapping or touching
/// waits become one span, since a pause holds back the whole connection).
fn merged_waits(events: &[Throttle]) -> Vec<(Instant, Instant)> {
    let mut spans: Vec<(Instant, Instant)> =
        events.iter().map(|e| (e.at, e.at + e.delay)).collect();
    spans.sort();
    let mut merged: Vec<(Instant, Instant)> = Vec::with_capacity(spans.len());
    for (start, end) in spans {
        match merged.last_mut() {
            Some((_, e)) if start <= *e => *e = (*e).max(end),
            _ => merged.push((start, end)),
        }
    }
    merged
}

/// The length of the union of the intervals `[at, at + delay)`: the time during which at least
/// one wait the server asked for was in force (overlapping waits count once, since a pause holds
/// back the whole connection).
pub(crate) fn union_of_waits(events: &[Throttle]) -> Duration {
    merged_waits(events).iter().map(|(s, e)| *e - *s).sum()
}

/// How many of `sends` fall inside a wait the client had been told of: some `[at, at + delay)`
/// of `events` (from the moment the client handled a throttling answer until that wait ended).
pub(crate) fn sends_during_waits(events: &[Throttle], sends: &[Instant]) -> u64 {
    let spans = merged_waits(events);
    sends
        .iter()
        .filter(|&&sent| {
            // The last span starting at or before `sent`.
            let i = spans.partition_point(|&(start, _)| start <= sent);
            i > 0 && sent < spans[i - 1].1
        })
        .count() as u64
}

/// The tracing layer.
#[derive(Debug)]
pub(crate) struct ThrottleLayer {
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
        if meta.target() == SEND_EVENT_TARGET {
            self.log.sends.lock().push(Instant::now());
            return;
        }
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
    fn sends_inside_a_wait_are_counted() {
        let t0 = Instant::now();
        let ms = |ms: u64| t0 + Duration::from_millis(ms);
        let at = |start: u64, delay: u64| Throttle {
            at: ms(start),
            delay: Duration::from_millis(delay),
        };
        // Waits [1000,2000) and [1500,2500) overlap; [4000,5000) apart.
        let events = [at(4000, 1000), at(1000, 1000), at(1500, 1000)];
        let sends = [
            ms(0),    // before any wait
            ms(999),  // just before
            ms(1000), // at the throttling event: counted
            ms(2200), // inside the second, overlapping wait
            ms(2500), // the instant the merged wait ends: not counted
            ms(3000), // between waits
            ms(4999), // inside the last
            ms(5000), // when it ends
            ms(9000),
        ];
        assert_eq!(sends_during_waits(&events, &sends), 3);
        assert_eq!(sends_during_waits(&[], &sends), 0);
        assert_eq!(sends_during_waits(&events, &[]), 0);
        // Unsorted sends are fine.
        assert_eq!(
            sends_during_waits(&events, &[ms(4500), ms(100), ms(1200)]),
            2
        );
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

    #[test]
    fn the_transport_send_events_are_recorded_and_other_trace_events_are_not() {
        let log = ThrottleLog::default();
        let subscriber = tracing_subscriber::registry().with(log.layer());
        tracing::subscriber::with_default(subscriber, || {
            tracing::trace!(target: "graphlink_http::send", probe = false, "sending");
            tracing::trace!(target: "graphlink_http::send", probe = true, "sending");
            tracing::trace!(target: "graphlink_http::retry", "something else");
            tracing::trace!(target: "hyper::proto", "sending");
            tracing::debug!(target: "graphlink_http::retry", "retrying");
        });
        assert_eq!(log.sends().len(), 2);
        assert!(log.events().is_empty());
        log.clear();
        assert!(log.sends().is_empty());
    }

    #[tokio::test]
    async fn the_pause_gate_emits_the_send_event() {
        let log = ThrottleLog::default();
        let subscriber = tracing_subscriber::registry().with(log.layer());
        let _default = tracing::subscriber::set_default(subscriber);
        let gate = graphlink_http::PauseGate::new();
        drop(gate.wait().await);
        drop(gate.wait().await);
        assert_eq!(log.sends().len(), 2);
    }
}
