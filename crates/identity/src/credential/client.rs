//! The client credentials grant: app-only tokens with a secret or a certificate.

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use crate::authority::Authority;
use crate::credential::ClientCertificate;
use crate::endpoint::{Http, TokenSet};
use crate::rules::check_client_id;
use crate::secret::Secret;
use crate::wire::TokenResponse;
use crate::{AccessToken, Error, TokenFetcher};

const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// How a confidential client proves its identity.
#[derive(Clone)]
pub enum ClientAuth {
    /// A client secret, sent in the request body.
    Secret(Secret),
    /// A certificate: every request carries a freshly signed assertion.
    Certificate(Arc<ClientCertificate>),
}

impl fmt::Debug for ClientAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientAuth::Secret(_) => f.write_str("Secret(<redacted>)"),
            ClientAuth::Certificate(c) => f.debug_tuple("Certificate").field(c).finish(),
        }
    }
}

/// A confidential client obtaining app-only tokens (client credentials grant).
#[derive(Debug, Clone)]
pub struct ClientCredentials {
    http: Http,
    authority: Authority,
    client_id: String,
    scope: String,
    auth: ClientAuth,
}

impl ClientCredentials {
    /// Validates the configuration: a concrete tenant, a client id, exactly one
    /// `{resource}/.default` scope (`scopes` empty means the cloud's Graph `.default`), and a
    /// non-empty secret.
    pub fn new(
        http: Http,
        authority: Authority,
        client_id: &str,
        scopes: &[String],
        auth: ClientAuth,
    ) -> Result<Self, Error> {
        authority.require_concrete_tenant()?;
        let client_id = check_client_id(client_id)?;
        let scope = app_scope(&authority, scopes)?;
        if let ClientAuth::Secret(s) = &auth {
            if s.is_blank() {
                return Err(Error::config("client_secret", "the client secret is empty"));
            }
        }
        Ok(Self {
            http,
            authority,
            client_id,
            scope,
            auth,
        })
    }

    /// The authority.
    pub fn authority(&self) -> &Authority {
        &self.authority
    }

    /// The scope requested (`{resource}/.default`).
    pub fn scope(&self) -> &str {
        &self.scope
    }

    /// Requests a new app-only token (no caching: wrap in a [`crate::TokenCache`]).
    pub async fn request_token(&self) -> Result<AccessToken, Error> {
        let endpoint = self.authority.token_endpoint();
        let assertion;
        let mut form: Vec<(&str, &str)> = vec![
            ("client_id", &self.client_id),
            ("grant_type", "client_credentials"),
            ("scope", &self.scope),
        ];
        match &self.auth {
            ClientAuth::Secret(secret) => form.push(("client_secret", secret.expose())),
            ClientAuth::Certificate(cert) => {
                assertion = cert.assertion(&self.client_id, &endpoint)?;
                form.push(("client_assertion_type", ASSERTION_TYPE));
                form.push(("client_assertion", assertion.expose()));
            }
        }
        let issued = SystemTime::now();
        let response: TokenResponse = self.http.post_form(&endpoint, &form).await?;
        Ok(TokenSet::from_response(response, issued).access)
    }
}

#[async_trait::async_trait]
impl TokenFetcher for ClientCredentials {
    async fn fetch(&self, _stale: Option<&AccessToken>) -> Result<AccessToken, Error> {
        self.request_token().await
    }
}

/// The app-only scope: exactly one `{resource}/.default`.
fn app_scope(authority: &Authority, scopes: &[String]) -> Result<String, Error> {
    let scopes: Vec<&str> = scopes.iter().flat_map(|s| s.split_whitespace()).collect();
    match scopes.as_slice() {
        [] => Ok(authority.app_scope()),
        [one] if one.ends_with("/.default") => Ok((*one).to_string()),
        [one] => Err(Error::config(
            "scopes",
            format!("'{one}' is not an app-only scope: client credentials need '{}' (a resource followed by /.default)", authority.app_scope()),
        )),
        _ => Err(Error::config(
            "scopes",
            format!("client credentials take exactly one scope, '{}'; delegated scopes need the device flow", authority.app_scope()),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authority::Cloud;

    const APP: &str = "11111111-1111-4111-8111-111111111111";

    fn http() -> Http {
        Http::new(reqwest::Client::new(), graphlink_http::Sender::default())
    }

    #[test]
    fn validation_names_the_field() {
        let a = Authority::new(Cloud::Global, "contoso.onmicrosoft.com").unwrap();
        let secret = || ClientAuth::Secret(Secret::new("s3cr3t-value"));
        let ok = ClientCredentials::new(http(), a.clone(), APP, &[], secret()).unwrap();
        assert_eq!(ok.scope(), "https://graph.microsoft.com/.default");
        let custom = ClientCredentials::new(
            http(),
            a.clone(),
            APP,
            &["api://x/.default".into()],
            secret(),
        )
        .unwrap();
        assert_eq!(custom.scope(), "api://x/.default");

        let cases: Vec<(Result<ClientCredentials, Error>, &str)> = vec![
            (
                ClientCredentials::new(http(), a.clone(), " ", &[], secret()),
                "client_id",
            ),
            (
                ClientCredentials::new(http(), a.clone(), "app", &[], secret()),
                "client_id",
            ),
            (
                ClientCredentials::new(http(), a.clone(), APP, &["User.Read".into()], secret()),
                "scopes",
            ),
            (
                ClientCredentials::new(
                    http(),
                    a.clone(),
                    APP,
                    &["https://graph.microsoft.com/.default User.Read".into()],
                    secret(),
                ),
                "scopes",
            ),
            (
                ClientCredentials::new(
                    http(),
                    a.clone(),
                    APP,
                    &[],
                    ClientAuth::Secret(Secret::new("")),
                ),
                "client_secret",
            ),
            (
                ClientCredentials::new(
                    http(),
                    Authority::new(Cloud::Global, "common").unwrap(),
                    APP,
                    &[],
                    secret(),
                ),
                "authority",
            ),
            (
                ClientCredentials::new(
                    http(),
                    Authority::new(Cloud::Global, "organizations").unwrap(),
                    APP,
                    &[],
                    secret(),
                ),
                "authority",
            ),
        ];
        for (result, field) in cases {
            match result {
                Err(Error::Config { field: f, .. }) => assert_eq!(f, field),
                other => panic!("expected a config error on {field}, got {other:?}"),
            }
        }
    }
}
