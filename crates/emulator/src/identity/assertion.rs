//! Verification of client assertions (`private_key_jwt`): the signature against the app's
//! registered certificate (found by `x5t#S256`, `x5t` or `x5c`), then the claims, decoded by hand
//! because MSAL sends float `exp`/`iat`.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use jsonwebtoken::Algorithm;
use serde_json::Value;

use super::certs::RegisteredCert;
use super::errors;
use super::tenant::Tenant;
use crate::seed::Seed;
use crate::web::IdentityError;

/// The assertion type the token endpoint accepts.
pub(super) const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Clock skew tolerated on `exp`/`nbf`/`iat` (Microsoft allows five minutes).
pub(super) const SKEW_SECS: i64 = 300;

/// Hosts accepted in the assertion's `aud` besides the one the client used.
const LOGIN_HOSTS: &[&str] = &[
    "login.microsoftonline.com",
    "login.microsoft.com",
    "login.windows.net",
    "sts.windows.net",
    "login.microsoftonline.us",
    "login.chinacloudapi.cn",
    "localhost",
    "127.0.0.1",
    "[::1]",
];

/// What the verifier needs to know about the request.
#[derive(Debug)]
pub(super) struct Expectations<'a> {
    /// The seed (tenant id and domain).
    pub seed: &'a Seed,
    /// The app's client id.
    pub client_id: &'a str,
    /// The app's registered certificates.
    pub certs: &'a [RegisteredCert],
    /// Hosts (`host[:port]`) the client may have addressed: the request's and the listener's.
    pub hosts: Vec<String>,
    /// The token endpoint URL the client used, for messages.
    pub token_endpoint: String,
    /// Now, seconds since the epoch.
    pub now: i64,
}

/// A verified assertion's replay key and expiry.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Verified {
    /// The `jti` claim.
    pub jti: String,
    /// The `exp` claim, rounded up.
    pub expires_at: i64,
}

/// Verifies a client assertion.
pub(super) fn verify(jwt: &str, expect: &Expectations<'_>) -> Result<Verified, IdentityError> {
    let parts: Vec<&str> = jwt.trim().split('.').collect();
    let [header_b64, payload_b64, signature] = parts.as_slice() else {
        return Err(errors::malformed_assertion(
            "is not a JWT (three dot-separated parts)",
        ));
    };
    let header: Value = decode_json(header_b64)
        .ok_or_else(|| errors::malformed_assertion("has an unreadable header"))?;
    let alg = match header.get("alg").and_then(Value::as_str) {
        Some("RS256") => Algorithm::RS256,
        Some("RS384") => Algorithm::RS384,
        Some("RS512") => Algorithm::RS512,
        Some("PS256") => Algorithm::PS256,
        Some("PS384") => Algorithm::PS384,
        Some("PS512") => Algorithm::PS512,
        other => {
            return Err(errors::bad_signature(&format!(
                "Algorithm {} is not supported: sign with PS256 (x5t#S256) or RS256 (x5t).",
                other.unwrap_or("(none)")
            )))
        }
    };
    let cert = find_cert(&header, expect.certs)?;
    let message = format!("{header_b64}.{payload_b64}");
    let signature = signature.trim_end_matches('=');
    match jsonwebtoken::crypto::verify(signature, message.as_bytes(), cert.key(), alg) {
        Ok(true) => {}
        _ => {
            return Err(errors::bad_signature(
                "The signature does not verify with the registered certificate's public key.",
            ))
        }
    }
    let claims = decode_json(payload_b64)
        .filter(Value::is_object)
        .ok_or_else(|| errors::malformed_assertion("has an unreadable claims part"))?;
    check_claims(&claims, expect)
}

