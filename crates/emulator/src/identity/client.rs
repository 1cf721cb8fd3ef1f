//! Who is calling the token endpoint: the client id (body or HTTP Basic), its credential, and
//! checking that credential against the app's registration.

use axum::http::{HeaderMap, StatusCode};

use super::assertion::{self, Expectations, JWT_BEARER};
use super::errors;
use super::form::{BasicCredentials, Form};
use super::tokens::ClientAuth;
use crate::seed::AppSeed;
use crate::web::IdentityError;
use crate::AppState;

/// A credential presented with a request.
pub(super) enum Credential {
    /// None (a public client).
    None,
    /// A client secret.
    Secret(String),
    /// A client assertion (JWT).
    Assertion(String),
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Credential::None => "None",
            Credential::Secret(_) => "Secret(..)",
            Credential::Assertion(_) => "Assertion(..)",
        })
    }
}

/// The calling app and what it presented.
#[derive(Debug)]
pub(super) struct Caller<'s> {
    /// The app registration.
    pub app: &'s AppSeed,
    /// Its credential.
    pub credential: Credential,
}

/// Finds the app (client id from the body, else HTTP Basic, else the assertion's `iss`) and its
/// credential.
pub(super) fn identify<'s>(
    state: &'s AppState,
    form: &Form,
    headers: &HeaderMap,
) -> Result<Caller<'s>, IdentityError> {
    let basic = BasicCredentials::from_headers(headers)?;
    let assertion = form.get("client_assertion");
    if let Some(kind) = form.get("client_assertion_type") {
        if assertion.is_some() && kind != JWT_BEARER {
            return Err(IdentityError::new(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                0,
                format!("client_assertion_type must be '{JWT_BEARER}'."),
            ));
        }
    }
    let client_id = match (form.get("client_id"), &basic) {
        (Some(body), Some(b)) if !body.eq_ignore_ascii_case(&b.client_id) => {
            return Err(IdentityError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                0,
                "The client_id in the body and in the Authorization header differ.",
            ))
        }
        (Some(body), _) => body.to_string(),
        (None, Some(b)) => b.client_id.clone(),
        (None, None) => assertion
            .and_then(unverified_issuer)
            .ok_or_else(|| errors::missing_param("client_id"))?,
    };
    let app = state
        .seed
        .app(&client_id)
        .ok_or_else(|| errors::unknown_app(&client_id, &state.seed.tenant.display_name))?;
    let credential = if let Some(jwt) = assertion {
        Credential::Assertion(jwt.to_string())
    } else if let Some(secret) = form.get("client_secret") {
        Credential::Secret(secret.to_string())
    } else if let Some(b) = basic {
        Credential::Secret(b.secret)
    } else {
        Credential::None
    };
    Ok(Caller { app, credential })
}

/// The request facts an assertion is checked against.
#[derive(Debug)]
pub(super) struct RequestContext<'a> {
    /// The base URL the client used.
    pub base: &'a str,
    /// Now, seconds since the epoch.
    pub now: i64,
}

impl Caller<'_> {
    /// Checks the credential. `allow_public`: whether a public client without credential may
    /// use this grant.
    pub(super) fn authenticate(
        &self,
        state: &AppState,
        allow_public: bool,
        ctx: &RequestContext<'_>,
    ) -> Result<ClientAuth, IdentityError> {
        let app = self.app;
        let certs = state.identity.credentials.for_app(&app.client_id);
        let only_public = app.public_client && app.secrets.is_empty() && certs.is_empty();
        match &self.credential {
            Credential::None if allow_public && app.public_client => Ok(ClientAuth::None),
            Credential::None => Err(errors::no_credential()),
            Credential::Secret(_) | Credential::Assertion(_) if only_public => {
                Err(errors::public_client_with_credential())
            }
            Credential::Secret(secret) => {
                if app.secrets.iter().any(|s| s == secret) {
                    Ok(ClientAuth::Secret)
                } else if app.expired_secrets.iter().any(|s| s == secret) {
                    Err(errors::expired_secret(&app.client_id))
                } else {
                    Err(errors::wrong_secret(&app.client_id))
                }
            }
            Credential::Assertion(jwt) => {
                let host = ctx
                    .base
                    .split_once("://")
                    .map(|(_, h)| h)
                    .unwrap_or(ctx.base);
                let expect = Expectations {
                    seed: &state.seed,
                    client_id: &app.client_id,
                    certs,
                    hosts: vec![host.to_string(), state.listen_authority()],
                    token_endpoint: format!(
                        "{}/{}/oauth2/v2.0/token",
                        ctx.base, state.seed.tenant.id
                    ),
                    now: ctx.now,
                };
                let verified = assertion::verify(jwt, &expect)?;
                if state.settings.read().reject_assertion_replay {
                    // Remember the jti until the assertion expires (capped at 30 days).
                    let keep_until =
                        verified.expires_at.min(ctx.now + 30 * 24 * 3600) + assertion::SKEW_SECS;
                    let fresh = state
                        .identity
                        .store
                        .use_assertion(&app.client_id, &verified.jti, keep_until, ctx.now)
                        .map_err(|e| {
                            tracing::error!(error = %e, "saving the identity store");
                            errors::server_error()
                        })?;
                    if !fresh {
                        return Err(errors::replayed_assertion());
                    }
                }
                Ok(ClientAuth::Certificate)
            }
        }
    }
}

/// The `iss` of an assertion, read without verification (only to find the app; the claim is
/// verified afterwards).
fn unverified_issuer(jwt: &str) -> Option<String> {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    let payload = jwt.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    value.get("iss")?.as_str().map(str::to_string)
}
