//! OpenID configuration, instance discovery and JWKS, over TLS.

use crate::identity_support;

use identity_support::*;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;

#[tokio::test]
async fn openid_configuration_for_id_domain_common_and_doubled_slashes() {
    let env = start(None).await;
    let base = env.base().to_string();
    for authority in [
        format!("{base}/{TENANT}/v2.0"),
        format!("{base}/{}/v2.0", DOMAIN.to_uppercase()),
        format!("{base}/{TENANT}//v2.0"),
        format!("{base}//{TENANT}/v2.0"),
        format!("{base}/{TENANT}"),
    ] {
        let doc = env
            .get(&format!("{authority}/.well-known/openid-configuration"))
            .await;
        assert_eq!(doc.status, 200, "{authority}: {:#}", doc.body);
        let d = &doc.body;
        assert_eq!(d["issuer"], format!("{base}/{TENANT}/v2.0"));
        assert_eq!(
            d["token_endpoint"],
            format!("{base}/{TENANT}/oauth2/v2.0/token")
        );
        assert_eq!(
            d["device_authorization_endpoint"],
            format!("{base}/{TENANT}/oauth2/v2.0/devicecode")
        );
        assert_eq!(
            d["authorization_endpoint"],
            format!("{base}/{TENANT}/oauth2/v2.0/authorize")
        );
        assert_eq!(
            d["jwks_uri"],
            format!("{base}/{TENANT}/discovery/v2.0/keys")
        );
        assert!(d["end_session_endpoint"].is_string());
        for m in [
            "client_secret_post",
            "private_key_jwt",
            "client_secret_basic",
        ] {
            assert!(
                d["token_endpoint_auth_methods_supported"]
                    .as_array()
                    .unwrap()
                    .contains(&Value::from(m)),
                "{m}"
            );
        }
        assert_eq!(d["id_token_signing_alg_values_supported"][0], "RS256");
        assert!(d["scopes_supported"].as_array().unwrap().len() >= 3);
        assert!(d["cloud_instance_name"].is_string());
        assert_eq!(d["msgraph_host"], base.trim_start_matches("https://"));
    }

    let common = env
        .get(&format!(
            "{base}/common/v2.0/.well-known/openid-configuration"
        ))
        .await;
    assert_eq!(common.status, 200);
    assert_eq!(
        common.body["token_endpoint"],
        format!("{base}/common/oauth2/v2.0/token")
    );
    assert_eq!(common.body["issuer"], format!("{base}/{{tenantid}}/v2.0"));

    // Absolute URLs follow the host the client used (over HTTP/2 that is `:authority`, not
    // `Host`), and behind a proxy the forwarded host.
    let localhost = base.replace("127.0.0.1", "localhost");
    let pem = std::fs::read(env.emu.ca_cert_path().unwrap()).unwrap();
    let h2 = reqwest::Client::builder()
        .use_rustls_tls()
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap())
        .http2_prior_knowledge()
        .build()
        .unwrap();
    let resp = h2
        .get(format!(
            "{localhost}/{TENANT}/v2.0/.well-known/openid-configuration"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.version(), reqwest::Version::HTTP_2);
    let doc: Value = resp.json().await.unwrap();
    assert_eq!(
        doc["token_endpoint"],
        format!("{localhost}/{TENANT}/oauth2/v2.0/token")
    );
    let resp = env
        .http
        .get(format!(
            "{base}/organizations/v2.0/.well-known/openid-configuration"
        ))
        .header("x-forwarded-host", "login.microsoftonline.com")
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .unwrap();
    let doc: Value = resp.json().await.unwrap();
    assert_eq!(
        doc["token_endpoint"],
        "https://login.microsoftonline.com/organizations/oauth2/v2.0/token"
    );
    env.shutdown().await;
}

#[tokio::test]
async fn unknown_tenant_and_consumers_answer_90002() {
    let env = start(None).await;
    let base = env.base().to_string();
    for tenant in ["fabrikam.onmicrosoft.com", "consumers"] {
        let resp = env
            .http
            .get(format!(
                "{base}/{tenant}/v2.0/.well-known/openid-configuration"
            ))
            .header("client-request-id", "0f0e0d0c-0000-4000-8000-000000000001")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 400);
        assert!(resp.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("no-store"));
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"], "invalid_tenant");
        assert_eq!(body["error_codes"][0], 90002);
        assert_eq!(
            body["correlation_id"],
            "0f0e0d0c-0000-4000-8000-000000000001"
        );
        let token = env
            .post_form(
                &format!("{base}/{tenant}/oauth2/v2.0/token"),
                &[
                    ("grant_type", "client_credentials"),
                    ("client_id", SECRET_APP),
                    ("client_secret", SECRET),
                    ("scope", GRAPH_DEFAULT),
                ],
            )
            .await;
        token.assert_identity_error(400, "invalid_tenant", 90002);
    }
    env.shutdown().await;
}

#[tokio::test]
async fn instance_discovery_names_the_emulator_host() {
    let env = start(None).await;
    let base = env.base().to_string();
    let host = base.trim_start_matches("https://").to_string();
    let auth = format!("{base}/{TENANT}/oauth2/v2.0/authorize");
    let resp = env
        .http
        .get(format!("{base}/common/discovery/instance"))
        .query(&[
            ("authorization_endpoint", auth.as_str()),
            ("api-version", "1.1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(
        body["tenant_discovery_endpoint"],
        format!("{base}/{TENANT}/v2.0/.well-known/openid-configuration")
    );
    assert_eq!(body["api-version"], "1.1");
    assert_eq!(body["metadata"][0]["preferred_network"], host.as_str());
    assert_eq!(body["metadata"][0]["aliases"][0], host.as_str());
    env.shutdown().await;
}

#[tokio::test]
async fn jwks_verifies_an_issued_token() {
    let env = start(None).await;
    let base = env.base().to_string();
    let issued = env
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", SECRET_APP),
            ("client_secret", SECRET),
            ("scope", GRAPH_DEFAULT),
        ])
        .await;
    assert_eq!(issued.status, 200, "{:#}", issued.body);
    let token = issued.body["access_token"].as_str().unwrap();
    let kid = jsonwebtoken::decode_header(token).unwrap().kid.unwrap();

    for url in [
        format!("{base}/{TENANT}/discovery/v2.0/keys"),
        format!("{base}/common/discovery/v2.0/keys"),
    ] {
        let jwks = env.get(&url).await;
        assert_eq!(jwks.status, 200);
        let key = jwks.body["keys"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["kid"] == kid.as_str())
            .expect("the token's kid is published");
        let decoding = DecodingKey::from_rsa_components(
            key["n"].as_str().unwrap(),
            key["e"].as_str().unwrap(),
        )
        .unwrap();
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_audience(&["https://graph.microsoft.com"]);
        let data = jsonwebtoken::decode::<Value>(token, &decoding, &validation).unwrap();
        assert_eq!(data.claims["tid"], TENANT);
        assert_eq!(data.claims["appid"], SECRET_APP);
    }

    // The emulator's own verifier (what the Graph side uses) accepts it too.
    let claims = env
        .emu
        .state()
        .keys
        .verify_access_token(token, &["https://graph.microsoft.com".to_string()])
        .unwrap();
    assert!(claims.is_app_only());
    assert!(claims.has_permission("Files.ReadWrite.All"));

    // userinfo wants a user's token.
    let resp = env
        .http
        .get(format!("{base}/oidc/userinfo"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    let resp = env
        .http
        .get(format!("{base}/oidc/userinfo"))
        .bearer_auth("garbage")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert!(resp.headers().contains_key("www-authenticate"));
    env.shutdown().await;
}
