//! Minting access and id tokens, and the token response (wire types).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::scopes::{DelegatedScopes, GRAPH_RESOURCE};
use crate::keys::AccessClaims;
use crate::seed::{AppSeed, Settings, UserSeed};
use crate::{AppState, Error};

/// The token endpoint's success body.
#[derive(Serialize)]
pub struct TokenResponse {
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Granted scopes, short form (user flows).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Access token lifetime, seconds.
    pub expires_in: u64,
    /// Extended lifetime, seconds (same as `expires_in` here).
    pub ext_expires_in: u64,
    /// When set, refresh from this many seconds on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_in: Option<u64>,
    /// The access token.
    pub access_token: String,
    /// A refresh token (user flows with `offline_access`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// An id token (user flows with `openid`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    /// base64url of `{"uid","utid"}` (user flows with `client_info=1`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_info: Option<String>,
}

impl std::fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenResponse")
            .field("scope", &self.scope)
            .field("expires_in", &self.expires_in)
            .field("refresh_token", &self.refresh_token.as_ref().map(|_| "..."))
            .field("id_token", &self.id_token.as_ref().map(|_| "..."))
            .finish_non_exhaustive()
    }
}

/// Access token claims: the shared [`AccessClaims`] plus what Microsoft's tokens also carry.
#[derive(Serialize)]
struct GraphAccessClaims<'a> {
    #[serde(flatten)]
    base: AccessClaims,
    azp: &'a str,
    /// `0` public client, `1` secret, `2` certificate.
    appidacr: &'a str,
    idtyp: &'a str,
    app_displayname: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    unique_name: Option<&'a str>,
}

/// id token claims (v2).
#[derive(Serialize)]
struct IdClaims<'a> {
    aud: &'a str,
    iss: String,
    sub: String,
    iat: i64,
    nbf: i64,
    exp: i64,
    tid: &'a str,
    oid: &'a str,
    preferred_username: &'a str,
    name: &'a str,
    ver: &'static str,
    uti: String,
}

/// How the client authenticated (the `appidacr` claim).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuth {
    /// Public client: no credential.
    None,
    /// Client secret.
    Secret,
    /// Certificate (client assertion).
    Certificate,
}

impl ClientAuth {
    fn acr(self) -> &'static str {
        match self {
            ClientAuth::None => "0",
            ClientAuth::Secret => "1",
            ClientAuth::Certificate => "2",
        }
    }
}

/// A user flow's result to turn into tokens.
#[derive(Debug)]
pub struct UserGrant<'a> {
    /// The app.
    pub app: &'a AppSeed,
    /// The user.
    pub user: &'a UserSeed,
    /// Scopes of this access token.
    pub scopes: &'a DelegatedScopes,
    /// How the client authenticated.
    pub auth: ClientAuth,
    /// The refresh token to hand out, if any.
    pub refresh_token: Option<String>,
    /// Whether the request asked for `client_info`.
    pub client_info: bool,
    /// The base URL the client used (the id token's issuer).
    pub base: &'a str,
}

/// Mints tokens with the state's key and current settings.
#[derive(Debug)]
pub struct Minter<'a> {
    state: &'a AppState,
    settings: Settings,
    now: i64,
}

impl<'a> Minter<'a> {
    /// A minter at `now` (seconds since the epoch).
    pub fn new(state: &'a AppState, now: i64) -> Self {
        Minter {
            state,
            settings: state.settings(),
            now,
        }
    }

    /// An app-only token (client credentials): `roles` = the app's application permissions.
    pub fn app_token(&self, app: &AppSeed, auth: ClientAuth) -> Result<TokenResponse, Error> {
        let oid = service_principal_id(&app.client_id);
        let base = AccessClaims {
            roles: app.application_permissions.clone(),
            scp: None,
            oid: oid.clone(),
            sub: oid,
            upn: None,
            name: None,
            ..self.common_claims(app)
        };
        let claims = GraphAccessClaims {
            base,
            azp: &app.client_id,
            appidacr: auth.acr(),
            idtyp: "app",
            app_displayname: &app.name,
            unique_name: None,
        };
        Ok(self.response(self.state.keys.sign(&claims)?, None))
    }

