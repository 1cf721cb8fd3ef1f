//! Serde types of the identity platform's wire format, and the base64url decoding of token
//! parts. No logic beyond lenient parsing.

use std::fmt;

use base64::Engine;
use serde::{Deserialize, Deserializer};

/// Decodes base64url (with or without padding).
pub(crate) fn b64url_decode(text: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text.trim().trim_end_matches('='))
        .ok()
}

/// A number that may arrive as a JSON number or a string (`"3599"`).
fn lenient_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    let value = Option::<serde_json::Value>::deserialize(d)?;
    Ok(match value {
        Some(serde_json::Value::Number(n)) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| f.is_finite() && *f >= 0.0)
                .map(|f| f as u64)
        }),
        Some(serde_json::Value::String(s)) => {
            let s = s.trim();
            s.parse::<u64>().ok().or_else(|| {
                s.parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite() && *f >= 0.0)
                    .map(|f| f as u64)
            })
        }
        _ => None,
    })
}

/// `error_codes`: a list of numbers (or numeric strings).
fn lenient_codes<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u64>, D::Error> {
    let value = Option::<serde_json::Value>::deserialize(d)?;
    let mut codes = Vec::new();
    if let Some(serde_json::Value::Array(items)) = value {
        for item in items {
            match item {
                serde_json::Value::Number(n) => codes.extend(n.as_u64()),
                serde_json::Value::String(s) => codes.extend(s.trim().parse::<u64>().ok()),
                _ => {}
            }
        }
    }
    Ok(codes)
}

/// A successful token response.
#[derive(Deserialize)]
pub(crate) struct TokenResponse {
    /// `Bearer`.
    #[serde(default)]
    pub token_type: Option<String>,
    /// The access token.
    pub access_token: String,
    /// Lifetime in seconds.
    #[serde(default, deserialize_with = "lenient_u64")]
    pub expires_in: Option<u64>,
    /// Seconds after which the client should refresh (optional).
    #[serde(default, deserialize_with = "lenient_u64")]
    pub refresh_in: Option<u64>,
    /// A (possibly rotated) refresh token: user flows with `offline_access` only.
    #[serde(default)]
    pub refresh_token: Option<String>,
    /// The ID token: user flows with `openid` only.
    #[serde(default)]
    pub id_token: Option<String>,
    /// base64url of `{"uid":..,"utid":..}` when the request had `client_info=1`.
    #[serde(default)]
    pub client_info: Option<String>,
    /// Granted scopes, space-separated (user flows).
    #[serde(default)]
    pub scope: Option<String>,
}

impl fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenResponse")
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .field("refresh_in", &self.refresh_in)
            .field("has_refresh_token", &self.refresh_token.is_some())
            .field("has_id_token", &self.id_token.is_some())
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

/// The body of every identity platform error.
#[derive(Debug, Deserialize)]
pub(crate) struct ErrorResponse {
    /// The OAuth error (`invalid_client`, ...).
    pub error: String,
    /// Human-readable text starting with `AADSTSnnnn:`, then trace/correlation/timestamp lines.
    #[serde(default)]
    pub error_description: Option<String>,
    /// AADSTS codes.
    #[serde(default, deserialize_with = "lenient_codes")]
    pub error_codes: Vec<u64>,
    /// Trace id.
    #[serde(default)]
    pub trace_id: Option<String>,
    /// Correlation id.
    #[serde(default)]
    pub correlation_id: Option<String>,
}

/// The device authorization response.
#[derive(Deserialize)]
pub(crate) struct DeviceCodeResponse {
    /// The code the user types.
    pub user_code: String,
    /// The code the client polls with (a secret).
    pub device_code: String,
    /// Where the user signs in (older servers: `verification_url`).
    #[serde(alias = "verification_url")]
    pub verification_uri: String,
    /// Lifetime of the codes in seconds.
    #[serde(default, deserialize_with = "lenient_u64")]
    pub expires_in: Option<u64>,
    /// Seconds between polls.
    #[serde(default, deserialize_with = "lenient_u64")]
    pub interval: Option<u64>,
    /// The sentence to show the user.
    #[serde(default)]
    pub message: Option<String>,
}

impl fmt::Debug for DeviceCodeResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceCodeResponse")
            .field("user_code", &self.user_code)
            .field("device_code", &"<redacted>")
            .field("verification_uri", &self.verification_uri)
            .field("expires_in", &self.expires_in)
            .field("interval", &self.interval)
            .finish_non_exhaustive()
    }
}

/// The claims of an ID token this crate uses to name the account.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct IdTokenClaims {
    #[serde(default)]
    pub preferred_username: Option<String>,
    #[serde(default)]
    pub upn: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub oid: Option<String>,
    #[serde(default)]
    pub tid: Option<String>,
}

/// The decoded `client_info`.
#[derive(Debug, Deserialize)]
pub(crate) struct ClientInfo {
    pub uid: String,
    pub utid: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_may_be_strings() {
        let r: TokenResponse = serde_json::from_str(
            r#"{"token_type":"Bearer","access_token":"a","expires_in":"3599","refresh_in":1800.0}"#,
        )
        .unwrap();
        assert_eq!(r.expires_in, Some(3599));
        assert_eq!(r.refresh_in, Some(1800));
        let d: DeviceCodeResponse = serde_json::from_str(
            r#"{"user_code":"U","device_code":"D","verification_url":"https://x/devicelogin","expires_in":"900","interval":"5"}"#,
        )
        .unwrap();
        assert_eq!((d.expires_in, d.interval), (Some(900), Some(5)));
        assert_eq!(d.verification_uri, "https://x/devicelogin");
        let e: ErrorResponse =
            serde_json::from_str(r#"{"error":"invalid_client","error_codes":[7000215,"70011"]}"#)
                .unwrap();
        assert_eq!(e.error_codes, vec![7000215, 70011]);
    }

    #[test]
    fn debug_hides_tokens() {
        let r: TokenResponse = serde_json::from_str(
            r#"{"access_token":"ACCESS-SECRET","refresh_token":"REFRESH-SECRET","expires_in":1}"#,
        )
        .unwrap();
        let text = format!("{r:?}");
        assert!(
            !text.contains("ACCESS-SECRET") && !text.contains("REFRESH-SECRET"),
            "{text}"
        );
        let d: DeviceCodeResponse = serde_json::from_str(
            r#"{"user_code":"U","device_code":"DEVICE-SECRET","verification_uri":"v"}"#,
        )
        .unwrap();
        assert!(!format!("{d:?}").contains("DEVICE-SECRET"));
    }
}
