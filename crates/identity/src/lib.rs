//! Microsoft identity platform client for graphlink.
//!
//! - [`authority`]: clouds, tenants and the endpoints of an authority;
//! - [`credential`]: client secret, client certificate (signed assertion), device code flow,
//!   refresh-token grant;
//! - [`cache`]: the in-memory [`TokenCache`] (one request per refresh, whatever the number of
//!   callers) and the persistent, multi-process-safe [`cache::TokenStore`] of user sign-ins;
//! - [`env`]: credentials from `AZURE_*` environment variables;
//! - [`rules`]: the rules of a connection's settings (client id, tenant, cloud names), shared
//!   with callers that check settings before use;
//! - the entry points the CLI uses: [`provider`], [`device_login`], [`status`], [`logout`].
//!
//! No secret, assertion or token ever appears in an error, a log line or `Debug` output.
//!
//! # Example
//!
//! ```no_run
//! use std::path::Path;
//! use graphlink_identity::{
//!     device_login, provider, Authority, AuthorityOptions, ConnectionConfig, ConnectionCredential,
//! };
//!
//! # async fn run() -> Result<(), graphlink_identity::Error> {
//! let http = reqwest::Client::new(); // in graphlink: graphlink_http::ClientOptions::build()
//! let sender = graphlink_http::Sender::default();
//! let config = ConnectionConfig {
//!     name: "m365".into(),
//!     // A known login host picks its cloud; a custom one (the emulator) needs the Graph base.
//!     authority: Authority::parse(
//!         "https://login.microsoftonline.com/contoso.onmicrosoft.com",
//!         None,
//!         AuthorityOptions::default(),
//!     )?,
//!     client_id: "33333333-3333-4333-8333-333333333333".into(),
//!     scopes: vec!["User.Read".into(), "Files.ReadWrite.All".into()],
//!     credential: ConnectionCredential::DeviceFlow,
//! };
//! let cache_dir = Path::new("/home/me/.cache/graphlink");
//! // `graphlink auth login --connection m365`:
//! let account = device_login(
//!     &config,
//!     http.clone(),
//!     sender.clone(),
//!     cache_dir,
//!     |prompt| eprintln!("{}", prompt.message),
//!     &tokio_util::sync::CancellationToken::new(),
//! )
//! .await?;
//! eprintln!("signed in as {}", account.label());
//! // Every later run:
//! let tokens = provider(&config, http, sender, cache_dir)?;
//! let token = tokens.token().await?; // Authorization: Bearer {token.secret()}
//! # let _ = token;
//! # Ok(())
//! # }
//! ```
#![warn(missing_docs)]

mod account;
pub mod authority;
pub mod cache;
mod connection;
pub mod credential;
mod endpoint;
pub mod env;
mod error;
#[cfg(test)]
mod redaction_tests;
pub mod rules;
mod secret;
#[cfg(test)]
mod testutil;
mod token;
mod wire;

pub use account::AccountInfo;
pub use authority::{Authority, AuthorityOptions, Cloud, CloudKind, Tenant};
pub use cache::TokenCache;
pub use connection::{
    device_login, logout, provider, status, AccountStatus, ConnectionConfig, ConnectionCredential,
    DEFAULT_DELEGATED_SCOPES,
};
pub use credential::{ClientCertificate, DeviceCodePrompt};
pub use endpoint::{Http, TokenSet};
pub use env::from_env;
pub use error::{Error, IdentityError, IdentityErrorKind};
pub use rules::check_client_id;
pub use secret::Secret;
pub use token::{AccessToken, TokenFetcher, TokenProvider};
