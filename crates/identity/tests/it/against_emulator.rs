//! The real client against the real emulator over HTTPS on 127.0.0.1: client secret,
//! certificate, device flow, refresh with rotation, identity errors, throttling.

use crate::common;

use std::sync::Arc;

use common::*;
use graphlink_identity::cache::{CachedUserCredential, TokenStore};
use graphlink_identity::{
    device_login, logout, provider, status, DeviceCodePrompt, Error, Http, IdentityErrorKind,
    TokenCache, TokenProvider,
};
use serde_json::json;
use tokio_util::sync::CancellationToken;

const TOKEN_PATH: &str = "/oauth2/v2\\.0/token$";

/// Runs a device login for `config`; the prompt hands the code to a "browser" that takes
/// `decision` (or does nothing when `None`).
async fn login(
    env: &Env,
    config: &graphlink_identity::ConnectionConfig,
    decision: Option<&'static str>,
) -> (
    Result<graphlink_identity::AccountInfo, Error>,
    Vec<DeviceCodePrompt>,
) {
    let prompts = Arc::new(parking_lot::Mutex::new(Vec::new()));
    let seen = prompts.clone();
    let http = env.http.clone();
    let result = device_login(
        config,
        env.http.clone(),
        env.sender.clone(),
        env.cache_dir(),
        move |p: &DeviceCodePrompt| {
            seen.lock().push(p.clone());
            if let Some(decision) = decision {
                let (uri, code, http) = (
                    p.verification_uri.clone(),
                    p.user_code.clone(),
                    http.clone(),
                );
                tokio::spawn(async move {
                    let r = http
                        .post(uri)
                        .form(&[
                            ("user_code", code.as_str()),
                            ("upn", ADELE),
                            ("decision", decision),
                        ])
                        .send()
                        .await
                        .unwrap();
                    assert!(r.status().is_success());
                });
            }
        },
        &CancellationToken::new(),
    )
    .await;
    let prompts = prompts.lock().clone();
    (result, prompts)
}

async fn fast_device_flow(env: &Env) {
    env.settings(json!({"device_code_interval_secs": 1})).await;
}

fn identity_kind(err: &Error) -> IdentityErrorKind {
    err.identity()
        .unwrap_or_else(|| panic!("not an identity error: {err:?}"))
        .kind
}

/// Asserts neither the Display nor the Debug form of `err` contains any of `secrets`.
fn assert_no_secrets(err: &Error, secrets: &[&str]) {
    let text = format!("{err} | {err:?}");
    for s in secrets {
        assert!(!text.contains(s), "secret leaked in: {text}");
    }
}

#[tokio::test]
async fn client_secret_gets_an_app_token_once_and_caches_it() {
    let env = Env::start().await;
    let p = provider(
        &env.secret_config(SECRET),
        env.http.clone(),
        env.sender.clone(),
        env.cache_dir(),
    )
    .unwrap();
    let token = p.token().await.unwrap();
    let claims = claims(token.secret());
    assert_eq!(
        claims["appid"].as_str().or(claims["azp"].as_str()),
        Some(SECRET_APP)
    );
    let roles: Vec<&str> = claims["roles"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r.as_str())
        .collect();
    assert!(roles.contains(&"Files.ReadWrite.All"), "{roles:?}");
    assert!(!format!("{p:?}").contains(token.secret()));
    // Cached: no second request.
    assert_eq!(p.token().await.unwrap().secret(), token.secret());
    assert_eq!(env.count(TOKEN_PATH).await, 1);
    // A 401 from Graph invalidates it: the next call fetches a new one.
    p.invalidate(&token);
    let again = p.token().await.unwrap();
    assert_eq!(env.count(TOKEN_PATH).await, 2);
    p.invalidate(&token); // stale rejection: ignored
    assert_eq!(p.token().await.unwrap().secret(), again.secret());
    assert_eq!(env.count(TOKEN_PATH).await, 2);
}

