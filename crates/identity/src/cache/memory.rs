//! The in-memory token cache: one token per connection, refreshed ahead of expiry, with
//! concurrent callers sharing one token request.

use std::fmt;
use std::time::{Duration, SystemTime};

use crate::{AccessToken, Error, TokenFetcher, TokenProvider};

/// A failed refresh still returns the current token when it has at least this long to live.
const GRACE: Duration = Duration::from_secs(60);

#[derive(Debug, Clone)]
struct Slot {
    token: AccessToken,
    rejected: bool,
}

/// Caches the token of a [`TokenFetcher`] in memory and implements [`TokenProvider`].
///
/// The token is refreshed at its `refresh_at` (5 minutes before expiry, or the server's
/// `refresh_in`). Callers arriving during a refresh wait for it: one refresh, one request.
/// [`TokenProvider::invalidate`] drops the token only if it is still the rejected one.
pub struct TokenCache<F> {
    fetcher: F,
    current: parking_lot::Mutex<Option<Slot>>,
    refreshing: tokio::sync::Mutex<()>,
}

impl<F: TokenFetcher> TokenCache<F> {
    /// An empty cache over `fetcher`.
    pub fn new(fetcher: F) -> Self {
        Self {
            fetcher,
            current: parking_lot::Mutex::new(None),
            refreshing: tokio::sync::Mutex::new(()),
        }
    }

    /// The fetcher.
    pub fn fetcher(&self) -> &F {
        &self.fetcher
    }

    fn usable(&self, now: SystemTime) -> Option<AccessToken> {
        let current = self.current.lock();
        current
            .as_ref()
            .filter(|slot| {
                !slot.rejected && now < slot.token.refresh_at && now < slot.token.expires_at
            })
            .map(|slot| slot.token.clone())
    }
}

impl<F> fmt::Debug for TokenCache<F>
where
    F: fmt::Debug,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // AccessToken's Debug redacts the token.
        f.debug_struct("TokenCache")
            .field("fetcher", &self.fetcher)
            .field("current", &*self.current.lock())
            .finish()
    }
}

#[async_trait::async_trait]
impl<F: TokenFetcher> TokenProvider for TokenCache<F> {
    async fn token(&self) -> Result<AccessToken, Error> {
        if let Some(token) = self.usable(SystemTime::now()) {
            return Ok(token);
        }
        let _guard = self.refreshing.lock().await;
        // Another caller may have refreshed while this one waited.
        if let Some(token) = self.usable(SystemTime::now()) {
            return Ok(token);
        }
        let stale = self.current.lock().clone();
        match self.fetcher.fetch(stale.as_ref().map(|s| &s.token)).await {
            Ok(token) => {
                *self.current.lock() = Some(Slot {
                    token: token.clone(),
                    rejected: false,
                });
                Ok(token)
            }
            Err(err) => {
                // A refresh ahead of expiry failed: keep serving the still-valid token.
                if let Some(slot) =
                    stale.filter(|s| !s.rejected && s.token.expires_at > SystemTime::now() + GRACE)
                {
                    tracing::warn!(error = %err, "token refresh failed; using the current token until it expires");
                    return Ok(slot.token);
                }
                Err(err)
            }
        }
    }

