//! Time rules: cron schedules, durations, failure backoff and stream throttling.

use std::collections::VecDeque;
use std::fmt;
use std::str::FromStr;
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Local};

/// Failure backoff settings (`[source.NAME.backoff]`); [`Default`] holds the defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct BackoffSetting {
    /// First delay after a failure.
    pub min: Duration,
    /// Longest delay.
    pub max: Duration,
    /// Added per further failure (if set); otherwise the delay is multiplied by `factor`.
    pub step: Option<Duration>,
    /// Growth factor (default 2).
    pub factor: f64,
    /// Reset after this many successful streams.
    pub reset_after_successes: Option<u32>,
    /// Reset after this long without failures.
    pub reset_after_quiet: Option<Duration>,
}

impl Default for BackoffSetting {
    fn default() -> Self {
        Self {
            min: Duration::from_secs(1),
            max: Duration::from_secs(300),
            step: None,
            factor: 2.0,
            reset_after_successes: Some(1),
            reset_after_quiet: None,
        }
    }
}

/// A cron expression: 5 fields (`min hour day month weekday`), 6 (with seconds first) or 7
/// (with a year). Evaluated in the node's local time zone.
#[derive(Clone)]
pub struct CronSpec {
    text: String,
    schedule: Box<cron::Schedule>,
}

impl CronSpec {
    /// Parses an expression; the error explains what is wrong.
    pub fn parse(text: &str) -> Result<Self, String> {
        let trimmed = text.trim();
        let fields = trimmed.split_whitespace().count();
        let full = match fields {
            5 => format!("0 {trimmed}"),
            6 | 7 => trimmed.to_string(),
            n => {
                return Err(format!(
                    "invalid cron expression '{trimmed}': expected 5 fields (minute hour day month weekday), 6 (seconds first) or 7 (with year), found {n}"
                ))
            }
        };
        let schedule = cron::Schedule::from_str(&full)
            .map_err(|e| format!("invalid cron expression '{trimmed}': {e}"))?;
        Ok(Self {
            text: trimmed.to_string(),
            schedule: Box::new(schedule),
        })
    }

    /// The expression as written.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The first firing strictly after `after`.
    pub fn next_after(&self, after: SystemTime) -> Option<SystemTime> {
        let local: DateTime<Local> = after.into();
        self.schedule.after(&local).next().map(SystemTime::from)
    }
}

impl fmt::Debug for CronSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CronSpec({:?})", self.text)
    }
}

/// Parses a duration such as `30s`, `5m`, `1h 30m`, `2d`, `500ms` (a bare number = seconds).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    if let Ok(secs) = t.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    humantime::parse_duration(t)
        .map_err(|e| format!("invalid duration '{t}': {e} (examples: 30s, 5m, 1h 30m, 2d)"))
}

/// Failure backoff: after a failure, wait `min`; each further failure grows the wait (by `step`
/// or ×`factor`) up to `max`. It resets after N successes or after a quiet time.
#[derive(Debug, Clone)]
pub struct Backoff {
    setting: BackoffSetting,
    current: Option<Duration>,
    until: Option<SystemTime>,
    successes: u32,
    last_failure: Option<SystemTime>,
}

impl Backoff {
    /// A backoff with no failure yet.
    pub fn new(setting: BackoffSetting) -> Self {
        Self {
            setting,
            current: None,
            until: None,
            successes: 0,
            last_failure: None,
        }
    }

    /// Records a failure at `now`; returns the delay before the next stream.
    pub fn failure(&mut self, now: SystemTime) -> Duration {
        self.maybe_quiet_reset(now);
        let next = match self.current {
            None => self.setting.min,
            Some(d) => match self.setting.step {
                Some(step) => d + step,
                None => d.mul_f64(self.setting.factor.max(1.0)),
            },
        }
        .min(self.setting.max)
        .max(self.setting.min.min(self.setting.max));
        self.current = Some(next);
        self.until = Some(now + next);
        self.successes = 0;
        self.last_failure = Some(now);
        next
    }

    /// Records a success at `now`.
    pub fn success(&mut self, now: SystemTime) {
        self.maybe_quiet_reset(now);
        if self.current.is_some() {
            self.successes += 1;
            if let Some(n) = self.setting.reset_after_successes {
                if self.successes >= n.max(1) {
                    self.reset();
                }
            }
        }
    }

    fn maybe_quiet_reset(&mut self, now: SystemTime) {
        if let (Some(quiet), Some(last)) = (self.setting.reset_after_quiet, self.last_failure) {
            if now.duration_since(last).unwrap_or_default() >= quiet {
                self.reset();
            }
        }
    }

