//! Calls to the identity platform's endpoints: one form POST through the connection's
//! [`Sender`] (the shared retry policy), and the mapping of answers to tokens or typed errors.

use std::time::{Duration, SystemTime};

use graphlink_http::{describe_transport_error, Idempotency, Sender};
use serde::de::DeserializeOwned;

use crate::account::AccountInfo;
use crate::error::{parse_aadsts_codes, IdentityError, IdentityErrorKind};
use crate::secret::Secret;
use crate::wire::{ErrorResponse, TokenResponse};
use crate::{AccessToken, Error};

/// Largest identity response body read (they are a few KiB).
const MAX_BODY: usize = 1 << 20;

/// How long before expiry a token is refreshed (unless the token lives shorter than twice this).
pub(crate) const REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);

/// The HTTP side of a connection, as handed in by the caller: one pool, one retry policy.
#[derive(Debug, Clone)]
pub struct Http {
    /// The connection's client (connection pool).
    pub client: reqwest::Client,
    /// The connection's retry policy and pause gate.
    pub sender: Sender,
}

impl Http {
    /// Bundles a client and a sender.
    pub fn new(client: reqwest::Client, sender: Sender) -> Self {
        Self { client, sender }
    }

    /// POSTs `form` to `url` and parses a 200 answer as `T`; any other answer becomes a typed
    /// error. The form may hold secrets: it is never logged and `url` is the only thing errors name.
    pub(crate) async fn post_form<T: DeserializeOwned>(
        &self,
        url: &str,
        form: &[(&str, &str)],
    ) -> Result<T, Error> {
        let body = serde_urlencoded::to_string(form)
            .map_err(|e| Error::config("request", format!("could not encode the form: {e}")))?;
        tracing::debug!(endpoint = url, "identity request");
        // Token requests are safe to repeat: a retried grant at worst yields another token.
        let response = self
            .sender
            .send(Idempotency::Idempotent, |_| {
                self.client
                    .post(url)
                    .header(
                        reqwest::header::CONTENT_TYPE,
                        "application/x-www-form-urlencoded",
                    )
                    .header(reqwest::header::ACCEPT, "application/json")
                    .body(body.clone())
                    .send()
            })
            .await
            .map_err(|e| Error::Transport {
                endpoint: url.to_string(),
                detail: describe_transport_error(&e),
            })?;
        let status = response.status().as_u16();
        let bytes = read_limited(response, url).await?;
        if status == 200 {
            return serde_json::from_slice(&bytes).map_err(|e| Error::UnexpectedResponse {
                endpoint: url.to_string(),
                status,
                detail: format!("not the expected JSON ({e})"),
            });
        }
        Err(error_from_body(url, status, &bytes))
    }
}

async fn read_limited(mut response: reqwest::Response, url: &str) -> Result<Vec<u8>, Error> {
    let mut buf = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if buf.len() + chunk.len() > MAX_BODY {
                    return Err(Error::UnexpectedResponse {
                        endpoint: url.to_string(),
                        status: response.status().as_u16(),
                        detail: "the response body is larger than 1 MiB".into(),
                    });
                }
                buf.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(buf),
            Err(e) => {
                return Err(Error::Transport {
                    endpoint: url.to_string(),
                    detail: describe_transport_error(&e),
                })
            }
        }
    }
}

/// Maps a non-200 answer to an [`IdentityError`] (OAuth error body) or an unexpected-response error.
pub(crate) fn error_from_body(url: &str, status: u16, body: &[u8]) -> Error {
    match serde_json::from_slice::<ErrorResponse>(body) {
        Ok(e) => {
            let full = e.error_description.unwrap_or_default();
            let description = full
                .lines()
                .next()
                .unwrap_or_default()
                .trim()
                .chars()
                .take(500)
                .collect::<String>();
            let codes = if e.error_codes.is_empty() {
                parse_aadsts_codes(&full)
            } else {
                e.error_codes
            };
            let kind = IdentityErrorKind::classify(&e.error, &codes);
            IdentityError {
                endpoint: url.to_string(),
                status,
                error: e.error,
                description,
                codes,
                trace_id: e.trace_id,
                correlation_id: e.correlation_id,
                kind,
            }
            .into()
        }
        Err(_) => {
            let text = String::from_utf8_lossy(body);
            let snippet: String = text.chars().filter(|c| !c.is_control()).take(200).collect();
            Error::UnexpectedResponse {
                endpoint: url.to_string(),
                status,
                detail: if snippet.is_empty() {
                    "empty body".into()
                } else {
                    format!("not an OAuth error: {snippet}")
                },
            }
        }
    }
}

