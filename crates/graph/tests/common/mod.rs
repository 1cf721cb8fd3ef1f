//! Shared helpers of the integration tests: a real emulator over HTTPS on 127.0.0.1:0, a
//! client-credentials token provider for its confidential app, and the emulator's admin API.
#![allow(dead_code)]

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use graphlink_emulator::{Emulator, EmulatorOptions, RunningEmulator};
use graphlink_graph::{DriveClient, DriveRef, GraphClient, Settings};
use graphlink_http::ClientOptions;
use graphlink_identity::{AccessToken, TokenProvider};
use parking_lot::Mutex;
use serde_json::Value;

pub const CLIENT_ID: &str = "11111111-1111-4111-8111-111111111111";
pub const CLIENT_SECRET: &str = "emulator-client-secret";
pub const ADELE: &str = "adele@contoso.onmicrosoft.com";
pub const MEGAN: &str = "megan@contoso.onmicrosoft.com";

/// Runs the future on a multi-threaded runtime with a generous hang guard.
pub async fn guard<T>(what: &str, fut: impl std::future::Future<Output = T>) -> T {
    match tokio::time::timeout(Duration::from_secs(300), fut).await {
        Ok(v) => v,
        Err(_) => panic!("{what}: hung for 300 s"),
    }
}

pub struct Env {
    pub emu: RunningEmulator,
    pub http: reqwest::Client,
    pub tokens: Arc<TestTokens>,
    pub client: GraphClient,
}

pub async fn start() -> Env {
    start_with(Settings::default()).await
}

pub async fn start_with(settings: Settings) -> Env {
    let emu = Emulator::start(EmulatorOptions::default())
        .await
        .expect("emulator starts");
    let mut options = ClientOptions::default();
    if let Some(ca) = emu.ca_cert_path() {
        options = options.trust_ca_file(ca).expect("CA readable");
    }
    let http = options.build().expect("http client");
    let tokens = Arc::new(TestTokens::new(http.clone(), &emu.authority()));
    let client = GraphClient::builder(emu.graph_url(), tokens.clone())
        .with_http_client(http.clone())
        .with_retry_policy(graphlink_http::RetryPolicy {
            max_retries: 12,
            base_delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(500),
        })
        .with_settings(settings)
        .build()
        .expect("graph client");
    Env {
        emu,
        http,
        tokens,
        client,
    }
}

impl Env {
    pub async fn adele(&self) -> DriveClient {
        self.client
            .drive(&DriveRef::User(ADELE.into()))
            .await
            .expect("adele's drive")
    }

    /// Adds fault rules (`POST /_emulator/faults`).
    pub async fn faults(&self, rules: Value) {
        let resp = self
            .http
            .post(format!("{}/_emulator/faults", self.emu.base_url()))
            .json(&rules)
            .send()
            .await
            .expect("faults endpoint");
        assert!(
            resp.status().is_success(),
            "adding faults: {}",
            resp.text().await.unwrap_or_default()
        );
    }

    pub async fn clear_faults(&self) {
        self.http
            .delete(format!("{}/_emulator/faults", self.emu.base_url()))
            .send()
            .await
            .expect("faults endpoint");
    }

    /// The request counters (`GET /_emulator/requests`).
    pub async fn counters(&self) -> Value {
        self.http
            .get(format!("{}/_emulator/requests", self.emu.base_url()))
            .send()
            .await
            .expect("requests endpoint")
            .json()
            .await
            .expect("counters JSON")
    }

    /// How many requests so far had this method and a path matching the `path` pattern.
    pub async fn matching(&self, method: &str, path: &str) -> u64 {
        let v: Value = self
            .http
            .get(format!("{}/_emulator/requests", self.emu.base_url()))
            .query(&[("path", path), ("method", method)])
            .send()
            .await
            .expect("requests endpoint")
            .json()
            .await
            .expect("counters JSON");
        v["matching"]
            .as_u64()
            .unwrap_or_else(|| panic!("no matching count: {v}"))
    }

    pub async fn settings(&self, settings: Value) {
        let resp = self
            .http
            .put(format!("{}/_emulator/settings", self.emu.base_url()))
            .json(&settings)
            .send()
            .await
            .expect("settings endpoint");
        assert!(
            resp.status().is_success(),
            "settings: {}",
            resp.text().await.unwrap_or_default()
        );
    }
}

/// Client credentials against the emulator's token endpoint, with a cache, counters, and an
/// optional bogus first token (to provoke `401 InvalidAuthenticationToken`).
pub struct TestTokens {
    http: reqwest::Client,
    endpoint: String,
    cached: Mutex<Option<AccessToken>>,
    pub fetches: AtomicU32,
    pub invalidations: AtomicU32,
    bogus_next: Mutex<bool>,
}

impl std::fmt::Debug for TestTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestTokens").finish_non_exhaustive()
    }
}

impl TestTokens {
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
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("grant_type", "client_credentials"),
            ("scope", "https://graph.microsoft.com/.default"),
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

/// Deterministic pseudo-random content.
pub fn content(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2_654_435_761).max(1);
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}
