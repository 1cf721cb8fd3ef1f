//! Form-encoded request bodies of the token and device code endpoints, and HTTP Basic client
//! authentication.

use axum::http::HeaderMap;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use crate::web::IdentityError;

use super::errors;

/// A parsed `application/x-www-form-urlencoded` body. Unknown parameters are kept and ignored;
/// empty values count as absent.
pub(super) struct Form(Vec<(String, String)>);

impl std::fmt::Debug for Form {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Values hold secrets (client_secret, assertions, refresh tokens): names only.
        f.debug_list()
            .entries(self.0.iter().map(|(k, _)| k))
            .finish()
    }
}

impl Form {
    /// Parses a body.
    pub(super) fn parse(body: &[u8]) -> Result<Self, IdentityError> {
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
            .map(Form)
            .map_err(|_| errors::malformed_body())
    }

    /// The first non-empty value of a parameter.
    pub(super) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, v)| k == name && !v.trim().is_empty())
            .map(|(_, v)| v.as_str())
    }

    /// A required parameter (900144 when missing).
    pub(super) fn require(&self, name: &str) -> Result<&str, IdentityError> {
        self.get(name).ok_or_else(|| errors::missing_param(name))
    }
}

/// Credentials from an `Authorization: Basic` header: url-encoded `client_id:client_secret`.
pub(super) struct BasicCredentials {
    /// The client id.
    pub client_id: String,
    /// The client secret.
    pub secret: String,
}

impl std::fmt::Debug for BasicCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BasicCredentials")
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl BasicCredentials {
    /// Reads the header; `Ok(None)` without one, an error when it is malformed.
    pub(super) fn from_headers(headers: &HeaderMap) -> Result<Option<Self>, IdentityError> {
        let Some(value) = headers.get(axum::http::header::AUTHORIZATION) else {
            return Ok(None);
        };
        let malformed = || {
            IdentityError::new(
                axum::http::StatusCode::UNAUTHORIZED,
                "invalid_client",
                7000218,
                "The Authorization header is not valid HTTP Basic authentication \
                 (base64 of url-encoded client_id:client_secret).",
            )
        };
        let value = value.to_str().map_err(|_| malformed())?;
        let Some((scheme, encoded)) = value.trim().split_once(' ') else {
            return Err(malformed());
        };
        if !scheme.eq_ignore_ascii_case("basic") {
            // Another scheme (a stray bearer token, ...) is not client authentication.
            return Ok(None);
        }
        let decoded = STANDARD
            .decode(encoded.trim())
            .map_err(|_| malformed())
            .and_then(|b| String::from_utf8(b).map_err(|_| malformed()))?;
        let (id, secret) = decoded.split_once(':').ok_or_else(malformed)?;
        Ok(Some(BasicCredentials {
            client_id: form_decode(id),
            secret: form_decode(secret),
        }))
    }
}

/// Decodes one `application/x-www-form-urlencoded` component (`+` is a space).
fn form_decode(text: &str) -> String {
    let spaced = text.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_non_empty_value_wins_and_unknown_params_are_kept() {
        let form = Form::parse(b"a=&a=1&a=2&claims=%7B%7D&scope=x+y").unwrap();
        assert_eq!(form.get("a"), Some("1"));
        assert_eq!(form.get("scope"), Some("x y"));
        assert_eq!(form.require("missing").unwrap_err().aadsts, 900144);
    }

    #[test]
    fn basic_credentials_are_url_decoded() {
        let mut headers = HeaderMap::new();
        let raw = STANDARD.encode("app%3Aid:s%2Be+c%3Aret");
        headers.insert("authorization", format!("Basic {raw}").parse().unwrap());
        let creds = BasicCredentials::from_headers(&headers).unwrap().unwrap();
        assert_eq!(creds.client_id, "app:id");
        assert_eq!(creds.secret, "s+e c:ret");
        assert!(!format!("{creds:?}").contains("ret"));
        headers.insert("authorization", "Basic !!!".parse().unwrap());
        assert!(BasicCredentials::from_headers(&headers).is_err());
        headers.insert("authorization", "Bearer abc".parse().unwrap());
        assert!(BasicCredentials::from_headers(&headers).unwrap().is_none());
    }
}