/// The useful content of a token response. `Debug` hides the tokens.
pub struct TokenSet {
    /// The access token, with its refresh time.
    pub access: AccessToken,
    /// The (possibly rotated) refresh token.
    pub refresh_token: Option<Secret>,
    /// Granted scopes (may be empty for app-only tokens).
    pub scopes: Vec<String>,
    /// The signed-in account (user flows with `openid`).
    pub account: Option<AccountInfo>,
}

impl std::fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSet")
            .field("access", &self.access)
            .field("refresh_token", &self.refresh_token)
            .field("scopes", &self.scopes)
            .field("account", &self.account)
            .finish()
    }
}

/// When to refresh a token of `lifetime` issued at `issued` (with the server's optional `refresh_in`):
/// [`REFRESH_MARGIN`] before expiry, or half-way through for short-lived tokens, or at
/// `refresh_in` if that comes first.
pub(crate) fn refresh_time(
    issued: SystemTime,
    lifetime: Duration,
    refresh_in: Option<Duration>,
) -> SystemTime {
    let margin = REFRESH_MARGIN.min(lifetime / 2);
    let mut at = issued + (lifetime - margin);
    if let Some(r) = refresh_in {
        at = at.min(issued + r);
    }
    at
}

impl TokenSet {
    /// Builds a token set from a response received at `issued`.
    pub(crate) fn from_response(r: TokenResponse, issued: SystemTime) -> Self {
        // A missing lifetime: assume the platform default of one hour.
        let lifetime = Duration::from_secs(r.expires_in.unwrap_or(3600));
        let refresh_in = r.refresh_in.map(Duration::from_secs);
        let access = AccessToken::new(
            r.access_token,
            issued + lifetime,
            refresh_time(issued, lifetime, refresh_in),
        );
        let account = AccountInfo::from_tokens(r.id_token.as_deref(), r.client_info.as_deref());
        let scopes = r
            .scope
            .as_deref()
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_string)
            .collect();
        Self {
            access,
            refresh_token: r.refresh_token.filter(|t| !t.is_empty()).map(Secret::new),
            scopes,
            account,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_map_to_typed_errors() {
        let body = br#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.\r\nTrace ID: t\r\nCorrelation ID: c\r\nTimestamp: now","trace_id":"t-1","correlation_id":"c-1"}"#;
        let err = error_from_body("https://l/t/oauth2/v2.0/token", 401, body);
        let e = err.identity().expect("identity error");
        assert_eq!(e.codes, vec![7000215]);
        assert_eq!(e.kind, IdentityErrorKind::WrongSecret);
        assert_eq!(e.status, 401);
        assert_eq!(
            e.description,
            "AADSTS7000215: Invalid client secret provided."
        );
        assert_eq!(e.trace_id.as_deref(), Some("t-1"));
        assert_eq!(e.correlation_id.as_deref(), Some("c-1"));

        let err = error_from_body("u", 502, b"<html>Bad gateway</html>");
        assert!(
            matches!(err, Error::UnexpectedResponse { status: 502, .. }),
            "{err:?}"
        );
        let err = error_from_body("u", 500, b"");
        assert!(err.to_string().contains("empty body"), "{err}");
    }

    #[test]
    fn refresh_time_rules() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let hour = Duration::from_secs(3600);
        assert_eq!(refresh_time(t0, hour, None), t0 + hour - REFRESH_MARGIN);
        assert_eq!(
            refresh_time(t0, hour, Some(Duration::from_secs(1800))),
            t0 + Duration::from_secs(1800)
        );
        assert_eq!(
            refresh_time(t0, hour, Some(Duration::from_secs(7200))),
            t0 + hour - REFRESH_MARGIN
        );
        // Short-lived tokens are refreshed half-way, not immediately.
        assert_eq!(
            refresh_time(t0, Duration::from_secs(60), None),
            t0 + Duration::from_secs(30)
        );
    }

    #[test]
    fn token_sets_keep_refresh_tokens_and_scopes() {
        let r: TokenResponse = serde_json::from_str(
            r#"{"access_token":"a","expires_in":"600","refresh_token":"r2","scope":"User.Read Files.ReadWrite.All"}"#,
        )
        .unwrap();
        let now = SystemTime::now();
        let set = TokenSet::from_response(r, now);
        assert_eq!(set.access.expires_at, now + Duration::from_secs(600));
        assert_eq!(set.access.refresh_at, now + Duration::from_secs(300));
        assert_eq!(set.refresh_token.as_ref().map(Secret::expose), Some("r2"));
        assert_eq!(set.scopes, vec!["User.Read", "Files.ReadWrite.All"]);
    }
}
