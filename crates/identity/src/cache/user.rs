//! The device-flow connection's credential: tokens from the persistent cache, refreshed with
//! the stored refresh token, rotated tokens written back under the cache lock.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::authority::Authority;
use crate::cache::store::{unix_secs, CacheFile, StoredAccessToken, TokenStore};
use crate::credential::refresh_token_grant;
use crate::endpoint::Http;
use crate::error::IdentityErrorKind;
use crate::TokenFetcher;
use crate::{AccessToken, Error};

/// A signed-in user's tokens for one connection, kept in a [`TokenStore`]. Use it inside a
/// [`crate::TokenCache`]; `fetch` re-reads the cache under its lock, reuses an access token
/// another process refreshed, or refreshes and stores the rotated refresh token.
#[derive(Debug, Clone)]
pub struct CachedUserCredential {
    http: Http,
    authority: Authority,
    client_id: String,
    scopes: Vec<String>,
    connection: String,
    store: TokenStore,
}

impl CachedUserCredential {
    /// The credential of `connection` (its name, for messages and the cache binding).
    pub fn new(
        http: Http,
        authority: Authority,
        client_id: &str,
        scopes: Vec<String>,
        connection: &str,
        store: TokenStore,
    ) -> Self {
        Self {
            http,
            authority,
            client_id: client_id.trim().to_string(),
            scopes,
            connection: connection.to_string(),
            store,
        }
    }

    fn login_required(&self, reason: impl Into<String>) -> Error {
        Error::LoginRequired {
            connection: self.connection.clone(),
            reason: reason.into(),
        }
    }

    /// Finds this connection's account key in `file`, checking it belongs to this
    /// authority and client id.
    pub(crate) fn account_key(&self, file: &CacheFile) -> Result<String, Error> {
        let key = file
            .connections
            .get(&self.connection)
            .ok_or_else(|| self.login_required("no sign-in is stored for it"))?;
        let account = file
            .accounts
            .get(key)
            .ok_or_else(|| self.login_required("its stored sign-in was removed"))?;
        if account.authority != self.authority.cache_key()
            || !account.client_id.eq_ignore_ascii_case(&self.client_id)
        {
            return Err(self.login_required(format!(
                "the stored sign-in is for {} / client {}, but the connection now uses {} / client {}",
                account.authority,
                account.client_id,
                self.authority.cache_key(),
                self.client_id
            )));
        }
        Ok(key.clone())
    }
}

#[async_trait::async_trait]
impl TokenFetcher for CachedUserCredential {
    async fn fetch(&self, stale: Option<&AccessToken>) -> Result<AccessToken, Error> {
        let locked = self.store.lock_async().await?;
        let mut file = locked.read()?;
        let key = self.account_key(&file)?;
        let Some(account) = file.accounts.get_mut(&key) else {
            return Err(self.login_required("its stored sign-in was removed"));
        };
        let now = unix_secs(SystemTime::now());
        // Another process (or an earlier run) may hold a fresher token than the one we replace.
        if let Some(stored) = &account.access_token {
            let is_stale = stale.is_some_and(|s| s.secret() == stored.secret.expose());
            if !is_stale && stored.refresh_at > now && stored.expires_at > now {
                return Ok(stored.to_token());
            }
        }
        let Some(refresh_token) = account.refresh_token.clone() else {
            return Err(self.login_required("no refresh token is stored"));
        };
        let refreshed = match refresh_token_grant(
            &self.http,
            &self.authority,
            &self.client_id,
            &refresh_token,
            &self.scopes,
        )
        .await
        {
            Ok(set) => set,
            Err(Error::Identity(e))
                if e.kind == IdentityErrorKind::RefreshTokenExpired
                    || (e.error == "invalid_grant" && e.kind == IdentityErrorKind::Other) =>
            {
                let codes: Vec<String> = e.codes.iter().map(|c| format!("AADSTS{c}")).collect();
                return Err(self.login_required(format!(
                    "the stored refresh token was refused ({}{}{}) - it expired or was revoked",
                    e.error,
                    if codes.is_empty() { "" } else { ", " },
                    codes.join(", ")
                )));
            }
            Err(other) => return Err(other),
        };
        // Keep the rotated refresh token before anything else can fail.
        account.refresh_token = refreshed.refresh_token.clone().or(Some(refresh_token));
        account.access_token = Some(StoredAccessToken::from_token(&refreshed.access));
        if !refreshed.scopes.is_empty() {
            account.scopes = refreshed.scopes.clone();
        }
        if let Some(info) = refreshed.account {
            // Same person (the key stays); names may have changed.
            if info.key().is_none() || info.key() == account.account.key() {
                account.account = info;
            }
        }
        account.updated_at = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        locked.write(&file)?;
        Ok(refreshed.access)
    }
}
