//! Refresh tokens: rotation, narrower scopes, errors, and persistence across a restart.

use crate::identity_support;

use identity_support::*;
use serde_json::json;

/// Runs a device flow for Adele through the admin decision endpoint; returns the token answer.
async fn sign_in(env: &Env, scope: &str) -> Answer {
    let flow = env
        .post_form(
            &format!("{}/{TENANT}/oauth2/v2.0/devicecode", env.base()),
            &[("client_id", PUBLIC_APP), ("scope", scope)],
        )
        .await;
    assert_eq!(flow.status, 200, "{:#}", flow.body);
    let resp = env
        .http
        .post(format!("{}/_emulator/devicelogin", env.base()))
        .json(&json!({"user_code": flow.body["user_code"], "upn": ADELE, "decision": "approve"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let tokens = env
        .token(&[
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ("client_id", PUBLIC_APP),
            ("device_code", flow.body["device_code"].as_str().unwrap()),
        ])
        .await;
    assert_eq!(tokens.status, 200, "{:#}", tokens.body);
    tokens
}

async fn refresh(env: &Env, token: &str, scope: Option<&str>) -> Answer {
    let mut form = vec![
        ("grant_type", "refresh_token"),
        ("client_id", PUBLIC_APP),
        ("refresh_token", token),
        ("client_info", "1"),
    ];
    if let Some(s) = scope {
        form.push(("scope", s));
    }
    env.token(&form).await
}

#[tokio::test]
async fn refresh_rotates_narrows_and_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let env = start(Some(dir.path().to_path_buf())).await;
    let first = sign_in(
        &env,
        "User.Read Files.ReadWrite.All Sites.ReadWrite.All offline_access openid profile",
    )
    .await;
    let rt1 = first.body["refresh_token"].as_str().unwrap().to_string();

    // Without scope: the original grant again, and a new refresh token.
    let second = refresh(&env, &rt1, None).await;
    assert_eq!(second.status, 200, "{:#}", second.body);
    assert_eq!(second.headers["cache-control"], "no-store, no-cache");
    let rt2 = second.body["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(rt1, rt2, "the refresh token rotates");
    let at = claims(second.body["access_token"].as_str().unwrap());
    assert_eq!(
        at["scp"],
        "User.Read Files.ReadWrite.All Sites.ReadWrite.All"
    );
    assert_eq!(at["upn"], ADELE);
    assert!(second.body["id_token"].is_string() && second.body["client_info"].is_string());

    // A narrower scope (what MSAL sends on a silent refresh).
    let narrow = refresh(
        &env,
        &rt2,
        Some("https://graph.microsoft.com/User.Read offline_access openid profile"),
    )
    .await;
    assert_eq!(narrow.status, 200, "{:#}", narrow.body);
    assert_eq!(
        claims(narrow.body["access_token"].as_str().unwrap())["scp"],
        "User.Read"
    );
    assert_eq!(
        narrow.body["scope"],
        "User.Read offline_access openid profile"
    );
    let rt3 = narrow.body["refresh_token"].as_str().unwrap().to_string();

    // A scope the app has no consent for.
    refresh(&env, &rt3, Some("Mail.Send offline_access"))
        .await
        .assert_identity_error(400, "invalid_grant", 65001);
    // Garbage and another app's use.
    refresh(&env, "1.AQnot-a-token", None)
        .await
        .assert_identity_error(400, "invalid_grant", 9002313);
    env.token(&[("grant_type", "refresh_token"), ("client_id", PUBLIC_APP)])
        .await
        .assert_identity_error(400, "invalid_request", 900144);
    env.token(&[
        ("grant_type", "refresh_token"),
        ("client_id", SECRET_APP),
        ("client_secret", SECRET),
        ("refresh_token", rt3.as_str()),
    ])
    .await
    .assert_identity_error(400, "invalid_grant", 70000);
    let admin = env.get(&format!("{}/_emulator/identity", env.base())).await;
    assert_eq!(admin.body["refresh_tokens"], 3);
    // Refresh tokens are stored hashed.
    let stored = std::fs::read_to_string(dir.path().join("identity.json")).unwrap();
    for rt in [&rt1, &rt2, &rt3] {
        assert!(!stored.contains(rt.as_str()));
    }
    env.shutdown().await;

    // After a restart on the same data, every issued refresh token still works (old ones stay
    // valid until their own expiry).
    let env = start(Some(dir.path().to_path_buf())).await;
    for rt in [&rt1, &rt3] {
        let again = refresh(&env, rt, None).await;
        assert_eq!(again.status, 200, "{:#}", again.body);
    }
    env.shutdown().await;
}

#[tokio::test]
async fn expired_refresh_token_answers_700082() {
    let env = start(None).await;
    env.settings(json!({"refresh_token_lifetime_secs": 0}))
        .await;
    let tokens = sign_in(&env, "User.Read offline_access").await;
    let rt = tokens.body["refresh_token"].as_str().unwrap();
    refresh(&env, rt, None)
        .await
        .assert_identity_error(400, "invalid_grant", 700082);
    env.shutdown().await;
}

#[tokio::test]
async fn absurd_lifetime_settings_do_not_break_the_endpoints() {
    let env = start(None).await;
    env.settings(json!({
        "access_token_lifetime_secs": u64::MAX,
        "refresh_token_lifetime_secs": u64::MAX,
        "device_code_lifetime_secs": u64::MAX,
        "device_code_interval_secs": u64::MAX,
    }))
    .await;
    let tokens = sign_in(&env, "User.Read offline_access").await;
    let again = refresh(&env, tokens.body["refresh_token"].as_str().unwrap(), None).await;
    assert_eq!(again.status, 200, "{:#}", again.body);
    env.shutdown().await;
}
