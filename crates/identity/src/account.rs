//! The signed-in account of a user flow, as named by its ID token and `client_info`.

use serde::{Deserialize, Serialize};

use crate::wire::{b64url_decode, ClientInfo, IdTokenClaims};

/// Who signed in (no secrets).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountInfo {
    /// MSAL's home account id: `{object id}.{tenant id}` (from `client_info`).
    #[serde(default)]
    pub home_account_id: Option<String>,
    /// The sign-in name (`preferred_username` / UPN).
    #[serde(default)]
    pub username: Option<String>,
    /// The display name.
    #[serde(default)]
    pub name: Option<String>,
    /// The user's object id.
    #[serde(default)]
    pub object_id: Option<String>,
    /// The tenant id.
    #[serde(default)]
    pub tenant_id: Option<String>,
}

impl AccountInfo {
    /// Reads the account from an ID token (signature not checked: it came straight from the
    /// token endpoint over TLS) and `client_info`. `None` when neither says anything.
    pub(crate) fn from_tokens(id_token: Option<&str>, client_info: Option<&str>) -> Option<Self> {
        let claims: IdTokenClaims = id_token
            .and_then(|t| t.split('.').nth(1))
            .and_then(b64url_decode)
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default();
        let info: Option<ClientInfo> = client_info
            .and_then(b64url_decode)
            .and_then(|bytes| serde_json::from_slice(&bytes).ok());
        let home_account_id = match &info {
            Some(i) => Some(format!("{}.{}", i.uid, i.utid)),
            None => match (&claims.oid, &claims.tid) {
                (Some(oid), Some(tid)) => Some(format!("{oid}.{tid}")),
                _ => None,
            },
        };
        let account = AccountInfo {
            home_account_id,
            username: claims.preferred_username.or(claims.upn).or(claims.email),
            name: claims.name,
            object_id: claims.oid.or_else(|| info.as_ref().map(|i| i.uid.clone())),
            tenant_id: claims.tid.or_else(|| info.as_ref().map(|i| i.utid.clone())),
        };
        if account == AccountInfo::default() {
            None
        } else {
            Some(account)
        }
    }

    /// The identifier the persistent cache keys this account by: the home account id, else
    /// the lower-case username.
    pub fn key(&self) -> Option<String> {
        self.home_account_id
            .clone()
            .or_else(|| self.username.as_ref().map(|u| u.to_ascii_lowercase()))
    }

    /// A short label for messages: the username, else the home account id.
    pub fn label(&self) -> String {
        self.username
            .clone()
            .or_else(|| self.home_account_id.clone())
            .unwrap_or_else(|| "unknown account".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    fn b64(v: &str) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v)
    }

    #[test]
    fn account_from_id_token_and_client_info() {
        let id = format!(
            "{}.{}.sig",
            b64(r#"{"alg":"RS256"}"#),
            b64(
                r#"{"preferred_username":"adele@contoso.onmicrosoft.com","name":"Adele Vance","oid":"o1","tid":"t1"}"#
            )
        );
        let info = b64(r#"{"uid":"o1","utid":"t1"}"#);
        let a = AccountInfo::from_tokens(Some(&id), Some(&info)).unwrap();
        assert_eq!(a.home_account_id.as_deref(), Some("o1.t1"));
        assert_eq!(a.username.as_deref(), Some("adele@contoso.onmicrosoft.com"));
        assert_eq!(a.key().as_deref(), Some("o1.t1"));
        let a = AccountInfo::from_tokens(Some(&id), None).unwrap();
        assert_eq!(a.home_account_id.as_deref(), Some("o1.t1"));
        assert!(AccountInfo::from_tokens(Some("garbage"), Some("!!")).is_none());
        assert!(AccountInfo::from_tokens(None, None).is_none());
    }
}
