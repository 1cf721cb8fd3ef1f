//! [`GraphClient`]: one per connection; cheap to clone.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use graphlink_http::{ClientOptions, RetryPolicy, Sender};
use graphlink_identity::TokenProvider;
use url::Url;

use crate::error::{Error, Result};

/// Fragment sizes of upload sessions must be multiples of this (320 KiB).
pub const UPLOAD_FRAGMENT_UNIT: u64 = 320 * 1024;

/// Tunables of a [`GraphClient`].
#[derive(Debug, Clone)]
pub struct Settings {
    /// Total time limit of one metadata request (not of content transfers, which are bounded by
    /// the connection's read timeout instead).
    pub request_timeout: Duration,
    /// Files up to this size are uploaded with one simple `PUT` (default 4 MiB).
    pub simple_upload_limit: u64,
    /// Upload session fragment size: a multiple of 320 KiB below 60 MiB (default 20 MiB: each
    /// fragment costs a round trip in which nothing is sent, so fewer is faster; two are held in
    /// memory at most).
    pub upload_chunk_size: u64,
    /// Longest time one upload fragment may take to send (a stalled upload is cut and resumed).
    pub fragment_timeout: Duration,
    /// Consecutive failed attempts without progress tolerated while resuming a transfer.
    pub max_resume_attempts: u32,
    /// How many times an upload starts a new session after the old one vanished (404).
    pub max_session_restarts: u32,
    /// How many times a download asks `/content` again after its download URL stopped working.
    pub max_url_refreshes: u32,
    /// Longest wait for a server-side copy to finish.
    pub copy_timeout: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            request_timeout: Duration::from_secs(120),
            simple_upload_limit: 4 * 1024 * 1024,
            upload_chunk_size: 64 * UPLOAD_FRAGMENT_UNIT,
            fragment_timeout: Duration::from_secs(600),
            max_resume_attempts: 8,
            max_session_restarts: 2,
            max_url_refreshes: 3,
            copy_timeout: Duration::from_secs(30 * 60),
        }
    }
}

pub(crate) struct Inner {
    /// Graph base with version, no trailing slash (`https://graph.microsoft.com/v1.0`).
    pub(crate) base: String,
    /// Scheme, host and port of `base`, to check that links Graph hands out stay on it.
    pub(crate) origin: url::Origin,
    pub(crate) tokens: Arc<dyn TokenProvider>,
    pub(crate) http: reqwest::Client,
    pub(crate) sender: Sender,
    pub(crate) settings: Settings,
}

/// A Microsoft Graph client for one connection: base URL, token provider, one connection pool
/// and one [`Sender`] (retry policy and connection-wide throttling pause). Cloning shares all
/// of it.
#[derive(Clone)]
pub struct GraphClient {
    pub(crate) inner: Arc<Inner>,
}

impl fmt::Debug for GraphClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GraphClient")
            .field("base", &self.inner.base)
            .field("tokens", &self.inner.tokens)
            .field("settings", &self.inner.settings)
            .finish_non_exhaustive()
    }
}

impl GraphClient {
    /// Starts building a client for `base_url` (`https://graph.microsoft.com/v1.0`, or an
    /// emulator's `{base}/v1.0`) with the given token provider.
    pub fn builder(
        base_url: impl Into<String>,
        tokens: Arc<dyn TokenProvider>,
    ) -> GraphClientBuilder {
        GraphClientBuilder {
            base_url: base_url.into(),
            tokens,
            client_options: ClientOptions::default(),
            http: None,
            sender: None,
            settings: Settings::default(),
            allow_http: false,
        }
    }

    /// The Graph base URL (with version, no trailing slash).
    pub fn base_url(&self) -> &str {
        &self.inner.base
    }

    /// The client's tunables.
    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    /// The sender (retry policy and pause gate) shared by every request of this client.
    pub fn sender(&self) -> &Sender {
        &self.inner.sender
    }
}

/// Builder of a [`GraphClient`]; consuming `with_*` setters, validation in [`GraphClientBuilder::build`].
pub struct GraphClientBuilder {
    base_url: String,
    tokens: Arc<dyn TokenProvider>,
    client_options: ClientOptions,
    http: Option<reqwest::Client>,
    sender: Option<Sender>,
    settings: Settings,
    allow_http: bool,
}

impl fmt::Debug for GraphClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GraphClientBuilder")
            .field("base_url", &self.base_url)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl GraphClientBuilder {
    /// Options of the HTTP client built for this connection (CA certificates, timeouts, user
    /// agent). Ignored when [`GraphClientBuilder::with_http_client`] supplies a client.
    pub fn with_client_options(mut self, options: ClientOptions) -> Self {
        self.client_options = options;
        self
    }

    /// Uses an existing HTTP client (to share one pool with the identity side). It must not
    /// follow redirects (build it with [`ClientOptions::build`]).
    pub fn with_http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Uses an existing sender (to share one throttling pause with other users of the connection).
    pub fn with_sender(mut self, sender: Sender) -> Self {
        self.sender = Some(sender);
        self
    }

    /// Sets the retry policy (of a new sender; ignored with [`GraphClientBuilder::with_sender`]).
    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.sender = Some(Sender::new(policy, Default::default()));
        self
    }

    /// Sets all tunables.
    pub fn with_settings(mut self, settings: Settings) -> Self {
        self.settings = settings;
        self
    }

    /// Allows a plain `http://` base URL (emulators, tests). Off by default.
    pub fn allow_http(mut self, allow: bool) -> Self {
        self.allow_http = allow;
        self
    }

    /// Validates the settings and builds the client.
    pub fn build(self) -> Result<GraphClient> {
        let base = self.base_url.trim().trim_end_matches('/').to_string();
        let url = Url::parse(&base)
            .map_err(|e| Error::invalid("Graph base URL", format!("{base:?}: {e}")))?;
        match url.scheme() {
            "https" => {}
            "http" if self.allow_http => {}
            "http" => {
                return Err(Error::invalid(
                    "Graph base URL",
                    format!("{base:?} is plain http; allow it explicitly for emulators"),
                ))
            }
            other => {
                return Err(Error::invalid(
                    "Graph base URL",
                    format!("{base:?}: unsupported scheme {other:?}"),
                ))
            }
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(Error::invalid(
                "Graph base URL",
                format!("{base:?} must not have a query or fragment"),
            ));
        }
        let s = &self.settings;
        let chunk = s.upload_chunk_size;
        if chunk == 0 || !chunk.is_multiple_of(UPLOAD_FRAGMENT_UNIT) || chunk >= 60 * 1024 * 1024 {
            return Err(Error::invalid(
                "upload chunk size",
                format!(
                    "{chunk} bytes: must be a non-zero multiple of 320 KiB (327680) below 60 MiB"
                ),
            ));
        }
        if s.simple_upload_limit > 250 * 1024 * 1024 {
            return Err(Error::invalid(
                "simple upload limit",
                "must be at most 250 MiB",
            ));
        }
        let http = match self.http {
            Some(client) => client,
            None => self.client_options.build()?,
        };
        Ok(GraphClient {
            inner: Arc::new(Inner {
                origin: url.origin(),
                base,
                tokens: self.tokens,
                http,
                sender: self.sender.unwrap_or_default(),
                settings: self.settings,
            }),
        })
    }
}