    fn invalidate(&self, rejected: &AccessToken) {
        let mut current = self.current.lock();
        if let Some(slot) = current.as_mut() {
            if slot.token.secret() == rejected.secret() {
                slot.rejected = true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    /// Counts fetches; each token is "token-N" and lives `lifetime` with refresh at `refresh_after`.
    #[derive(Debug)]
    struct Counting {
        calls: AtomicUsize,
        refresh_after: Duration,
        lifetime: Duration,
        gate: Option<Arc<tokio::sync::Notify>>,
        fail: std::sync::atomic::AtomicBool,
        seen_stale: parking_lot::Mutex<Vec<Option<String>>>,
    }

    impl Counting {
        fn new(refresh_after: Duration, lifetime: Duration) -> Self {
            Self {
                calls: AtomicUsize::new(0),
                refresh_after,
                lifetime,
                gate: None,
                fail: Default::default(),
                seen_stale: Default::default(),
            }
        }
    }

    #[async_trait::async_trait]
    impl TokenFetcher for Counting {
        async fn fetch(&self, stale: Option<&AccessToken>) -> Result<AccessToken, Error> {
            self.seen_stale
                .lock()
                .push(stale.map(|t| t.secret().to_string()));
            if let Some(gate) = &self.gate {
                gate.notified().await;
            }
            let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
            if self.fail.load(Ordering::SeqCst) {
                return Err(Error::Transport {
                    endpoint: "test".into(),
                    detail: "down".into(),
                });
            }
            let now = SystemTime::now();
            // A refresh time in the past makes the next call refresh.
            let refresh_at = now.checked_sub(Duration::from_secs(1)).unwrap() + self.refresh_after;
            Ok(AccessToken::new(
                format!("token-{n}"),
                now + self.lifetime,
                refresh_at,
            ))
        }
    }

    const HOUR: Duration = Duration::from_secs(3600);

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_hundred_concurrent_callers_cause_one_request() {
        let gate = Arc::new(tokio::sync::Notify::new());
        let mut fetcher = Counting::new(HOUR, HOUR);
        fetcher.gate = Some(gate.clone());
        let cache = Arc::new(TokenCache::new(fetcher));
        let mut tasks = Vec::new();
        for _ in 0..100 {
            let cache = cache.clone();
            tasks.push(tokio::spawn(async move {
                cache.token().await.map(|t| t.secret().to_string())
            }));
        }
        // Let every task reach the cache, then release the single fetch.
        while cache.fetcher().seen_stale.lock().is_empty() {
            tokio::task::yield_now().await;
        }
        for _ in 0..50 {
            tokio::task::yield_now().await;
        }
        gate.notify_one();
        for t in tasks {
            assert_eq!(t.await.unwrap().unwrap(), "token-1");
        }
        assert_eq!(cache.fetcher().calls.load(Ordering::SeqCst), 1);
        assert_eq!(cache.token().await.unwrap().secret(), "token-1");
        assert_eq!(cache.fetcher().calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn tokens_are_refreshed_once_their_refresh_time_has_passed() {
        // refresh_at already in the past, expiry an hour away: every call refreshes.
        let cache = TokenCache::new(Counting::new(Duration::ZERO, HOUR));
        assert_eq!(cache.token().await.unwrap().secret(), "token-1");
        assert_eq!(cache.token().await.unwrap().secret(), "token-2");
        assert_eq!(
            *cache.fetcher().seen_stale.lock(),
            vec![None, Some("token-1".to_string())]
        );
        // Not yet due: served from the cache.
        let cache = TokenCache::new(Counting::new(HOUR, HOUR * 2));
        cache.token().await.unwrap();
        cache.token().await.unwrap();
        assert_eq!(cache.fetcher().calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn invalidate_refetches_only_when_the_rejected_token_is_current() {
        let cache = TokenCache::new(Counting::new(HOUR, HOUR));
        let first = cache.token().await.unwrap();
        let foreign = AccessToken::new("someone-else".into(), first.expires_at, first.refresh_at);
        cache.invalidate(&foreign);
        assert_eq!(cache.token().await.unwrap().secret(), "token-1");
        cache.invalidate(&first);
        let second = cache.token().await.unwrap();
        assert_eq!(second.secret(), "token-2");
        // A late 401 for the old token must not throw away the new one.
        cache.invalidate(&first);
        assert_eq!(cache.token().await.unwrap().secret(), "token-2");
        assert_eq!(cache.fetcher().calls.load(Ordering::SeqCst), 2);
        assert_eq!(
            cache.fetcher().seen_stale.lock()[1].as_deref(),
            Some("token-1")
        );
    }

    #[tokio::test]
    async fn a_failed_early_refresh_keeps_the_valid_token_but_a_rejected_one_is_not_reused() {
        let cache = TokenCache::new(Counting::new(Duration::ZERO, HOUR));
        let first = cache.token().await.unwrap();
        cache.fetcher().fail.store(true, Ordering::SeqCst);
        assert_eq!(cache.token().await.unwrap().secret(), first.secret());
        cache.invalidate(&first);
        assert!(matches!(cache.token().await, Err(Error::Transport { .. })));
    }
}
