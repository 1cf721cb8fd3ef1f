//! Client credentials: secret (body, HTTP Basic), certificate assertions (PS256 + x5t#S256,
//! RS256 + x5t, float exp), and every error case of the contract.

use crate::identity_support;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use identity_support::*;
use jsonwebtoken::Algorithm;
use serde_json::json;

#[tokio::test]
async fn client_secret_in_body_and_basic_gives_an_app_token() {
    let env = start(None).await;
    let ok = env
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", SECRET_APP),
            ("client_secret", SECRET),
            ("scope", GRAPH_DEFAULT),
            ("client_info", "1"),
            ("unknown_param", "ignored"),
        ])
        .await;
    assert_eq!(ok.status, 200, "{:#}", ok.body);
    assert_eq!(ok.headers["cache-control"], "no-store, no-cache");
    assert_eq!(ok.headers["pragma"], "no-cache");
    let b = &ok.body;
    assert_eq!(b["token_type"], "Bearer");
    assert_eq!(b["expires_in"], 3599);
    assert_eq!(b["ext_expires_in"], 3599);
    assert!(b.get("refresh_token").is_none(), "{b:#}");
    assert!(b.get("id_token").is_none() && b.get("client_info").is_none());
    let c = claims(b["access_token"].as_str().unwrap());
    assert_eq!(c["aud"], "https://graph.microsoft.com");
    assert_eq!(c["iss"], format!("https://sts.windows.net/{TENANT}/"));
    assert_eq!(c["tid"], TENANT);
    assert_eq!(c["appid"], SECRET_APP);
    assert_eq!(c["idtyp"], "app");
    assert_eq!(
        c["roles"],
        json!(["Files.ReadWrite.All", "Sites.ReadWrite.All"])
    );
    assert!(c.get("scp").is_none());
    assert!(c["oid"].is_string() && c["exp"].as_i64().unwrap() > c["iat"].as_i64().unwrap());

    // HTTP Basic with url-encoded id:secret, tenant by domain, Graph's app id as resource,
    // settings-driven lifetimes and refresh_in.
    env.settings(json!({"access_token_lifetime_secs": 120, "refresh_in_secs": 60}))
        .await;
    let basic = STANDARD.encode(format!("{SECRET_APP}:{SECRET}"));
    let resp = env
        .http
        .post(format!("{}/{DOMAIN}/oauth2/v2.0/token", env.base()))
        .header("authorization", format!("Basic {basic}"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", "00000003-0000-0000-c000-000000000000/.default"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["expires_in"], 120);
    assert_eq!(body["refresh_in"], 60);

    // The emulator's own base URL names Graph too.
    let own = format!("{}/.default", env.base());
    let ok = env
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", SECRET_APP),
            ("client_secret", SECRET),
            ("scope", own.as_str()),
        ])
        .await;
    assert_eq!(ok.status, 200, "{:#}", ok.body);
    env.shutdown().await;
}

