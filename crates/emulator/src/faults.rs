//! Fault injection and request counters.
//!
//! Rules come from the seed (`[[faults]]`), `graphlink emulator --fault`, or `POST
//! /_emulator/faults`. A rule matches a request by a regex on its path (and query) and optionally
//! its method, then applies either a scripted `sequence` (one step per matching request; `"pass"`
//! lets one through) or a `fault` with a `probability`. Every request outside `/_emulator` is
//! counted so tests and benchmarks can read how many requests a client sent.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderName, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::web::{GraphError, IdentityError};

/// One fault to inject.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Fault {
    /// Answer with this status (429, 503, 500, ...) and the matching error body, without running
    /// the handler.
    Status {
        /// HTTP status.
        status: u16,
        /// `Retry-After` value to send (seconds, decimal or HTTP date), if any.
        #[serde(default)]
        retry_after: Option<String>,
        /// Error code for the body (defaults from the status).
        #[serde(default)]
        code: Option<String>,
    },
    /// Delay the request, then serve it normally.
    Latency {
        /// Milliseconds.
        ms: u64,
    },
    /// Serve the request, then break the connection after this many response body bytes.
    CutResponse {
        /// Body bytes sent before the cut.
        #[serde(default)]
        after_bytes: u64,
    },
    /// Read this many request body bytes, then break the connection (the handler never runs).
    CutRequest {
        /// Request body bytes read before the cut.
        #[serde(default)]
        after_bytes: u64,
    },
}

/// A step of a scripted sequence: `"pass"` or a fault.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum Step {
    /// Let the request through untouched.
    Pass(PassMarker),
    /// Inject this fault.
    Fault(Fault),
}

/// The literal `"pass"`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum PassMarker {
    /// Pass.
    Pass,
}

/// A fault rule.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FaultRule {
    /// Regex matched against the request path and query (e.g. `^/v1\.0/drives/.*/content`).
    pub path: String,
    /// Methods the rule applies to (empty: all).
    #[serde(default)]
    pub methods: Vec<String>,
    /// Scripted steps, consumed one per matching request.
    #[serde(default)]
    pub sequence: Vec<Step>,
    /// Fault applied at random with [`FaultRule::probability`] (when there is no sequence).
    #[serde(default)]
    pub fault: Option<Fault>,
    /// Probability in 0..=1 for `fault`.
    #[serde(default)]
    pub probability: Option<f64>,
}

struct ActiveRule {
    rule: FaultRule,
    regex: regex::Regex,
    next_step: usize,
}

/// Counters of what clients sent.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Counters {
    /// Requests outside `/_emulator`.
    pub total: u64,
    /// Faults injected.
    pub injected: u64,
    /// Requests that arrived while a throttling pause the emulator asked for was in force.
    pub during_pause: u64,
    /// Requests by method.
    pub by_method: BTreeMap<String, u64>,
    /// The most requests served at the same time (from arrival to the response's head).
    pub max_in_flight: u64,
}

const LOG_LIMIT: usize = 500_000;

/// The fault rules in force and the request counters.
#[derive(Default)]
pub struct FaultRegistry {
    rules: Mutex<Vec<ActiveRule>>,
    counters: Mutex<Counters>,
    log: Mutex<Vec<(String, String)>>,
    pause_until: Mutex<Option<Instant>>,
    in_flight: Mutex<u64>,
}

/// A request being served: counted in the registry's requests in flight while it lives.
struct InFlight<'a>(&'a FaultRegistry);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        let mut n = self.0.in_flight.lock();
        *n = n.saturating_sub(1);
    }
}

impl std::fmt::Debug for FaultRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaultRegistry").finish_non_exhaustive()
    }
}

impl FaultRegistry {
    /// Adds a rule; the error names what is wrong with it.
    pub fn add(&self, rule: FaultRule) -> Result<(), String> {
        let regex =
            regex::Regex::new(&rule.path).map_err(|e| format!("path: invalid regex: {e}"))?;
        if let Some(p) = rule.probability {
            if !(0.0..=1.0).contains(&p) {
                return Err("probability: must be between 0 and 1".into());
            }
        }
        if rule.sequence.is_empty() && rule.fault.is_none() {
            return Err("a rule needs a `sequence` or a `fault`".into());
        }
        self.rules.lock().push(ActiveRule {
            rule,
            regex,
            next_step: 0,
        });
        Ok(())
    }

    /// Removes every rule.
    pub fn clear(&self) {
        self.rules.lock().clear();
    }

    /// The rules in force.
    pub fn rules(&self) -> Vec<FaultRule> {
        self.rules.lock().iter().map(|r| r.rule.clone()).collect()
    }

    /// A snapshot of the counters.
    pub fn counters(&self) -> Counters {
        self.counters.lock().clone()
    }

    /// Requests counted whose method matches (if given) and whose path matches `path_regex`.
    pub fn count_matching(&self, method: Option<&str>, path_regex: &regex::Regex) -> u64 {
        self.log
            .lock()
            .iter()
            .filter(|(m, p)| {
                method.is_none_or(|want| want.eq_ignore_ascii_case(m)) && path_regex.is_match(p)
            })
            .count() as u64
    }

    /// Resets the counters and the request log.
    pub fn reset_counters(&self) {
        *self.counters.lock() = Counters::default();
        self.log.lock().clear();
    }

    /// Records that the emulator asked clients to pause for `delay` (a throttling answer).
    pub fn note_pause(&self, delay: Duration) {
        let end = Instant::now() + delay;
        let mut until = self.pause_until.lock();
        if until.is_none_or(|u| u < end) {
            *until = Some(end);
        }
    }

