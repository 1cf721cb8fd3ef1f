//! Shared helpers of the Graph tests: a TLS emulator on 127.0.0.1:0, a reqwest client trusting
//! its CA (no redirects followed), tokens minted with the emulator's signing key, and small
//! request helpers.
#![allow(dead_code)]

use graphlink_emulator::keys::AccessClaims;
use graphlink_emulator::{Emulator, EmulatorOptions, RunningEmulator};
use serde_json::Value;

pub const TENANT: &str = "7c4d9b1e-2f3a-4b5c-8d6e-0f1a2b3c4d5e";
pub const APP: &str = "11111111-1111-4111-8111-111111111111";
pub const ADELE: &str = "adele@contoso.onmicrosoft.com";
pub const ADELE_ID: &str = "5a1d7c3e-0b9f-4e2a-9c1d-aa0000000001";
pub const MEGAN: &str = "megan@contoso.onmicrosoft.com";

/// A running emulator, a client and an app-only token with the default roles.
pub struct G {
    pub emu: RunningEmulator,
    pub http: reqwest::Client,
    pub token: String,
}

/// A response.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub bytes: Vec<u8>,
    pub body: Value,
}

impl Answer {
    /// A header as text.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }

    /// The Graph error code and inner code.
    pub fn codes(&self) -> (String, String) {
        (
            self.body["error"]["code"]
                .as_str()
                .unwrap_or("")
                .to_string(),
            self.body["error"]["innerError"]["code"]
                .as_str()
                .unwrap_or("")
                .to_string(),
        )
    }

    /// Asserts the status, printing the body otherwise.
    pub fn expect(self, status: u16) -> Self {
        assert_eq!(self.status, status, "body: {:#}", self.body);
        self
    }
}

pub fn client(ca: &std::path::Path) -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let pem = std::fs::read(ca).unwrap();
    reqwest::Client::builder()
        .use_rustls_tls()
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

impl G {
    pub async fn start() -> G {
        Self::start_with(EmulatorOptions::default()).await
    }

    pub async fn start_with(options: EmulatorOptions) -> G {
        let emu = Emulator::start(options).await.unwrap();
        let http = client(emu.ca_cert_path().unwrap());
        let mut g = G {
            emu,
            http,
            token: String::new(),
        };
        g.token = g.app_token(APP, &["Files.ReadWrite.All", "Sites.ReadWrite.All"]);
        g
    }

    fn claims(&self, appid: &str) -> AccessClaims {
        let now = now();
        AccessClaims {
            aud: "https://graph.microsoft.com".into(),
            iss: format!("https://sts.windows.net/{TENANT}/"),
            tid: TENANT.into(),
            appid: appid.into(),
            oid: "99999999-0000-4000-8000-000000000000".into(),
            sub: "99999999-0000-4000-8000-000000000000".into(),
            ver: "1.0".into(),
            iat: now,
            nbf: now - 5,
            exp: now + 3600,
            uti: "t".into(),
            ..Default::default()
        }
    }

    /// An app-only token with these roles.
    pub fn app_token(&self, appid: &str, roles: &[&str]) -> String {
        let mut c = self.claims(appid);
        c.roles = roles.iter().map(|r| r.to_string()).collect();
        self.emu.state().keys.sign(&c).unwrap()
    }

    /// A delegated token for a seed user with these scopes.
    pub fn user_token(&self, upn: &str, user_id: &str, scp: &str) -> String {
        let mut c = self.claims("33333333-3333-4333-8333-333333333333");
        c.scp = Some(scp.into());
        c.oid = user_id.into();
        c.upn = Some(upn.into());
        c.name = Some("Adele Vance".into());
        self.emu.state().keys.sign(&c).unwrap()
    }

    /// A token that expired a minute ago.
    pub fn expired_token(&self) -> String {
        let mut c = self.claims(APP);
        c.roles = vec!["Files.ReadWrite.All".into()];
        c.exp = now() - 60;
        c.nbf = now() - 120;
        c.iat = now() - 120;
        self.emu.state().keys.sign(&c).unwrap()
    }

    pub fn base(&self) -> &str {
        self.emu.base_url()
    }

    /// `{base}/v1.0{path}` unless `path` is already absolute.
    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}/v1.0{path}", self.base())
        }
    }

    pub async fn answer(resp: reqwest::Response) -> Answer {
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await.unwrap().to_vec();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            bytes,
            body,
        }
    }

    pub async fn req(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut rb = self.http.request(method, self.url(path));
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        for (k, v) in headers {
            rb = rb.header(*k, *v);
        }
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        Self::answer(rb.send().await.unwrap()).await
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.req(reqwest::Method::GET, path, Some(&self.token), None, &[])
            .await
    }

    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.req(
            reqwest::Method::POST,
            path,
            Some(&self.token),
            Some(body),
            &[],
        )
        .await
    }

    pub async fn patch(&self, path: &str, body: Value, headers: &[(&str, &str)]) -> Answer {
        self.req(
            reqwest::Method::PATCH,
            path,
            Some(&self.token),
            Some(body),
            headers,
        )
        .await
    }

    pub async fn delete(&self, path: &str, headers: &[(&str, &str)]) -> Answer {
        self.req(
            reqwest::Method::DELETE,
            path,
            Some(&self.token),
            None,
            headers,
        )
        .await
    }

    pub async fn put_bytes(&self, path: &str, bytes: Vec<u8>) -> Answer {
        let resp = self
            .http
            .put(self.url(path))
            .bearer_auth(&self.token)
            .body(bytes)
            .send()
            .await
            .unwrap();
        Self::answer(resp).await
    }

    /// Downloads through `/content` (302) and the pre-authenticated URL.
    pub async fn download(&self, path: &str) -> Vec<u8> {
        let redirect = self.get(path).await.expect(302);
        let location = redirect.header("location").unwrap();
        let resp = self.http.get(location).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        resp.bytes().await.unwrap().to_vec()
    }

    /// Adele's OneDrive id.
    pub async fn adele_drive(&self) -> String {
        self.get(&format!("/users/{ADELE}/drive"))
            .await
            .expect(200)
            .body["id"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// The admin tree of a drive: path → entry.
    pub async fn tree(&self, drive: &str) -> Vec<Value> {
        let resp = self
            .http
            .get(format!("{}/_emulator/drives/{drive}/tree", self.base()))
            .send()
            .await
            .unwrap();
        let v: Value = resp.json().await.unwrap();
        v["value"].as_array().unwrap().clone()
    }

    /// Paths in a drive's tree.
    pub async fn paths(&self, drive: &str) -> Vec<String> {
        self.tree(drive)
            .await
            .iter()
            .map(|e| e["path"].as_str().unwrap().to_string())
            .collect()
    }
}

/// Deterministic pseudo-random bytes.
pub fn data(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 8) as u8
        })
        .collect()
}
