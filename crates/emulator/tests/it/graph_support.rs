//! The Graph tests' set-up: the testkit's emulator, tokens minted with the emulator's signing
//! key (app-only with chosen roles, delegated, expired), and request helpers that send the
//! default app-only token.

use graphlink_emulator::keys::AccessClaims;
use graphlink_emulator::EmulatorOptions;
pub(crate) use graphlink_testkit::seed::{
    ADELE, ADELE_ID, DAEMON_APP_ID as APP, MEGAN, PUBLIC_APP_ID, TENANT_ID as TENANT,
};
use graphlink_testkit::TestEmulator;
pub(crate) use graphlink_testkit::{data, Answer};
use serde_json::Value;

/// A running emulator and an app-only token with the default roles.
pub(crate) struct G {
    kit: TestEmulator,
    pub token: String,
}

impl G {
    /// Stops the emulator (its data folder stays).
    pub(crate) async fn shutdown(self) {
        self.kit.emu.shutdown().await;
    }
}

impl std::ops::Deref for G {
    type Target = TestEmulator;
    fn deref(&self) -> &TestEmulator {
        &self.kit
    }
}

/// Seconds since the Unix epoch.
pub(crate) fn now() -> i64 {
    graphlink_testkit::now_secs() as i64
}

impl G {
    pub(crate) async fn start() -> G {
        Self::start_with(EmulatorOptions::default()).await
    }

    pub(crate) async fn start_with(options: EmulatorOptions) -> G {
        let mut g = G {
            kit: TestEmulator::start_with(options).await,
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
    pub(crate) fn app_token(&self, appid: &str, roles: &[&str]) -> String {
        let mut c = self.claims(appid);
        c.roles = roles.iter().map(ToString::to_string).collect();
        self.emu.state().keys.sign(&c).unwrap()
    }

    /// A delegated token for a seed user with these scopes.
    pub(crate) fn user_token(&self, upn: &str, user_id: &str, scp: &str) -> String {
        let mut c = self.claims(PUBLIC_APP_ID);
        c.scp = Some(scp.into());
        c.oid = user_id.into();
        c.upn = Some(upn.into());
        c.name = Some("Adele Vance".into());
        self.emu.state().keys.sign(&c).unwrap()
    }

    /// A token that expired a minute ago.
    pub(crate) fn expired_token(&self) -> String {
        let mut c = self.claims(APP);
        c.roles = vec!["Files.ReadWrite.All".into()];
        c.exp = now() - 60;
        c.nbf = now() - 120;
        c.iat = now() - 120;
        self.emu.state().keys.sign(&c).unwrap()
    }

    /// This emulator with another client and token (after a restart).
    pub(crate) fn with_client(mut self, http: reqwest::Client, token: String) -> Self {
        self.kit.http = http;
        self.token = token;
        self
    }

    /// Reads a response whole.
    pub(crate) async fn answer(resp: reqwest::Response) -> Answer {
        Answer::read(resp).await
    }

    pub(crate) async fn req(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Answer {
        self.kit.call(method, path, token, body, headers).await
    }

    pub(crate) async fn get(&self, path: &str) -> Answer {
        self.req(reqwest::Method::GET, path, Some(&self.token), None, &[])
            .await
    }

    pub(crate) async fn post(&self, path: &str, body: Value) -> Answer {
        let t = Some(self.token.as_str());
        self.req(reqwest::Method::POST, path, t, Some(body), &[])
            .await
    }

    pub(crate) async fn patch(&self, path: &str, body: Value, headers: &[(&str, &str)]) -> Answer {
        let t = Some(self.token.as_str());
        self.req(reqwest::Method::PATCH, path, t, Some(body), headers)
            .await
    }

    pub(crate) async fn delete(&self, path: &str, headers: &[(&str, &str)]) -> Answer {
        let t = Some(self.token.as_str());
        self.req(reqwest::Method::DELETE, path, t, None, headers)
            .await
    }

    pub(crate) async fn put_bytes(&self, path: &str, bytes: Vec<u8>) -> Answer {
        let resp = self
            .http
            .put(self.url(path))
            .bearer_auth(&self.token)
            .body(bytes)
            .send()
            .await
            .unwrap();
        Answer::read(resp).await
    }

    /// Downloads through `/content` (302) and the pre-authenticated URL.
    pub(crate) async fn download(&self, path: &str) -> Vec<u8> {
        let redirect = self.get(path).await.expect(302);
        let location = redirect.header("location").unwrap();
        self.get_url(&location).await.expect(200).bytes
    }

    /// Adele's OneDrive id.
    pub(crate) async fn adele_drive(&self) -> String {
        self.get(&format!("/users/{ADELE}/drive"))
            .await
            .expect(200)
            .body["id"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Paths in a drive's tree.
    pub(crate) async fn paths(&self, drive: &str) -> Vec<String> {
        self.tree(drive)
            .await
            .iter()
            .map(|e| e["path"].as_str().unwrap().to_string())
            .collect()
    }
}
