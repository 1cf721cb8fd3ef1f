//! The emulator's token-signing key: RS256 access and id tokens, their verification, and JWKS.

use std::path::Path;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use rsa::traits::PublicKeyParts;
use rsa::RsaPrivateKey;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::Error;

/// Claims of an access token the emulator issues (and the Graph side verifies).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct AccessClaims {
    /// Audience: the resource (`https://graph.microsoft.com`).
    pub aud: String,
    /// Issuer (`https://sts.windows.net/{tid}/`).
    pub iss: String,
    /// Tenant id.
    pub tid: String,
    /// Client id of the app the token was issued to.
    pub appid: String,
    /// Application permissions (app-only tokens).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    /// Delegated scopes, space separated (user tokens).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scp: Option<String>,
    /// Object id of the user (user tokens) or of the app's service principal.
    pub oid: String,
    /// User principal name (user tokens).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upn: Option<String>,
    /// Display name of the user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Subject.
    pub sub: String,
    /// Token version.
    pub ver: String,
    /// Issued at (seconds since the epoch).
    pub iat: i64,
    /// Not before.
    pub nbf: i64,
    /// Expiry.
    pub exp: i64,
    /// Unique token id.
    #[serde(default)]
    pub uti: String,
}

impl AccessClaims {
    /// Whether this is an app-only token.
    pub fn is_app_only(&self) -> bool {
        self.scp.is_none()
    }

    /// Whether the token carries this application permission or delegated scope.
    pub fn has_permission(&self, name: &str) -> bool {
        self.roles.iter().any(|r| r.eq_ignore_ascii_case(name))
            || self
                .scp
                .as_deref()
                .is_some_and(|s| s.split(' ').any(|p| p.eq_ignore_ascii_case(name)))
    }
}

/// Why a presented token was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenRejection {
    /// Expired or not yet valid.
    Expired,
    /// Bad signature, wrong audience, malformed.
    Invalid(String),
}

/// The RSA key that signs every token.
pub struct SigningKey {
    encoding: EncodingKey,
    decoding: DecodingKey,
    kid: String,
    n: String,
    e: String,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// Loads the key from `DATA/keys/signing-key.pem`, creating it on first start.
    pub fn load_or_create(data_dir: &Path) -> Result<Self, Error> {
        let path = data_dir.join("keys").join("signing-key.pem");
        let key = if path.exists() {
            let pem = std::fs::read_to_string(&path).map_err(Error::io("reading", &path))?;
            RsaPrivateKey::from_pkcs8_pem(&pem).map_err(|e| Error::Corrupt {
                path: path.clone(),
                message: e.to_string(),
            })?
        } else {
            let key = generate_rsa_key()?;
            let pem = key
                .to_pkcs8_pem(LineEnding::LF)
                .map_err(|e| Error::Crypto(e.to_string()))?;
            crate::persist::write_atomic(&path, pem.as_bytes())?;
            key
        };
        Self::from_key(&key)
    }

    fn from_key(key: &RsaPrivateKey) -> Result<Self, Error> {
        let n = URL_SAFE_NO_PAD.encode(key.n().to_bytes_be());
        let e = URL_SAFE_NO_PAD.encode(key.e().to_bytes_be());
        let kid = URL_SAFE_NO_PAD.encode(&Sha256::digest(n.as_bytes())[..15]);
        let pem = key
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| Error::Crypto(e.to_string()))?;
        Ok(Self {
            encoding: EncodingKey::from_rsa_pem(pem.as_bytes())
                .map_err(|e| Error::Crypto(e.to_string()))?,
            decoding: DecodingKey::from_rsa_components(&n, &e)
                .map_err(|e| Error::Crypto(e.to_string()))?,
            kid,
            n,
            e,
        })
    }

    /// The key id put in every token header.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// Signs any claims as an RS256 JWT.
    pub fn sign<T: Serialize>(&self, claims: &T) -> Result<String, Error> {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        header.typ = Some("JWT".into());
        jsonwebtoken::encode(&header, claims, &self.encoding)
            .map_err(|e| Error::Crypto(e.to_string()))
    }

    /// Verifies an access token's signature, lifetime and audience (any of `audiences`).
    pub fn verify_access_token(
        &self,
        token: &str,
        audiences: &[String],
    ) -> Result<AccessClaims, TokenRejection> {
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_audience(audiences);
        validation.leeway = 0;
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp", "aud"]);
        jsonwebtoken::decode::<AccessClaims>(token, &self.decoding, &validation)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature
                | jsonwebtoken::errors::ErrorKind::ImmatureSignature => TokenRejection::Expired,
                other => TokenRejection::Invalid(format!("{other:?}")),
            })
    }

    /// The JSON Web Key Set publishing this key.
    pub fn jwks(&self) -> serde_json::Value {
        serde_json::json!({
            "keys": [{
                "kty": "RSA",
                "use": "sig",
                "alg": "RS256",
                "kid": self.kid,
                "x5t": self.kid,
                "n": self.n,
                "e": self.e,
            }]
        })
    }
}

/// Generates a 2048-bit RSA key.
pub fn generate_rsa_key() -> Result<RsaPrivateKey, Error> {
    RsaPrivateKey::new(&mut rand::thread_rng(), 2048).map_err(|e| Error::Crypto(e.to_string()))
}
