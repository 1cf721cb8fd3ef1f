//! The emulator's token-signing key: RS256 access and id tokens, their verification, and JWKS.

use std::collections::HashSet;
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

/// Signatures verified before are remembered (by the token's SHA-256) up to this many tokens;
/// the set is emptied when full.
const VERIFIED_LIMIT: usize = 4096;

/// The RSA key that signs every token.
pub struct SigningKey {
    encoding: EncodingKey,
    decoding: DecodingKey,
    kid: String,
    n: String,
    e: String,
    /// Digests of tokens whose signature was verified: a client sends the same token with
    /// thousands of requests, and the RSA check is the costliest part of serving a small one.
    /// Lifetime and audience are still checked on every request.
    verified: parking_lot::Mutex<HashSet<[u8; 32]>>,
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
            verified: parking_lot::Mutex::new(HashSet::new()),
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
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let known = self.verified.lock().contains(&digest);
        if known {
            validation.insecure_disable_signature_validation();
        }
        jsonwebtoken::decode::<AccessClaims>(token, &self.decoding, &validation)
            .map(|data| {
                if !known {
                    let mut verified = self.verified.lock();
                    if verified.len() >= VERIFIED_LIMIT {
                        verified.clear();
                    }
                    verified.insert(digest);
                }
                data.claims
            })
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

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp_in: i64) -> AccessClaims {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        AccessClaims {
            aud: "https://graph.microsoft.com".into(),
            iss: "https://sts.windows.net/t/".into(),
            tid: "t".into(),
            appid: "a".into(),
            roles: vec!["Files.ReadWrite.All".into()],
            scp: None,
            oid: "o".into(),
            upn: None,
            name: None,
            sub: "s".into(),
            ver: "1.0".into(),
            iat: now - 10,
            nbf: now - 10,
            exp: now + exp_in,
            uti: String::new(),
        }
    }

    #[test]
    fn remembered_signatures_still_check_audience_and_tampering() {
        let key = SigningKey::from_key(&generate_rsa_key().unwrap()).unwrap();
        let graph = vec!["https://graph.microsoft.com".to_string()];
        let token = key.sign(&claims(3600)).unwrap();
        for _ in 0..2 {
            assert_eq!(key.verify_access_token(&token, &graph).unwrap().appid, "a");
        }
        // Known token, other audience: refused although its signature was remembered.
        let other = vec!["api://other".to_string()];
        assert!(matches!(
            key.verify_access_token(&token, &other),
            Err(TokenRejection::Invalid(_))
        ));
        // Same header and signature, other claims: a new digest, so the signature is checked.
        let mut forged = claims(3600);
        forged.roles = vec!["Sites.FullControl.All".into()];
        let forged_payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&forged).unwrap());
        let parts: Vec<&str> = token.split('.').collect();
        let tampered = format!("{}.{forged_payload}.{}", parts[0], parts[2]);
        assert!(matches!(
            key.verify_access_token(&tampered, &graph),
            Err(TokenRejection::Invalid(_))
        ));
        // An expired token is refused even when its signature was verified before.
        let expired = key.sign(&claims(-5)).unwrap();
        key.verified
            .lock()
            .insert(Sha256::digest(expired.as_bytes()).into());
        assert!(matches!(
            key.verify_access_token(&expired, &graph),
            Err(TokenRejection::Expired)
        ));
    }
}
