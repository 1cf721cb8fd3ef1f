//! JSON batching: up to 20 requests per `POST /$batch`; items throttled with their own 429/503
//! are retried (after their `retry-after`, pausing the whole connection), together with the
//! items that failed with 424 only because they depended on them.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::Method;

use crate::client::GraphClient;
use crate::error::{Error, Result};
use crate::wire::{BatchItemRequest, BatchItemResponse, BatchRequestBody, BatchResponseBody};

/// Most requests Graph accepts in one batch.
pub const MAX_BATCH: usize = 20;

impl GraphClient {
    /// Runs `requests` as JSON batches of at most 20 and returns one response per request, in
    /// the order of `requests`. Ids must be unique, and a `dependsOn` must point to a request in
    /// the same group of 20 (groups are cut in order).
    pub async fn batch(&self, requests: Vec<BatchItemRequest>) -> Result<Vec<BatchItemResponse>> {
        let groups = plan_groups(&requests)?;
        let mut out = Vec::with_capacity(requests.len());
        for group in groups {
            let mut answers = self.run_group(requests[group.clone()].to_vec()).await?;
            for req in &requests[group] {
                let answer = answers.remove(&req.id).ok_or_else(|| {
                    Error::protocol(
                        "POST /$batch",
                        format!("no response for request {:?}", req.id),
                    )
                })?;
                out.push(answer);
            }
        }
        Ok(out)
    }

    async fn run_group(
        &self,
        group: Vec<BatchItemRequest>,
    ) -> Result<HashMap<String, BatchItemResponse>> {
        let policy = &self.sender().policy;
        let mut results = HashMap::new();
        let mut pending = group;
        let mut round = 0u32;
        loop {
            let body = BatchRequestBody {
                requests: prune_dependencies(&pending),
            };
            let req = self.req(Method::POST, "/$batch")?.json(&body)?;
            let answer: BatchResponseBody = self.send_json(&req).await?;
            for r in answer.responses {
                results.insert(r.id.clone(), r);
            }
            let (retry, wait) = retry_set(&pending, &results);
            if retry.is_empty() || round >= policy.max_retries {
                return Ok(results);
            }
            let delay = wait.unwrap_or_else(|| policy.backoff(round));
            tracing::warn!(
                items = retry.len(),
                delay_ms = delay.as_millis() as u64,
                "batch items throttled: retrying them"
            );
            self.sender().gate.pause_for(delay);
            pending.retain(|r| retry.contains(&r.id));
            round += 1;
        }
    }
}

/// Cuts `requests` into groups of at most [`MAX_BATCH`], checking ids and dependencies.
pub(crate) fn plan_groups(requests: &[BatchItemRequest]) -> Result<Vec<std::ops::Range<usize>>> {
    let mut seen = HashSet::new();
    for r in requests {
        if !seen.insert(r.id.as_str()) {
            return Err(Error::invalid(
                "batch",
                format!("request id {:?} is used twice", r.id),
            ));
        }
    }
    let groups: Vec<_> = (0..requests.len())
        .step_by(MAX_BATCH)
        .map(|start| start..(start + MAX_BATCH).min(requests.len()))
        .collect();
    for g in &groups {
        let ids: HashSet<&str> = requests[g.clone()].iter().map(|r| r.id.as_str()).collect();
        for r in &requests[g.clone()] {
            if let Some(dep) = r.depends_on.iter().find(|d| !ids.contains(d.as_str())) {
                return Err(Error::invalid(
                    "batch",
                    format!(
                        "request {:?} depends on {dep:?}, which is not in the same group of {MAX_BATCH}",
                        r.id
                    ),
                ));
            }
        }
    }
    Ok(groups)
}

/// The requests with their `dependsOn` limited to requests still pending (a dependency that
/// already succeeded in an earlier round is dropped).
fn prune_dependencies(pending: &[BatchItemRequest]) -> Vec<BatchItemRequest> {
    let ids: HashSet<&str> = pending.iter().map(|r| r.id.as_str()).collect();
    pending
        .iter()
        .map(|r| {
            let mut r = r.clone();
            r.depends_on.retain(|d| ids.contains(d.as_str()));
            r
        })
        .collect()
}

