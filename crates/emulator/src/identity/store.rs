//! What the identity side keeps across restarts, in `DATA/identity.json`: refresh-token grants
//! (stored under the SHA-256 of the token, never the token itself) and the client-assertion
//! `jti`s already used (until the assertion expires).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use parking_lot::Mutex;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::scopes::DelegatedScopes;
use crate::Error;

/// What a refresh token stands for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct RefreshGrant {
    /// The app it was issued to.
    pub client_id: String,
    /// The user's object id.
    pub user_id: String,
    /// The scopes granted.
    pub scopes: DelegatedScopes,
    /// Issued at (seconds since the epoch).
    pub issued_at: i64,
    /// Expires at (seconds since the epoch).
    pub expires_at: i64,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct StoreFile {
    #[serde(default)]
    refresh_tokens: BTreeMap<String, RefreshGrant>,
    /// `{client_id}:{jti}` → expiry of the assertion (seconds since the epoch).
    #[serde(default)]
    used_assertions: BTreeMap<String, i64>,
}

/// The persisted identity store.
pub(super) struct Store {
    path: PathBuf,
    file: Mutex<StoreFile>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// How a presented refresh token looks up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum RefreshLookup {
    /// Known and valid.
    Valid(RefreshGrant),
    /// Known but past its expiry.
    Expired(RefreshGrant),
    /// Never issued here (or purged).
    Unknown,
}

impl Store {
    /// Loads `DATA/identity.json` (an empty store when it does not exist).
    pub(super) fn load(data_dir: &Path) -> Result<Self, Error> {
        let path = data_dir.join("identity.json");
        let file = crate::persist::load::<StoreFile>(&path)?.unwrap_or_default();
        Ok(Store {
            path,
            file: Mutex::new(file),
        })
    }

    /// Issues a new refresh token for `grant` and saves the store.
    pub(super) fn issue_refresh(&self, grant: RefreshGrant, now: i64) -> Result<String, Error> {
        let mut bytes = [0u8; 48];
        rand::thread_rng().fill_bytes(&mut bytes);
        let token = format!("1.AQ{}", URL_SAFE_NO_PAD.encode(bytes));
        let mut file = self.file.lock();
        file.refresh_tokens.insert(hash(&token), grant);
        self.save(&mut file, now)?;
        Ok(token)
    }

    /// Looks a refresh token up. Used tokens stay valid until their own expiry (Microsoft does
    /// not revoke a refresh token when it issues the next one).
    pub(super) fn lookup_refresh(&self, token: &str, now: i64) -> RefreshLookup {
        match self.file.lock().refresh_tokens.get(&hash(token)) {
            Some(grant) if grant.expires_at > now => RefreshLookup::Valid(grant.clone()),
            Some(grant) => RefreshLookup::Expired(grant.clone()),
            None => RefreshLookup::Unknown,
        }
    }

    /// Records a client assertion's `jti`; `Ok(false)` when it was already used and has not
    /// expired.
    pub(super) fn use_assertion(
        &self,
        client_id: &str,
        jti: &str,
        expires_at: i64,
        now: i64,
    ) -> Result<bool, Error> {
        let key = format!("{}:{jti}", client_id.to_ascii_lowercase());
        let mut file = self.file.lock();
        if file
            .used_assertions
            .get(&key)
            .is_some_and(|exp| *exp >= now)
        {
            return Ok(false);
        }
        file.used_assertions.insert(key, expires_at);
        self.save(&mut file, now)?;
        Ok(true)
    }

    /// How many refresh tokens are stored (valid or not yet purged).
    pub(super) fn refresh_token_count(&self) -> usize {
        self.file.lock().refresh_tokens.len()
    }

    /// How many used assertions are remembered.
    pub(super) fn used_assertion_count(&self) -> usize {
        self.file.lock().used_assertions.len()
    }

    /// Purges expired entries (keeping expired refresh tokens for a day, so that their use is
    /// answered "expired" rather than "unknown") and writes the file atomically.
    fn save(&self, file: &mut StoreFile, now: i64) -> Result<(), Error> {
        file.refresh_tokens
            .retain(|_, g| g.expires_at.saturating_add(24 * 3600) > now);
        file.used_assertions.retain(|_, exp| *exp >= now);
        crate::persist::save(&self.path, &*file)
    }
}

fn hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(expires_at: i64) -> RefreshGrant {
        RefreshGrant {
            client_id: "c".into(),
            user_id: "u".into(),
            scopes: DelegatedScopes::default(),
            issued_at: 0,
            expires_at,
        }
    }

    #[test]
    fn refresh_tokens_survive_a_reload_and_are_hashed_at_rest() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::load(dir.path()).unwrap();
        let token = store.issue_refresh(grant(1000), 10).unwrap();
        let text = std::fs::read_to_string(dir.path().join("identity.json")).unwrap();
        assert!(!text.contains(&token));
        let again = Store::load(dir.path()).unwrap();
        assert_eq!(
            again.lookup_refresh(&token, 20),
            RefreshLookup::Valid(grant(1000))
        );
        assert_eq!(
            again.lookup_refresh(&token, 1000),
            RefreshLookup::Expired(grant(1000))
        );
        assert_eq!(again.lookup_refresh("nope", 20), RefreshLookup::Unknown);
    }

    #[test]
    fn a_jti_is_accepted_once_until_it_expires() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::load(dir.path()).unwrap();
        assert!(store.use_assertion("C", "j1", 100, 10).unwrap());
        assert!(!store.use_assertion("c", "j1", 100, 50).unwrap());
        assert!(store.use_assertion("other", "j1", 100, 50).unwrap());
        let again = Store::load(dir.path()).unwrap();
        assert!(!again.use_assertion("c", "j1", 100, 60).unwrap());
        assert!(again.use_assertion("c", "j1", 300, 101).unwrap());
    }
}
