//! Device code flow: the devicecode endpoint, the login page (HTML form POST), polling answers
//! (pending, slow_down, declined, expired, bad code), and the tokens of an approved code.

use crate::identity_support;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use identity_support::*;
use serde_json::{json, Value};

const USER_SCOPES: &str =
    "User.Read https://graph.microsoft.com/Files.ReadWrite.All offline_access openid profile";

async fn start_flow(env: &Env, client_id: &str, scope: &str) -> Answer {
    env.post_form(
        &format!("{}/{TENANT}/oauth2/v2.0/devicecode", env.base()),
        &[("client_id", client_id), ("scope", scope)],
    )
    .await
}

async fn poll(env: &Env, device_code: &str) -> Answer {
    env.token(&[
        ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
        ("client_id", PUBLIC_APP),
        ("device_code", device_code),
        ("code", device_code),
        ("client_info", "1"),
        (
            "claims",
            "{\"access_token\":{\"xms_cc\":{\"values\":[\"CP1\"]}}}",
        ),
    ])
    .await
}

async fn login_page_post(env: &Env, form: &[(&str, &str)]) -> (u16, String) {
    let resp = env
        .http
        .post(format!("{}/devicelogin", env.base()))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    (status, resp.text().await.unwrap())
}

#[tokio::test]
async fn approve_on_the_page_then_poll_yields_user_tokens() {
    let env = start(None).await;
    let flow = start_flow(&env, PUBLIC_APP, USER_SCOPES).await;
    assert_eq!(flow.status, 200, "{:#}", flow.body);
    assert_eq!(flow.headers["cache-control"], "no-store, no-cache");
    let f = &flow.body;
    let user_code = f["user_code"].as_str().unwrap().to_string();
    let device_code = f["device_code"].as_str().unwrap().to_string();
    assert_eq!(user_code.len(), 8);
    assert!(user_code
        .chars()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()));
    assert!(device_code.len() > 40);
    let uri = format!("{}/devicelogin", env.base());
    assert_eq!(f["verification_uri"], uri.as_str());
    assert_eq!(f["expires_in"], 900);
    assert_eq!(f["interval"], 5);
    assert_eq!(
        f["message"],
        format!(
            "To sign in, use a web browser to open the page {uri} and enter the code {user_code} to authenticate."
        )
    );

    // Not approved yet; a second poll right away is too fast.
    poll(&env, &device_code)
        .await
        .assert_identity_error(400, "authorization_pending", 70016);
    poll(&env, &device_code)
        .await
        .assert_identity_error(400, "slow_down", 0);

    // The page lists the seed's users.
    let page = env.http.get(&uri).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("<form") && html.contains(ADELE) && html.contains("Megan Bowen"));
    assert!(html.contains("name=\"user_code\"") && html.contains("value=\"approve\""));

    // Approve with a lower-case, dashed code.
    let typed = format!("{}-{}", &user_code[..4], &user_code[4..]).to_lowercase();
    let (status, html) = login_page_post(
        &env,
        &[
            ("user_code", &typed),
            ("upn", ADELE),
            ("decision", "approve"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("Adele Vance") && html.contains("graphlink-cli"),
        "{html}"
    );

    let tokens = poll(&env, &device_code).await;
    assert_eq!(tokens.status, 200, "{:#}", tokens.body);
    let t = &tokens.body;
    assert_eq!(t["token_type"], "Bearer");
    assert_eq!(
        t["scope"],
        "User.Read Files.ReadWrite.All offline_access openid profile"
    );
    assert!(t["refresh_token"].as_str().is_some_and(|r| r.len() > 40));
    let at = claims(t["access_token"].as_str().unwrap());
    assert_eq!(at["scp"], "User.Read Files.ReadWrite.All");
    assert_eq!(at["oid"], ADELE_ID);
    assert_eq!(at["upn"], ADELE);
    assert_eq!(at["name"], "Adele Vance");
    assert_eq!(at["appid"], PUBLIC_APP);
    assert_eq!(at["aud"], "https://graph.microsoft.com");
    assert!(at.get("roles").is_none());
    let id = claims(t["id_token"].as_str().unwrap());
    assert_eq!(id["aud"], PUBLIC_APP);
    assert_eq!(id["iss"], format!("{}/{TENANT}/v2.0", env.base()));
    assert_eq!(id["tid"], TENANT);
    assert_eq!(id["oid"], ADELE_ID);
    assert_eq!(id["preferred_username"], ADELE);
    assert_eq!(id["name"], "Adele Vance");
    assert_eq!(id["ver"], "2.0");
    assert!(id["sub"].is_string() && id["exp"].is_i64() && id["iat"].is_i64());
    let info: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(t["client_info"].as_str().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(info, json!({"uid": ADELE_ID, "utid": TENANT}));

    // userinfo answers for the user's token.
    let info = env
        .http
        .get(format!("{}/oidc/userinfo", env.base()))
        .bearer_auth(t["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(info.status(), 200);
    let info: Value = info.json().await.unwrap();
    assert_eq!(info["preferred_username"], ADELE);

    // The code is spent.
    poll(&env, &device_code)
        .await
        .assert_identity_error(400, "invalid_grant", 70000);
    let (status, html) = login_page_post(
        &env,
        &[
            ("user_code", &user_code),
            ("upn", ADELE),
            ("decision", "approve"),
        ],
    )
    .await;
    assert_eq!(status, 400, "{html}");
    env.shutdown().await;
}

#[tokio::test]
async fn without_offline_access_or_openid_there_is_no_refresh_or_id_token() {
    let env = start(None).await;
    env.settings(json!({"device_code_interval_secs": 1})).await;
    let flow = start_flow(&env, PUBLIC_APP, "https://graph.microsoft.com/.default").await;
    assert_eq!(flow.status, 200, "{:#}", flow.body);
    assert_eq!(flow.body["interval"], 1);
    let user_code = flow.body["user_code"].as_str().unwrap();
    // The JSON admin variant of the page.
    let resp = env
        .http
        .post(format!("{}/_emulator/devicelogin", env.base()))
        .json(&json!({"user_code": user_code, "upn": "MEGAN@contoso.onmicrosoft.com", "decision": "approve"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let tokens = poll(&env, flow.body["device_code"].as_str().unwrap()).await;
    assert_eq!(tokens.status, 200, "{:#}", tokens.body);
    assert!(tokens.body.get("refresh_token").is_none());
    assert!(tokens.body.get("id_token").is_none());
    let at = claims(tokens.body["access_token"].as_str().unwrap());
    assert_eq!(at["upn"], "megan@contoso.onmicrosoft.com");
    let scp = at["scp"].as_str().unwrap();
    assert!(
        scp.contains("ChannelMessage.Send") && !scp.contains("openid"),
        "{scp}"
    );
    env.shutdown().await;
}

#[tokio::test]
async fn decline_expire_and_unknown_codes() {
    let env = start(None).await;
    // Declined.
    let flow = start_flow(&env, PUBLIC_APP, USER_SCOPES).await;
    let (status, html) = login_page_post(
        &env,
        &[
            ("user_code", flow.body["user_code"].as_str().unwrap()),
            ("decision", "decline"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert!(html.contains("declined"), "{html}");
    poll(&env, flow.body["device_code"].as_str().unwrap())
        .await
        .assert_identity_error(400, "authorization_declined", 0);

    // Unknown code on the page and at the token endpoint.
    let (status, _) = login_page_post(
        &env,
        &[
            ("user_code", "ZZZZZZZZ"),
            ("upn", ADELE),
            ("decision", "approve"),
        ],
    )
    .await;
    assert_eq!(status, 400);
    poll(&env, "DAQABIQEAAADnot-a-real-code")
        .await
        .assert_identity_error(400, "bad_verification_code", 70018);
    // Unknown user, missing decision.
    let flow = start_flow(&env, PUBLIC_APP, USER_SCOPES).await;
    let code = flow.body["user_code"].as_str().unwrap().to_string();
    let (status, html) = login_page_post(
        &env,
        &[
            ("user_code", &code),
            ("upn", "nobody@contoso.onmicrosoft.com"),
            ("decision", "approve"),
        ],
    )
    .await;
    assert_eq!(status, 400);
    assert!(html.contains("nobody@contoso.onmicrosoft.com"));
    let (status, _) = login_page_post(&env, &[("user_code", &code), ("upn", ADELE)]).await;
    assert_eq!(status, 400);

    // Expired: a zero lifetime expires at once.
    env.settings(json!({"device_code_lifetime_secs": 0})).await;
    let flow = start_flow(&env, PUBLIC_APP, USER_SCOPES).await;
    assert_eq!(flow.body["expires_in"], 0);
    let (status, html) = login_page_post(
        &env,
        &[
            ("user_code", flow.body["user_code"].as_str().unwrap()),
            ("upn", ADELE),
            ("decision", "approve"),
        ],
    )
    .await;
    assert_eq!(status, 400);
    assert!(html.contains("expired"), "{html}");
    poll(&env, flow.body["device_code"].as_str().unwrap())
        .await
        .assert_identity_error(400, "expired_token", 70020);
    env.shutdown().await;
}

#[tokio::test]
async fn devicecode_request_errors() {
    let env = start(None).await;
    // An app without public client flows.
    start_flow(&env, SECRET_APP, USER_SCOPES)
        .await
        .assert_identity_error(401, "invalid_client", 7000218);
    // Unknown app, missing scope, missing client_id.
    start_flow(&env, "99999999-9999-4999-8999-999999999999", USER_SCOPES)
        .await
        .assert_identity_error(400, "unauthorized_client", 700016);
    env.post_form(
        &format!("{}/{TENANT}/oauth2/v2.0/devicecode", env.base()),
        &[("client_id", PUBLIC_APP)],
    )
    .await
    .assert_identity_error(400, "invalid_request", 900144);
    env.post_form(
        &format!("{}/{TENANT}/oauth2/v2.0/devicecode", env.base()),
        &[("scope", USER_SCOPES)],
    )
    .await
    .assert_identity_error(400, "invalid_request", 900144);
    // A scope without consent; a scope of another resource.
    start_flow(&env, PUBLIC_APP, "User.Read Mail.Send offline_access")
        .await
        .assert_identity_error(400, "invalid_grant", 65001);
    start_flow(
        &env,
        PUBLIC_APP,
        "https://storage.azure.com/user_impersonation",
    )
    .await
    .assert_identity_error(400, "invalid_scope", 70011);
    // The device code grant needs a public client too.
    env.token(&[
        ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
        ("client_id", SECRET_APP),
        ("client_secret", SECRET),
        ("device_code", "whatever"),
    ])
    .await
    .assert_identity_error(401, "invalid_client", 7000218);
    env.token(&[
        ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
        ("client_id", PUBLIC_APP),
    ])
    .await
    .assert_identity_error(400, "invalid_request", 900144);
    // Device flow works under common and organizations.
    for tenant in ["common", "organizations"] {
        let flow = env
            .post_form(
                &format!("{}/{tenant}/oauth2/v2.0/devicecode", env.base()),
                &[("client_id", PUBLIC_APP), ("scope", USER_SCOPES)],
            )
            .await;
        assert_eq!(flow.status, 200, "{tenant}: {:#}", flow.body);
    }
    let admin = env.get(&format!("{}/_emulator/identity", env.base())).await;
    assert_eq!(admin.status, 200);
    assert_eq!(admin.body["device_codes"].as_array().unwrap().len(), 2);
    assert_eq!(admin.body["device_codes"][0]["status"], "pending");
    assert!(
        admin.body.to_string().find("DAQAB").is_none(),
        "device codes stay secret"
    );
    env.shutdown().await;
}
