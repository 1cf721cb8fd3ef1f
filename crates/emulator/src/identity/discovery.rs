//! Discovery: the OpenID configuration, instance discovery and the JSON Web Key Set.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::tenant::Tenant;
use crate::web::BaseUrl;
use crate::AppState;

/// `GET /{tenant}/v2.0/.well-known/openid-configuration` (also served at the v1 path
/// `/{tenant}/.well-known/openid-configuration`, with the same v2 document).
pub(super) async fn openid_configuration(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    BaseUrl(base): BaseUrl,
) -> Response {
    match Tenant::resolve(&state.seed, &tenant) {
        Ok(t) => Json(document(&state, &base, t)).into_response(),
        Err(e) => e.into_response(),
    }
}

/// The OpenID configuration document for a tenant, with absolute URLs under `base`.
pub(super) fn document(state: &AppState, base: &str, tenant: Tenant) -> Value {
    let seg = tenant.segment(&state.seed);
    let issuer_tenant = if tenant.is_concrete() {
        seg.clone()
    } else {
        "{tenantid}".to_string()
    };
    let host = base.split_once("://").map(|(_, h)| h).unwrap_or(base);
    json!({
        "issuer": format!("{base}/{issuer_tenant}/v2.0"),
        "authorization_endpoint": format!("{base}/{seg}/oauth2/v2.0/authorize"),
        "token_endpoint": format!("{base}/{seg}/oauth2/v2.0/token"),
        "device_authorization_endpoint": format!("{base}/{seg}/oauth2/v2.0/devicecode"),
        "end_session_endpoint": format!("{base}/{seg}/oauth2/v2.0/logout"),
        "jwks_uri": format!("{base}/{seg}/discovery/v2.0/keys"),
        "userinfo_endpoint": format!("{base}/oidc/userinfo"),
        "token_endpoint_auth_methods_supported":
            ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "response_modes_supported": ["query", "fragment", "form_post"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "grant_types_supported": [
            "client_credentials",
            "urn:ietf:params:oauth:grant-type:device_code",
            "refresh_token"
        ],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "claims_supported": [
            "sub", "iss", "aud", "exp", "iat", "nbf", "name", "preferred_username", "oid",
            "tid", "ver", "uti"
        ],
        "request_uri_parameter_supported": false,
        "http_logout_supported": true,
        "frontchannel_logout_supported": true,
        "tenant_region_scope": "NA",
        "cloud_instance_name": "microsoftonline.com",
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": host,
        "rbac_url": "https://pas.windows.net",
    })
}

/// Query of instance discovery.
#[derive(Debug, Deserialize)]
pub(super) struct InstanceQuery {
    authorization_endpoint: Option<String>,
    #[serde(rename = "api-version")]
    api_version: Option<String>,
}

/// `GET /common/discovery/instance?authorization_endpoint=...&api-version=1.1`: the emulator's
/// host is its own (only) alias.
pub(super) async fn instance_discovery(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    BaseUrl(base): BaseUrl,
    Query(q): Query<InstanceQuery>,
) -> Response {
    if let Err(e) = Tenant::resolve(&state.seed, &tenant) {
        return e.into_response();
    }
    // The tenant of the authority asked about decides the discovery endpoint returned.
    let asked_tenant = q
        .authorization_endpoint
        .as_deref()
        .and_then(|u| url::Url::parse(u).ok())
        .and_then(|u| {
            u.path_segments()
                .and_then(|mut s| s.find(|seg| !seg.is_empty()).map(str::to_string))
        })
        .unwrap_or_else(|| "common".into());
    let host = base.split_once("://").map(|(_, h)| h).unwrap_or(&base);
    Json(json!({
        "tenant_discovery_endpoint":
            format!("{base}/{asked_tenant}/v2.0/.well-known/openid-configuration"),
        "api-version": q.api_version.unwrap_or_else(|| "1.1".into()),
        "metadata": [{
            "preferred_network": host,
            "preferred_cache": host,
            "aliases": [host],
        }],
    }))
    .into_response()
}

/// `GET /{tenant}/discovery/v2.0/keys` (and `/{tenant}/discovery/keys`).
pub(super) async fn jwks(State(state): State<AppState>, Path(tenant): Path<String>) -> Response {
    match Tenant::resolve(&state.seed, &tenant) {
        Ok(_) => Json(state.keys.jwks()).into_response(),
        Err(e) => e.into_response(),
    }
}
