//! The identity platform's error answers, one constructor per case of the contract's table
//! (graph-protocol.md §1). The body (trace id, correlation id, timestamp) is written by
//! [`crate::web::request_ids`].

use axum::http::StatusCode;

use crate::web::IdentityError;

const BAD: StatusCode = StatusCode::BAD_REQUEST;
const UNAUTHORIZED: StatusCode = StatusCode::UNAUTHORIZED;

/// 900144: a required parameter is missing.
pub(super) fn missing_param(name: &str) -> IdentityError {
    IdentityError::new(
        BAD,
        "invalid_request",
        900144,
        format!("The request body must contain the following parameter: '{name}'."),
    )
}

/// 900144-style: the body is not a form.
pub(super) fn malformed_body() -> IdentityError {
    IdentityError::new(
        BAD,
        "invalid_request",
        900144,
        "The request body must be application/x-www-form-urlencoded.",
    )
}

/// 90002: the tenant is unknown.
pub(super) fn unknown_tenant(tenant: &str) -> IdentityError {
    IdentityError::new(
        BAD,
        "invalid_tenant",
        90002,
        format!(
            "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and \
             are signing into the correct cloud."
        ),
    )
}

/// 90002: `consumers` (personal accounts) is not served.
pub(super) fn consumers_tenant() -> IdentityError {
    IdentityError::new(
        BAD,
        "invalid_tenant",
        90002,
        "Tenant 'consumers' not found: the emulator hosts one work tenant and no personal \
         Microsoft accounts. Use the tenant id, its domain, 'organizations' or 'common'.",
    )
}

/// 50059: client credentials need a concrete tenant.
pub(super) fn tenant_needed(tenant: &str) -> IdentityError {
    IdentityError::new(
        BAD,
        "invalid_request",
        50059,
        format!(
            "No tenant-identifying information found in either the request or implied by any \
             provided credentials. The client credentials grant needs a tenant id or domain in \
             the authority, not '{tenant}'."
        ),
    )
}

/// 700016: the client id is not registered in the tenant.
pub(super) fn unknown_app(client_id: &str, directory: &str) -> IdentityError {
    IdentityError::new(
        BAD,
        "unauthorized_client",
        700016,
        format!(
            "Application with identifier '{client_id}' was not found in the directory \
             '{directory}'. This can happen if the application has not been installed by the \
             administrator of the tenant or consented to by any user in the tenant. You may have \
             sent your authentication request to the wrong tenant."
        ),
    )
}

/// 7000215: wrong client secret.
pub(super) fn wrong_secret(client_id: &str) -> IdentityError {
    IdentityError::new(
        UNAUTHORIZED,
        "invalid_client",
        7000215,
        format!(
            "Invalid client secret provided. Ensure the secret being sent in the request is the \
             client secret value, not the client secret ID, for a secret added to app \
             '{client_id}'."
        ),
    )
}

/// 7000222: the client secret has expired.
pub(super) fn expired_secret(client_id: &str) -> IdentityError {
    IdentityError::new(
        UNAUTHORIZED,
        "invalid_client",
        7000222,
        format!(
            "The provided client secret keys for app '{client_id}' are expired. Visit the Azure \
             portal to create new keys for your app, or consider using certificate credentials \
             for added security."
        ),
    )
}

/// 7000218: no client credential (also: public-client flows not enabled).
pub(super) fn no_credential() -> IdentityError {
    IdentityError::new(
        UNAUTHORIZED,
        "invalid_client",
        7000218,
        "The request body must contain the following parameter: 'client_assertion' or \
         'client_secret'.",
    )
}

/// 7000218 for a device code request by an app without public-client flows.
pub(super) fn not_public_client(client_id: &str) -> IdentityError {
    IdentityError::new(
        UNAUTHORIZED,
        "invalid_client",
        7000218,
        format!(
            "The request body must contain the following parameter: 'client_assertion' or \
             'client_secret'. App '{client_id}' does not allow public client flows (device code); \
             enable them in its registration (seed: public_client = true)."
        ),
    )
}

/// 700025: a public client presented a credential.
pub(super) fn public_client_with_credential() -> IdentityError {
    IdentityError::new(
        UNAUTHORIZED,
        "invalid_client",
        700025,
        "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.",
    )
}

/// 50027: the client assertion is not a well-formed JWT (or lacks a required claim).
pub(super) fn malformed_assertion(what: &str) -> IdentityError {
    IdentityError::new(
        UNAUTHORIZED,
        "invalid_client",
        50027,
        format!("JWT token is invalid or malformed: the client assertion {what}."),
    )
}

/// 50027: the client assertion's `jti` was used before.
pub(super) fn replayed_assertion() -> IdentityError {
    IdentityError::new(
        UNAUTHORIZED,
        "invalid_client",
        50027,
        "The client assertion was already used: its 'jti' claim has been seen before. Create a \
         new assertion (fresh jti) for every token request.",
    )
}

/// 700027: the assertion's signature does not verify, or its key is not registered.
pub(super) fn bad_signature(detail: &str) -> IdentityError {
    IdentityError::new(
        UNAUTHORIZED,
        "invalid_client",
        700027,
        format!("Client assertion failed signature validation. {detail}"),
    )
}

