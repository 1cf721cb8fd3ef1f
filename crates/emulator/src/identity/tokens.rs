//! Minting access and id tokens into a token response.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};

use super::scopes::{DelegatedScopes, GRAPH_RESOURCE};
use super::wire::{GraphAccessClaims, IdClaims, TokenResponse};
use crate::keys::AccessClaims;
use crate::seed::{AppSeed, Settings, UserSeed};
use crate::{AppState, Error};

/// How the client authenticated (the `appidacr` claim).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ClientAuth {
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
pub(super) struct UserGrant<'a> {
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
pub(super) struct Minter<'a> {
    state: &'a AppState,
    settings: Settings,
    now: i64,
}

impl<'a> Minter<'a> {
    /// A minter at `now` (seconds since the epoch).
    pub(super) fn new(state: &'a AppState, now: i64) -> Self {
        Minter {
            state,
            settings: state.settings(),
            now,
        }
    }

    /// An app-only token (client credentials): `roles` = the app's application permissions.
    pub(super) fn app_token(
        &self,
        app: &AppSeed,
        auth: ClientAuth,
    ) -> Result<TokenResponse, Error> {
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
    pub(super) fn user_tokens(&self, grant: UserGrant<'_>) -> Result<TokenResponse, Error> {
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
pub(super) fn service_principal_id(client_id: &str) -> String {
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