    /// A user's tokens: access token with `scp`, plus refresh/id token and client info.
    pub fn user_tokens(&self, grant: UserGrant<'_>) -> Result<TokenResponse, Error> {
        let UserGrant {
            app,
            user,
            scopes,
            auth,
            refresh_token,
            client_info,
            base: base_url,
        } = grant;
        let tid = &self.state.seed.tenant.id;
        let sub = pairwise_subject(&user.id, &app.client_id);
        let base = AccessClaims {
            roles: Vec::new(),
            scp: Some(scopes.scp()),
            oid: user.id.clone(),
            sub: sub.clone(),
            upn: Some(user.upn.clone()),
            name: Some(user.display_name.clone()),
            ..self.common_claims(app)
        };
        let claims = GraphAccessClaims {
            base,
            azp: &app.client_id,
            appidacr: auth.acr(),
            idtyp: "user",
            app_displayname: &app.name,
            unique_name: Some(&user.upn),
        };
        let mut response = self.response(
            self.state.keys.sign(&claims)?,
            Some(scopes.response_scope()),
        );
        response.refresh_token = refresh_token;
        if scopes.has("openid") {
            let id = IdClaims {
                aud: &app.client_id,
                iss: format!("{base_url}/{tid}/v2.0"),
                sub,
                iat: self.now,
                nbf: self.now,
                exp: self.expiry(),
                tid,
                oid: &user.id,
                preferred_username: &user.upn,
                name: &user.display_name,
                ver: "2.0",
                uti: unique_id(),
            };
            response.id_token = Some(self.state.keys.sign(&id)?);
        }
        if client_info {
            let info = serde_json::json!({"uid": user.id, "utid": tid});
            response.client_info = Some(URL_SAFE_NO_PAD.encode(info.to_string()));
        }
        Ok(response)
    }

    /// `now` plus the access token lifetime (saturating: the lifetime is an admin setting).
    fn expiry(&self) -> i64 {
        let lifetime = i64::try_from(self.settings.access_token_lifetime_secs).unwrap_or(i64::MAX);
        self.now.saturating_add(lifetime)
    }

    fn common_claims(&self, app: &AppSeed) -> AccessClaims {
        let tid = &self.state.seed.tenant.id;
        AccessClaims {
            aud: GRAPH_RESOURCE.to_string(),
            iss: format!("https://sts.windows.net/{tid}/"),
            tid: tid.clone(),
            appid: app.client_id.clone(),
            ver: "1.0".into(),
            iat: self.now,
            nbf: self.now,
            exp: self.expiry(),
            uti: unique_id(),
            ..AccessClaims::default()
        }
    }

    fn response(&self, access_token: String, scope: Option<String>) -> TokenResponse {
        let settings = &self.settings;
        TokenResponse {
            token_type: "Bearer",
            scope,
            expires_in: settings.access_token_lifetime_secs,
            ext_expires_in: settings.access_token_lifetime_secs,
            refresh_in: settings.refresh_in_secs,
            access_token,
            refresh_token: None,
            id_token: None,
            client_info: None,
        }
    }
}

/// The object id of an app's service principal: a stable GUID derived from its client id.
pub fn service_principal_id(client_id: &str) -> String {
    let digest = Sha256::digest(format!("sp:{}", client_id.to_ascii_lowercase()).as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}

/// The pairwise `sub` of a user for an app.
fn pairwise_subject(user_id: &str, client_id: &str) -> String {
    let digest = Sha256::digest(
        format!(
            "{}:{}",
            user_id.to_ascii_lowercase(),
            client_id.to_ascii_lowercase()
        )
        .as_bytes(),
    );
    URL_SAFE_NO_PAD.encode(&digest[..32])
}

fn unique_id() -> String {
    URL_SAFE_NO_PAD.encode(uuid::Uuid::new_v4().as_bytes())
}
