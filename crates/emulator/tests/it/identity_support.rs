//! The identity tests' set-up: the testkit's emulator, form posts to its token endpoint, and
//! client assertions signed with the certificate app's generated key.

use std::path::{Path, PathBuf};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use graphlink_emulator::identity::CredentialPaths;
use graphlink_emulator::EmulatorOptions;
pub(crate) use graphlink_testkit::seed::{
    ADELE, ADELE_ID, CERT_APP_ID as CERT_APP, DAEMON_APP_ID as SECRET_APP, DAEMON_SECRET as SECRET,
    PUBLIC_APP_ID as PUBLIC_APP, TENANT_DOMAIN as DOMAIN, TENANT_ID as TENANT,
};
use graphlink_testkit::TestEmulator;
pub(crate) use graphlink_testkit::{
    jwt_claims as claims, now_secs as now, Answer, GRAPH_DEFAULT_SCOPE as GRAPH_DEFAULT,
};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// A running emulator.
pub(crate) struct Env {
    kit: TestEmulator,
}

impl Env {
    /// Stops the emulator (its data folder stays).
    pub(crate) async fn shutdown(self) {
        self.kit.emu.shutdown().await;
    }
}

impl std::ops::Deref for Env {
    type Target = TestEmulator;
    fn deref(&self) -> &TestEmulator {
        &self.kit
    }
}

pub(crate) async fn start(data_dir: Option<PathBuf>) -> Env {
    Env {
        kit: TestEmulator::start_with(EmulatorOptions {
            data_dir,
            ..Default::default()
        })
        .await,
    }
}

impl Env {
    pub(crate) fn token_url(&self) -> String {
        format!("{}/{TENANT}/oauth2/v2.0/token", self.base())
    }

    pub(crate) async fn token(&self, form: &[(&str, &str)]) -> Answer {
        self.post_form(&self.token_url(), form).await
    }

    pub(crate) async fn get(&self, url: &str) -> Answer {
        self.get_url(url).await
    }

    /// A client assertion for the certificate app, signed with its generated key.
    pub(crate) fn assertion(&self, alg: Algorithm, claims: Value) -> String {
        sign_assertion(self.emu.data_dir(), alg, claims)
    }

    /// Standard assertion claims: aud = this token endpoint, float exp/iat, fresh jti.
    pub(crate) fn assertion_claims(&self) -> Value {
        let now = now();
        json!({
            "aud": self.token_url(),
            "iss": CERT_APP,
            "sub": CERT_APP,
            "jti": uuid::Uuid::new_v4().to_string(),
            "exp": now + 600.25,
            "iat": now + 0.5,
        })
    }
}

pub(crate) fn sign_assertion(data_dir: &Path, alg: Algorithm, claims: Value) -> String {
    let paths = CredentialPaths::new(data_dir, "cert-app");
    let key = std::fs::read(&paths.key).unwrap();
    let cert = std::fs::read_to_string(&paths.cert).unwrap();
    let der = pem::parse(&cert).unwrap().contents().to_vec();
    let mut header = Header::new(alg);
    header.typ = Some("JWT".into());
    match alg {
        Algorithm::PS256 => header.x5t_s256 = Some(URL_SAFE_NO_PAD.encode(Sha256::digest(&der))),
        _ => header.x5t = Some(URL_SAFE_NO_PAD.encode(Sha1::digest(&der))),
    }
    jsonwebtoken::encode(&header, &claims, &EncodingKey::from_rsa_pem(&key).unwrap()).unwrap()
}