    fn record(&self, method: &str, path: &str) -> InFlight<'_> {
        let paused = self.pause_until.lock().is_some_and(|u| Instant::now() < u);
        let now_in_flight = {
            let mut n = self.in_flight.lock();
            *n += 1;
            *n
        };
        let mut c = self.counters.lock();
        c.max_in_flight = c.max_in_flight.max(now_in_flight);
        c.total += 1;
        if paused {
            c.during_pause += 1;
        }
        *c.by_method.entry(method.to_string()).or_default() += 1;
        drop(c);
        let mut log = self.log.lock();
        if log.len() < LOG_LIMIT {
            log.push((method.to_string(), path.to_string()));
        }
        InFlight(self)
    }

    fn pick(&self, method: &str, target: &str) -> Option<Fault> {
        let mut rules = self.rules.lock();
        for active in rules.iter_mut() {
            let rule = &active.rule;
            if !rule.methods.is_empty()
                && !rule.methods.iter().any(|m| m.eq_ignore_ascii_case(method))
            {
                continue;
            }
            if !active.regex.is_match(target) {
                continue;
            }
            if !rule.sequence.is_empty() {
                if active.next_step >= rule.sequence.len() {
                    continue;
                }
                let step = rule.sequence[active.next_step].clone();
                active.next_step += 1;
                match step {
                    Step::Pass(_) => return None,
                    Step::Fault(f) => return Some(f),
                }
            }
            if let Some(fault) = &rule.fault {
                let p = rule.probability.unwrap_or(1.0);
                if rand::random::<f64>() < p {
                    return Some(fault.clone());
                }
            }
        }
        None
    }
}

/// Middleware applying the fault rules and counting requests, over any state holding the
/// registry.
pub async fn inject<S: AsRef<FaultRegistry>>(
    State(state): State<S>,
    req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path().to_string();
    if path.starts_with("/_emulator") {
        return next.run(req).await;
    }
    let target = match req.uri().query() {
        Some(q) => format!("{path}?{q}"),
        None => path.clone(),
    };
    let method = req.method().to_string();
    let faults = state.as_ref();
    let _in_flight = faults.record(&method, &target);
    let Some(fault) = faults.pick(&method, &target) else {
        return next.run(req).await;
    };
    faults.counters.lock().injected += 1;
    tracing::debug!(%method, path = %path, ?fault, "injecting fault");
    match fault {
        Fault::Latency { ms } => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            next.run(req).await
        }
        Fault::Status {
            status,
            retry_after,
            code,
        } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            if let Some(secs) = retry_after.as_deref().and_then(|v| v.parse::<f64>().ok()) {
                if secs.is_finite() && secs >= 0.0 {
                    faults.note_pause(Duration::from_secs_f64(secs.min(3600.0)));
                }
            }
            status_response(&path, status, retry_after, code)
        }
        Fault::CutResponse { after_bytes } => {
            let resp = next.run(req).await;
            let (parts, body) = resp.into_parts();
            Response::from_parts(parts, cut_body(body, after_bytes))
        }
        Fault::CutRequest { after_bytes } => {
            let mut stream = req.into_body().into_data_stream();
            let mut read = 0u64;
            while read < after_bytes {
                match stream.next().await {
                    Some(Ok(chunk)) => read += chunk.len() as u64,
                    _ => break,
                }
            }
            drop(stream);
            let resp = StatusCode::OK.into_response();
            let (parts, _) = resp.into_parts();
            Response::from_parts(parts, cut_body(Body::empty(), 0))
        }
    }
}

fn status_response(
    path: &str,
    status: StatusCode,
    retry_after: Option<String>,
    code: Option<String>,
) -> Response {
    const GRAPH_PREFIXES: [&str; 5] = ["/v1.0", "/beta", "/_upload", "/_download", "/_monitor"];
    let identity = !GRAPH_PREFIXES.iter().any(|p| path.starts_with(p));
    let mut resp = if identity {
        let code = code.unwrap_or_else(|| "temporarily_unavailable".into());
        IdentityError::new(
            status,
            &code,
            0,
            "The service is temporarily unavailable (emulated fault).",
        )
        .into_response()
    } else {
        let default = match status.as_u16() {
            429 => "TooManyRequests",
            503 => "serviceNotAvailable",
            _ => "generalException",
        };
        let code = code.unwrap_or_else(|| default.into());
        GraphError::new(status, &code, "Emulated fault.").into_response()
    };
    if let Some(v) = retry_after.and_then(|v| axum::http::HeaderValue::from_str(&v).ok()) {
        resp.headers_mut()
            .insert(HeaderName::from_static("retry-after"), v);
    }
    resp
}

/// A body that yields at most `limit` bytes of `body` and then fails, which makes the server
/// abort the connection mid-response.
fn cut_body(body: Body, limit: u64) -> Body {
    let mut sent = 0u64;
    let stream = body
        .into_data_stream()
        .map(Some)
        .chain(futures::stream::once(async { None }));
    let stream = stream.map(move |item| match item {
        Some(Ok(mut chunk)) => {
            let left = limit.saturating_sub(sent);
            if (chunk.len() as u64) <= left {
                sent += chunk.len() as u64;
                Ok(chunk)
            } else if left > 0 {
                sent = limit;
                Ok(chunk.split_to(left as usize))
            } else {
                Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionAborted,
                    "emulated cut",
                ))
            }
        }
        Some(Err(e)) => Err(std::io::Error::other(e.to_string())),
        None => Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "emulated cut",
        )),
    });
    Body::from_stream(stream)
}
