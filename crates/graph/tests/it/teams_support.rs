//! The Teams client tests' set-up: the testkit's emulator with a 1 s device-code interval,
//! delegated connections signed in through graphlink's device login, an app-only connection.

use graphlink_emulator::Seed;
use graphlink_graph::GraphClient;
pub(crate) use graphlink_testkit::seed::{
    ADELE, FINANCE_GENERAL, FINANCE_TEAM_ID as FINANCE, MEGAN, OPS_ALERTS,
};
pub(crate) use graphlink_testkit::{channel_messages, chat_messages, guard};
use graphlink_testkit::{connect, TestEmulator};
use serde_json::json;

/// A running emulator and a sign-in cache folder.
pub(crate) struct Env {
    kit: TestEmulator,
    pub cache: tempfile::TempDir,
}

impl std::ops::Deref for Env {
    type Target = TestEmulator;
    fn deref(&self) -> &TestEmulator {
        &self.kit
    }
}

impl Env {
    pub(crate) async fn start() -> Env {
        Self::start_with(Seed::default()).await
    }

    pub(crate) async fn start_with(seed: Seed) -> Env {
        let env = Env {
            kit: TestEmulator::start_seeded(seed).await,
            cache: tempfile::tempdir().expect("temp dir"),
        };
        env.settings(json!({"device_code_interval_secs": 1})).await;
        env
    }

    /// A device-flow connection for `upn` with `scopes` (empty: the default delegated
    /// scopes), signed in through the emulator's device flow.
    pub(crate) async fn signed_in(&self, upn: &'static str, scopes: &[&str]) -> GraphClient {
        connect::signed_in(&self.kit, upn, scopes, self.cache.path()).await
    }

    /// An app-only connection (client secret).
    pub(crate) fn app_only(&self) -> GraphClient {
        connect::app_only(&self.kit, self.cache.path())
    }

    /// How many requests matched `method` and the path regex.
    pub(crate) async fn count(&self, method: &str, path: &str) -> u64 {
        self.matching(method, path).await
    }
}
