//! The persistent token cache of user sign-ins: one JSON file, written atomically, shared
//! safely by several processes.
//!
//! - Writes go to a temporary file in the same directory (mode 0600), are synced, then
//!   renamed over the cache file: a crash mid-write leaves the old file intact.
//! - Read-modify-write cycles (a refresh, a login, a logout) hold an exclusive advisory lock on
//!   a sibling `.lock` file and re-read the cache under it, so a refresh token rotated by another
//!   process is the one used and never lost.
//! - Plain reads need no lock: the rename makes every read see a whole file.

use std::collections::BTreeMap;
use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::account::AccountInfo;
use crate::secret::Secret;
use crate::{AccessToken, Error};

/// The cache file's name inside the cache directory.
pub(super) const CACHE_FILE_NAME: &str = "tokens.json";
const FORMAT_VERSION: u32 = 1;

/// Seconds since the Unix epoch.
pub(crate) fn unix_secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs()
}

/// A stored access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredAccessToken {
    /// The token (redacted in `Debug`).
    pub secret: Secret,
    /// Expiry, Unix seconds.
    pub expires_at: u64,
    /// When to refresh, Unix seconds.
    pub refresh_at: u64,
}

impl StoredAccessToken {
    /// Stores `token`.
    pub fn from_token(token: &AccessToken) -> Self {
        Self {
            secret: Secret::new(token.secret()),
            expires_at: unix_secs(token.expires_at),
            refresh_at: unix_secs(token.refresh_at),
        }
    }

    /// Back to an [`AccessToken`].
    pub fn to_token(&self) -> AccessToken {
        AccessToken::new(
            self.secret.expose().to_string(),
            UNIX_EPOCH + Duration::from_secs(self.expires_at),
            UNIX_EPOCH + Duration::from_secs(self.refresh_at),
        )
    }
}

/// One signed-in account of one app at one authority. `Debug` redacts the tokens.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CachedAccount {
    /// The authority's cache key (lower-case authority URL).
    pub authority: String,
    /// The client (application) id.
    pub client_id: String,
    /// Who signed in.
    pub account: AccountInfo,
    /// Scopes granted at the last sign-in or refresh.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// The latest refresh token.
    #[serde(default)]
    pub refresh_token: Option<Secret>,
    /// The latest access token.
    #[serde(default)]
    pub access_token: Option<StoredAccessToken>,
    /// Last update, Unix seconds.
    #[serde(default)]
    pub updated_at: u64,
}

/// The whole cache file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CacheFile {
    /// Format version.
    pub version: u32,
    /// Accounts keyed by `{authority}|{client id}|{account}`.
    #[serde(default)]
    pub accounts: BTreeMap<String, CachedAccount>,
    /// Connection name → account key: which sign-in each connection uses.
    #[serde(default)]
    pub connections: BTreeMap<String, String>,
}

impl Default for CacheFile {
    fn default() -> Self {
        Self {
            version: FORMAT_VERSION,
            accounts: BTreeMap::new(),
            connections: BTreeMap::new(),
        }
    }
}

impl CacheFile {
    /// The key of an account: `{authority}|{client id}|{account}`.
    pub fn account_key(authority_key: &str, client_id: &str, account_key: &str) -> String {
        format!(
            "{}|{}|{}",
            authority_key,
            client_id.to_ascii_lowercase(),
            account_key
        )
    }
}

/// The persistent cache in a directory.
#[derive(Debug, Clone)]
pub struct TokenStore {
    dir: PathBuf,
    path: PathBuf,
    lock_path: PathBuf,
}

impl TokenStore {
    /// The cache in `cache_dir` (created, mode 0700, on first write).
    pub fn new(cache_dir: &Path) -> Self {
        Self {
            dir: cache_dir.to_path_buf(),
            path: cache_dir.join(CACHE_FILE_NAME),
            lock_path: cache_dir.join(format!("{CACHE_FILE_NAME}.lock")),
        }
    }

    /// The cache file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self, path: &Path, detail: impl fmt::Display) -> Error {
        Error::Cache {
            path: path.display().to_string(),
            detail: detail.to_string(),
        }
    }

    /// Reads the cache (empty if there is no file yet).
    pub fn read(&self) -> Result<CacheFile, Error> {
        let bytes = match std::fs::read(&self.path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(CacheFile::default()),
            Err(e) => return Err(self.err(&self.path, format!("cannot read: {e}"))),
        };
        let file: CacheFile = serde_json::from_slice(&bytes).map_err(|e| {
            self.err(
                &self.path,
                format!("is not a valid token cache ({e}); delete it and sign in again"),
            )
        })?;
        if file.version > FORMAT_VERSION {
            return Err(self.err(
                &self.path,
                format!(
                    "was written by a newer graphlink (format {}); upgrade graphlink",
                    file.version
                ),
            ));
        }
        Ok(file)
    }

    fn ensure_dir(&self) -> Result<(), Error> {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            builder.mode(0o700);
        }
        builder
            .create(&self.dir)
            .map_err(|e| self.err(&self.dir, format!("cannot create the cache directory: {e}")))
    }

    /// Takes the exclusive lock (blocking until other processes release it).
    pub fn lock(&self) -> Result<LockedStore, Error> {
        self.ensure_dir()?;
        let mut options = OpenOptions::new();
        options.create(true).truncate(false).read(true).write(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let file = options
            .open(&self.lock_path)
            .map_err(|e| self.err(&self.lock_path, format!("cannot open the lock file: {e}")))?;
        file.lock()
            .map_err(|e| self.err(&self.lock_path, format!("cannot lock: {e}")))?;
        Ok(LockedStore {
            store: self.clone(),
            _lock: file,
        })
    }

    /// Takes the exclusive lock without blocking the async runtime.
    pub async fn lock_async(&self) -> Result<LockedStore, Error> {
        let store = self.clone();
        tokio::task::spawn_blocking(move || store.lock())
            .await
            .map_err(|e| self.err(&self.lock_path, format!("lock task failed: {e}")))?
    }

    /// Writes `file` atomically (temporary file in the same directory, synced, renamed).
    fn write(&self, file: &CacheFile) -> Result<(), Error> {
        self.ensure_dir()?;
        let json = serde_json::to_vec_pretty(file)
            .map_err(|e| self.err(&self.path, format!("cannot encode: {e}")))?;
        // tempfile creates the file with mode 0600.
        let mut tmp = tempfile::Builder::new()
            .prefix(&format!(".{CACHE_FILE_NAME}."))
            .suffix(".tmp")
            .tempfile_in(&self.dir)
            .map_err(|e| self.err(&self.dir, format!("cannot create a temporary file: {e}")))?;
        tmp.write_all(&json)
            .and_then(|_| tmp.as_file().sync_all())
            .map_err(|e| self.err(tmp.path(), format!("cannot write: {e}")))?;
        tmp.persist(&self.path).map_err(|e| {
            self.err(
                &self.path,
                format!("cannot replace the cache file: {}", e.error),
            )
        })?;
        // Make the rename durable; failing to sync the directory is not worth an error.
        if let Ok(dir) = File::open(&self.dir) {
            let _ = dir.sync_all();
        }
        Ok(())
    }
}

