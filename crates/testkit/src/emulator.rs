//! A real emulator over HTTPS on `127.0.0.1:0` and plain HTTP requests to it.

use std::time::Duration;

use graphlink_emulator::{Emulator, EmulatorOptions, RunningEmulator, Seed};
use serde_json::Value;

use crate::seed::{DAEMON_APP_ID, DAEMON_SECRET, PUBLIC_APP_ID};
use crate::{https_client, Answer, GRAPH_DEFAULT_SCOPE};

/// A running TLS emulator and a client trusting its CA (no redirects followed).
#[derive(Debug)]
pub struct TestEmulator {
    /// The emulator.
    pub emu: RunningEmulator,
    /// A client for it.
    pub http: reqwest::Client,
}

impl TestEmulator {
    /// The default seed, a fresh data folder.
    pub async fn start() -> Self {
        Self::start_with(EmulatorOptions::default()).await
    }

    /// The default options with `seed`.
    pub async fn start_seeded(seed: Seed) -> Self {
        Self::start_with(EmulatorOptions {
            seed,
            ..Default::default()
        })
        .await
    }

    /// These options (TLS is on by default).
    pub async fn start_with(options: EmulatorOptions) -> Self {
        let emu = Emulator::start(options).await.expect("emulator starts");
        let http = https_client(emu.ca_cert_path().expect("the emulator serves TLS"));
        Self { emu, http }
    }

    /// `https://127.0.0.1:PORT`.
    pub fn base(&self) -> &str {
        self.emu.base_url()
    }