#[tokio::test]
async fn hundred_concurrent_callers_send_one_token_request() {
    let env = Env::start().await;
    let p = provider(
        &env.secret_config(SECRET),
        env.http.clone(),
        env.sender.clone(),
        env.cache_dir(),
    )
    .unwrap();
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let p = p.clone();
            tokio::spawn(async move { p.token().await.map(|t| t.secret().to_string()) })
        })
        .collect();
    let mut tokens = std::collections::HashSet::new();
    for t in tasks {
        tokens.insert(t.await.unwrap().unwrap());
    }
    assert_eq!(tokens.len(), 1);
    assert_eq!(env.count(TOKEN_PATH).await, 1);
}

#[tokio::test]
async fn certificate_assertions_get_tokens_and_each_one_is_fresh() {
    let env = Env::start().await;
    let p = provider(
        &env.cert_config(env.emulator_cert()),
        env.http.clone(),
        env.sender.clone(),
        env.cache_dir(),
    )
    .unwrap();
    let first = p.token().await.unwrap();
    assert_eq!(
        claims(first.secret())["appid"]
            .as_str()
            .or(claims(first.secret())["azp"].as_str()),
        Some(CERT_APP)
    );
    // The emulator rejects replayed assertion ids: a second request must carry a new one.
    p.invalidate(&first);
    let second = p.token().await.unwrap();
    assert_ne!(first.secret(), second.secret());
    assert_eq!(env.count(TOKEN_PATH).await, 2);
}

