//! Wire types of the identity endpoints: token and device code responses, and the claims of the
//! tokens the emulator signs.

use serde::Serialize;

use crate::keys::AccessClaims;

/// The token endpoint's success body.
#[derive(Serialize)]
pub(super) struct TokenResponse {
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
pub(super) struct GraphAccessClaims<'a> {
    /// The claims the Graph side reads.
    #[serde(flatten)]
    pub base: AccessClaims,
    /// The client id (v2 name of `appid`).
    pub azp: &'a str,
    /// `0` public client, `1` secret, `2` certificate.
    pub appidacr: &'a str,
    /// `app` or `user`.
    pub idtyp: &'a str,
    /// The app's display name.
    pub app_displayname: &'a str,
    /// The user's UPN (user tokens).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unique_name: Option<&'a str>,
}

/// id token claims (v2).
#[derive(Serialize)]
pub(super) struct IdClaims<'a> {
    /// The client id.
    pub aud: &'a str,
    /// `{base}/{tid}/v2.0`.
    pub iss: String,
    /// Pairwise subject.
    pub sub: String,
    /// Issued at.
    pub iat: i64,
    /// Not before.
    pub nbf: i64,
    /// Expiry.
    pub exp: i64,
    /// Tenant id.
    pub tid: &'a str,
    /// The user's object id.
    pub oid: &'a str,
    /// The user's UPN.
    pub preferred_username: &'a str,
    /// The user's display name.
    pub name: &'a str,
    /// Always `2.0`.
    pub ver: &'static str,
    /// Unique token id.
    pub uti: String,
}

/// The device authorization response.
#[derive(Serialize)]
pub(super) struct DeviceCodeResponse {
    /// The code the user types.
    pub user_code: String,
    /// The code the client polls with (a secret).
    pub device_code: String,
    /// `{base}/devicelogin`.
    pub verification_uri: String,
    /// Seconds until the codes expire.
    pub expires_in: u64,
    /// Seconds between polls.
    pub interval: u64,
    /// The instruction to show the user.
    pub message: String,
}