#[tokio::test]
async fn secret_errors_follow_the_contract_table() {
    let env = start(None).await;
    let base_form = |secret: Option<&'static str>, scope: Option<&'static str>| {
        let mut f = vec![
            ("grant_type", "client_credentials"),
            ("client_id", SECRET_APP),
        ];
        if let Some(s) = secret {
            f.push(("client_secret", s));
        }
        if let Some(s) = scope {
            f.push(("scope", s));
        }
        f
    };
    env.token(&base_form(Some("wrong"), Some(GRAPH_DEFAULT)))
        .await
        .assert_identity_error(401, "invalid_client", 7000215);
    env.token(&base_form(
        Some("emulator-expired-secret"),
        Some(GRAPH_DEFAULT),
    ))
    .await
    .assert_identity_error(401, "invalid_client", 7000222);
    env.token(&base_form(None, Some(GRAPH_DEFAULT)))
        .await
        .assert_identity_error(401, "invalid_client", 7000218);
    env.token(&base_form(Some(SECRET), None))
        .await
        .assert_identity_error(400, "invalid_request", 900144);
    env.token(&base_form(
        Some(SECRET),
        Some("https://graph.microsoft.com/User.Read"),
    ))
    .await
    .assert_identity_error(400, "invalid_scope", 1002012);
    env.token(&base_form(
        Some(SECRET),
        Some("https://vault.azure.net/.default"),
    ))
    .await
    .assert_identity_error(400, "invalid_scope", 70011);
    env.token(&[
        ("grant_type", "client_credentials"),
        ("client_id", "99999999-9999-4999-8999-999999999999"),
        ("client_secret", SECRET),
        ("scope", GRAPH_DEFAULT),
    ])
    .await
    .assert_identity_error(400, "unauthorized_client", 700016);
    env.token(&[("client_id", SECRET_APP), ("client_secret", SECRET)])
        .await
        .assert_identity_error(400, "invalid_request", 900144);
    env.token(&[
        ("grant_type", "password"),
        ("client_id", SECRET_APP),
        ("client_secret", SECRET),
    ])
    .await
    .assert_identity_error(400, "unsupported_grant_type", 70003);
    // A public client has no credential for this grant.
    env.token(&[
        ("grant_type", "client_credentials"),
        ("client_id", PUBLIC_APP),
        ("scope", GRAPH_DEFAULT),
    ])
    .await
    .assert_identity_error(401, "invalid_client", 7000218);
    // Client credentials need a concrete tenant.
    env.post_form(
        &format!("{}/common/oauth2/v2.0/token", env.base()),
        &base_form(Some(SECRET), Some(GRAPH_DEFAULT)),
    )
    .await
    .assert_identity_error(400, "invalid_request", 50059);
    // The secret never shows in an error.
    let wrong = env
        .token(&base_form(Some("s3cr3t-value-xyz"), Some(GRAPH_DEFAULT)))
        .await;
    assert!(!wrong.body.to_string().contains("s3cr3t-value-xyz"));
    env.shutdown().await;
}

fn assertion_form(assertion: &str) -> Vec<(&'static str, String)> {
    vec![
        ("grant_type", "client_credentials".into()),
        ("client_id", CERT_APP.into()),
        ("scope", GRAPH_DEFAULT.into()),
        (
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".into(),
        ),
        ("client_assertion", assertion.into()),
    ]
}

async fn post_assertion(env: &Env, assertion: &str) -> Answer {
    let form = assertion_form(assertion);
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    env.token(&pairs).await
}

#[tokio::test]
async fn certificate_assertions_ps256_and_rs256_with_float_times() {
    let env = start(None).await;
    // PS256 + x5t#S256, float exp/iat, no nbf (what MSAL sends).
    let a = env.assertion(Algorithm::PS256, env.assertion_claims());
    let ok = post_assertion(&env, &a).await;
    assert_eq!(ok.status, 200, "{:#}", ok.body);
    let c = claims(ok.body["access_token"].as_str().unwrap());
    assert_eq!(c["appid"], CERT_APP);
    assert_eq!(c["appidacr"], "2");
    assert_eq!(c["roles"][0], "Files.ReadWrite.All");

    // The same assertion again is a replay.
    post_assertion(&env, &a)
        .await
        .assert_identity_error(401, "invalid_client", 50027);

    // RS256 + x5t (SHA-1), aud with the tenant domain, integer times and nbf.
    let now = now() as i64;
    let mut claims_rs = env.assertion_claims();
    claims_rs["aud"] = json!(format!("{}/{DOMAIN}/oauth2/v2.0/token", env.base()));
    claims_rs["exp"] = json!(now + 300);
    claims_rs["nbf"] = json!(now - 5);
    claims_rs["iat"] = json!(now - 5);
    let ok = post_assertion(&env, &env.assertion(Algorithm::RS256, claims_rs)).await;
    assert_eq!(ok.status, 200, "{:#}", ok.body);

    // client_id may come from the assertion alone.
    let a = env.assertion(Algorithm::PS256, env.assertion_claims());
    let ok = env
        .token(&[
            ("grant_type", "client_credentials"),
            ("scope", GRAPH_DEFAULT),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", a.as_str()),
        ])
        .await;
    assert_eq!(ok.status, 200, "{:#}", ok.body);

    // With replay protection off, one assertion can be reused (MSAL caches them).
    env.settings(json!({"reject_assertion_replay": false}))
        .await;
    let a = env.assertion(Algorithm::PS256, env.assertion_claims());
    assert_eq!(post_assertion(&env, &a).await.status, 200);
    assert_eq!(post_assertion(&env, &a).await.status, 200);
    env.shutdown().await;
}

