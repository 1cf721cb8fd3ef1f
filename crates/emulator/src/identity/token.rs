//! The token endpoint (`POST /{tenant}/oauth2/v2.0/token`: client credentials, device code,
//! refresh token) and the device authorization endpoint (`POST /{tenant}/oauth2/v2.0/devicecode`).

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use super::client::{self, Caller, RequestContext};
use super::device::Poll;
use super::errors;
use super::form::Form;
use super::scopes::{check_app_scope, AppScopeError, DelegatedScopes, GraphResources, ScopeError};
use super::store::{RefreshGrant, RefreshLookup};
use super::tenant::Tenant;
use super::tokens::{ClientAuth, Minter, UserGrant};
use super::wire::{DeviceCodeResponse, TokenResponse};
use crate::seed::{AppSeed, UserSeed};
use crate::web::{no_store, BaseUrl, IdentityError};
use crate::AppState;

/// The device code grant type.
pub const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

type Result<T> = std::result::Result<T, IdentityError>;

/// Seconds since the epoch.
pub(super) fn now_secs() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// `POST /{tenant}/oauth2/v2.0/token`.
pub(super) async fn token(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    BaseUrl(base): BaseUrl,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match token_inner(&state, &tenant, &base, &headers, &body) {
        Ok(response) => no_store_json(response),
        Err(e) => e.into_response(),
    }
}

