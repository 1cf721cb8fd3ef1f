//! Set-up of the Teams tests: a TLS emulator, delegated connections signed in through the
//! emulator's real device flow (approved with a form POST to its device login page, as a
//! browser would), an app-only connection, and the emulator's admin API.
#![allow(dead_code)]

use std::time::Duration;

use graphlink_emulator::{Emulator, EmulatorOptions, RunningEmulator, Seed};
use graphlink_graph::GraphClient;
use graphlink_http::{ClientOptions, PauseGate, RetryPolicy, Sender};
use graphlink_identity::{
    device_login, provider, Authority, AuthorityOptions, ConnectionConfig, ConnectionCredential,
    DeviceCodePrompt, Secret,
};
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

pub const PUBLIC_APP: &str = "33333333-3333-4333-8333-333333333333";
pub const SECRET_APP: &str = "11111111-1111-4111-8111-111111111111";
pub const ADELE: &str = "adele@contoso.onmicrosoft.com";
pub const MEGAN: &str = "megan@contoso.onmicrosoft.com";
pub const FINANCE: &str = "c6f1a2b3-4d5e-4f60-9a7b-8c9d0e1f2a01";
pub const FINANCE_GENERAL: &str = "19:5f2d8c1a9b0e4d3c8a7f6e5d4c3b2a10@thread.tacv2";
pub const OPS_ALERTS: &str = "19:0e9d8c7b6a5f40312e1d0c9b8a7f6e5d@thread.tacv2";

/// Hang guard for whole tests.
pub async fn guard<T>(what: &str, fut: impl std::future::Future<Output = T>) -> T {
    match tokio::time::timeout(Duration::from_secs(240), fut).await {
        Ok(v) => v,
        Err(_) => panic!("{what}: hung for 240 s"),
    }
}

pub struct Env {
    pub emu: RunningEmulator,
    pub http: reqwest::Client,
    pub cache: tempfile::TempDir,
}

impl Env {
    pub async fn start() -> Env {
        Self::start_with(Seed::default()).await
    }

    pub async fn start_with(seed: Seed) -> Env {
        let emu = Emulator::start(EmulatorOptions {
            seed,
            ..Default::default()
        })
        .await
        .expect("emulator starts");
        let http = ClientOptions::default()
            .trust_ca_file(emu.ca_cert_path().expect("TLS"))
            .expect("CA readable")
            .build()
            .expect("http client");
        let env = Env {
            emu,
            http,
            cache: tempfile::tempdir().expect("temp dir"),
        };
        env.settings(json!({"device_code_interval_secs": 1})).await;
        env
    }

    pub fn base(&self) -> &str {
        self.emu.base_url()
    }

    fn authority(&self) -> Authority {
        Authority::parse(
            &self.emu.authority(),
            Some(self.base()),
            AuthorityOptions::default(),
        )
        .expect("authority")
    }

    fn sender() -> Sender {
        Sender::new(
            RetryPolicy {
                max_retries: 12,
                base_delay: Duration::from_millis(20),
                max_delay: Duration::from_millis(500),
            },
            PauseGate::new(),
        )
    }

    fn graph(&self, config: &ConnectionConfig, sender: Sender) -> GraphClient {
        let tokens = provider(config, self.http.clone(), sender.clone(), self.cache.path())
            .expect("token provider");
        GraphClient::builder(self.emu.graph_url(), tokens)
            .with_http_client(self.http.clone())
            .with_sender(sender)
            .build()
            .expect("graph client")
    }

    /// A device-flow connection for `upn` with `scopes` (empty: the default delegated
    /// scopes), signed in through the emulator's device flow.
    pub async fn signed_in(&self, upn: &'static str, scopes: &[&str]) -> GraphClient {
        let config = ConnectionConfig {
            name: format!("teams-{upn}-{}", scopes.len()),
            authority: self.authority(),
            client_id: PUBLIC_APP.into(),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            credential: ConnectionCredential::DeviceFlow,
        };
        let sender = Self::sender();
        let emulator = self.emu.state().clone();
        device_login(
            &config,
            self.http.clone(),
            sender.clone(),
            self.cache.path(),
            move |p: &DeviceCodePrompt| {
                emulator
                    .decide_device_code(&p.user_code, upn, true)
                    .expect("device code approved");
            },
            &CancellationToken::new(),
        )
        .await
        .expect("device login");
        self.graph(&config, sender)
    }

    /// An app-only connection (client secret).
    pub fn app_only(&self) -> GraphClient {
        let config = ConnectionConfig {
            name: "daemon".into(),
            authority: self.authority(),
            client_id: SECRET_APP.into(),
            scopes: vec![],
            credential: ConnectionCredential::ClientSecret(Secret::new("emulator-client-secret")),
        };
        self.graph(&config, Self::sender())
    }

    pub async fn settings(&self, settings: Value) {
        let r = self
            .http
            .put(format!("{}/_emulator/settings", self.base()))
            .json(&settings)
            .send()
            .await
            .expect("settings endpoint");
        assert!(
            r.status().is_success(),
            "{}",
            r.text().await.unwrap_or_default()
        );
    }

    /// `GET /_emulator/teams/messages`.
    pub async fn posted(&self) -> Value {
        self.http
            .get(format!("{}/_emulator/teams/messages", self.base()))
            .send()
            .await
            .expect("admin endpoint")
            .json()
            .await
            .expect("JSON")
    }

    /// How many requests matched `method` and the path regex.
    pub async fn count(&self, method: &str, path: &str) -> u64 {
        let v: Value = self
            .http
            .get(format!("{}/_emulator/requests", self.base()))
            .query(&[("path", path), ("method", method)])
            .send()
            .await
            .expect("requests endpoint")
            .json()
            .await
            .expect("JSON");
        v["matching"].as_u64().expect("matching count")
    }
}

/// The posted messages of a channel, by team and channel display name.
pub fn channel_messages(posted: &Value, team: &str, channel: &str) -> Vec<Value> {
    posted["channels"]
        .as_array()
        .expect("channels")
        .iter()
        .find(|c| c["team"] == team && c["channel"] == channel)
        .and_then(|c| c["messages"].as_array())
        .cloned()
        .expect("channel listed")
}

/// The posted messages of a chat.
pub fn chat_messages(posted: &Value, chat_id: &str) -> Vec<Value> {
    posted["chats"]
        .as_array()
        .expect("chats")
        .iter()
        .find(|c| c["chatId"] == chat_id)
        .and_then(|c| c["messages"].as_array())
        .cloned()
        .expect("chat listed")
}