#[tokio::test]
async fn device_flow_login_status_refresh_and_logout() {
    let env = Env::start().await;
    fast_device_flow(&env).await;
    let config = env.device_config("teams");
    assert!(status(&config, env.cache_dir()).unwrap().is_none());

    let (account, prompts) = login(&env, &config, Some("approve")).await;
    let account = account.unwrap();
    assert_eq!(account.username.as_deref(), Some(ADELE));
    assert_eq!(prompts.len(), 1);
    let prompt = &prompts[0];
    assert_eq!(
        prompt.verification_uri,
        format!("{}/devicelogin", env.base())
    );
    assert!(prompt.message.contains(&prompt.user_code), "{prompt:?}");

    let st = status(&config, env.cache_dir())
        .unwrap()
        .expect("signed in");
    assert_eq!(st.account.username.as_deref(), Some(ADELE));
    assert!(st.has_refresh_token);
    assert!(st.access_token_expires_at.is_some());
    assert!(
        st.scopes.iter().any(|s| s.contains("Files.ReadWrite.All")),
        "{:?}",
        st.scopes
    );
    assert!(
        !format!("{st:?}").contains("eyJ"),
        "status must not show tokens"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(env.cache_dir().join("tokens.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // A new process (provider) uses the stored access token without asking the platform.
    let before = env.count(TOKEN_PATH).await;
    let p = provider(
        &config,
        env.http.clone(),
        env.sender.clone(),
        env.cache_dir(),
    )
    .unwrap();
    let token = p.token().await.unwrap();
    assert_eq!(
        claims(token.secret())["upn"]
            .as_str()
            .or(claims(token.secret())["preferred_username"].as_str()),
        Some(ADELE)
    );
    assert_eq!(env.count(TOKEN_PATH).await, before);

    // Rejected token: refreshed with the refresh token, which rotates and is stored.
    let rt_before = stored_refresh_token(&env);
    p.invalidate(&token);
    let refreshed = p.token().await.unwrap();
    assert_ne!(refreshed.secret(), token.secret());
    assert_eq!(env.count(TOKEN_PATH).await, before + 1);
    let rt_after = stored_refresh_token(&env);
    assert_ne!(
        rt_before, rt_after,
        "the rotated refresh token must be stored"
    );

    // Another process sharing the cache picks up the refreshed token instead of refreshing.
    let other = provider(
        &config,
        env.http.clone(),
        env.sender.clone(),
        env.cache_dir(),
    )
    .unwrap();
    assert_eq!(other.token().await.unwrap().secret(), refreshed.secret());
    assert_eq!(env.count(TOKEN_PATH).await, before + 1);
    // ...and when it must refresh, it uses (and rotates) the latest refresh token.
    other.invalidate(&refreshed);
    let third = other.token().await.unwrap();
    assert_ne!(third.secret(), refreshed.secret());
    assert_ne!(stored_refresh_token(&env), rt_after);
    // The first provider, told its token was rejected, reuses the one the other process stored.
    p.invalidate(&refreshed);
    assert_eq!(p.token().await.unwrap().secret(), third.secret());
    assert_eq!(env.count(TOKEN_PATH).await, before + 2);

    assert!(logout(&config, env.cache_dir()).unwrap());
    assert!(!logout(&config, env.cache_dir()).unwrap());
    assert!(status(&config, env.cache_dir()).unwrap().is_none());
    let fresh = provider(
        &config,
        env.http.clone(),
        env.sender.clone(),
        env.cache_dir(),
    )
    .unwrap();
    let err = fresh.token().await.unwrap_err();
    assert!(matches!(err, Error::LoginRequired { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains("graphlink auth login --connection teams"),
        "{err}"
    );
}

fn stored_refresh_token(env: &Env) -> String {
    let file = TokenStore::new(env.cache_dir()).read().unwrap();
    let account = file.accounts.values().next().expect("an account");
    account
        .refresh_token
        .as_ref()
        .expect("refresh token")
        .expose()
        .to_string()
}

#[tokio::test]
async fn device_flow_declined_expired_and_cancelled() {
    let env = Env::start().await;
    fast_device_flow(&env).await;
    let config = env.device_config("teams");

    let (declined, _) = login(&env, &config, Some("decline")).await;
    let declined = declined.unwrap_err();
    assert_eq!(identity_kind(&declined), IdentityErrorKind::Declined);
    assert!(declined.to_string().contains("declined"), "{declined}");

    env.settings(json!({"device_code_lifetime_secs": 1})).await;
    let (expired, prompts) = login(&env, &config, None).await;
    let expired = expired.unwrap_err();
    assert_eq!(
        identity_kind(&expired),
        IdentityErrorKind::CodeExpired,
        "{expired}"
    );
    assert_eq!(prompts.len(), 1);
    assert!(status(&config, env.cache_dir()).unwrap().is_none());

    env.settings(json!({"device_code_lifetime_secs": 900}))
        .await;
    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    let err = device_login(
        &config,
        env.http.clone(),
        env.sender.clone(),
        env.cache_dir(),
        move |_p: &DeviceCodePrompt| trigger.cancel(),
        &cancel,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::Cancelled), "{err:?}");
}

#[tokio::test]
async fn expired_or_invalid_refresh_tokens_ask_for_a_new_login() {
    let env = Env::start().await;
    fast_device_flow(&env).await;
    env.settings(json!({"refresh_token_lifetime_secs": 1}))
        .await;
    let config = env.device_config("mail-drop");
    login(&env, &config, Some("approve")).await.0.unwrap();
    // Let the refresh token expire (a hang guard-free wait: the check is on the error, not time).
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let p = provider(
        &config,
        env.http.clone(),
        env.sender.clone(),
        env.cache_dir(),
    )
    .unwrap();
    let token = p.token().await.unwrap(); // the stored access token is still good
    p.invalidate(&token);
    let err = p.token().await.unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::LoginRequired { .. }), "{err:?}");
    assert!(
        text.contains("mail-drop") && text.contains("graphlink auth login --connection mail-drop"),
        "{text}"
    );
    assert!(text.contains("AADSTS700082"), "{text}");

    // A refresh token the platform does not know (revoked, corrupted) says the same.
    env.settings(json!({"refresh_token_lifetime_secs": 3600}))
        .await;
    login(&env, &config, Some("approve")).await.0.unwrap();
    let store = TokenStore::new(env.cache_dir());
    {
        let locked = store.lock().unwrap();
        let mut file = locked.read().unwrap();
        for a in file.accounts.values_mut() {
            a.refresh_token = Some(graphlink_identity::Secret::new("not-a-refresh-token"));
            a.access_token = None;
        }
        locked.write(&file).unwrap();
    }
    let p = provider(
        &config,
        env.http.clone(),
        env.sender.clone(),
        env.cache_dir(),
    )
    .unwrap();
    let err = p.token().await.unwrap_err();
    assert!(matches!(err, Error::LoginRequired { .. }), "{err:?}");
    assert_no_secrets(&err, &["not-a-refresh-token"]);

    // A connection bound to another app's sign-in is not silently given it.
    let mut other_app = config.clone();
    other_app.client_id = SECRET_APP.into();
    let cred = CachedUserCredential::new(
        Http::new(env.http.clone(), env.sender.clone()),
        other_app.authority.clone(),
        &other_app.client_id,
        vec![],
        &other_app.name,
        TokenStore::new(env.cache_dir()),
    );
    let err = TokenCache::new(cred).token().await.unwrap_err();
    assert!(err.to_string().contains("client"), "{err}");
}

#[tokio::test]
async fn identity_errors_are_typed_with_codes_ids_and_remedies() {
    let env = Env::start().await;
    let cases: Vec<(graphlink_identity::ConnectionConfig, u64, IdentityErrorKind)> = vec![
        (
            env.secret_config("wrong-secret-value"),
            7000215,
            IdentityErrorKind::WrongSecret,
        ),
        (
            env.secret_config(EXPIRED_SECRET),
            7000222,
            IdentityErrorKind::SecretExpired,
        ),
        (
            {
                let mut c = env.secret_config(SECRET);
                c.client_id = "99999999-9999-4999-8999-999999999999".into();
                c
            },
            700016,
            IdentityErrorKind::UnknownApp,
        ),
        (
            {
                let mut c = env.secret_config(SECRET);
                c.authority = env.authority_for("00000000-0000-4000-8000-000000000000");
                c
            },
            90002,
            IdentityErrorKind::UnknownTenant,
        ),
        (
            {
                let mut c = env.secret_config(SECRET);
                c.scopes = vec!["api://not-a-resource/.default".into()];
                c
            },
            0,
            IdentityErrorKind::BadScope,
        ),
    ];
    for (config, code, kind) in cases {
        let p = provider(
            &config,
            env.http.clone(),
            env.sender.clone(),
            env.cache_dir(),
        )
        .unwrap();
        let err = p.token().await.unwrap_err();
        let e = err.identity().unwrap_or_else(|| panic!("{err:?}"));
        assert_eq!(e.kind, kind, "{err}");
        if code != 0 {
            assert!(e.has_code(code), "{err}");
            assert!(err.to_string().contains(&format!("AADSTS{code}")), "{err}");
        } else {
            assert!(e.has_code(70011) || e.has_code(1002012), "{err}");
        }
        assert!(e.status >= 400);
        assert!(e.trace_id.is_some() && e.correlation_id.is_some(), "{e:?}");
        assert!(err.to_string().contains(e.trace_id.as_deref().unwrap()));
        assert!(err.to_string().contains(kind.hint()), "{err}");
        assert_no_secrets(&err, &[SECRET, EXPIRED_SECRET, "wrong-secret-value"]);
    }

    // A certificate the app does not know: the assertion is refused (700027).
    let (key, cert) = new_key_and_cert();
    let foreign =
        graphlink_identity::ClientCertificate::from_pem(key.as_bytes(), cert.as_bytes(), "foreign")
            .unwrap();
    let p = provider(
        &env.cert_config(foreign),
        env.http.clone(),
        env.sender.clone(),
        env.cache_dir(),
    )
    .unwrap();
    let err = p.token().await.unwrap_err();
    assert_eq!(
        identity_kind(&err),
        IdentityErrorKind::BadAssertion,
        "{err}"
    );
    assert!(err.identity().unwrap().has_code(700027), "{err}");
    assert_no_secrets(&err, &["PRIVATE KEY", "eyJ"]);

    // Device flow for an app without public-client flows: 7000218.
    let mut confidential = env.device_config("x");
    confidential.client_id = SECRET_APP.into();
    let (err, _) = login(&env, &confidential, None).await;
    let err = err.unwrap_err();
    assert_eq!(
        identity_kind(&err),
        IdentityErrorKind::NoCredential,
        "{err}"
    );
    assert!(err.identity().unwrap().has_code(7000218));

    // A delegated scope nobody consented to: 65001.
    let mut unconsented = env.device_config("x");
    unconsented.scopes = vec!["Mail.Read".into()];
    let (err, _) = login(&env, &unconsented, None).await;
    let err = err.unwrap_err();
    assert_eq!(
        identity_kind(&err),
        IdentityErrorKind::ConsentMissing,
        "{err}"
    );
    assert!(err.identity().unwrap().has_code(65001));
    assert!(err.to_string().contains("consent"), "{err}");
}

fn new_key_and_cert() -> (String, String) {
    use rsa::pkcs8::{EncodePrivateKey, LineEnding};
    let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).unwrap();
    let pem = key.to_pkcs8_pem(LineEnding::LF).unwrap().to_string();
    let pair = rcgen::KeyPair::from_pkcs8_pem_and_sign_algo(&pem, &rcgen::PKCS_RSA_SHA256).unwrap();
    let cert = rcgen::CertificateParams::new(vec!["foreign".to_string()])
        .unwrap()
        .self_signed(&pair)
        .unwrap();
    (pem, cert.pem())
}

#[tokio::test]
async fn throttled_token_requests_are_retried_after_retry_after() {
    let env = Env::start().await;
    env.faults(json!({
        "path": TOKEN_PATH,
        "sequence": [
            {"kind": "status", "status": 429, "retry_after": "0.2"},
            {"kind": "status", "status": 503, "retry_after": "1"},
            {"kind": "status", "status": 500},
            "pass"
        ]
    }))
    .await;
    let p = provider(
        &env.secret_config(SECRET),
        env.http.clone(),
        env.sender.clone(),
        env.cache_dir(),
    )
    .unwrap();
    p.token().await.unwrap();
    assert_eq!(env.count(TOKEN_PATH).await, 4);

    // Persistent throttling ends in a clear error naming the status, not a hang.
    env.faults(json!({"path": TOKEN_PATH, "fault": {"kind": "status", "status": 503, "retry_after": "0"}, "probability": 1.0}))
        .await;
    p.invalidate(&p.token().await.unwrap());
    let err = p.token().await.unwrap_err();
    assert!(err.to_string().contains("503"), "{err}");
    assert_no_secrets(&err, &[SECRET]);
}

#[tokio::test]
async fn refresh_in_from_the_server_triggers_an_early_refresh() {
    let env = Env::start().await;
    env.settings(json!({"refresh_in_secs": 1})).await;
    let p = provider(
        &env.secret_config(SECRET),
        env.http.clone(),
        env.sender.clone(),
        env.cache_dir(),
    )
    .unwrap();
    let first = p.token().await.unwrap();
    let lifetime = first
        .expires_at
        .duration_since(std::time::SystemTime::now())
        .unwrap();
    assert!(
        lifetime > std::time::Duration::from_secs(3000),
        "the token itself lives an hour"
    );
    assert_eq!(p.token().await.unwrap().secret(), first.secret());
    assert_eq!(env.count(TOKEN_PATH).await, 1);
    // Past refresh_in (not expiry), the next call refreshes.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let second = p.token().await.unwrap();
    assert_ne!(second.secret(), first.secret());
    assert_eq!(env.count(TOKEN_PATH).await, 2);
}

#[tokio::test]
async fn device_flow_survives_slow_down_and_pending_answers() {
    let env = Env::start().await;
    fast_device_flow(&env).await;
    // The first poll is told to slow down (+5 s), the second that the user is not done yet.
    env.faults(json!({
        "path": TOKEN_PATH,
        "sequence": [
            {"kind": "status", "status": 400, "code": "slow_down"},
            {"kind": "status", "status": 400, "code": "authorization_pending"},
            "pass"
        ]
    }))
    .await;
    let config = env.device_config("teams");
    let (account, prompts) = login(&env, &config, Some("approve")).await;
    assert_eq!(account.unwrap().username.as_deref(), Some(ADELE));
    assert_eq!(prompts[0].interval, std::time::Duration::from_secs(1));
    assert_eq!(env.count(TOKEN_PATH).await, 3);
}
