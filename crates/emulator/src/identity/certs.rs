//! Certificates registered for apps: loaded from the seed, or generated on first start into
//! `DATA/credentials/{app}.key.pem`, `{app}.cert.pem` and `{app}.pem` (key and certificate
//! together, what `AZURE_CLIENT_CERTIFICATE_PATH` expects).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use jsonwebtoken::DecodingKey;
use rcgen::{CertificateParams, DnType, KeyPair};
use rsa::pkcs8::{EncodePrivateKey, LineEnding};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use x509_parser::public_key::PublicKey;

use crate::seed::{AppSeed, Seed};
use crate::Error;

/// Paths of an app's generated credential files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialPaths {
    /// `DATA/credentials/{app}.key.pem`: the PKCS#8 private key (mode 0600).
    pub key: PathBuf,
    /// `DATA/credentials/{app}.cert.pem`: the self-signed certificate.
    pub cert: PathBuf,
    /// `DATA/credentials/{app}.pem`: key then certificate in one file.
    pub combined: PathBuf,
}

impl CredentialPaths {
    /// Where the credentials of the app named `app_name` live under `data_dir`.
    pub fn new(data_dir: &Path, app_name: &str) -> Self {
        let safe: String = app_name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let dir = data_dir.join("credentials");
        CredentialPaths {
            key: dir.join(format!("{safe}.key.pem")),
            cert: dir.join(format!("{safe}.cert.pem")),
            combined: dir.join(format!("{safe}.pem")),
        }
    }
}

/// One registered certificate: its thumbprints and public key.
pub(super) struct RegisteredCert {
    der: Vec<u8>,
    sha1: [u8; 20],
    sha256: [u8; 32],
    key: DecodingKey,
}

impl std::fmt::Debug for RegisteredCert {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegisteredCert")
            .field("sha1", &hex(&self.sha1))
            .finish_non_exhaustive()
    }
}

impl RegisteredCert {
    /// Parses a DER certificate holding an RSA public key.
    pub(super) fn from_der(der: &[u8]) -> Result<Self, String> {
        let (_, cert) = x509_parser::parse_x509_certificate(der)
            .map_err(|e| format!("not an X.509 certificate: {e}"))?;
        let parsed = cert
            .public_key()
            .parsed()
            .map_err(|e| format!("unreadable public key: {e}"))?;
        let PublicKey::RSA(rsa) = parsed else {
            return Err("only RSA certificates are supported".into());
        };
        let strip = |b: &[u8]| -> Vec<u8> {
            let first = b.iter().position(|x| *x != 0).unwrap_or(b.len());
            b[first..].to_vec()
        };
        let key = DecodingKey::from_rsa_raw_components(&strip(rsa.modulus), &strip(rsa.exponent));
        Ok(RegisteredCert {
            der: der.to_vec(),
            sha1: Sha1::digest(der).into(),
            sha256: Sha256::digest(der).into(),
            key,
        })
    }

    /// Whether this is the certificate with SHA-1 thumbprint `thumb` (raw bytes).
    pub(super) fn has_sha1(&self, thumb: &[u8]) -> bool {
        self.sha1.as_slice() == thumb
    }

    /// Whether this is the certificate with SHA-256 thumbprint `thumb` (raw bytes).
    pub(super) fn has_sha256(&self, thumb: &[u8]) -> bool {
        self.sha256.as_slice() == thumb
    }

    /// Whether this is the certificate `der`.
    pub(super) fn is_der(&self, der: &[u8]) -> bool {
        self.der == der
    }

    /// The public key, for signature checks.
    pub(super) fn key(&self) -> &DecodingKey {
        &self.key
    }
}

/// Every app's registered certificates, by lower-case client id.
#[derive(Debug, Default)]
pub(super) struct Credentials {
    by_app: HashMap<String, Vec<RegisteredCert>>,
}

impl Credentials {
    /// Loads the seed's certificates, generating those of `generate_certificate` apps on first
    /// start.
    pub(super) fn load(seed: &Seed, data_dir: &Path) -> Result<Self, Error> {
        let mut by_app = HashMap::new();
        for (i, app) in seed.apps.iter().enumerate() {
            let (pem_text, origin) = match (&app.certificate_pem, app.generate_certificate) {
                (Some(pem_text), _) => (pem_text.clone(), format!("apps[{i}].certificate_pem")),
                (None, true) => {
                    let paths = CredentialPaths::new(data_dir, &app.name);
                    let origin = paths.cert.display().to_string();
                    (load_or_generate(app, &paths)?, origin)
                }
                (None, false) => continue,
            };
            let certs = parse_pem_certs(&pem_text).map_err(|message| Error::Seed {
                path: "seed".into(),
                message: format!("{origin} (app {}): {message}", app.name),
            })?;
            by_app.insert(app.client_id.to_ascii_lowercase(), certs);
        }
        Ok(Credentials { by_app })
    }