    fn reset(&mut self) {
        self.current = None;
        self.until = None;
        self.successes = 0;
        self.last_failure = None;
    }

    /// The current delay (None = not backing off).
    pub fn current(&self) -> Option<Duration> {
        self.current
    }

    /// Until when new streams wait (None or past = go).
    pub fn blocked_until(&mut self, now: SystemTime) -> Option<SystemTime> {
        self.maybe_quiet_reset(now);
        self.until.filter(|u| *u > now)
    }
}

/// At most `max` new streams per sliding `period`.
#[derive(Debug, Clone)]
pub struct Throttle {
    max: Option<u32>,
    period: Duration,
    started: VecDeque<SystemTime>,
}

impl Throttle {
    /// A throttle (`max` None = unlimited).
    pub fn new(max: Option<u32>, period: Duration) -> Self {
        Self {
            max,
            period,
            started: VecDeque::new(),
        }
    }

    /// Whether a new stream may start at `now`; if not, when one may.
    pub fn check(&mut self, now: SystemTime) -> Result<(), SystemTime> {
        let Some(max) = self.max else { return Ok(()) };
        while let Some(first) = self.started.front() {
            if now.duration_since(*first).unwrap_or_default() >= self.period {
                self.started.pop_front();
            } else {
                break;
            }
        }
        if (self.started.len() as u32) < max {
            Ok(())
        } else {
            Err(self
                .started
                .front()
                .map(|t| *t + self.period)
                .unwrap_or(now))
        }
    }

    /// Records a stream started at `now`.
    pub fn record(&mut self, now: SystemTime) {
        if self.max.is_some() {
            self.started.push_back(now);
        }
    }

    /// Takes back a [`Throttle::record`] of `now` (the slot was reserved for a stream that
    /// did not start).
    pub fn unrecord(&mut self, now: SystemTime) {
        if let Some(i) = self.started.iter().rposition(|t| *t == now) {
            self.started.remove(i);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setting() -> BackoffSetting {
        BackoffSetting {
            min: Duration::from_secs(1),
            max: Duration::from_secs(10),
            step: None,
            factor: 2.0,
            reset_after_successes: Some(2),
            reset_after_quiet: Some(Duration::from_secs(60)),
        }
    }

    #[test]
    fn backoff_grows_to_max_and_resets_after_successes() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1000);
        let mut b = Backoff::new(setting());
        let delays: Vec<u64> = (0..6).map(|_| b.failure(t0).as_secs()).collect();
        assert_eq!(delays, vec![1, 2, 4, 8, 10, 10]);
        b.success(t0);
        assert!(b.current().is_some());
        b.success(t0);
        assert!(b.current().is_none());
        assert_eq!(b.failure(t0).as_secs(), 1);
    }

    #[test]
    fn backoff_step_growth_and_quiet_reset() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1000);
        let mut s = setting();
        s.step = Some(Duration::from_secs(3));
        let mut b = Backoff::new(s);
        assert_eq!(b.failure(t0).as_secs(), 1);
        assert_eq!(b.failure(t0).as_secs(), 4);
        assert_eq!(b.failure(t0).as_secs(), 7);
        assert!(b.blocked_until(t0).is_some());
        let later = t0 + Duration::from_secs(61);
        assert!(b.blocked_until(later).is_none());
        assert!(b.current().is_none());
        assert_eq!(b.failure(later).as_secs(), 1);
    }

    #[test]
    fn throttle_limits_per_period() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1000);
        let mut t = Throttle::new(Some(2), Duration::from_secs(60));
        assert!(t.check(t0).is_ok());
        t.record(t0);
        t.record(t0);
        assert_eq!(t.check(t0), Err(t0 + Duration::from_secs(60)));
        assert!(t.check(t0 + Duration::from_secs(60)).is_ok());
    }

    #[test]
    fn cron_accepts_five_fields_and_rejects_garbage() {
        let c = CronSpec::parse("*/5 * * * *").unwrap();
        let t0 = SystemTime::now();
        let next = c.next_after(t0).unwrap();
        assert!(next > t0 && next <= t0 + Duration::from_secs(301));
        assert!(CronSpec::parse("61 * * * *").is_err());
        assert!(CronSpec::parse("every day").is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("1h 30m").unwrap(), Duration::from_secs(5400));
        assert!(parse_duration("soon").is_err());
    }
}
