//! The entry points the CLI calls: build a token provider for a connection, sign a user in
//! with the device flow, show and remove the stored sign-in.

use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use graphlink_http::Sender;
use tokio_util::sync::CancellationToken;

use crate::account::AccountInfo;
use crate::authority::Authority;
use crate::cache::{
    CacheFile, CachedAccount, CachedUserCredential, StoredAccessToken, TokenCache, TokenStore,
};
use crate::credential::{
    ClientAuth, ClientCertificate, ClientCredentials, DeviceCodeFlow, DeviceCodePrompt,
};
use crate::endpoint::Http;
use crate::secret::Secret;
use crate::{Error, TokenProvider};

/// Delegated scopes a device-flow connection asks for when it lists none: everything the
/// sources, sinks and Teams service need.
pub const DEFAULT_DELEGATED_SCOPES: [&str; 8] = [
    "User.Read",
    "Files.ReadWrite.All",
    "Sites.ReadWrite.All",
    "ChannelMessage.Send",
    "ChatMessage.Send",
    "Team.ReadBasic.All",
    "Channel.ReadBasic.All",
    "Chat.ReadWrite",
];

/// How a connection authenticates.
#[derive(Clone)]
pub enum ConnectionCredential {
    /// OAuth client credentials with a client secret (app-only).
    ClientSecret(Secret),
    /// OAuth client credentials with a certificate (app-only; signed JWT assertion).
    ClientCertificate(Arc<ClientCertificate>),
    /// OAuth device flow: a person signs in once (`graphlink auth login`); tokens are kept in
    /// the persistent cache and refreshed.
    DeviceFlow,
}

impl fmt::Debug for ConnectionCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnectionCredential::ClientSecret(_) => f.write_str("ClientSecret(<redacted>)"),
            ConnectionCredential::ClientCertificate(c) => {
                f.debug_tuple("ClientCertificate").field(c).finish()
            }
            ConnectionCredential::DeviceFlow => f.write_str("DeviceFlow"),
        }
    }
}

/// The identity settings of one MS Graph connection.
#[derive(Debug, Clone)]
pub struct ConnectionConfig {
    /// The connection's name (used in messages and to bind the stored sign-in).
    pub name: String,
    /// The authority (cloud + tenant).
    pub authority: Authority,
    /// The application (client) id.
    pub client_id: String,
    /// Scopes. Client credentials: empty or exactly `{graph}/.default`. Device flow: delegated
    /// scopes (empty = [`DEFAULT_DELEGATED_SCOPES`]); `offline_access openid profile` are added.
    pub scopes: Vec<String>,
    /// The credential.
    pub credential: ConnectionCredential,
}

impl ConnectionConfig {
    /// The scopes a device-flow sign-in asks for.
    pub fn delegated_scopes(&self) -> Vec<String> {
        if self.scopes.is_empty() {
            DEFAULT_DELEGATED_SCOPES
                .iter()
                .map(ToString::to_string)
                .collect()
        } else {
            self.scopes.clone()
        }
    }

    fn user_credential(&self, http: Http, cache_dir: &Path) -> CachedUserCredential {
        CachedUserCredential::new(
            http,
            self.authority.clone(),
            &self.client_id,
            self.delegated_scopes(),
            &self.name,
            TokenStore::new(cache_dir),
        )
    }
}

/// The token provider of a connection: client credentials (secret or certificate) cached in
/// memory, or the device-flow sign-in from the persistent cache in `cache_dir`, refreshed
/// with its refresh token. `http` and `sender` are the connection's pool and retry policy
/// (shared with its Graph calls). Configuration errors are reported here; a missing sign-in
/// is reported by the first [`TokenProvider::token`] call as [`Error::LoginRequired`].
pub fn provider(
    config: &ConnectionConfig,
    http: reqwest::Client,
    sender: Sender,
    cache_dir: &Path,
) -> Result<Arc<dyn TokenProvider>, Error> {
    let http = Http::new(http, sender);
    let auth = match &config.credential {
        ConnectionCredential::ClientSecret(secret) => ClientAuth::Secret(secret.clone()),
        ConnectionCredential::ClientCertificate(cert) => ClientAuth::Certificate(cert.clone()),
        ConnectionCredential::DeviceFlow => {
            crate::rules::check_client_id(&config.client_id)?;
            return Ok(Arc::new(TokenCache::new(
                config.user_credential(http, cache_dir),
            )));
        }
    };
    let credentials = ClientCredentials::new(
        http,
        config.authority.clone(),
        &config.client_id,
        &config.scopes,
        auth,
    )?;
    Ok(Arc::new(TokenCache::new(credentials)))
}

