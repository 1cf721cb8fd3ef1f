//! Shared helpers of the identity tests: a TLS emulator on 127.0.0.1:0, a client trusting its
//! CA, form posts, JWT inspection and client assertions signed with the generated certificate.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use graphlink_emulator::identity::CredentialPaths;
use graphlink_emulator::{Emulator, EmulatorOptions, RunningEmulator};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use sha1::Sha1;
use sha2::{Digest, Sha256};

pub const TENANT: &str = "7c4d9b1e-2f3a-4b5c-8d6e-0f1a2b3c4d5e";
pub const DOMAIN: &str = "contoso.onmicrosoft.com";
pub const SECRET_APP: &str = "11111111-1111-4111-8111-111111111111";
pub const SECRET: &str = "emulator-client-secret";
pub const CERT_APP: &str = "22222222-2222-4222-8222-222222222222";
pub const PUBLIC_APP: &str = "33333333-3333-4333-8333-333333333333";
pub const GRAPH_DEFAULT: &str = "https://graph.microsoft.com/.default";
pub const ADELE: &str = "adele@contoso.onmicrosoft.com";
pub const ADELE_ID: &str = "5a1d7c3e-0b9f-4e2a-9c1d-aa0000000001";

/// A running emulator and a client for it.
pub struct Env {
    pub emu: RunningEmulator,
    pub http: reqwest::Client,
}

/// A response's status, headers and body (JSON when it parses, else `Value::String`).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Answer {
    /// The identity error's `error` and first AADSTS code (0 for none).
    pub fn error(&self) -> (String, u64) {
        let code = self.body["error_codes"]
            .as_array()
            .and_then(|a| a.first())
            .and_then(Value::as_u64)
            .unwrap_or(0);
        (self.body["error"].as_str().unwrap_or("").to_string(), code)
    }

    /// Asserts an identity error with this status, error and AADSTS code.
    pub fn assert_error(&self, status: u16, error: &str, code: u64) {
        assert_eq!(
            (self.status, self.error()),
            (status, (error.to_string(), code)),
            "{:#}",
            self.body
        );
        let description = self.body["error_description"].as_str().unwrap_or("");
        if code > 0 {
            assert!(
                description.starts_with(&format!("AADSTS{code}: ")),
                "{description}"
            );
        }
        assert!(description.contains("Trace ID: "), "{description}");
        assert!(description.contains("Correlation ID: "), "{description}");
        assert!(self.body["trace_id"].is_string() && self.body["correlation_id"].is_string());
    }
}

pub async fn start(data_dir: Option<PathBuf>) -> Env {
    let emu = Emulator::start(EmulatorOptions {
        data_dir,
        ..Default::default()
    })
    .await
    .expect("emulator starts");
    let http = client_for(emu.ca_cert_path().expect("TLS"));
    Env { emu, http }
}

pub fn client_for(ca: &Path) -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let pem = std::fs::read(ca).unwrap();
    reqwest::Client::builder()
        .use_rustls_tls()
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

impl Env {
    pub fn base(&self) -> &str {
        self.emu.base_url()
    }

    pub fn token_url(&self) -> String {
        format!("{}/{TENANT}/oauth2/v2.0/token", self.base())
    }

    pub async fn post_form(&self, url: &str, form: &[(&str, &str)]) -> Answer {
        let resp = self.http.post(url).form(form).send().await.unwrap();
        answer(resp).await
    }

    pub async fn token(&self, form: &[(&str, &str)]) -> Answer {
        self.post_form(&self.token_url(), form).await
    }

    pub async fn get(&self, url: &str) -> Answer {
        answer(self.http.get(url).send().await.unwrap()).await
    }

    /// Merges settings through the admin API.
    pub async fn settings(&self, patch: Value) {
        let resp = self
            .http
            .put(format!("{}/_emulator/settings", self.base()))
            .json(&patch)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    }

    /// A client assertion for the certificate app, signed with its generated key.
    pub fn assertion(&self, alg: Algorithm, claims: Value) -> String {
        sign_assertion(self.emu.data_dir(), alg, claims)
    }

    /// Standard assertion claims: aud = this token endpoint, float exp/iat, fresh jti.
    pub fn assertion_claims(&self) -> Value {
        let now = now();
        json!({
            "aud": self.token_url(),
            "iss": CERT_APP,
            "sub": CERT_APP,
            "jti": uuid::Uuid::new_v4().to_string(),
            "exp": now + 600.25,
            "iat": now + 0.5,
        })
    }
}

pub fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

pub fn sign_assertion(data_dir: &Path, alg: Algorithm, claims: Value) -> String {
    let paths = CredentialPaths::new(data_dir, "cert-app");
    let key = std::fs::read(&paths.key).unwrap();
    let cert = std::fs::read_to_string(&paths.cert).unwrap();
    let der = pem::parse(&cert).unwrap().contents().to_vec();
    let mut header = Header::new(alg);
    header.typ = Some("JWT".into());
    match alg {
        Algorithm::PS256 => header.x5t_s256 = Some(URL_SAFE_NO_PAD.encode(Sha256::digest(&der))),
        _ => header.x5t = Some(URL_SAFE_NO_PAD.encode(Sha1::digest(&der))),
    }
    jsonwebtoken::encode(&header, &claims, &EncodingKey::from_rsa_pem(&key).unwrap()).unwrap()
}

/// The claims of a JWT, without verification.
pub fn claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).expect("a JWT");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

async fn answer(resp: reqwest::Response) -> Answer {
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Answer {
        status,
        headers,
        body,
    }
}