fn token_inner(
    state: &AppState,
    tenant: &str,
    base: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<TokenResponse> {
    let tenant = Tenant::resolve(&state.seed, tenant)?;
    let form = Form::parse(body)?;
    let grant_type = form.require("grant_type")?;
    let caller = client::identify(state, &form, headers)?;
    let ctx = RequestContext {
        base,
        now: now_secs(),
    };
    match grant_type {
        "client_credentials" => client_credentials(state, tenant, &form, &caller, &ctx),
        DEVICE_CODE_GRANT | "device_code" => device_code(state, &form, &caller, &ctx),
        "refresh_token" => refresh_token(state, &form, &caller, &ctx),
        other => Err(errors::unsupported_grant(other)),
    }
}

fn client_credentials(
    state: &AppState,
    tenant: Tenant,
    form: &Form,
    caller: &Caller<'_>,
    ctx: &RequestContext<'_>,
) -> Result<TokenResponse> {
    if !tenant.is_concrete() {
        return Err(errors::tenant_needed(&tenant.segment(&state.seed)));
    }
    let auth = caller.authenticate(state, false, ctx)?;
    let scope = form.require("scope")?;
    match check_app_scope(scope, &graph_resources(state, ctx.base)) {
        Ok(()) => {}
        Err(AppScopeError::Missing) => return Err(errors::missing_param("scope")),
        Err(AppScopeError::NotDefault(s)) => return Err(errors::scope_needs_default(&s)),
        Err(AppScopeError::Invalid(detail)) => return Err(errors::invalid_scope(&detail)),
    }
    Minter::new(state, ctx.now)
        .app_token(caller.app, auth)
        .map_err(internal)
}

fn device_code(
    state: &AppState,
    form: &Form,
    caller: &Caller<'_>,
    ctx: &RequestContext<'_>,
) -> Result<TokenResponse> {
    let code = form.require("device_code")?;
    if !caller.app.public_client {
        return Err(errors::not_public_client(&caller.app.client_id));
    }
    let auth = caller.authenticate(state, true, ctx)?;
    let interval = state.settings.read().device_code_interval_secs;
    match state.identity.devices.poll(code, &caller.app.client_id) {
        Poll::Approved { user_id, scopes } => {
            let user = find_user(state, &user_id)?;
            issue_user_tokens(state, form, caller.app, user, &scopes, &scopes, auth, ctx)
        }
        Poll::Pending => Err(errors::authorization_pending()),
        Poll::SlowDown => Err(errors::slow_down(interval)),
        Poll::Declined => Err(errors::authorization_declined()),
        Poll::Expired => Err(errors::expired_device_code()),
        Poll::Redeemed => Err(errors::device_code_redeemed()),
        Poll::Unknown => Err(errors::bad_verification_code()),
    }
}

fn refresh_token(
    state: &AppState,
    form: &Form,
    caller: &Caller<'_>,
    ctx: &RequestContext<'_>,
) -> Result<TokenResponse> {
    let presented = form.require("refresh_token")?;
    let auth = caller.authenticate(state, true, ctx)?;
    let grant = match state.identity.store.lookup_refresh(presented, ctx.now) {
        RefreshLookup::Valid(grant) => grant,
        RefreshLookup::Expired(grant) => {
            let issued = time::OffsetDateTime::from_unix_timestamp(grant.issued_at)
                .ok()
                .and_then(|d| {
                    d.format(&time::format_description::well_known::Rfc3339)
                        .ok()
                })
                .unwrap_or_default();
            return Err(errors::refresh_token_expired(&issued));
        }
        RefreshLookup::Unknown => return Err(errors::refresh_token_invalid()),
    };
    if !grant.client_id.eq_ignore_ascii_case(&caller.app.client_id) {
        return Err(errors::refresh_token_other_client());
    }
    let user = find_user(state, &grant.user_id)?;
    let requested = match form.get("scope") {
        Some(scope) => parse_delegated(state, caller.app, scope, ctx.base)?,
        None => grant.scopes.clone(),
    };
    let granted = grant.scopes.union(&requested);
    issue_user_tokens(
        state, form, caller.app, user, &requested, &granted, auth, ctx,
    )
}

/// Mints a user's tokens for `scopes`; a refresh token (standing for `granted`) when
/// `offline_access` was granted.
#[allow(clippy::too_many_arguments)]
fn issue_user_tokens(
    state: &AppState,
    form: &Form,
    app: &AppSeed,
    user: &UserSeed,
    scopes: &DelegatedScopes,
    granted: &DelegatedScopes,
    auth: ClientAuth,
    ctx: &RequestContext<'_>,
) -> Result<TokenResponse> {
    let refresh_token = if granted.has("offline_access") {
        let lifetime = state.settings.read().refresh_token_lifetime_secs;
        let grant = RefreshGrant {
            client_id: app.client_id.clone(),
            user_id: user.id.clone(),
            scopes: granted.clone(),
            issued_at: ctx.now,
            expires_at: ctx
                .now
                .saturating_add(i64::try_from(lifetime).unwrap_or(i64::MAX)),
        };
        Some(
            state
                .identity
                .store
                .issue_refresh(grant, ctx.now)
                .map_err(internal)?,
        )
    } else {
        None
    };
    Minter::new(state, ctx.now)
        .user_tokens(UserGrant {
            app,
            user,
            scopes,
            auth,
            refresh_token,
            client_info: form.get("client_info") == Some("1"),
            base: ctx.base,
        })
        .map_err(internal)
}

/// `POST /{tenant}/oauth2/v2.0/devicecode`.
pub(super) async fn devicecode(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    BaseUrl(base): BaseUrl,
    body: Bytes,
) -> Response {
    match devicecode_inner(&state, &tenant, &base, &body) {
        Ok(response) => no_store_json(response),
        Err(e) => e.into_response(),
    }
}

fn devicecode_inner(
    state: &AppState,
    tenant: &str,
    base: &str,
    body: &[u8],
) -> Result<DeviceCodeResponse> {
    Tenant::resolve(&state.seed, tenant)?;
    let form = Form::parse(body)?;
    let client_id = form.require("client_id")?;
    let app = state
        .seed
        .app(client_id)
        .ok_or_else(|| errors::unknown_app(client_id, &state.seed.tenant.display_name))?;
    if !app.public_client {
        return Err(errors::not_public_client(&app.client_id));
    }
    let scopes = parse_delegated(state, app, form.require("scope")?, base)?;
    let settings = state.settings();
    let (device_code, user_code) = state.identity.devices.create(
        &app.client_id,
        scopes,
        Duration::from_secs(settings.device_code_lifetime_secs),
        Duration::from_secs(settings.device_code_interval_secs),
    );
    let verification_uri = format!("{base}/devicelogin");
    Ok(DeviceCodeResponse {
        message: format!(
            "To sign in, use a web browser to open the page {verification_uri} and enter the \
             code {user_code} to authenticate."
        ),
        user_code,
        device_code,
        verification_uri,
        expires_in: settings.device_code_lifetime_secs,
        interval: settings.device_code_interval_secs,
    })
}

fn parse_delegated(
    state: &AppState,
    app: &AppSeed,
    scope: &str,
    base: &str,
) -> Result<DelegatedScopes> {
    DelegatedScopes::parse(scope, app, &graph_resources(state, base)).map_err(|e| match e {
        ScopeError::Invalid(detail) => errors::invalid_scope(&detail),
        ScopeError::NotConsented(missing) => {
            errors::consent_missing(&app.client_id, &app.name, &missing)
        }
    })
}

/// Graph's names, plus the emulator's base URL as the client used it and as it listens.
fn graph_resources(state: &AppState, base: &str) -> GraphResources {
    let listen = format!("{}://{}", state.scheme(), state.listen_authority());
    GraphResources::new([base, listen.as_str()])
}

fn find_user<'s>(state: &'s AppState, user_id: &str) -> Result<&'s UserSeed> {
    state.seed.user(user_id).ok_or_else(errors::user_gone)
}

fn internal(e: crate::Error) -> IdentityError {
    tracing::error!(error = %e, "identity endpoint failed");
    errors::server_error()
}

fn no_store_json(body: impl Serialize) -> Response {
    let mut response = Json(body).into_response();
    no_store(response.headers_mut());
    response
}
