//! Test support shared by graphlink's crates (a dev-dependency only).
//!
//! - [`TestEmulator`]: a real emulator over HTTPS on `127.0.0.1:0`, a client trusting its CA,
//!   its admin API (faults, counters, settings, posted Teams messages) and raw requests.
//! - [`connect`]: graphlink's own client side for it: authorities, connection configs for the
//!   seed's apps, fast retry policies, Graph clients (app-only or signed in by device flow).
//! - [`TestTokens`]: a counting client-credentials token provider for Graph client tests.
//! - [`seed`]: the identifiers of the emulator's default seed.
//! - [`project`]: TOML builders for projects that use the emulator.
//! - [`data`], [`guard`], [`jwt_claims`]: deterministic content, a hang guard, JWT inspection.

mod answer;
pub mod connect;
mod emulator;
pub mod project;
mod tokens;

pub use answer::Answer;
pub use emulator::{channel_messages, chat_messages, TestEmulator};
pub use graphlink_emulator::defaults as seed;
pub use tokens::TestTokens;

use std::time::Duration;

/// The scope of app-only requests to Graph.
pub const GRAPH_DEFAULT_SCOPE: &str = "https://graph.microsoft.com/.default";

/// Awaits `fut`, panicking with `what` when it takes longer than 300 s (a hung test fails
/// instead of stalling the suite).
pub async fn guard<T>(what: &str, fut: impl std::future::Future<Output = T>) -> T {
    match tokio::time::timeout(Duration::from_secs(300), fut).await {
        Ok(v) => v,
        Err(_) => panic!("{what}: hung for 300 s"),
    }
}

/// `len` deterministic pseudo-random bytes (xorshift32 from `seed`): the same arguments give
/// the same bytes, different seeds give different bytes.
pub fn data(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2_654_435_761).max(1);
    let mut out = Vec::with_capacity(len + 4);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// The claims of a JWT, decoded without verification (tests only read them).
pub fn jwt_claims(jwt: &str) -> serde_json::Value {
    use base64::Engine;
    let payload = jwt.split('.').nth(1).expect("a JWT has three parts");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("JWT payload is base64url");
    serde_json::from_slice(&bytes).expect("JWT payload is JSON")
}

/// Seconds since the Unix epoch, as a float (JWT `exp`/`iat` arithmetic).
pub fn now_secs() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs_f64()
}

/// A reqwest client trusting the PEM CA certificate at `ca` that follows no redirects (tests
/// look at the emulator's 302s themselves).
pub fn https_client(ca: &std::path::Path) -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let pem = std::fs::read(ca).expect("CA certificate readable");
    reqwest::Client::builder()
        .use_rustls_tls()
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).expect("CA certificate PEM"))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("reqwest client")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_is_deterministic_and_seeded() {
        assert_eq!(data(1001, 7), data(1001, 7));
        assert_ne!(data(64, 7), data(64, 8));
        assert_eq!(data(1001, 7).len(), 1001);
    }
}