fn check_claims(claims: &Value, expect: &Expectations<'_>) -> Result<Verified, IdentityError> {
    let text = |name: &str| claims.get(name).and_then(Value::as_str);
    let is_client = |v: Option<&str>| v.is_some_and(|v| v.eq_ignore_ascii_case(expect.client_id));
    if !is_client(text("iss")) || !is_client(text("sub")) {
        return Err(errors::assertion_subject(expect.client_id));
    }
    let audiences: Vec<&str> = match claims.get("aud") {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    if !audiences.iter().any(|a| audience_ok(a, expect)) {
        return Err(errors::assertion_audience(&expect.token_endpoint));
    }
    let number = |name: &str| claims.get(name).and_then(Value::as_f64);
    let now = expect.now;
    let Some(exp) = number("exp") else {
        return Err(errors::malformed_assertion("has no numeric 'exp' claim"));
    };
    let stamp = |t: f64| {
        time::OffsetDateTime::from_unix_timestamp(t as i64)
            .ok()
            .and_then(|d| {
                d.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            })
            .unwrap_or_else(|| format!("{t}"))
    };
    if (now - SKEW_SECS) as f64 > exp {
        return Err(errors::assertion_time(&format!(
            "Current time: {}, assertion valid to: {}.",
            stamp(now as f64),
            stamp(exp)
        )));
    }
    for name in ["nbf", "iat"] {
        if let Some(t) = number(name) {
            if t > (now + SKEW_SECS) as f64 {
                return Err(errors::assertion_time(&format!(
                    "Current time: {}, assertion '{name}': {}.",
                    stamp(now as f64),
                    stamp(t)
                )));
            }
        }
    }
    let jti = text("jti")
        .filter(|j| !j.is_empty())
        .ok_or_else(|| errors::malformed_assertion("has no 'jti' claim"))?;
    Ok(Verified {
        jti: jti.to_string(),
        expires_at: exp.ceil() as i64,
    })
}

/// `aud` must be this tenant's token endpoint (v2 or v1 path, tenant id or domain), at the
/// host the client used, the listener's, loopback, or a Microsoft login host.
fn audience_ok(aud: &str, expect: &Expectations<'_>) -> bool {
    let Ok(url) = url::Url::parse(aud) else {
        return false;
    };
    if !matches!(url.scheme(), "https" | "http") {
        return false;
    }
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    let host_port = match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.clone(),
    };
    let host_ok = LOGIN_HOSTS.contains(&host.as_str())
        || expect
            .hosts
            .iter()
            .any(|h| h.eq_ignore_ascii_case(&host_port) || h.eq_ignore_ascii_case(&host));
    if !host_ok {
        return false;
    }
    let segments: Vec<&str> = url.path().split('/').filter(|s| !s.is_empty()).collect();
    let tenant_ok = |t: &str| matches!(Tenant::resolve(expect.seed, t), Ok(Tenant::Ours));
    match segments.as_slice() {
        [tenant, "oauth2", "v2.0", "token"] | [tenant, "oauth2", "token"] => tenant_ok(tenant),
        _ => false,
    }
}

fn find_cert<'a>(
    header: &Value,
    certs: &'a [RegisteredCert],
) -> Result<&'a RegisteredCert, IdentityError> {
    let field = |name: &str| header.get(name).and_then(Value::as_str);
    if certs.is_empty() {
        return Err(errors::bad_signature(
            "The application has no certificate registered.",
        ));
    }
    if let Some(t) = field("x5t#S256") {
        let thumb = decode_b64url(t)
            .ok_or_else(|| errors::malformed_assertion("has an unreadable 'x5t#S256' header"))?;
        return certs
            .iter()
            .find(|c| c.has_sha256(&thumb))
            .ok_or_else(|| not_registered("x5t#S256", t));
    }
    if let Some(t) = field("x5t") {
        let thumb = decode_b64url(t)
            .ok_or_else(|| errors::malformed_assertion("has an unreadable 'x5t' header"))?;
        return certs
            .iter()
            .find(|c| c.has_sha1(&thumb))
            .ok_or_else(|| not_registered("x5t", t));
    }
    if let Some(first) = header
        .get("x5c")
        .and_then(Value::as_array)
        .and_then(|a| a.first())
        .and_then(Value::as_str)
    {
        let der = STANDARD
            .decode(first)
            .map_err(|_| errors::malformed_assertion("has an unreadable 'x5c' header"))?;
        return certs
            .iter()
            .find(|c| c.is_der(&der))
            .ok_or_else(|| not_registered("x5c", "(certificate)"));
    }
    Err(errors::bad_signature(
        "The assertion header names no key: send 'x5t#S256' (or 'x5t') with the certificate \
         thumbprint.",
    ))
}

fn not_registered(kind: &str, value: &str) -> IdentityError {
    errors::bad_signature(&format!(
        "The certificate with identifier used to sign the client assertion is not registered on \
         application. [Reason - The key was not found., Thumbprint of key used by client ({kind}): \
         '{value}']"
    ))
}

/// Base64url with or without padding (MSAL pads its thumbprints).
fn decode_b64url(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')).ok()
}

fn decode_json(part: &str) -> Option<Value> {
    decode_b64url(part).and_then(|b| serde_json::from_slice(&b).ok())
}
