//! The emulator's TLS material: a CA and a server certificate for localhost, created once and
//! kept in `DATA/tls/`, so clients trust the emulator by trusting `DATA/tls/ca.pem`.

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};

use crate::Error;

/// Host names and addresses the server certificate is valid for. Microsoft's own host names are
/// included so that clients can reach the emulator under them when they are mapped to loopback.
pub const SERVER_NAMES: &[&str] = &[
    "localhost",
    "127.0.0.1",
    "::1",
    "login.microsoftonline.com",
    "graph.microsoft.com",
    "contoso.sharepoint.com",
];

/// Paths of the TLS files in the data directory.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// The CA certificate clients must trust.
    pub ca_cert: PathBuf,
    /// The server certificate chain (server certificate then CA).
    pub server_chain: PathBuf,
    /// The server's private key.
    pub server_key: PathBuf,
}

impl TlsFiles {
    /// Returns the TLS files in `DATA/tls/`, creating the CA and server certificate on first use.
    pub fn load_or_create(data_dir: &Path) -> Result<Self, Error> {
        let dir = data_dir.join("tls");
        let files = TlsFiles {
            ca_cert: dir.join("ca.pem"),
            server_chain: dir.join("server-chain.pem"),
            server_key: dir.join("server.key.pem"),
        };
        if files.ca_cert.exists() && files.server_chain.exists() && files.server_key.exists() {
            return Ok(files);
        }
        let crypto = |e: rcgen::Error| Error::Crypto(e.to_string());
        let ca_key = KeyPair::generate().map_err(crypto)?;
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(crypto)?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "graphlink emulator CA");
        ca_params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca = ca_params.self_signed(&ca_key).map_err(crypto)?;

        let server_key = KeyPair::generate().map_err(crypto)?;
        let names: Vec<String> = SERVER_NAMES.iter().map(ToString::to_string).collect();
        let mut params = CertificateParams::new(names).map_err(crypto)?;
        params
            .distinguished_name
            .push(DnType::CommonName, "graphlink emulator");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        params.use_authority_key_identifier_extension = true;
        let server = params
            .signed_by(&server_key, &ca, &ca_key)
            .map_err(crypto)?;

        crate::persist::write_atomic(&dir.join("ca.key.pem"), ca_key.serialize_pem().as_bytes())?;
        crate::persist::write_atomic(&files.server_key, server_key.serialize_pem().as_bytes())?;
        crate::persist::write_atomic(
            &files.server_chain,
            format!("{}{}", server.pem(), ca.pem()).as_bytes(),
        )?;
        // The CA certificate is written last: its presence marks a complete set.
        crate::persist::write_atomic(&files.ca_cert, ca.pem().as_bytes())?;
        Ok(files)
    }
}