/// 700024: the assertion is outside its validity period.
pub(super) fn assertion_time(detail: &str) -> IdentityError {
    IdentityError::new(
        UNAUTHORIZED,
        "invalid_client",
        700024,
        format!("Client assertion is not within its valid time range. {detail}"),
    )
}

/// 700021: `iss`/`sub` of the assertion are not the client id.
pub(super) fn assertion_subject(client_id: &str) -> IdentityError {
    IdentityError::new(
        UNAUTHORIZED,
        "invalid_client",
        700021,
        format!(
            "Client assertion application identifier doesn't match 'client_id' parameter: \
             'iss' and 'sub' must both be '{client_id}'."
        ),
    )
}

/// 700023: the assertion's audience is not this token endpoint.
pub(super) fn assertion_audience(expected: &str) -> IdentityError {
    IdentityError::new(
        UNAUTHORIZED,
        "invalid_client",
        700023,
        format!(
            "Client assertion audience claim does not match Realm issuer: 'aud' must be the \
             token endpoint URL, {expected}."
        ),
    )
}

/// 70011: a scope is not valid.
pub(super) fn invalid_scope(detail: &str) -> IdentityError {
    IdentityError::new(
        BAD,
        "invalid_scope",
        70011,
        format!("The provided value for the input parameter 'scope' is not valid. {detail}"),
    )
}

/// 1002012: client credentials without `/.default`.
pub(super) fn scope_needs_default(scope: &str) -> IdentityError {
    IdentityError::new(
        BAD,
        "invalid_scope",
        1002012,
        format!(
            "The provided value for scope {scope} is not valid. Client credential flows must have \
             a scope value with /.default suffixed to the resource identifier (application ID \
             URI)."
        ),
    )
}

/// 65001: a delegated scope has not been consented.
pub(super) fn consent_missing(client_id: &str, app_name: &str, scopes: &[String]) -> IdentityError {
    IdentityError::new(
        BAD,
        "invalid_grant",
        65001,
        format!(
            "The user or administrator has not consented to use the application with ID \
             '{client_id}' named '{app_name}' for: {}. Send an interactive authorization request \
             for this user and resource.",
            scopes.join(" ")
        ),
    )
}

/// 70016: device flow, not approved yet.
pub(super) fn authorization_pending() -> IdentityError {
    IdentityError::new(
        BAD,
        "authorization_pending",
        70016,
        "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
    )
}

/// `slow_down`: polled faster than the interval.
pub(super) fn slow_down(interval: u64) -> IdentityError {
    IdentityError::new(
        BAD,
        "slow_down",
        0,
        format!(
            "The client is polling too fast: wait at least {interval} seconds between requests \
             (and 5 more after this answer)."
        ),
    )
}

/// `authorization_declined`: the user refused.
pub(super) fn authorization_declined() -> IdentityError {
    IdentityError::new(
        BAD,
        "authorization_declined",
        0,
        "The end user denied the authorization request.",
    )
}

/// 70020: the device code has expired.
pub(super) fn expired_device_code() -> IdentityError {
    IdentityError::new(
        BAD,
        "expired_token",
        70020,
        "The provided value for the input parameter 'device_code' is not valid. This device code \
         has expired.",
    )
}

/// 70018: unknown device code.
pub(super) fn bad_verification_code() -> IdentityError {
    IdentityError::new(
        BAD,
        "bad_verification_code",
        70018,
        "The provided value for the input parameter 'device_code' is not valid.",
    )
}

/// 70000: the device code was already redeemed.
pub(super) fn device_code_redeemed() -> IdentityError {
    IdentityError::new(
        BAD,
        "invalid_grant",
        70000,
        "The provided value for the input parameter 'device_code' is not valid. This device code \
         has already been redeemed.",
    )
}

/// 700082: the refresh token has expired.
pub(super) fn refresh_token_expired(issued: &str) -> IdentityError {
    IdentityError::new(
        BAD,
        "invalid_grant",
        700082,
        format!(
            "The refresh token has expired due to inactivity. The token was issued on {issued}. \
             Sign in again."
        ),
    )
}

/// 9002313: unknown or malformed refresh token.
pub(super) fn refresh_token_invalid() -> IdentityError {
    IdentityError::new(
        BAD,
        "invalid_grant",
        9002313,
        "Invalid request. Request is malformed or invalid: the refresh token is not valid.",
    )
}

/// 70000: the refresh token belongs to another app.
pub(super) fn refresh_token_other_client() -> IdentityError {
    IdentityError::new(
        BAD,
        "invalid_grant",
        70000,
        "Provided grant is invalid or malformed: the refresh token was issued to a different \
         client.",
    )
}

/// 50034: the user of a grant no longer exists.
pub(super) fn user_gone() -> IdentityError {
    IdentityError::new(
        BAD,
        "invalid_grant",
        50034,
        "The user account does not exist in the directory.",
    )
}

/// 70003: unsupported grant type.
pub(super) fn unsupported_grant(grant: &str) -> IdentityError {
    IdentityError::new(
        BAD,
        "unsupported_grant_type",
        70003,
        format!(
            "The app requested an unsupported grant type '{grant}'. The emulator supports \
             client_credentials, urn:ietf:params:oauth:grant-type:device_code and refresh_token."
        ),
    )
}

/// 500: the emulator could not save its state.
pub(super) fn server_error() -> IdentityError {
    IdentityError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "server_error",
        0,
        "The emulator could not save its identity state; see its log.",
    )
}
