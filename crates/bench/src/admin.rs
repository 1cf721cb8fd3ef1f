//! The emulator's admin API: request counters, fault rules, settings.

use serde::Deserialize;
use serde_json::Value;

use crate::error::{Context, Error, Result};

/// The counters of `GET /_emulator/requests`.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct Counters {
    /// Requests outside `/_emulator`.
    pub total: u64,
    /// Faults injected.
    pub injected: u64,
    /// Requests that arrived while a throttling pause the emulator asked for was in force.
    pub during_pause: u64,
    /// Requests whose path matched the `path` regex asked for.
    #[serde(default)]
    pub matching: Option<u64>,
}

/// Client of the emulator's admin API.
#[derive(Debug, Clone)]
pub(crate) struct Admin {
    http: reqwest::Client,
    base: String,
}

impl Admin {
    /// Admin API of the emulator at `base` (`https://127.0.0.1:PORT`).
    pub(crate) fn new(http: reqwest::Client, base: &str) -> Self {
        Self {
            http,
            base: base.trim_end_matches('/').to_string(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/_emulator/{path}", self.base)
    }

    async fn check(resp: reqwest::Response, what: &str) -> Result<reqwest::Response> {
        if resp.status().is_success() {
            return Ok(resp);
        }
        let status = resp.status();
        let body = resp.text().await.unwrap_or_default();
        Err(Error::Check(format!("{what}: HTTP {status}: {body}")))
    }

    /// Zeroes the counters and the request log.
    pub(crate) async fn reset_counters(&self) -> Result<()> {
        let resp = self
            .http
            .delete(self.url("requests"))
            .send()
            .await
            .context("resetting the emulator's counters")?;
        Self::check(resp, "resetting the emulator's counters").await?;
        Ok(())
    }

    /// The counters; with `path`, also how many logged requests match that regex.
    pub(crate) async fn counters(&self, path: Option<&str>) -> Result<Counters> {
        let mut req = self.http.get(self.url("requests"));
        if let Some(p) = path {
            req = req.query(&[("path", p)]);
        }
        let resp = req
            .send()
            .await
            .context("reading the emulator's counters")?;
        Self::check(resp, "reading the emulator's counters")
            .await?
            .json()
            .await
            .context("reading the emulator's counters")
    }

    /// Adds fault rules (one rule or an array).
    pub(crate) async fn add_faults(&self, rules: &Value) -> Result<()> {
        let resp = self
            .http
            .post(self.url("faults"))
            .json(rules)
            .send()
            .await
            .context("adding fault rules")?;
        Self::check(resp, "adding fault rules").await?;
        Ok(())
    }

    /// Removes every fault rule.
    pub(crate) async fn clear_faults(&self) -> Result<()> {
        let resp = self
            .http
            .delete(self.url("faults"))
            .send()
            .await
            .context("clearing fault rules")?;
        Self::check(resp, "clearing fault rules").await?;
        Ok(())
    }
}