/// Signs a person in with the device flow for a device-flow connection and stores the tokens
/// in the persistent cache (replacing the connection's previous sign-in). `prompt` is called
/// once with the code and the page to open; `cancel` aborts the wait.
pub async fn device_login(
    config: &ConnectionConfig,
    http: reqwest::Client,
    sender: Sender,
    cache_dir: &Path,
    prompt: impl FnMut(&DeviceCodePrompt),
    cancel: &CancellationToken,
) -> Result<AccountInfo, Error> {
    if !matches!(config.credential, ConnectionCredential::DeviceFlow) {
        return Err(Error::config(
            "credential",
            format!(
                "connection '{}' uses client credentials: only device-flow connections sign in",
                config.name
            ),
        ));
    }
    let http = Http::new(http, sender);
    let flow = DeviceCodeFlow::new(
        http,
        config.authority.clone(),
        &config.client_id,
        &config.delegated_scopes(),
    )?;
    let tokens = flow.run(prompt, cancel).await?;
    let account = tokens.account.clone().unwrap_or_default();
    let account_id = account.key().unwrap_or_else(|| "unknown-account".into());
    let authority_key = config.authority.cache_key();
    let client_id = config.client_id.trim().to_string();
    let key = CacheFile::account_key(&authority_key, &client_id, &account_id);

    let store = TokenStore::new(cache_dir);
    let locked = store.lock_async().await?;
    let mut file = match locked.read() {
        Ok(file) => file,
        Err(Error::Cache { detail, .. }) if detail.contains("not a valid token cache") => {
            tracing::warn!(path = %store.path().display(), "replacing an unreadable token cache");
            CacheFile::default()
        }
        Err(e) => return Err(e),
    };
    let old_key = file.connections.insert(config.name.clone(), key.clone());
    file.accounts.insert(
        key.clone(),
        CachedAccount {
            authority: authority_key,
            client_id,
            account: account.clone(),
            scopes: tokens.scopes.clone(),
            refresh_token: tokens.refresh_token.clone(),
            access_token: Some(StoredAccessToken::from_token(&tokens.access)),
            updated_at: unix_now(),
        },
    );
    if let Some(old) = old_key.filter(|old| *old != key) {
        remove_if_unused(&mut file, &old);
    }
    locked.write(&file)?;
    if tokens.refresh_token.is_none() {
        tracing::warn!(connection = %config.name, "no refresh token was issued: the sign-in will last only as long as the access token");
    }
    Ok(account)
}

/// What is stored for a device-flow connection (never a token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountStatus {
    /// The connection.
    pub connection: String,
    /// The authority the sign-in is for.
    pub authority: String,
    /// The client id.
    pub client_id: String,
    /// Who signed in.
    pub account: AccountInfo,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// When the stored access token expires, if one is stored.
    pub access_token_expires_at: Option<SystemTime>,
    /// Whether a refresh token is stored (the sign-in can be renewed without the user).
    pub has_refresh_token: bool,
    /// When the sign-in was last stored or refreshed.
    pub updated_at: Option<SystemTime>,
}

/// The stored sign-in of a device-flow connection, or `None` if there is none (or it is for
/// another authority or client id). Client-credential connections have none.
pub fn status(config: &ConnectionConfig, cache_dir: &Path) -> Result<Option<AccountStatus>, Error> {
    if !matches!(config.credential, ConnectionCredential::DeviceFlow) {
        return Ok(None);
    }
    let store = TokenStore::new(cache_dir);
    let file = store.read()?;
    let Some(key) = file.connections.get(&config.name) else {
        return Ok(None);
    };
    let Some(account) = file.accounts.get(key) else {
        return Ok(None);
    };
    if account.authority != config.authority.cache_key()
        || !account
            .client_id
            .eq_ignore_ascii_case(config.client_id.trim())
    {
        return Ok(None);
    }
    Ok(Some(AccountStatus {
        connection: config.name.clone(),
        authority: account.authority.clone(),
        client_id: account.client_id.clone(),
        account: account.account.clone(),
        scopes: account.scopes.clone(),
        access_token_expires_at: account
            .access_token
            .as_ref()
            .map(|t| UNIX_EPOCH + Duration::from_secs(t.expires_at)),
        has_refresh_token: account.refresh_token.is_some(),
        updated_at: (account.updated_at > 0)
            .then(|| UNIX_EPOCH + Duration::from_secs(account.updated_at)),
    }))
}

/// Removes the connection's stored sign-in (and the account's tokens if no other connection
/// uses them). Returns whether anything was removed.
pub fn logout(config: &ConnectionConfig, cache_dir: &Path) -> Result<bool, Error> {
    let store = TokenStore::new(cache_dir);
    if !store.path().exists() {
        return Ok(false);
    }
    let locked = store.lock()?;
    let mut file = locked.read()?;
    let Some(key) = file.connections.remove(&config.name) else {
        return Ok(false);
    };
    remove_if_unused(&mut file, &key);
    locked.write(&file)?;
    Ok(true)
}

fn remove_if_unused(file: &mut CacheFile, key: &str) {
    if !file.connections.values().any(|k| k == key) {
        file.accounts.remove(key);
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs()
}
