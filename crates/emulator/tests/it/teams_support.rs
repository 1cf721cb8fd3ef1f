//! The Teams tests' set-up: the testkit's emulator with a 1 s device-code interval, tokens
//! obtained through its real device flow and client credentials, and request helpers.

use graphlink_emulator::EmulatorOptions;
pub(crate) use graphlink_testkit::seed::{
    ADELE, ADELE_ID, FINANCE_GENERAL, FINANCE_TEAM_ID as FINANCE, MEGAN, MEGAN_ID, OPS_ALERTS,
};
use graphlink_testkit::TestEmulator;
pub(crate) use graphlink_testkit::{channel_messages, Answer};
use serde_json::{json, Value};

/// A running emulator.
pub(crate) struct T {
    kit: TestEmulator,
}

impl T {
    /// Stops the emulator (its data folder stays).
    pub(crate) async fn shutdown(self) {
        self.kit.emu.shutdown().await;
    }
}

impl std::ops::Deref for T {
    type Target = TestEmulator;
    fn deref(&self) -> &TestEmulator {
        &self.kit
    }
}

/// Percent-encodes an id for a path segment (`19:...@thread.tacv2` → `19%3A...%40thread.tacv2`).
pub(crate) fn enc(id: &str) -> String {
    id.replace(':', "%3A").replace('@', "%40")
}

impl T {
    pub(crate) async fn start() -> T {
        Self::start_with(EmulatorOptions::default()).await
    }

    pub(crate) async fn start_with(options: EmulatorOptions) -> T {
        let t = T {
            kit: TestEmulator::start_with(options).await,
        };
        t.settings(json!({"device_code_interval_secs": 1})).await;
        t
    }

    /// Sends a request with bearer `token` (none when empty).
    pub(crate) async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> Answer {
        let token = Some(token).filter(|t| !t.is_empty());
        self.kit.call(method, path, token, body, &[]).await
    }

    pub(crate) async fn get(&self, path: &str, token: &str) -> Answer {
        self.call(reqwest::Method::GET, path, token, None).await
    }

    pub(crate) async fn post(&self, path: &str, token: &str, body: Value) -> Answer {
        self.call(reqwest::Method::POST, path, token, Some(body))
            .await
    }
}
