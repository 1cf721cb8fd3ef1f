//! graphlink's own client side for a [`TestEmulator`]: authorities, connection configs for the
//! seed's apps, fast retry policies and Graph clients.

use std::sync::Arc;
use std::time::Duration;

use graphlink_graph::{GraphClient, Settings};
use graphlink_http::{ClientOptions, PauseGate, RetryPolicy, Sender};
use graphlink_identity::{
    device_login, provider, Authority, AuthorityOptions, ClientCertificate, ConnectionConfig,
    ConnectionCredential, DeviceCodePrompt, Secret,
};
use tokio_util::sync::CancellationToken;

use crate::seed::{CERT_APP_ID, DAEMON_APP_ID, DAEMON_SECRET, PUBLIC_APP_ID};
use crate::TestEmulator;

/// graphlink's HTTP client for the emulator (trusting its CA, the product's own options).
pub fn http_client(emu: &TestEmulator) -> reqwest::Client {
    ClientOptions::default()
        .trust_ca_file(emu.emu.ca_cert_path().expect("the emulator serves TLS"))
        .expect("CA readable")
        .build()
        .expect("http client")
}

/// A retry policy with small backoff steps (`Retry-After` from the server still rules).
pub fn fast_retries(max_retries: u32) -> RetryPolicy {
    RetryPolicy {
        max_retries,
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(500),
    }
}

/// A sender with [`fast_retries`] and its own pause gate.
pub fn fast_sender(max_retries: u32) -> Sender {
    Sender::new(fast_retries(max_retries), PauseGate::new())
}

/// The emulator's authority for the default tenant.
pub fn authority(emu: &TestEmulator) -> Authority {
    authority_for(emu, crate::seed::TENANT_ID)
}

/// The emulator's authority for `tenant` (an id, a domain, `common`, ...).
pub fn authority_for(emu: &TestEmulator, tenant: &str) -> Authority {
    Authority::parse(
        &format!("{}/{tenant}", emu.base()),
        Some(emu.base()),
        AuthorityOptions::default(),
    )
    .expect("emulator authority")
}

/// The daemon app with client secret `secret`.
pub fn secret_config(emu: &TestEmulator, secret: &str) -> ConnectionConfig {
    ConnectionConfig {
        name: "daemon".into(),
        authority: authority(emu),
        client_id: DAEMON_APP_ID.into(),
        scopes: vec![],
        credential: ConnectionCredential::ClientSecret(Secret::new(secret)),
    }
}

/// The certificate app with `cert`.
pub fn cert_config(emu: &TestEmulator, cert: ClientCertificate) -> ConnectionConfig {
    ConnectionConfig {
        name: "cert".into(),
        authority: authority(emu),
        client_id: CERT_APP_ID.into(),
        scopes: vec![],
        credential: ConnectionCredential::ClientCertificate(Arc::new(cert)),
    }
}

/// The certificate the emulator generated for its certificate app.
pub fn emulator_cert(emu: &TestEmulator) -> ClientCertificate {
    let dir = emu.emu.data_dir().join("credentials");
    ClientCertificate::from_pem_files(
        &dir.join("cert-app.key.pem"),
        &dir.join("cert-app.cert.pem"),
    )
    .expect("the emulator's certificate app credentials")
}

/// The public app (device flow) named `name` with `scopes`.
pub fn device_config(emu: &TestEmulator, name: &str, scopes: &[&str]) -> ConnectionConfig {
    ConnectionConfig {
        name: name.into(),
        authority: authority(emu),
        client_id: PUBLIC_APP_ID.into(),
        scopes: scopes.iter().map(ToString::to_string).collect(),
        credential: ConnectionCredential::DeviceFlow,
    }
}

/// A Graph client for `config` through graphlink's own token provider.
pub fn graph_client(
    emu: &TestEmulator,
    config: &ConnectionConfig,
    sender: Sender,
    cache_dir: &std::path::Path,
    settings: Settings,
) -> GraphClient {
    let http = http_client(emu);
    let tokens = provider(config, http.clone(), sender.clone(), cache_dir).expect("token provider");
    GraphClient::builder(emu.emu.graph_url(), tokens)
        .with_http_client(http)
        .with_sender(sender)
        .with_settings(settings)
        .build()
        .expect("graph client")
}

/// An app-only Graph client of the daemon app (client secret).
pub fn app_only(emu: &TestEmulator, cache_dir: &std::path::Path) -> GraphClient {
    graph_client(
        emu,
        &secret_config(emu, DAEMON_SECRET),
        fast_sender(12),
        cache_dir,
        Settings::default(),
    )
}

/// A Graph client of the public app for `upn` with `scopes` (empty: the app's default
/// delegated scopes), signed in through graphlink's device login, the code approved in-process
/// as the emulator's login page would.
pub async fn signed_in(
    emu: &TestEmulator,
    upn: &str,
    scopes: &[&str],
    cache_dir: &std::path::Path,
) -> GraphClient {
    let config = device_config(emu, &format!("device-{upn}-{}", scopes.len()), scopes);
    let sender = fast_sender(12);
    let state = emu.emu.state().clone();
    let upn = upn.to_string();
    device_login(
        &config,
        http_client(emu),
        sender.clone(),
        cache_dir,
        move |p: &DeviceCodePrompt| {
            state
                .decide_device_code(&p.user_code, &upn, true)
                .expect("device code approved");
        },
        &CancellationToken::new(),
    )
    .await
    .expect("device login");
    graph_client(emu, &config, sender, cache_dir, Settings::default())
}
