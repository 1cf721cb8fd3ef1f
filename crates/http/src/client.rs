//! Construction of the HTTP client (connection pool) shared by everything a connection does.

use std::time::Duration;

/// Errors raised while building an HTTP client.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A CA certificate given to trust could not be read as PEM.
    #[error("the CA certificate {origin} is not a valid PEM certificate: {reason}")]
    InvalidCaCertificate {
        /// Where the certificate came from (a file path or "inline").
        origin: String,
        /// What was wrong with it.
        reason: String,
    },
    /// The TLS stack or the client could not be set up.
    #[error("could not build the HTTP client: {0}")]
    Build(String),
}

/// Options for the connection's HTTP client: one client, one pool, per connection.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Extra trusted root certificates, as PEM text, with a label naming their origin.
    pub ca_certificates: Vec<(String, Vec<u8>)>,
    /// Connect timeout for every request.
    pub connect_timeout: Duration,
    /// Read timeout: the longest silence tolerated while waiting for response bytes.
    pub read_timeout: Duration,
    /// The `User-Agent` header value.
    pub user_agent: String,
    /// Largest number of idle connections kept per host.
    pub pool_max_idle_per_host: usize,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            ca_certificates: Vec::new(),
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(60),
            user_agent: concat!("graphlink/", env!("CARGO_PKG_VERSION")).to_string(),
            pool_max_idle_per_host: 32,
        }
    }
}

impl ClientOptions {
    /// Adds a PEM CA certificate read from `path` to the trusted roots.
    pub fn trust_ca_file(mut self, path: &std::path::Path) -> Result<Self, Error> {
        let pem = std::fs::read(path).map_err(|e| Error::InvalidCaCertificate {
            origin: path.display().to_string(),
            reason: e.to_string(),
        })?;
        self.ca_certificates.push((path.display().to_string(), pem));
        Ok(self)
    }

    /// Builds the client. Redirects are never followed automatically: callers decide, so that
    /// an `Authorization` header is never sent to a pre-authenticated download URL.
    pub fn build(&self) -> Result<reqwest::Client, Error> {
        // reqwest's rustls backend needs a process-wide crypto provider; ring is ours.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = reqwest::Client::builder()
            .use_rustls_tls()
            .connect_timeout(self.connect_timeout)
            .read_timeout(self.read_timeout)
            .user_agent(self.user_agent.clone())
            .pool_max_idle_per_host(self.pool_max_idle_per_host)
            .redirect(reqwest::redirect::Policy::none());
        for (origin, pem) in &self.ca_certificates {
            let certs = reqwest::Certificate::from_pem_bundle(pem).map_err(|e| {
                Error::InvalidCaCertificate {
                    origin: origin.clone(),
                    reason: e.to_string(),
                }
            })?;
            if certs.is_empty() {
                return Err(Error::InvalidCaCertificate {
                    origin: origin.clone(),
                    reason: "no certificate found in the file".into(),
                });
            }
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        builder.build().map_err(|e| Error::Build(e.to_string()))
    }
}