/// The cache under the exclusive lock: read, modify, write, then drop to unlock.
#[derive(Debug)]
pub struct LockedStore {
    store: TokenStore,
    _lock: File,
}

impl LockedStore {
    /// Reads the current file (always re-read under the lock before acting on it).
    pub fn read(&self) -> Result<CacheFile, Error> {
        self.store.read()
    }

    /// Replaces the file atomically.
    pub fn write(&self, file: &CacheFile) -> Result<(), Error> {
        self.store.write(file)
    }

    /// The store.
    pub fn store(&self) -> &TokenStore {
        &self.store
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(rt: &str) -> CachedAccount {
        CachedAccount {
            authority: "https://login.test/t".into(),
            client_id: "c".into(),
            account: AccountInfo {
                username: Some("adele@contoso.onmicrosoft.com".into()),
                ..Default::default()
            },
            scopes: vec!["User.Read".into()],
            refresh_token: Some(Secret::new(rt)),
            access_token: None,
            updated_at: 0,
        }
    }

    #[test]
    fn missing_file_reads_empty_and_writes_are_0600() {
        let dir = tempfile::tempdir().unwrap();
        let store = TokenStore::new(&dir.path().join("nested"));
        assert!(store.read().unwrap().accounts.is_empty());
        let locked = store.lock().unwrap();
        let mut file = locked.read().unwrap();
        file.accounts.insert("k".into(), account("rt-1"));
        locked.write(&file).unwrap();
        drop(locked);
        let back = store.read().unwrap();
        assert_eq!(
            back.accounts["k"].refresh_token.as_ref().unwrap().expose(),
            "rt-1"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(store.path())
                .unwrap()
                .permissions()
                .mode()
                & 0o777;
            assert_eq!(mode, 0o600);
            let dmode = std::fs::metadata(dir.path().join("nested"))
                .unwrap()
                .permissions()
                .mode()
                & 0o777;
            assert_eq!(dmode, 0o700);
        }
    }

    #[test]
    fn leftover_temp_files_from_a_crash_do_not_break_the_cache() {
        let dir = tempfile::tempdir().unwrap();
        let store = TokenStore::new(dir.path());
        let locked = store.lock().unwrap();
        let mut file = CacheFile::default();
        file.accounts.insert("k".into(), account("rt-old"));
        locked.write(&file).unwrap();
        // A crash mid-write leaves a truncated temporary file behind.
        std::fs::write(
            dir.path().join(".tokens.json.abc123.tmp"),
            b"{\"version\":1,\"accounts\":{\"k\":{\"auth",
        )
        .unwrap();
        assert_eq!(
            store.read().unwrap().accounts["k"]
                .refresh_token
                .as_ref()
                .unwrap()
                .expose(),
            "rt-old"
        );
        file.accounts.insert("k".into(), account("rt-new"));
        locked.write(&file).unwrap();
        assert_eq!(
            store.read().unwrap().accounts["k"]
                .refresh_token
                .as_ref()
                .unwrap()
                .expose(),
            "rt-new"
        );
    }

    #[test]
    fn a_corrupt_cache_file_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let store = TokenStore::new(dir.path());
        std::fs::write(store.path(), b"{not json").unwrap();
        let err = store.read().unwrap_err().to_string();
        assert!(
            err.contains("tokens.json") && err.contains("sign in again"),
            "{err}"
        );
        std::fs::write(store.path(), br#"{"version":99}"#).unwrap();
        assert!(store.read().unwrap_err().to_string().contains("newer"));
    }

    #[test]
    fn debug_redacts_tokens() {
        let mut a = account("REFRESH-SECRET-VALUE");
        a.access_token = Some(StoredAccessToken {
            secret: Secret::new("ACCESS-SECRET-VALUE"),
            expires_at: 1,
            refresh_at: 1,
        });
        let mut file = CacheFile::default();
        file.accounts.insert("k".into(), a);
        let text = format!("{file:?}");
        assert!(!text.contains("SECRET-VALUE"), "{text}");
    }
}
