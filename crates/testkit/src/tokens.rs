//! A counting client-credentials token provider for Graph client tests.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime};

use graphlink_identity::{AccessToken, TokenProvider};
use parking_lot::Mutex;
use serde_json::Value;

use crate::seed::{DAEMON_APP_ID, DAEMON_SECRET};
use crate::GRAPH_DEFAULT_SCOPE;

/// Client credentials of the daemon app against the emulator's token endpoint, with a cache,
/// counters of fetches and invalidations, and an optional bogus next token (to provoke
/// `401 InvalidAuthenticationToken`).
pub struct TestTokens {
    http: reqwest::Client,
    endpoint: String,
    cached: Mutex<Option<AccessToken>>,
    /// Token requests sent so far.
    pub fetches: AtomicU32,
    /// Tokens the client rejected so far.
    pub invalidations: AtomicU32,
    bogus_next: Mutex<bool>,
}

impl std::fmt::Debug for TestTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestTokens").finish_non_exhaustive()
    }
}

impl TestTokens {
    /// A provider for the authority URL `authority` (`https://host/tenant`).
    pub fn new(http: reqwest::Client, authority: &str) -> Self {
        Self {
            http,
            endpoint: format!("{authority}/oauth2/v2.0/token"),
            cached: Mutex::new(None),
            fetches: AtomicU32::new(0),
            invalidations: AtomicU32::new(0),
            bogus_next: Mutex::new(false),
        }
    }

    /// The next `token()` hands out an invalid token (once).
    pub fn serve_bogus_token_once(&self) {
        *self.cached.lock() = None;
        *self.bogus_next.lock() = true;
    }
}

#[async_trait::async_trait]
impl TokenProvider for TestTokens {
    async fn token(&self) -> Result<AccessToken, graphlink_identity::Error> {
        if std::mem::take(&mut *self.bogus_next.lock()) {
            let far = SystemTime::now() + Duration::from_secs(3600);
            let t = AccessToken::new("eyJhbGciOiJSUzI1NiJ9.e30.bogus".into(), far, far);
            *self.cached.lock() = Some(t.clone());
            return Ok(t);
        }
        if let Some(t) = self.cached.lock().clone() {
            return Ok(t);
        }
        self.fetches.fetch_add(1, Ordering::SeqCst);
        let form = [
            ("client_id", DAEMON_APP_ID),
            ("client_secret", DAEMON_SECRET),
            ("grant_type", "client_credentials"),
            ("scope", GRAPH_DEFAULT_SCOPE),
        ];
        let fail = |detail: String| graphlink_identity::Error::Transport {
            endpoint: self.endpoint.clone(),
            detail,
        };
        let resp = self
            .http
            .post(&self.endpoint)
            .form(&form)
            .send()
            .await
            .map_err(|e| fail(e.to_string()))?;
        let status = resp.status();
        let body: Value = resp.json().await.map_err(|e| fail(e.to_string()))?;
        let secret = body["access_token"]
            .as_str()
            .ok_or_else(|| fail(format!("token endpoint answered {status}: {body}")))?;
        let far = SystemTime::now() + Duration::from_secs(3000);
        let t = AccessToken::new(secret.to_string(), far, far);
        *self.cached.lock() = Some(t.clone());
        Ok(t)
    }

    fn invalidate(&self, rejected: &AccessToken) {
        self.invalidations.fetch_add(1, Ordering::SeqCst);
        let mut cached = self.cached.lock();
        if cached.as_ref() == Some(rejected) {
            *cached = None;
        }
    }
}
