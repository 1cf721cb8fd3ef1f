//! Every error and every type holding a secret, formatted with `{}` and `{:?}`: no secret
//! string may appear.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::account::AccountInfo;
use crate::authority::{Authority, Cloud};
use crate::cache::{
    CacheFile, CachedAccount, CachedUserCredential, StoredAccessToken, TokenCache, TokenStore,
};
use crate::connection::{ConnectionConfig, ConnectionCredential};
use crate::credential::{ClientAuth, ClientCertificate, ClientCredentials, DeviceCodeFlow};
use crate::endpoint::{Http, TokenSet};
use crate::error::{IdentityError, IdentityErrorKind};
use crate::secret::Secret;
use crate::{AccessToken, Error, TokenProvider};

const CLIENT_SECRET: &str = "CLIENT-SECRET-7f3a";
const ACCESS: &str = "ACCESS-TOKEN-91bc";
const REFRESH: &str = "REFRESH-TOKEN-55de";
const APP: &str = "11111111-1111-4111-8111-111111111111";

fn check(label: &str, text: &str, secrets: &[&str]) {
    for s in secrets {
        assert!(!text.contains(s), "{label} leaks {s}: {text}");
    }
}

#[tokio::test]
async fn no_secret_in_any_display_or_debug_output() {
    let (key, cert_pem) = crate::testutil::key_and_cert();
    let key_body: Vec<&str> = key
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .take(3)
        .collect();
    let cert =
        Arc::new(ClientCertificate::from_pem(key.as_bytes(), cert_pem.as_bytes(), "t").unwrap());
    let assertion = cert
        .assertion("client", "https://login.test/t/oauth2/v2.0/token")
        .unwrap();
    let mut secrets: Vec<&str> = vec![CLIENT_SECRET, ACCESS, REFRESH, assertion.expose()];
    secrets.extend(key_body.iter().copied());
    // A JWT's signature part is the most specific substring of it.
    let sig = assertion.expose().rsplit('.').next().unwrap().to_string();
    secrets.push(&sig);

    let http = Http::new(reqwest::Client::new(), graphlink_http::Sender::default());
    let authority = Authority::new(Cloud::Global, "contoso.onmicrosoft.com").unwrap();
    let now = SystemTime::now();
    let access = AccessToken::new(ACCESS.into(), now + Duration::from_secs(3600), now);

    let mut debug_only: Vec<(&str, String)> = Vec::new();
    let secret = Secret::new(CLIENT_SECRET);
    debug_only.push(("Secret", format!("{secret:?}")));
    debug_only.push(("Assertion", format!("{assertion:?}")));
    debug_only.push(("AccessToken", format!("{access:?}")));
    debug_only.push(("ClientCertificate", format!("{cert:?}")));
    debug_only.push((
        "ClientAuth::Secret",
        format!("{:?}", ClientAuth::Secret(secret.clone())),
    ));
    debug_only.push((
        "ClientAuth::Certificate",
        format!("{:?}", ClientAuth::Certificate(cert.clone())),
    ));
    for credential in [
        ConnectionCredential::ClientSecret(secret.clone()),
        ConnectionCredential::ClientCertificate(cert.clone()),
        ConnectionCredential::DeviceFlow,
    ] {
        let config = ConnectionConfig {
            name: "c".into(),
            authority: authority.clone(),
            client_id: APP.into(),
            scopes: vec![],
            credential,
        };
        debug_only.push(("ConnectionConfig", format!("{config:?}")));
        let p = crate::provider(
            &config,
            reqwest::Client::new(),
            graphlink_http::Sender::default(),
            std::path::Path::new("/tmp/x"),
        )
        .unwrap();
        debug_only.push(("provider", format!("{p:?}")));
    }
    let cc = ClientCredentials::new(
        http.clone(),
        authority.clone(),
        APP,
        &[],
        ClientAuth::Secret(secret.clone()),
    )
    .unwrap();
    let cache = TokenCache::new(cc.clone());
    debug_only.push(("ClientCredentials", format!("{cc:?}")));
    // A cache holding a token.
    #[derive(Debug)]
    struct Fixed(AccessToken);
    #[async_trait::async_trait]
    impl crate::TokenFetcher for Fixed {
        async fn fetch(&self, _: Option<&AccessToken>) -> Result<AccessToken, Error> {
            Ok(self.0.clone())
        }
    }
    let filled = TokenCache::new(Fixed(AccessToken::new(
        ACCESS.into(),
        now + Duration::from_secs(3600),
        now + Duration::from_secs(1800),
    )));
    filled.token().await.unwrap();
    debug_only.push(("TokenCache", format!("{filled:?} {cache:?}")));
    debug_only.push((
        "DeviceCodeFlow",
        format!(
            "{:?}",
            DeviceCodeFlow::new(http.clone(), authority.clone(), APP, &[]).unwrap()
        ),
    ));
    let set = TokenSet {
        access: access.clone(),
        refresh_token: Some(Secret::new(REFRESH)),
        scopes: vec!["User.Read".into()],
        account: Some(AccountInfo::default()),
    };
    debug_only.push(("TokenSet", format!("{set:?}")));
    let account = CachedAccount {
        authority: authority.cache_key(),
        client_id: "client".into(),
        account: AccountInfo::default(),
        scopes: vec![],
        refresh_token: Some(Secret::new(REFRESH)),
        access_token: Some(StoredAccessToken::from_token(&access)),
        updated_at: 0,
    };
    let mut file = CacheFile::default();
    file.accounts.insert("k".into(), account);
    debug_only.push(("CacheFile", format!("{file:?}")));
    let user = CachedUserCredential::new(
        http.clone(),
        authority.clone(),
        "client",
        vec![],
        "c",
        TokenStore::new(std::path::Path::new("/tmp/x")),
    );
    debug_only.push(("CachedUserCredential", format!("{user:?}")));
    for (label, text) in &debug_only {
        check(label, text, &secrets);
    }

    let identity = IdentityError {
        endpoint: authority.token_endpoint(),
        status: 401,
        error: "invalid_client".into(),
        description: "AADSTS7000215: Invalid client secret provided.".into(),
        codes: vec![7000215],
        trace_id: Some("t".into()),
        correlation_id: Some("c".into()),
        kind: IdentityErrorKind::WrongSecret,
    };
    let errors = vec![
        Error::Transport {
            endpoint: authority.token_endpoint(),
            detail: "could not connect".into(),
        },
        Error::config("client_secret", "the client secret is empty"),
        Error::from(identity),
        Error::UnexpectedResponse {
            endpoint: authority.token_endpoint(),
            status: 502,
            detail: "x".into(),
        },
        Error::LoginRequired {
            connection: "c".into(),
            reason: "r".into(),
        },
        Error::Cancelled,
        Error::Cache {
            path: "/tmp/x".into(),
            detail: "d".into(),
        },
        // Real errors produced from bad inputs that contained secrets.
        ClientCredentials::new(
            http.clone(),
            Authority::new(Cloud::Global, "common").unwrap(),
            APP,
            &[],
            ClientAuth::Secret(secret.clone()),
        )
        .unwrap_err(),
        ClientCertificate::from_pem(key.as_bytes(), b"", "t").unwrap_err(),
    ];
    for e in &errors {
        check("Error", &format!("{e} {e:?}"), &secrets);
    }
}
