//! The one path from a connection to a client: a connection asset (resolved) or the `AZURE_*`
//! environment becomes a [`Connected`] (identity settings, one HTTP pool, one retry policy,
//! the sign-in cache), which hands out the token provider and the Graph client.
//!
//! | task | call |
//! |---|---|
//! | a project's connection asset | [`crate::resolve_connection`] + [`Connected::resolve`] |
//! | the `AZURE_*` environment | [`Connected::from_env`] |
//! | where sign-ins are kept by default | [`default_cache_dir`] |
//! | tokens, Graph | [`Connected::tokens`], [`Connected::graph`] |

use std::path::PathBuf;
use std::sync::Arc;

use graphlink_graph::GraphClient;
use graphlink_http::{ClientOptions, Sender};
use graphlink_identity::{ConnectionConfig, ConnectionCredential, TokenProvider};

use crate::connect::ResolvedConnection;
use crate::{Error, Result};

/// The folder device-flow sign-ins are kept in when the caller names none: the user's cache
/// folder + `graphlink` (`None` on systems without one).
pub fn default_cache_dir() -> Option<PathBuf> {
    dirs::cache_dir().map(|d| d.join("graphlink"))
}

/// What the caller adds to a connection's own settings.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    /// Where device-flow sign-ins are kept (see [`default_cache_dir`]).
    pub cache_dir: PathBuf,
    /// An extra CA certificate (PEM) to trust, besides the connection's own.
    pub extra_ca_certificate: Option<PathBuf>,
}

impl ConnectOptions {
    /// Options with sign-ins in `cache_dir` and no extra CA certificate.
    pub fn new(cache_dir: impl Into<PathBuf>) -> Self {
        Self {
            cache_dir: cache_dir.into(),
            extra_ca_certificate: None,
        }
    }

    /// The same options trusting `ca` too (when given).
    pub fn trusting(mut self, ca: Option<PathBuf>) -> Self {
        self.extra_ca_certificate = ca;
        self
    }
}

/// A connection ready to use: identity settings, the connection's HTTP pool and retry policy
/// (shared by its token provider and Graph client), and the sign-in cache. `Debug` shows no
/// secret.
#[derive(Debug, Clone)]
pub struct Connected {
    /// The identity settings.
    pub config: ConnectionConfig,
    /// The connection's HTTP client (one pool).
    pub http: reqwest::Client,
    /// The connection's retry policy and throttling pause.
    pub sender: Sender,
    /// The sign-in cache folder.
    pub cache_dir: PathBuf,
    /// Plain `http://` allowed (loopback emulator only).
    pub allow_http: bool,
}

impl Connected {
    /// A resolved connection asset, with its CA certificate and timeouts.
    pub fn resolve(connection: &ResolvedConnection, options: &ConnectOptions) -> Result<Self> {
        Self::new(
            connection.identity_config()?,
            connection.client_options()?,
            connection.allow_insecure_http,
            options,
        )
    }

    /// A client-credentials connection named `name` from the `AZURE_*` variables read through
    /// `lookup` (`|k| std::env::var(k).ok()` for the process environment; see
    /// [`graphlink_identity::env`]).
    pub fn from_env(
        name: &str,
        lookup: impl Fn(&str) -> Option<String>,
        options: &ConnectOptions,
    ) -> Result<Self> {
        let config = graphlink_identity::from_env(name, lookup)
            .map_err(|e| Error::identity(format!("connection '{name}' from the environment"), e))?;
        Self::new(config, ClientOptions::default(), false, options)
    }

    /// Builds the pool and retry policy for identity settings and HTTP client options.
    pub fn new(
        config: ConnectionConfig,
        client: ClientOptions,
        allow_http: bool,
        options: &ConnectOptions,
    ) -> Result<Self> {
        let context = || format!("connection '{}'", config.name);
        let client = match &options.extra_ca_certificate {
            Some(ca) => client
                .trust_ca_file(ca)
                .map_err(|e| Error::http(context(), e))?,
            None => client,
        };
        let http = client.build().map_err(|e| Error::http(context(), e))?;
        Ok(Self {
            config,
            http,
            sender: Sender::default(),
            cache_dir: options.cache_dir.clone(),
            allow_http,
        })
    }

