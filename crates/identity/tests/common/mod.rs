//! Shared set-up for the tests against the real emulator.
#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use graphlink_emulator::{Emulator, EmulatorOptions, RunningEmulator};
use graphlink_http::{ClientOptions, PauseGate, RetryPolicy, Sender};
use graphlink_identity::{
    Authority, AuthorityOptions, ClientCertificate, ConnectionConfig, ConnectionCredential, Secret,
};

pub const SECRET_APP: &str = "11111111-1111-4111-8111-111111111111";
pub const CERT_APP: &str = "22222222-2222-4222-8222-222222222222";
pub const PUBLIC_APP: &str = "33333333-3333-4333-8333-333333333333";
pub const SECRET: &str = "emulator-client-secret";
pub const EXPIRED_SECRET: &str = "emulator-expired-secret";
pub const ADELE: &str = "adele@contoso.onmicrosoft.com";

/// A running emulator plus the client side of one connection.
pub struct Env {
    pub emu: RunningEmulator,
    pub http: reqwest::Client,
    pub sender: Sender,
    pub cache: tempfile::TempDir,
}

impl Env {
    pub async fn start() -> Self {
        let emu = Emulator::start(EmulatorOptions::default())
            .await
            .expect("emulator starts");
        let ca = emu
            .ca_cert_path()
            .expect("TLS emulator has a CA")
            .to_path_buf();
        let http = ClientOptions::default()
            .trust_ca_file(&ca)
            .unwrap()
            .build()
            .unwrap();
        // Small backoff steps keep retry tests fast; Retry-After from the server still rules.
        let policy = RetryPolicy {
            max_retries: 4,
            base_delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(200),
        };
        Env {
            emu,
            http,
            sender: Sender::new(policy, PauseGate::new()),
            cache: tempfile::tempdir().unwrap(),
        }
    }

    pub fn base(&self) -> &str {
        self.emu.base_url()
    }

    pub fn authority(&self) -> Authority {
        Authority::parse(
            &self.emu.authority(),
            Some(self.base()),
            AuthorityOptions::default(),
        )
        .unwrap()
    }

    pub fn authority_for(&self, tenant: &str) -> Authority {
        Authority::parse(
            &format!("{}/{tenant}", self.base()),
            Some(self.base()),
            AuthorityOptions::default(),
        )
        .unwrap()
    }

    pub fn cache_dir(&self) -> &Path {
        self.cache.path()
    }

    pub fn secret_config(&self, secret: &str) -> ConnectionConfig {
        ConnectionConfig {
            name: "daemon".into(),
            authority: self.authority(),
            client_id: SECRET_APP.into(),
            scopes: vec![],
            credential: ConnectionCredential::ClientSecret(Secret::new(secret)),
        }
    }

    pub fn cert_config(&self, cert: ClientCertificate) -> ConnectionConfig {
        ConnectionConfig {
            name: "cert".into(),
            authority: self.authority(),
            client_id: CERT_APP.into(),
            scopes: vec![],
            credential: ConnectionCredential::ClientCertificate(Arc::new(cert)),
        }
    }

    pub fn emulator_cert(&self) -> ClientCertificate {
        let dir = self.emu.data_dir().join("credentials");
        ClientCertificate::from_pem_files(
            &dir.join("cert-app.key.pem"),
            &dir.join("cert-app.cert.pem"),
        )
        .unwrap()
    }

    pub fn device_config(&self, name: &str) -> ConnectionConfig {
        ConnectionConfig {
            name: name.into(),
            authority: self.authority(),
            client_id: PUBLIC_APP.into(),
            scopes: vec!["User.Read".into(), "Files.ReadWrite.All".into()],
            credential: ConnectionCredential::DeviceFlow,
        }
    }

    /// Changes emulator settings (token lifetimes, device-code interval, ...).
    pub async fn settings(&self, patch: serde_json::Value) {
        let r = self
            .http
            .put(format!("{}/_emulator/settings", self.base()))
            .json(&patch)
            .send()
            .await
            .unwrap();
        assert!(
            r.status().is_success(),
            "settings: {}",
            r.text().await.unwrap()
        );
    }

    /// Adds fault rules.
    pub async fn faults(&self, rules: serde_json::Value) {
        let r = self
            .http
            .post(format!("{}/_emulator/faults", self.base()))
            .json(&rules)
            .send()
            .await
            .unwrap();
        assert!(
            r.status().is_success(),
            "faults: {}",
            r.text().await.unwrap()
        );
    }

    /// How many requests matched `path_regex` so far.
    pub async fn count(&self, path_regex: &str) -> u64 {
        let r: serde_json::Value = self
            .http
            .get(format!("{}/_emulator/requests", self.base()))
            .query(&[("path", path_regex)])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        r["matching"].as_u64().expect("matching count")
    }

    /// Approves or declines a device code the way a browser does: a form POST to the
    /// verification page.
    pub async fn decide(&self, verification_uri: &str, user_code: &str, upn: &str, decision: &str) {
        let r = self
            .http
            .post(verification_uri)
            .form(&[
                ("user_code", user_code),
                ("upn", upn),
                ("decision", decision),
            ])
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "devicelogin: {}", r.status());
    }
}

/// Decodes a JWT's claims (no verification: the tests only read them).
pub fn claims(jwt: &str) -> serde_json::Value {
    use base64::Engine;
    let part = jwt.split('.').nth(1).expect("JWT");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}
