//! The access token, the provider interface every Graph caller uses, and the fetcher
//! interface the credentials implement (so credentials and caches need not know each other).

use std::fmt;
use std::time::SystemTime;

/// A bearer access token. Its `Debug` output never shows the token itself.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken {
    secret: String,
    /// When the token stops being valid.
    pub expires_at: SystemTime,
    /// When the cache should start refreshing it (5 minutes before expiry, or the server's `refresh_in`).
    pub refresh_at: SystemTime,
}

impl AccessToken {
    /// Wraps a token value.
    pub fn new(secret: String, expires_at: SystemTime, refresh_at: SystemTime) -> Self {
        Self {
            secret,
            expires_at,
            refresh_at,
        }
    }

    /// The token text, for the `Authorization` header. Never log it.
    pub fn secret(&self) -> &str {
        &self.secret
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("secret", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .field("refresh_at", &self.refresh_at)
            .finish()
    }
}

/// Something that hands out valid access tokens for one connection (a cached credential).
#[async_trait::async_trait]
pub trait TokenProvider: Send + Sync + fmt::Debug {
    /// A token valid for at least a little while; refreshed as needed. Concurrent callers during a
    /// refresh share one token request.
    async fn token(&self) -> Result<AccessToken, crate::Error>;

    /// Tells the provider that `rejected` was refused by the resource (401): the next call to
    /// [`TokenProvider::token`] must fetch a new one unless another caller already did.
    fn invalidate(&self, rejected: &AccessToken);
}

/// Fetches a new token (no caching). Implemented by the credentials.
#[async_trait::async_trait]
pub trait TokenFetcher: Send + Sync + fmt::Debug {
    /// Obtains a new token. `stale` is the token the cache holds and wants replaced (due for
    /// refresh, or rejected by the resource): a fetcher that can answer from another cache
    /// (the persistent one) must not hand that one back.
    async fn fetch(&self, stale: Option<&AccessToken>) -> Result<AccessToken, crate::Error>;
}