#[tokio::test]
async fn bad_assertions_are_refused_with_their_codes() {
    let env = start(None).await;
    // Expired (float exp an hour ago).
    let mut c = env.assertion_claims();
    c["exp"] = json!(now() - 3600.5);
    post_assertion(&env, &env.assertion(Algorithm::PS256, c))
        .await
        .assert_identity_error(401, "invalid_client", 700024);
    // Not yet valid.
    let mut c = env.assertion_claims();
    c["nbf"] = json!(now() + 3600.0);
    post_assertion(&env, &env.assertion(Algorithm::PS256, c))
        .await
        .assert_identity_error(401, "invalid_client", 700024);
    // Wrong audience.
    let mut c = env.assertion_claims();
    c["aud"] = json!("https://evil.example/7c4d9b1e-2f3a-4b5c-8d6e-0f1a2b3c4d5e/oauth2/v2.0/token");
    post_assertion(&env, &env.assertion(Algorithm::PS256, c))
        .await
        .assert_identity_error(401, "invalid_client", 700023);
    let mut c = env.assertion_claims();
    c["aud"] = json!(format!("{}/common/oauth2/v2.0/token", env.base()));
    post_assertion(&env, &env.assertion(Algorithm::PS256, c))
        .await
        .assert_identity_error(401, "invalid_client", 700023);
    // iss/sub not the client.
    let mut c = env.assertion_claims();
    c["sub"] = json!(SECRET_APP);
    post_assertion(&env, &env.assertion(Algorithm::PS256, c))
        .await
        .assert_identity_error(401, "invalid_client", 700021);
    // No jti.
    let mut c = env.assertion_claims();
    c.as_object_mut().unwrap().remove("jti");
    post_assertion(&env, &env.assertion(Algorithm::PS256, c))
        .await
        .assert_identity_error(401, "invalid_client", 50027);
    // Tampered claims: the signature no longer verifies.
    let good = env.assertion(Algorithm::PS256, env.assertion_claims());
    let parts: Vec<&str> = good.split('.').collect();
    let mut other = env.assertion_claims();
    other["exp"] = json!(now() + 590.0);
    let other = env.assertion(Algorithm::PS256, other);
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        other.split('.').nth(1).unwrap(),
        parts[2]
    );
    post_assertion(&env, &tampered)
        .await
        .assert_identity_error(401, "invalid_client", 700027);
    // Signed by a certificate that is not registered (another data dir's cert-app).
    let stranger = tempfile::tempdir().unwrap();
    let other_emu = start(Some(stranger.path().to_path_buf())).await;
    let foreign = sign_assertion(stranger.path(), Algorithm::PS256, env.assertion_claims());
    post_assertion(&env, &foreign)
        .await
        .assert_identity_error(401, "invalid_client", 700027);
    other_emu.shutdown().await;
    // Garbage.
    post_assertion(&env, "not-a-jwt")
        .await
        .assert_identity_error(401, "invalid_client", 50027);
    // A secret app has no certificate.
    let mut c = env.assertion_claims();
    c["iss"] = json!(SECRET_APP);
    c["sub"] = json!(SECRET_APP);
    let a = env.assertion(Algorithm::PS256, c);
    env.token(&[
        ("grant_type", "client_credentials"),
        ("client_id", SECRET_APP),
        ("scope", GRAPH_DEFAULT),
        (
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        ),
        ("client_assertion", a.as_str()),
    ])
    .await
    .assert_identity_error(401, "invalid_client", 700027);
    env.shutdown().await;
}

#[tokio::test]
async fn generated_certificate_files_exist_and_are_reused() {
    let dir = tempfile::tempdir().unwrap();
    let env = start(Some(dir.path().to_path_buf())).await;
    let paths = graphlink_emulator::identity::CredentialPaths::new(dir.path(), "cert-app");
    assert_eq!(paths.key, dir.path().join("credentials/cert-app.key.pem"));
    let cert = std::fs::read_to_string(&paths.cert).unwrap();
    let combined = std::fs::read_to_string(&paths.combined).unwrap();
    assert!(combined.contains("-----BEGIN PRIVATE KEY-----") && combined.contains(&cert));
    env.shutdown().await;
    let env = start(Some(dir.path().to_path_buf())).await;
    assert_eq!(std::fs::read_to_string(&paths.cert).unwrap(), cert);
    let ok = post_assertion(
        &env,
        &env.assertion(Algorithm::PS256, env.assertion_claims()),
    )
    .await;
    assert_eq!(ok.status, 200, "{:#}", ok.body);
    env.shutdown().await;
}