/// Which pending requests to send again, and the longest `retry-after` among the throttled.
/// Throttled = 429/503. A 424 is retried only when one of its dependencies (transitively) is
/// retried; otherwise it passes through to the caller.
pub(crate) fn retry_set(
    pending: &[BatchItemRequest],
    results: &HashMap<String, BatchItemResponse>,
) -> (HashSet<String>, Option<Duration>) {
    let mut retry = HashSet::new();
    let mut wait: Option<Duration> = None;
    for r in pending {
        if let Some(answer) = results.get(&r.id) {
            if matches!(answer.status, 429 | 503) {
                retry.insert(r.id.clone());
                if let Some(d) = header_retry_after(&answer.headers) {
                    wait = Some(wait.map_or(d, |w| w.max(d)));
                }
            }
        }
    }
    // Dependents that failed because of a retried request follow it (to a fixed point).
    loop {
        let before = retry.len();
        for r in pending {
            let failed_dependency = results.get(&r.id).is_some_and(|a| a.status == 424);
            if failed_dependency && r.depends_on.iter().any(|d| retry.contains(d)) {
                retry.insert(r.id.clone());
            }
        }
        if retry.len() == before {
            return (retry, wait);
        }
    }
}

fn header_retry_after(headers: &BTreeMap<String, String>) -> Option<Duration> {
    let value = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("retry-after"))?
        .1;
    let mut map = HeaderMap::new();
    map.insert(
        HeaderName::from_static("retry-after"),
        HeaderValue::from_str(value).ok()?,
    );
    graphlink_http::retry_after(&map)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(id: &str, deps: &[&str]) -> BatchItemRequest {
        BatchItemRequest {
            id: id.into(),
            method: "GET".into(),
            url: "/me".into(),
            depends_on: deps.iter().map(ToString::to_string).collect(),
            ..Default::default()
        }
    }

    fn answer(id: &str, status: u16, retry_after: Option<&str>) -> (String, BatchItemResponse) {
        let mut headers = BTreeMap::new();
        if let Some(r) = retry_after {
            headers.insert("Retry-After".to_string(), r.to_string());
        }
        (
            id.to_string(),
            BatchItemResponse {
                id: id.into(),
                status,
                headers,
                body: None,
            },
        )
    }

    #[test]
    fn groups_of_twenty_and_checks() {
        let many: Vec<_> = (0..45).map(|i| req(&i.to_string(), &[])).collect();
        assert_eq!(plan_groups(&many).unwrap(), vec![0..20, 20..40, 40..45]);
        assert!(plan_groups(&[req("1", &[]), req("1", &[])]).is_err());
        let mut cross: Vec<_> = (0..21).map(|i| req(&i.to_string(), &[])).collect();
        cross[20].depends_on = vec!["0".into()];
        assert!(plan_groups(&cross).is_err());
        assert!(plan_groups(&[req("a", &[]), req("b", &["a"])]).is_ok());
        assert!(plan_groups(&[]).unwrap().is_empty());
    }

    #[test]
    fn only_throttled_items_and_their_dependents_are_retried() {
        let pending = vec![
            req("1", &[]),
            req("2", &[]),
            req("3", &["2"]),
            req("4", &["3"]),
            req("5", &["1"]),
            req("6", &[]),
        ];
        let results: HashMap<_, _> = [
            answer("1", 200, None),
            answer("2", 429, Some("2")),
            answer("3", 424, None),
            answer("4", 424, None),
            answer("5", 200, None),
            answer("6", 503, Some("0.5")),
        ]
        .into_iter()
        .collect();
        let (retry, wait) = retry_set(&pending, &results);
        let mut ids: Vec<_> = retry.into_iter().collect();
        ids.sort();
        assert_eq!(ids, ["2", "3", "4", "6"]);
        assert_eq!(wait, Some(Duration::from_secs(2)));
    }

    #[test]
    fn a_424_from_a_real_failure_passes_through() {
        let pending = vec![req("1", &[]), req("2", &["1"])];
        let results: HashMap<_, _> = [answer("1", 404, None), answer("2", 424, None)]
            .into_iter()
            .collect();
        let (retry, wait) = retry_set(&pending, &results);
        assert!(retry.is_empty());
        assert_eq!(wait, None);
    }

    #[test]
    fn succeeded_dependencies_are_dropped_on_retry() {
        let pending = vec![req("2", &[]), req("3", &["1", "2"])];
        let pruned = prune_dependencies(&pending);
        assert_eq!(pruned[1].depends_on, ["2"]);
    }
}