    /// The connection's name.
    pub fn name(&self) -> &str {
        &self.config.name
    }

    /// Whether the credential authenticates the application only (client secret or
    /// certificate), without a signed-in user.
    pub fn is_app_only(&self) -> bool {
        !matches!(self.config.credential, ConnectionCredential::DeviceFlow)
    }

    /// A new token provider for the connection (its own token cache; device-flow sign-ins
    /// from the cache folder).
    pub fn tokens(&self) -> Result<Arc<dyn TokenProvider>> {
        graphlink_identity::provider(
            &self.config,
            self.http.clone(),
            self.sender.clone(),
            &self.cache_dir,
        )
        .map_err(|e| Error::identity(self.context(), e))
    }

    /// The Graph base URL with version (`https://graph.microsoft.com/v1.0`).
    pub fn graph_url(&self) -> String {
        format!(
            "{}/v1.0",
            self.config.authority.graph_base().trim_end_matches('/')
        )
    }

    /// A Graph client sharing the connection's pool and retry policy, with a new token
    /// provider.
    pub fn graph(&self) -> Result<GraphClient> {
        self.graph_with(self.tokens()?)
    }

    /// A Graph client sharing the connection's pool and retry policy and the given `tokens`
    /// (to share one token cache between several clients).
    pub fn graph_with(&self, tokens: Arc<dyn TokenProvider>) -> Result<GraphClient> {
        GraphClient::builder(self.graph_url(), tokens)
            .with_http_client(self.http.clone())
            .with_sender(self.sender.clone())
            .allow_http(self.allow_http)
            .build()
            .map_err(|e| Error::graph(self.context(), e))
    }

    fn context(&self) -> String {
        format!("connection '{}'", self.config.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
    }

    #[test]
    fn the_environment_gives_an_app_only_connection_with_its_graph_url() {
        let lookup = env(&[
            ("AZURE_TENANT_ID", "contoso.onmicrosoft.com"),
            ("AZURE_CLIENT_ID", "11111111-1111-4111-8111-111111111111"),
            ("AZURE_CLIENT_SECRET", "not-shown-Qx7"),
        ]);
        let c = Connected::from_env("env", lookup, &ConnectOptions::new("/tmp/cache")).unwrap();
        assert_eq!(c.name(), "env");
        assert!(c.is_app_only());
        assert_eq!(c.graph_url(), "https://graph.microsoft.com/v1.0");
        assert!(c.graph().is_ok());
        assert!(!format!("{c:?}").contains("not-shown-Qx7"));
    }

    #[test]
    fn a_missing_variable_is_an_identity_error_naming_it() {
        let err =
            Connected::from_env("env", env(&[]), &ConnectOptions::new("/tmp/cache")).unwrap_err();
        assert!(matches!(err, Error::Identity { .. }), "{err:?}");
        assert!(err.to_string().contains("AZURE_TENANT_ID"), "{err}");
    }

    #[test]
    fn an_unreadable_extra_ca_is_an_http_error_naming_the_connection() {
        let lookup = env(&[
            ("AZURE_TENANT_ID", "contoso.onmicrosoft.com"),
            ("AZURE_CLIENT_ID", "11111111-1111-4111-8111-111111111111"),
            ("AZURE_CLIENT_SECRET", "s"),
        ]);
        let options = ConnectOptions::new("/tmp/cache")
            .trusting(Some(PathBuf::from("/nonexistent/graphlink-ca.pem")));
        let err = Connected::from_env("env", lookup, &options).unwrap_err();
        assert!(matches!(err, Error::Http { .. }), "{err:?}");
        assert!(err.to_string().starts_with("connection 'env': "), "{err}");
    }
}
