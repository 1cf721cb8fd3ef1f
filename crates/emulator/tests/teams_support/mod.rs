//! Helpers of the Teams tests: a TLS emulator, tokens obtained through the emulator's real
//! device flow (approved with a form POST to its device login page) and client credentials,
//! and small request helpers.
#![allow(dead_code)]

use graphlink_emulator::{Emulator, EmulatorOptions, RunningEmulator};
use serde_json::{json, Value};

pub const TENANT: &str = "7c4d9b1e-2f3a-4b5c-8d6e-0f1a2b3c4d5e";
pub const DAEMON: &str = "11111111-1111-4111-8111-111111111111";
pub const PUBLIC: &str = "33333333-3333-4333-8333-333333333333";
pub const ADELE: &str = "adele@contoso.onmicrosoft.com";
pub const ADELE_ID: &str = "5a1d7c3e-0b9f-4e2a-9c1d-aa0000000001";
pub const MEGAN: &str = "megan@contoso.onmicrosoft.com";
pub const MEGAN_ID: &str = "5a1d7c3e-0b9f-4e2a-9c1d-aa0000000002";
pub const FINANCE: &str = "c6f1a2b3-4d5e-4f60-9a7b-8c9d0e1f2a01";
pub const FINANCE_GENERAL: &str = "19:5f2d8c1a9b0e4d3c8a7f6e5d4c3b2a10@thread.tacv2";
pub const OPS_ALERTS: &str = "19:0e9d8c7b6a5f40312e1d0c9b8a7f6e5d@thread.tacv2";

/// A response.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }

    pub fn expect(self, status: u16) -> Self {
        assert_eq!(self.status, status, "body: {}", self.text);
        self
    }
}

pub struct T {
    pub emu: RunningEmulator,
    pub http: reqwest::Client,
}

/// Percent-encodes an id for a path segment (`19:...@thread.tacv2` → `19%3A...%40thread.tacv2`).
pub fn enc(id: &str) -> String {
    id.replace(':', "%3A").replace('@', "%40")
}

impl T {
    pub async fn start() -> T {
        Self::start_with(EmulatorOptions::default()).await
    }

    pub async fn start_with(options: EmulatorOptions) -> T {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let emu = Emulator::start(options).await.unwrap();
        let pem = std::fs::read(emu.ca_cert_path().unwrap()).unwrap();
        let http = reqwest::Client::builder()
            .use_rustls_tls()
            .add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap())
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let t = T { emu, http };
        t.settings(json!({"device_code_interval_secs": 1})).await;
        t
    }

    pub fn base(&self) -> &str {
        self.emu.base_url()
    }

    pub async fn settings(&self, settings: Value) {
        let r = self
            .http
            .put(format!("{}/_emulator/settings", self.base()))
            .json(&settings)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success());
    }

    /// A delegated token for `upn` with `scopes`, through the device flow.
    pub async fn user_token(&self, upn: &str, scopes: &str) -> String {
        let authority = self.emu.authority();
        let code: Value = self
            .http
            .post(format!("{authority}/oauth2/v2.0/devicecode"))
            .form(&[("client_id", PUBLIC), ("scope", scopes)])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let uri = code["verification_uri"].as_str().expect("verification_uri");
        let approve = self
            .http
            .post(uri)
            .form(&[
                ("user_code", code["user_code"].as_str().unwrap()),
                ("upn", upn),
                ("decision", "approve"),
            ])
            .send()
            .await
            .unwrap();
        assert!(approve.status().is_success());
        for _ in 0..30 {
            let r: Value = self
                .http
                .post(format!("{authority}/oauth2/v2.0/token"))
                .form(&[
                    ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                    ("client_id", PUBLIC),
                    ("device_code", code["device_code"].as_str().unwrap()),
                ])
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if let Some(t) = r["access_token"].as_str() {
                return t.to_string();
            }
            assert!(
                matches!(
                    r["error"].as_str(),
                    Some("authorization_pending" | "slow_down")
                ),
                "{r}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        }
        panic!("device flow did not finish");
    }

    /// An app-only token of the daemon app (client credentials).
    pub async fn app_token(&self) -> String {
        let r: Value = self
            .http
            .post(format!("{}/oauth2/v2.0/token", self.emu.authority()))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", DAEMON),
                ("client_secret", "emulator-client-secret"),
                ("scope", "https://graph.microsoft.com/.default"),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        r["access_token"].as_str().expect("token").to_string()
    }

    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> Answer {
        let url = if path.starts_with('/')
            && !path.starts_with("/_emulator")
            && !path.starts_with("/beta")
        {
            format!("{}/v1.0{path}", self.base())
        } else {
            format!("{}{path}", self.base())
        };
        let mut rb = self.http.request(method, url).bearer_auth(token);
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let resp = rb.send().await.unwrap();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            body,
            text,
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Answer {
        self.call(reqwest::Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Answer {
        self.call(reqwest::Method::POST, path, token, Some(body))
            .await
    }

    /// `GET /_emulator/teams/messages`.
    pub async fn posted(&self) -> Value {
        self.get("/_emulator/teams/messages", "")
            .await
            .expect(200)
            .body
    }
}

/// The posted messages of one channel (by channel display name and team name).
pub fn channel_messages<'a>(posted: &'a Value, team: &str, channel: &str) -> &'a Vec<Value> {
    posted["channels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["team"] == team && c["channel"] == channel)
        .and_then(|c| c["messages"].as_array())
        .expect("channel listed")
}