    /// The certificates registered for `client_id`.
    pub(super) fn for_app(&self, client_id: &str) -> &[RegisteredCert] {
        self.by_app
            .get(&client_id.to_ascii_lowercase())
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }
}

/// Every `CERTIFICATE` block of a PEM text.
fn parse_pem_certs(text: &str) -> Result<Vec<RegisteredCert>, String> {
    let blocks = pem::parse_many(text).map_err(|e| format!("invalid PEM: {e}"))?;
    let certs: Vec<RegisteredCert> = blocks
        .iter()
        .filter(|b| b.tag() == "CERTIFICATE")
        .map(|b| RegisteredCert::from_der(b.contents()))
        .collect::<Result<_, _>>()?;
    if certs.is_empty() {
        return Err("no CERTIFICATE block found".into());
    }
    Ok(certs)
}

/// Returns the app's certificate PEM, creating key and certificate when they do not exist yet.
fn load_or_generate(app: &AppSeed, paths: &CredentialPaths) -> Result<String, Error> {
    if paths.key.exists() && paths.cert.exists() {
        let cert =
            std::fs::read_to_string(&paths.cert).map_err(Error::io("reading", &paths.cert))?;
        if !paths.combined.exists() {
            let key =
                std::fs::read_to_string(&paths.key).map_err(Error::io("reading", &paths.key))?;
            crate::persist::write_atomic(&paths.combined, format!("{key}{cert}").as_bytes())?;
        }
        return Ok(cert);
    }
    let crypto = |e: rcgen::Error| Error::Crypto(format!("certificate for app {}: {e}", app.name));
    let rsa_key = crate::keys::generate_rsa_key()?;
    let key_pem = rsa_key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| Error::Crypto(e.to_string()))?;
    let key_pair =
        KeyPair::from_pkcs8_pem_and_sign_algo(&key_pem, &rcgen::PKCS_RSA_SHA256).map_err(crypto)?;
    let mut params = CertificateParams::new(Vec::<String>::new()).map_err(crypto)?;
    params.distinguished_name.push(
        DnType::CommonName,
        format!("{} (graphlink emulator)", app.name),
    );
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::days(1);
    params.not_after = now + time::Duration::days(3650);
    let cert = params.self_signed(&key_pair).map_err(crypto)?;
    let cert_pem = cert.pem();
    crate::persist::write_atomic(&paths.key, key_pem.as_bytes())?;
    crate::persist::write_atomic(
        &paths.combined,
        format!("{}{cert_pem}", &*key_pem).as_bytes(),
    )?;
    // The certificate is written last: with the key, its presence marks a complete set.
    crate::persist::write_atomic(&paths.cert, cert_pem.as_bytes())?;
    tracing::info!(app = %app.name, cert = %paths.cert.display(), "generated an app certificate");
    Ok(cert_pem)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_certificate_is_reused_and_its_thumbprints_match() {
        let dir = tempfile::tempdir().unwrap();
        let seed = Seed::default();
        let first = Credentials::load(&seed, dir.path()).unwrap();
        let paths = CredentialPaths::new(dir.path(), "cert-app");
        let cert_pem = std::fs::read_to_string(&paths.cert).unwrap();
        let combined = std::fs::read_to_string(&paths.combined).unwrap();
        assert!(combined.contains("PRIVATE KEY") && combined.contains("CERTIFICATE"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&paths.key).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "key readable by others: {mode:o}");
        }
        let der = pem::parse(&cert_pem).unwrap().contents().to_vec();
        let certs = first.for_app("22222222-2222-4222-8222-222222222222");
        assert_eq!(certs.len(), 1);
        assert!(certs[0].is_der(&der));
        assert!(certs[0].has_sha256(&Sha256::digest(&der)));
        assert!(certs[0].has_sha1(&Sha1::digest(&der)));
        assert!(first
            .for_app("11111111-1111-4111-8111-111111111111")
            .is_empty());

        let again = Credentials::load(&seed, dir.path()).unwrap();
        assert_eq!(std::fs::read_to_string(&paths.cert).unwrap(), cert_pem);
        assert!(again.for_app("22222222-2222-4222-8222-222222222222")[0].is_der(&der));
    }

    #[test]
    fn seed_certificate_that_is_not_pem_is_a_seed_error() {
        let dir = tempfile::tempdir().unwrap();
        let mut seed = Seed::default();
        seed.apps[1].certificate_pem = Some("not a certificate".into());
        let err = Credentials::load(&seed, dir.path())
            .unwrap_err()
            .to_string();
        assert!(err.contains("certificate_pem"), "{err}");
    }
}
