//! Test helpers: an RSA key and self-signed certificate, generated once per test process.

use std::sync::OnceLock;

use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::pkcs8::{EncodePrivateKey, LineEnding};

struct Material {
    pkcs8: String,
    pkcs1: String,
    cert: String,
}

fn material() -> &'static Material {
    static M: OnceLock<Material> = OnceLock::new();
    M.get_or_init(|| {
        let mut rng = rand_core_rng();
        let key = rsa::RsaPrivateKey::new(&mut rng, 2048).expect("rsa keygen");
        let pkcs8 = key.to_pkcs8_pem(LineEnding::LF).expect("pkcs8").to_string();
        let pkcs1 = key.to_pkcs1_pem(LineEnding::LF).expect("pkcs1").to_string();
        let pair = rcgen::KeyPair::from_pkcs8_pem_and_sign_algo(&pkcs8, &rcgen::PKCS_RSA_SHA256)
            .expect("rcgen key");
        let params =
            rcgen::CertificateParams::new(vec!["graphlink-test".to_string()]).expect("params");
        let cert = params.self_signed(&pair).expect("self-signed").pem();
        Material { pkcs8, pkcs1, cert }
    })
}

fn rand_core_rng() -> rsa::rand_core::OsRng {
    rsa::rand_core::OsRng
}

/// (PKCS#8 key PEM, certificate PEM).
pub(crate) fn key_and_cert() -> (String, String) {
    let m = material();
    (m.pkcs8.clone(), m.cert.clone())
}

/// The same key as PKCS#1 PEM.
pub(crate) fn pkcs1_key() -> String {
    material().pkcs1.clone()
}
