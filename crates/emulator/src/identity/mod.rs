//! The identity-platform side of the emulator: discovery, keys, token and device-code endpoints,
//! and the device login page.
//!
//! Endpoints (each tenant path also answers with a doubled slash after the tenant or before it,
//! as clients with a trailing-slash authority send, e.g. `/{tenant}//v2.0/...`):
//! - `GET /{tenant}/v2.0/.well-known/openid-configuration` (and `/{tenant}/.well-known/...`)
//! - `GET /{tenant}/discovery/v2.0/keys` (and `/{tenant}/discovery/keys`)
//! - `GET /{tenant}/discovery/instance` (instance discovery; Microsoft's is under `common`)
//! - `POST /{tenant}/oauth2/v2.0/token`, `POST /{tenant}/oauth2/v2.0/devicecode`
//! - `GET /{tenant}/oauth2/v2.0/authorize` (an explanatory 400 page: no interactive flows),
//!   `GET /{tenant}/oauth2/v2.0/logout`
//! - `GET|POST /devicelogin`, `GET /oidc/userinfo`
//! - admin: `GET /_emulator/identity`, `POST /_emulator/devicelogin`
//!
//! `{tenant}` is the seed's tenant id or domain (any case), `common` or `organizations`.
//! Refresh tokens and used assertion ids persist in `DATA/identity.json`; device codes live in
//! memory. A used refresh token stays valid until its own expiry (rotation hands out a new one
//! each time, as Microsoft does, without revoking the old).

mod admin;
mod assertion;
mod certs;
mod client;
mod device;
mod discovery;
mod errors;
mod form;
mod login_page;
mod scopes;
mod store;
mod tenant;
mod token;
mod tokens;
mod wire;

use std::path::Path;

use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post, MethodRouter};
use axum::{Json, Router};

use crate::seed::Seed;
use crate::web::GraphError;
use crate::{AppState, Error};

pub use certs::CredentialPaths;
pub use scopes::GRAPH_RESOURCE;
pub use token::DEVICE_CODE_GRANT;

/// Identity-platform state kept across requests (and restarts, in the data directory).
#[derive(Debug)]
pub struct IdentityState {
    store: store::Store,
    devices: device::DeviceCodes,
    credentials: certs::Credentials,
}

impl IdentityState {
    /// Loads the identity state from `data_dir`, creating the certificates of apps that ask for
    /// a generated one.
    pub fn load(seed: &Seed, data_dir: &Path) -> Result<Self, Error> {
        Ok(Self {
            store: store::Store::load(data_dir)?,
            devices: device::DeviceCodes::default(),
            credentials: certs::Credentials::load(seed, data_dir)?,
        })
    }
}

/// Routes under `/{tenant}/...`, the device login page and the identity admin endpoints.
pub fn routes() -> Router<AppState> {
    let mut router = Router::new()
        .route(
            "/devicelogin",
            get(login_page::page).post(login_page::submit),
        )
        .route("/oidc/userinfo", get(userinfo))
        .route("/_emulator/identity", get(admin::summary))
        .route("/_emulator/devicelogin", post(admin::devicelogin));
    let tenant_routes: [(&str, MethodRouter<AppState>); 9] = [
        (
            "v2.0/.well-known/openid-configuration",
            get(discovery::openid_configuration),
        ),
        (
            ".well-known/openid-configuration",
            get(discovery::openid_configuration),
        ),
        ("discovery/v2.0/keys", get(discovery::jwks)),
        ("discovery/keys", get(discovery::jwks)),
        ("discovery/instance", get(discovery::instance_discovery)),
        ("oauth2/v2.0/token", post(token::token)),
        ("oauth2/v2.0/devicecode", post(token::devicecode)),
        ("oauth2/v2.0/authorize", get(authorize)),
        ("oauth2/v2.0/logout", get(logout)),
    ];
    for (rest, handler) in tenant_routes {
        for (lead, sep) in [("/", "/"), ("/", "//"), ("//", "/"), ("//", "//")] {
            router = router.route(&format!("{lead}{{tenant}}{sep}{rest}"), handler.clone());
        }
    }
    router
}

/// Interactive sign-in is not emulated: explain what to use instead.
async fn authorize() -> Response {
    (
        StatusCode::BAD_REQUEST,
        Html(
            "<!DOCTYPE html><html><body><h1>Not supported</h1><p>The graphlink emulator has no \
             interactive (authorization code) sign-in. Use the device code flow, client \
             credentials, or a refresh token.</p></body></html>",
        ),
    )
        .into_response()
}

async fn logout() -> Html<&'static str> {
    Html("<!DOCTYPE html><html><body><h1>Signed out</h1><p>You have signed out.</p></body></html>")
}

/// `GET /oidc/userinfo` with a user's access token.
async fn userinfo(
    axum::extract::State(state): axum::extract::State<AppState>,
    crate::web::BaseUrl(base): crate::web::BaseUrl,
    headers: HeaderMap,
) -> Response {
    let token = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        });
    let audiences = [GRAPH_RESOURCE.to_string(), base];
    let claims = token.map(|t| state.keys.verify_access_token(t.trim(), &audiences));
    match claims {
        Some(Ok(c)) if !c.is_app_only() => Json(serde_json::json!({
            "sub": c.sub,
            "name": c.name,
            "email": c.upn,
            "preferred_username": c.upn,
        }))
        .into_response(),
        Some(Ok(_)) => GraphError::new(
            StatusCode::FORBIDDEN,
            "accessDenied",
            "userinfo needs a user's token, not an app-only token.",
        )
        .into_response(),
        _ => GraphError::new(
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationToken",
            "Access token is empty, invalid, or has expired.",
        )
        .header(
            axum::http::header::WWW_AUTHENTICATE,
            "Bearer realm=\"\", error=\"invalid_token\"",
        )
        .into_response(),
    }
}

impl AppState {
    /// Approves (or declines) a pending device code as user `upn`, exactly as the device login
    /// page does, without HTTP: for the demo and for tests that need a signed-in user but do
    /// not test the page itself.
    pub fn decide_device_code(
        &self,
        user_code: &str,
        upn: &str,
        approve: bool,
    ) -> Result<(), String> {
        let decision = if approve { "approve" } else { "decline" };
        login_page::decide(self, Some(user_code), Some(upn), Some(decision))
            .map(|_| ())
            .map_err(|refusal| refusal.message())
    }
}
