//! The identity client tests' set-up: the testkit's emulator, graphlink's own HTTP client for
//! it, a sender with fast retries, a sign-in cache folder and connection configs.

use std::path::Path;

use graphlink_http::Sender;
use graphlink_identity::{Authority, ClientCertificate, ConnectionConfig};
pub(crate) use graphlink_testkit::jwt_claims as claims;
pub(crate) use graphlink_testkit::seed::{
    ADELE, CERT_APP_ID as CERT_APP, DAEMON_APP_ID as SECRET_APP,
    DAEMON_EXPIRED_SECRET as EXPIRED_SECRET, DAEMON_SECRET as SECRET,
};
use graphlink_testkit::{connect, TestEmulator};

/// A running emulator plus the client side of one connection.
pub(crate) struct Env {
    kit: TestEmulator,
    /// graphlink's HTTP client (the product's options, trusting the emulator's CA).
    pub http: reqwest::Client,
    pub sender: Sender,
    pub cache: tempfile::TempDir,
}

impl std::ops::Deref for Env {
    type Target = TestEmulator;
    fn deref(&self) -> &TestEmulator {
        &self.kit
    }
}

impl Env {
    pub(crate) async fn start() -> Self {
        let kit = TestEmulator::start().await;
        Env {
            http: connect::http_client(&kit),
            // Small backoff steps keep retry tests fast; Retry-After from the server still rules.
            sender: Sender::new(
                graphlink_http::RetryPolicy {
                    max_delay: std::time::Duration::from_millis(200),
                    ..connect::fast_retries(4)
                },
                graphlink_http::PauseGate::new(),
            ),
            cache: tempfile::tempdir().unwrap(),
            kit,
        }
    }

    pub(crate) fn authority_for(&self, tenant: &str) -> Authority {
        connect::authority_for(&self.kit, tenant)
    }

    pub(crate) fn cache_dir(&self) -> &Path {
        self.cache.path()
    }

    pub(crate) fn secret_config(&self, secret: &str) -> ConnectionConfig {
        connect::secret_config(&self.kit, secret)
    }

    pub(crate) fn cert_config(&self, cert: ClientCertificate) -> ConnectionConfig {
        connect::cert_config(&self.kit, cert)
    }

    pub(crate) fn emulator_cert(&self) -> ClientCertificate {
        connect::emulator_cert(&self.kit)
    }

    pub(crate) fn device_config(&self, name: &str) -> ConnectionConfig {
        connect::device_config(&self.kit, name, &["User.Read", "Files.ReadWrite.All"])
    }

    /// How many requests matched `path_regex` so far.
    pub(crate) async fn count(&self, path_regex: &str) -> u64 {
        self.matching("", path_regex).await
    }
}