    /// `{base}/v1.0{path}` for a Graph path, `{base}{path}` for `/_emulator`, `/beta` and
    /// tenant paths given with their prefix, and `path` itself when it is a URL.
    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_string()
        } else if path.starts_with("/_emulator") || path.starts_with("/beta") {
            format!("{}{path}", self.base())
        } else {
            format!("{}/v1.0{path}", self.base())
        }
    }

    /// Sends a request (bearer `token` when given, JSON `body` when given) and reads the answer.
    pub async fn call(
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
        Answer::read(rb.send().await.expect("request sent")).await
    }

    /// A form POST to an absolute URL.
    pub async fn post_form(&self, url: &str, form: &[(&str, &str)]) -> Answer {
        Answer::read(
            self.http
                .post(url)
                .form(form)
                .send()
                .await
                .expect("request sent"),
        )
        .await
    }

    /// A GET of an absolute URL without credentials.
    pub async fn get_url(&self, url: &str) -> Answer {
        Answer::read(self.http.get(url).send().await.expect("request sent")).await
    }

    /// Changes settings (`PUT /_emulator/settings`, a partial object).
    pub async fn settings(&self, patch: Value) {
        let a = self
            .call(
                reqwest::Method::PUT,
                "/_emulator/settings",
                None,
                Some(patch),
                &[],
            )
            .await;
        assert!((200..300).contains(&a.status), "settings: {}", a.text);
    }

    /// Adds fault rules (`POST /_emulator/faults`, a rule or an array).
    pub async fn faults(&self, rules: Value) {
        let a = self
            .call(
                reqwest::Method::POST,
                "/_emulator/faults",
                None,
                Some(rules),
                &[],
            )
            .await;
        assert!((200..300).contains(&a.status), "adding faults: {}", a.text);
    }

    /// Removes every fault rule.
    pub async fn clear_faults(&self) {
        let a = self
            .call(
                reqwest::Method::DELETE,
                "/_emulator/faults",
                None,
                None,
                &[],
            )
            .await;
        assert!(
            (200..300).contains(&a.status),
            "clearing faults: {}",
            a.text
        );
    }

    /// The request counters (`GET /_emulator/requests`).
    pub async fn counters(&self) -> Value {
        self.call(reqwest::Method::GET, "/_emulator/requests", None, None, &[])
            .await
            .expect(200)
            .body
    }

    /// How many requests so far matched the `path` regex (and `method`, when not empty).
    pub async fn matching(&self, method: &str, path: &str) -> u64 {
        let mut query = vec![("path", path)];
        if !method.is_empty() {
            query.push(("method", method));
        }
        let v: Value = self
            .http
            .get(format!("{}/_emulator/requests", self.base()))
            .query(&query)
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

    /// Every Teams message posted so far (`GET /_emulator/teams/messages`).
    pub async fn posted(&self) -> Value {
        self.call(
            reqwest::Method::GET,
            "/_emulator/teams/messages",
            None,
            None,
            &[],
        )
        .await
        .expect(200)
        .body
    }

    /// The admin tree of a drive (`GET /_emulator/drives/{id}/tree`): one entry per item.
    pub async fn tree(&self, drive: &str) -> Vec<Value> {
        let a = self
            .call(
                reqwest::Method::GET,
                &format!("/_emulator/drives/{drive}/tree"),
                None,
                None,
                &[],
            )
            .await
            .expect(200);
        a.body["value"].as_array().expect("tree entries").clone()
    }

    /// An app-only access token of the daemon app, by client credentials over HTTP.
    pub async fn app_token(&self) -> String {
        let a = self
            .post_form(
                &format!("{}/oauth2/v2.0/token", self.emu.authority()),
                &[
                    ("grant_type", "client_credentials"),
                    ("client_id", DAEMON_APP_ID),
                    ("client_secret", DAEMON_SECRET),
                    ("scope", GRAPH_DEFAULT_SCOPE),
                ],
            )
            .await
            .expect(200);
        a.body["access_token"]
            .as_str()
            .expect("access token")
            .to_string()
    }

    /// Approves or declines a device code the way a browser does: a form POST of the login
    /// page (`decision` is `approve` or `decline`).
    pub async fn decide(&self, verification_uri: &str, user_code: &str, upn: &str, decision: &str) {
        let a = self
            .post_form(
                verification_uri,
                &[
                    ("user_code", user_code),
                    ("upn", upn),
                    ("decision", decision),
                ],
            )
            .await;
        assert!((200..300).contains(&a.status), "devicelogin: {}", a.status);
    }

    /// A delegated access token of the public app for `upn` with `scopes`, through the
    /// emulator's device flow over HTTP (approved with the login page's form POST; set
    /// `device_code_interval_secs` to 1 first to keep it quick).
    pub async fn user_token(&self, upn: &str, scopes: &str) -> String {
        let authority = self.emu.authority();
        let code = self
            .post_form(
                &format!("{authority}/oauth2/v2.0/devicecode"),
                &[("client_id", PUBLIC_APP_ID), ("scope", scopes)],
            )
            .await
            .expect(200)
            .body;
        let field = |k: &str| {
            code[k]
                .as_str()
                .unwrap_or_else(|| panic!("{k}: {code}"))
                .to_string()
        };
        self.decide(
            &field("verification_uri"),
            &field("user_code"),
            upn,
            "approve",
        )
        .await;
        let device_code = field("device_code");
        for _ in 0..30 {
            let r = self
                .post_form(
                    &format!("{authority}/oauth2/v2.0/token"),
                    &[
                        ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                        ("client_id", PUBLIC_APP_ID),
                        ("device_code", &device_code),
                    ],
                )
                .await
                .body;
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
            tokio::time::sleep(Duration::from_millis(1100)).await;
        }
        panic!("device flow did not finish");
    }
}

/// The posted messages of one channel (by team and channel display name) in
/// [`TestEmulator::posted`]'s answer.
pub fn channel_messages(posted: &Value, team: &str, channel: &str) -> Vec<Value> {
    posted["channels"]
        .as_array()
        .expect("channels")
        .iter()
        .find(|c| c["team"] == team && c["channel"] == channel)
        .and_then(|c| c["messages"].as_array())
        .cloned()
        .unwrap_or_else(|| panic!("channel {team}/{channel} listed"))
}

/// The posted messages of one chat in [`TestEmulator::posted`]'s answer.
pub fn chat_messages(posted: &Value, chat_id: &str) -> Vec<Value> {
    posted["chats"]
        .as_array()
        .expect("chats")
        .iter()
        .find(|c| c["chatId"] == chat_id)
        .and_then(|c| c["messages"].as_array())
        .cloned()
        .unwrap_or_else(|| panic!("chat {chat_id} listed"))
}
