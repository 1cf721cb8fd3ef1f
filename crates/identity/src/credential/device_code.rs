//! The device code flow: a person signs in on any browser with a short code while this
//! process polls the token endpoint.

use std::time::{Duration, SystemTime};

use tokio_util::sync::CancellationToken;

use crate::authority::Authority;
use crate::credential::user_scope_string;
use crate::endpoint::{Http, TokenSet};
use crate::error::{IdentityError, IdentityErrorKind};
use crate::rules::check_client_id;
use crate::wire::{DeviceCodeResponse, TokenResponse};
use crate::Error;

const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// Poll interval when the server gives none (RFC 8628).
const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);
/// Shortest poll interval honoured (a server answering 0 must not make us spin).
const MIN_INTERVAL: Duration = Duration::from_secs(1);
/// `slow_down` adds this to the interval (RFC 8628 §3.5).
const SLOW_DOWN_STEP: Duration = Duration::from_secs(5);
/// Code lifetime when the server gives none.
const DEFAULT_EXPIRY: Duration = Duration::from_secs(900);

/// What to show the person who signs in. Holds no secret (the device code stays inside).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceCodePrompt {
    /// The server's sentence ("To sign in, use a web browser to open the page ... and enter the code ...").
    pub message: String,
    /// The code to type.
    pub user_code: String,
    /// The page to open.
    pub verification_uri: String,
    /// How long the code stays valid.
    pub expires_in: Duration,
    /// The poll interval the server asked for.
    pub interval: Duration,
}

/// A device code sign-in for a public client.
#[derive(Debug, Clone)]
pub struct DeviceCodeFlow {
    http: Http,
    authority: Authority,
    client_id: String,
    scope: String,
}

impl DeviceCodeFlow {
    /// A flow for `client_id` asking for `scopes` (delegated; `offline_access openid profile`
    /// are added).
    pub fn new(
        http: Http,
        authority: Authority,
        client_id: &str,
        scopes: &[String],
    ) -> Result<Self, Error> {
        let client_id = check_client_id(client_id)?;
        Ok(Self {
            http,
            authority,
            client_id,
            scope: user_scope_string(scopes),
        })
    }

    /// The scopes requested (space-separated, extras included).
    pub fn scope(&self) -> &str {
        &self.scope
    }

    /// Runs the flow: asks for a code, calls `prompt` once with what to show the user, then
    /// polls until the user approves (tokens returned), declines, the code expires, or `cancel`
    /// fires ([`Error::Cancelled`]). Honours the server's `interval` and `slow_down`.
    pub async fn run(
        &self,
        mut prompt: impl FnMut(&DeviceCodePrompt),
        cancel: &CancellationToken,
    ) -> Result<TokenSet, Error> {
        let code_endpoint = self.authority.device_code_endpoint();
        let form = [
            ("client_id", self.client_id.as_str()),
            ("scope", self.scope.as_str()),
        ];
        let code: DeviceCodeResponse = tokio::select! {
            _ = cancel.cancelled() => return Err(Error::Cancelled),
            r = self.http.post_form(&code_endpoint, &form) => r?,
        };
        let expires_in = code
            .expires_in
            .map(Duration::from_secs)
            .unwrap_or(DEFAULT_EXPIRY);
        let mut interval = code
            .interval
            .map(Duration::from_secs)
            .unwrap_or(DEFAULT_INTERVAL)
            .max(MIN_INTERVAL);
        let shown = DeviceCodePrompt {
            message: code.message.clone().filter(|m| !m.trim().is_empty()).unwrap_or_else(|| {
                format!(
                    "To sign in, use a web browser to open the page {} and enter the code {} to authenticate.",
                    code.verification_uri, code.user_code
                )
            }),
            user_code: code.user_code.clone(),
            verification_uri: code.verification_uri.clone(),
            expires_in,
            interval,
        };
        prompt(&shown);

        let deadline = tokio::time::Instant::now() + expires_in;
        let token_endpoint = self.authority.token_endpoint();
        let poll_form = [
            ("grant_type", DEVICE_CODE_GRANT),
            ("client_id", self.client_id.as_str()),
            ("device_code", code.device_code.as_str()),
            ("client_info", "1"),
        ];
        loop {
            tokio::select! {
                _ = cancel.cancelled() => return Err(Error::Cancelled),
                _ = tokio::time::sleep(interval) => {}
            }
            if tokio::time::Instant::now() > deadline + interval {
                return Err(locally_expired(&token_endpoint));
            }
            let issued = SystemTime::now();
            let answer: Result<TokenResponse, Error> = tokio::select! {
                _ = cancel.cancelled() => return Err(Error::Cancelled),
                r = self.http.post_form(&token_endpoint, &poll_form) => r,
            };
            match answer {
                Ok(response) => return Ok(TokenSet::from_response(response, issued)),
                Err(Error::Identity(e)) if e.kind == IdentityErrorKind::AuthorizationPending => {
                    tracing::debug!("device flow: authorization pending");
                }
                Err(Error::Identity(e)) if e.kind == IdentityErrorKind::SlowDown => {
                    interval += SLOW_DOWN_STEP;
                    tracing::debug!(interval_s = interval.as_secs(), "device flow: slow_down");
                }
                Err(other) => return Err(other),
            }
        }
    }
}

fn locally_expired(endpoint: &str) -> Error {
    IdentityError {
        endpoint: endpoint.to_string(),
        status: 400,
        error: "expired_token".into(),
        description: "the device code expired before the sign-in was completed".into(),
        codes: Vec::new(),
        trace_id: None,
        correlation_id: None,
        kind: IdentityErrorKind::CodeExpired,
    }
    .into()
}
