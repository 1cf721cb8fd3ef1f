//! The Graph client tests' set-up: the testkit's emulator, a counting client-credentials token
//! provider and a Graph client with fast retries.

use std::sync::Arc;

use graphlink_graph::{DriveClient, DriveRef, GraphClient, Settings};
pub(crate) use graphlink_testkit::seed::{ADELE, MEGAN};
use graphlink_testkit::{connect, TestEmulator};
pub(crate) use graphlink_testkit::{data as content, guard, TestTokens};

/// A running emulator, its counting token provider and a Graph client using it.
pub(crate) struct Env {
    kit: TestEmulator,
    pub tokens: Arc<TestTokens>,
    pub client: GraphClient,
}

impl std::ops::Deref for Env {
    type Target = TestEmulator;
    fn deref(&self) -> &TestEmulator {
        &self.kit
    }
}

pub(crate) async fn start() -> Env {
    start_with(Settings::default()).await
}

pub(crate) async fn start_with(settings: Settings) -> Env {
    let kit = TestEmulator::start().await;
    let http = connect::http_client(&kit);
    let tokens = Arc::new(TestTokens::new(http.clone(), &kit.emu.authority()));
    let client = GraphClient::builder(kit.emu.graph_url(), tokens.clone())
        .with_http_client(http)
        .with_retry_policy(connect::fast_retries(12))
        .with_settings(settings)
        .build()
        .expect("graph client");
    Env {
        kit,
        tokens,
        client,
    }
}

impl Env {
    pub(crate) async fn adele(&self) -> DriveClient {
        self.client
            .drive(&DriveRef::User(ADELE.into()))
            .await
            .expect("adele's drive")
    }
}
