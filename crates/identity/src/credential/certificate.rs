//! Client certificates: a private key plus its certificate, turned into the signed JWT
//! assertion Microsoft recommends over secrets.

use std::fmt;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey};
use rsa::pkcs8::DecodePrivateKey;
use rsa::traits::PublicKeyParts;
use serde::Serialize;
use sha1::Digest as _;

use crate::secret::Secret;
use crate::Error;

/// How long an assertion stays valid (the platform accepts 5–10 minutes).
const ASSERTION_LIFETIME: Duration = Duration::from_secs(10 * 60);

/// A client certificate: RSA private key (PKCS#8 or PKCS#1 PEM) and X.509 certificate.
/// `Debug` shows only the thumbprint.
#[derive(Clone)]
pub struct ClientCertificate {
    /// The RSA key as PKCS#1 DER (what the signer needs).
    key_pkcs1_der: Secret,
    /// SHA-256 thumbprint of the certificate DER, base64url (`x5t#S256`).
    thumbprint_sha256: String,
    /// SHA-1 thumbprint, hex upper case (what the portal shows).
    thumbprint_sha1_hex: String,
}

/// The claims of a client assertion.
#[derive(Serialize)]
struct AssertionClaims<'a> {
    aud: &'a str,
    iss: &'a str,
    sub: &'a str,
    jti: String,
    exp: u64,
    nbf: u64,
    iat: u64,
}

impl ClientCertificate {
    /// Builds a certificate credential from PEM text holding the private key and the certificate
    /// (they may be in one text or two). With several certificates (a chain), the one matching the
    /// key is used. `origin` names the source in error messages (a file path, a setting name).
    pub fn from_pem(key_pem: &[u8], cert_pem: &[u8], origin: &str) -> Result<Self, Error> {
        let field =
            |reason: String| Error::config(format!("client certificate ({origin})"), reason);
        let mut blocks =
            pem::parse_many(key_pem).map_err(|e| field(format!("not valid PEM: {e}")))?;
        if cert_pem != key_pem {
            blocks.extend(
                pem::parse_many(cert_pem).map_err(|e| field(format!("not valid PEM: {e}")))?,
            );
        }
        let mut key = None;
        let mut certs = Vec::new();
        for block in &blocks {
            match block.tag() {
                "PRIVATE KEY" => {
                    let k = rsa::RsaPrivateKey::from_pkcs8_der(block.contents()).map_err(|e| {
                        field(format!("the PKCS#8 private key is not an RSA key this client can use ({e}); only RSA keys are supported"))
                    })?;
                    key = Some(k);
                }
                "RSA PRIVATE KEY" => {
                    let k = rsa::RsaPrivateKey::from_pkcs1_der(block.contents())
                        .map_err(|e| field(format!("the PKCS#1 RSA private key is invalid ({e})")))?;
                    key = Some(k);
                }
                "ENCRYPTED PRIVATE KEY" => {
                    return Err(field(
                        "the private key is encrypted; decrypt it first (openssl pkcs8 -in key.pem -out plain.pem)".into(),
                    ))
                }
                "CERTIFICATE" => certs.push(block.contents().to_vec()),
                _ => {}
            }
        }
        let key = key.ok_or_else(|| {
            field(
                "no private key found (expected a 'PRIVATE KEY' or 'RSA PRIVATE KEY' PEM block)"
                    .into(),
            )
        })?;
        if certs.is_empty() {
            return Err(field(
                "no certificate found (expected a 'CERTIFICATE' PEM block)".into(),
            ));
        }
        let modulus = key.n().to_bytes_be();
        let exponent = key.e().to_bytes_be();
        let mut leaf = None;
        for der in &certs {
            let (_, cert) = x509_parser::parse_x509_certificate(der)
                .map_err(|e| field(format!("a certificate is not valid X.509 ({e})")))?;
            if let Ok(x509_parser::public_key::PublicKey::RSA(pk)) = cert.public_key().parsed() {
                if strip_zeros(pk.modulus) == strip_zeros(&modulus)
                    && strip_zeros(pk.exponent) == strip_zeros(&exponent)
                {
                    leaf = Some(der.clone());
                    break;
                }
            }
        }
        let leaf = leaf.ok_or_else(|| {
            field(
                "the certificate does not belong to the private key (their public keys differ)"
                    .into(),
            )
        })?;
        let pkcs1 = key
            .to_pkcs1_der()
            .map_err(|e| field(format!("could not encode the private key ({e})")))?;
        // The secret is stored as base64 text so it can live in a `Secret` (a String).
        let key_b64 = base64::engine::general_purpose::STANDARD.encode(pkcs1.as_bytes());
        let sha256 = sha2::Sha256::digest(&leaf);
        let sha1 = sha1::Sha1::digest(&leaf);
        let this = Self {
            key_pkcs1_der: Secret::new(key_b64),
            thumbprint_sha256: base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha256),
            thumbprint_sha1_hex: sha1.iter().map(|b| format!("{b:02X}")).collect(),
        };
        // Fail now, not at the first token request, if the key cannot sign.
        this.assertion("validation", "https://validation.invalid/token")
            .map_err(|_| field("the private key cannot sign with PS256 (RSA keys of 2048 bits or more are required)".into()))?;
        Ok(this)
    }

    /// Reads one PEM file holding both the private key and the certificate (the Azure SDK's
    /// `AZURE_CLIENT_CERTIFICATE_PATH` convention).
    pub fn from_pem_file(path: &Path) -> Result<Self, Error> {
        let text = read_pem_file(path)?;
        Self::from_pem(&text, &text, &path.display().to_string())
    }

    /// Reads the private key and the certificate from two PEM files.
    pub fn from_pem_files(key_path: &Path, cert_path: &Path) -> Result<Self, Error> {
        let key = read_pem_file(key_path)?;
        let cert = read_pem_file(cert_path)?;
        Self::from_pem(
            &key,
            &cert,
            &format!("{}, {}", key_path.display(), cert_path.display()),
        )
    }

    /// The certificate's SHA-256 thumbprint, base64url (the `x5t#S256` header value).
    pub fn thumbprint_sha256(&self) -> &str {
        &self.thumbprint_sha256
    }

    /// The certificate's SHA-1 thumbprint in upper-case hex, as the Azure portal shows it.
    pub fn thumbprint_sha1_hex(&self) -> &str {
        &self.thumbprint_sha1_hex
    }

    /// Builds a fresh client assertion for `client_id` addressed to `token_endpoint`: a PS256
    /// JWT with `x5t#S256`, `aud`=token endpoint, `iss`=`sub`=client id, a new `jti`, and
    /// `exp` ten minutes ahead.
    pub fn assertion(&self, client_id: &str, token_endpoint: &str) -> Result<Secret, Error> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        let claims = AssertionClaims {
            aud: token_endpoint,
            iss: client_id,
            sub: client_id,
            jti: uuid::Uuid::new_v4().to_string(),
            exp: now + ASSERTION_LIFETIME.as_secs(),
            nbf: now,
            iat: now,
        };
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::PS256);
        header.typ = Some("JWT".into());
        header.x5t_s256 = Some(self.thumbprint_sha256.clone());
        let der = base64::engine::general_purpose::STANDARD
            .decode(self.key_pkcs1_der.expose())
            .map_err(|_| Error::config("client certificate", "internal key encoding is corrupt"))?;
        let key = jsonwebtoken::EncodingKey::from_rsa_der(&der);
        jsonwebtoken::encode(&header, &claims, &key)
            .map(Secret::new)
            .map_err(|e| {
                Error::config(
                    "client certificate",
                    format!("could not sign the client assertion: {e}"),
                )
            })
    }
}

