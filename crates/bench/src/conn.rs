//! How the benchmark reaches the emulator: the product's connection (identity from the
//! `AZURE_*` variables, one pool, the default retry policy) and a plain HTTP client for baselines,
//! both over the same TLS with the emulator's CA.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use graphlink_graph::GraphClient;
use graphlink_http::ClientOptions;
use graphlink_identity::TokenProvider;
use graphlink_runtime::{ConnectOptions, Connected};

use crate::error::{Context, Result};
use crate::serve::Endpoint;

/// The emulator's confidential app (client secret).
pub(crate) const CLIENT_ID: &str = "11111111-1111-4111-8111-111111111111";
/// Its secret (the emulator's published test secret).
pub(crate) const CLIENT_SECRET: &str = "emulator-client-secret";
/// The emulator's tenant.
pub(crate) const TENANT_ID: &str = "7c4d9b1e-2f3a-4b5c-8d6e-0f1a2b3c4d5e";
/// The user whose OneDrive holds the transfer tests.
pub(crate) const ADELE: &str = "adele@contoso.onmicrosoft.com";
/// The SharePoint site whose default library holds the change-detection library.
pub(crate) const LIBRARY_SITE: &str = "contoso.sharepoint.com:/sites/Finance";

/// HTTP client options trusting the emulator's CA (the product's defaults otherwise).
pub(crate) fn client_options(endpoint: &Endpoint) -> Result<ClientOptions> {
    ClientOptions::default()
        .trust_ca_file(&endpoint.ca_cert)
        .context("trusting the emulator's CA certificate")
}

/// A plain HTTP client with the same TLS settings (for baselines and the admin API).
pub(crate) fn plain_http(endpoint: &Endpoint) -> Result<reqwest::Client> {
    client_options(endpoint)?
        .build()
        .context("building the HTTP client")
}

/// The environment a user would set for the emulator: `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`,
/// `AZURE_CLIENT_SECRET`, `AZURE_AUTHORITY_HOST` and `GRAPHLINK_GRAPH_BASE`.
fn environment(endpoint: &Endpoint) -> HashMap<&'static str, String> {
    HashMap::from([
        ("AZURE_TENANT_ID", TENANT_ID.to_string()),
        ("AZURE_CLIENT_ID", CLIENT_ID.to_string()),
        ("AZURE_CLIENT_SECRET", CLIENT_SECRET.to_string()),
        ("AZURE_AUTHORITY_HOST", endpoint.base_url.clone()),
        ("GRAPHLINK_GRAPH_BASE", endpoint.base_url.clone()),
    ])
}

/// A product connection: its own pool, sender (retry policy and pause) and token cache.
#[derive(Debug, Clone)]
pub(crate) struct Product {
    /// The Graph client.
    pub graph: GraphClient,
    /// The token provider (cache) the client uses.
    pub tokens: Arc<dyn TokenProvider>,
}

/// Builds a fresh product connection (new pool, new empty token cache) the way the product
/// does: [`Connected::from_env`] with the emulator's CA trusted.
pub(crate) fn product(endpoint: &Endpoint, cache_dir: &Path) -> Result<Product> {
    let vars = environment(endpoint);
    let options = ConnectOptions::new(cache_dir).trusting(Some(endpoint.ca_cert.clone()));
    let connected = Connected::from_env("bench", |k| vars.get(k).cloned(), &options)
        .context("configuring the connection")?;
    let tokens = connected.tokens().context("building the token provider")?;
    let graph = connected
        .graph_with(tokens.clone())
        .context("building the Graph client")?;
    Ok(Product { graph, tokens })
}