impl fmt::Debug for ClientCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCertificate")
            .field("thumbprint_sha1", &self.thumbprint_sha1_hex)
            .field("x5t#S256", &self.thumbprint_sha256)
            .field("private_key", &"<redacted>")
            .finish()
    }
}

fn strip_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    &bytes[start..]
}

fn read_pem_file(path: &Path) -> Result<Vec<u8>, Error> {
    let lower = path.to_string_lossy().to_ascii_lowercase();
    if lower.ends_with(".pfx") || lower.ends_with(".p12") {
        return Err(Error::config(
            format!("client certificate ({})", path.display()),
            "PKCS#12 (.pfx/.p12) files are not supported: convert to PEM (openssl pkcs12 -in cert.pfx -out cert.pem -nodes)",
        ));
    }
    std::fs::read(path).map_err(|e| {
        Error::config(
            format!("client certificate ({})", path.display()),
            format!("cannot read the file: {e}"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{key_and_cert, pkcs1_key};

    fn cert_der(cert_pem: &str) -> Vec<u8> {
        pem::parse(cert_pem).unwrap().contents().to_vec()
    }

    #[test]
    fn assertion_has_the_contract_header_and_claims_and_verifies_with_the_cert_key() {
        let (key, cert) = key_and_cert();
        let c = ClientCertificate::from_pem(key.as_bytes(), cert.as_bytes(), "test").unwrap();
        let endpoint = "https://login.example/tenant/oauth2/v2.0/token";
        let jwt = c.assertion("client-1", endpoint).unwrap();

        let header = jsonwebtoken::decode_header(jwt.expose()).unwrap();
        assert_eq!(header.alg, jsonwebtoken::Algorithm::PS256);
        assert_eq!(header.typ.as_deref(), Some("JWT"));
        let der = cert_der(&cert);
        let want =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(&der));
        assert_eq!(header.x5t_s256.as_deref(), Some(want.as_str()));
        assert_eq!(c.thumbprint_sha256(), want);
        assert_eq!(c.thumbprint_sha1_hex().len(), 40);

        // Verify the signature with the certificate's public key.
        let (_, parsed) = x509_parser::parse_x509_certificate(&der).unwrap();
        let x509_parser::public_key::PublicKey::RSA(pk) = parsed.public_key().parsed().unwrap()
        else {
            panic!("not RSA")
        };
        let key = jsonwebtoken::DecodingKey::from_rsa_raw_components(
            strip_zeros(pk.modulus),
            strip_zeros(pk.exponent),
        );
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::PS256);
        validation.set_audience(&[endpoint]);
        validation.set_issuer(&["client-1"]);
        validation.set_required_spec_claims(&["exp", "aud", "iss", "sub", "nbf"]);
        let data =
            jsonwebtoken::decode::<serde_json::Value>(jwt.expose(), &key, &validation).unwrap();
        let claims = data.claims;
        assert_eq!(claims["sub"], "client-1");
        let jti = claims["jti"].as_str().unwrap();
        assert!(uuid::Uuid::parse_str(jti).is_ok(), "{jti}");
        let (exp, iat, nbf) = (
            claims["exp"].as_u64().unwrap(),
            claims["iat"].as_u64().unwrap(),
            claims["nbf"].as_u64().unwrap(),
        );
        assert_eq!(exp - iat, 600);
        assert_eq!(nbf, iat);

        // Every assertion is fresh.
        let again = c.assertion("client-1", endpoint).unwrap();
        let decode = |t: &Secret| {
            jsonwebtoken::decode::<serde_json::Value>(t.expose(), &key, &validation)
                .unwrap()
                .claims
        };
        assert_ne!(decode(&again)["jti"], claims["jti"]);

        // A tampered token does not verify.
        let mut parts: Vec<String> = jwt.expose().split('.').map(str::to_string).collect();
        parts[1] = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"aud":"x"}"#);
        assert!(
            jsonwebtoken::decode::<serde_json::Value>(&parts.join("."), &key, &validation).is_err()
        );
    }

    #[test]
    fn pkcs1_keys_combined_files_and_two_files_work() {
        let (key8, cert) = key_and_cert();
        let key1 = pkcs1_key();
        let a = ClientCertificate::from_pem(key1.as_bytes(), cert.as_bytes(), "pkcs1").unwrap();
        let b = ClientCertificate::from_pem(key8.as_bytes(), cert.as_bytes(), "pkcs8").unwrap();
        assert_eq!(a.thumbprint_sha256(), b.thumbprint_sha256());
        let dir = tempfile::tempdir().unwrap();
        let combined = dir.path().join("both.pem");
        std::fs::write(&combined, format!("{cert}{key1}")).unwrap();
        ClientCertificate::from_pem_file(&combined).unwrap();
        let (k, c) = (dir.path().join("k.pem"), dir.path().join("c.pem"));
        std::fs::write(&k, &key8).unwrap();
        std::fs::write(&c, &cert).unwrap();
        ClientCertificate::from_pem_files(&k, &c).unwrap();
    }

    #[test]
    fn bad_inputs_are_clear_errors() {
        let (key, cert) = key_and_cert();
        let err = |k: &str, c: &str| {
            ClientCertificate::from_pem(k.as_bytes(), c.as_bytes(), "origin.pem")
                .unwrap_err()
                .to_string()
        };
        assert!(err(&key, "").contains("no certificate"));
        assert!(err("", &cert).contains("no private key"));
        assert!(
            err("garbage", &cert).contains("no private key")
                || err("garbage", &cert).contains("PEM")
        );
        let enc =
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n";
        assert!(err(enc, &cert).contains("encrypted"));
        // A key that does not belong to the certificate.
        let other = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).unwrap();
        let other_pem =
            rsa::pkcs8::EncodePrivateKey::to_pkcs8_pem(&other, rsa::pkcs8::LineEnding::LF).unwrap();
        let text = err(&other_pem, &cert);
        assert!(
            text.contains("does not belong") && text.contains("origin.pem"),
            "{text}"
        );
        let pfx = ClientCertificate::from_pem_file(Path::new("/tmp/app.pfx"))
            .unwrap_err()
            .to_string();
        assert!(pfx.contains("PKCS#12"), "{pfx}");
        let missing = ClientCertificate::from_pem_file(Path::new("/nonexistent/app.pem"))
            .unwrap_err()
            .to_string();
        assert!(missing.contains("/nonexistent/app.pem"), "{missing}");
        // Debug never shows the key.
        let c = ClientCertificate::from_pem(key.as_bytes(), cert.as_bytes(), "x").unwrap();
        let dbg = format!("{c:?}");
        assert!(
            dbg.contains("redacted") && !dbg.contains(&c.key_pkcs1_der.expose()[..40]),
            "{dbg}"
        );
    }
}
