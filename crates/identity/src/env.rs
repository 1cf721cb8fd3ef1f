//! Credentials from the environment, following the Azure SDK's `EnvironmentCredential`
//! conventions.
//!
//! | variable | meaning |
//! |---|---|
//! | `AZURE_TENANT_ID` | tenant id or domain (required) |
//! | `AZURE_CLIENT_ID` | application (client) id (required) |
//! | `AZURE_CLIENT_SECRET` | client secret (wins over a certificate, as in the Azure SDK) |
//! | `AZURE_CLIENT_CERTIFICATE_PATH` | one PEM file holding the private key and the certificate |
//! | `AZURE_AUTHORITY_HOST` | login host (`https://login.microsoftonline.us`); default global |
//! | `GRAPHLINK_GRAPH_BASE` | graphlink's addition: the Graph base URL for a custom authority host |
//!
//! Empty values count as unset.

use std::path::Path;
use std::sync::Arc;

use crate::authority::{Authority, AuthorityOptions, Cloud};
use crate::connection::{ConnectionConfig, ConnectionCredential};
use crate::credential::ClientCertificate;
use crate::rules::check_client_id;
use crate::secret::Secret;
use crate::Error;

/// Tenant id variable.
pub const AZURE_TENANT_ID: &str = "AZURE_TENANT_ID";
/// Client id variable.
pub const AZURE_CLIENT_ID: &str = "AZURE_CLIENT_ID";
/// Client secret variable.
pub const AZURE_CLIENT_SECRET: &str = "AZURE_CLIENT_SECRET";
/// Certificate (PEM with key) path variable.
pub const AZURE_CLIENT_CERTIFICATE_PATH: &str = "AZURE_CLIENT_CERTIFICATE_PATH";
/// Certificate password variable (unsupported: PEM keys must be unencrypted).
pub const AZURE_CLIENT_CERTIFICATE_PASSWORD: &str = "AZURE_CLIENT_CERTIFICATE_PASSWORD";
/// Authority host variable.
pub const AZURE_AUTHORITY_HOST: &str = "AZURE_AUTHORITY_HOST";
/// Graph base variable for custom authority hosts (graphlink's own).
pub const GRAPHLINK_GRAPH_BASE: &str = "GRAPHLINK_GRAPH_BASE";

/// Builds a client-credentials connection named `connection` from environment variables read
/// through `lookup` (pass `|k| std::env::var(k).ok()` for the process environment).
pub fn from_env(
    connection: &str,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<ConnectionConfig, Error> {
    let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
    let tenant = get(AZURE_TENANT_ID)
        .ok_or_else(|| Error::config(AZURE_TENANT_ID, "is not set (tenant id or domain)"))?;
    let client_id = get(AZURE_CLIENT_ID)
        .ok_or_else(|| Error::config(AZURE_CLIENT_ID, "is not set (application id)"))?;
    let client_id = check_client_id(&client_id).map_err(|e| e.in_field(AZURE_CLIENT_ID))?;
    let graph_base = get(GRAPHLINK_GRAPH_BASE);
    let authority = match get(AZURE_AUTHORITY_HOST) {
        None => match &graph_base {
            None => Authority::new(Cloud::Global, &tenant),
            Some(_) => Err(Error::config(
                GRAPHLINK_GRAPH_BASE,
                format!("is set but {AZURE_AUTHORITY_HOST} is not"),
            )),
        },
        Some(host) => {
            let host = host.trim().trim_end_matches('/');
            let host = if host.contains("://") {
                host.to_string()
            } else {
                format!("https://{host}")
            };
            Authority::parse(
                &format!("{host}/{}", tenant.trim()),
                graph_base.as_deref(),
                AuthorityOptions::default(),
            )
            .map_err(|e| match &e {
                Error::Config { field, .. } if field == "authority" => {
                    e.in_field(AZURE_AUTHORITY_HOST)
                }
                Error::Config { field, .. } if field == "graph_base" => {
                    e.in_field(GRAPHLINK_GRAPH_BASE)
                }
                _ => e,
            })
        }
    }
    .map_err(|e| match &e {
        Error::Config { field, .. } if field == "authority" => e.in_field(AZURE_TENANT_ID),
        _ => e,
    })?;
    authority
        .tenant()
        .require_concrete()
        .map_err(|e| e.in_field(AZURE_TENANT_ID))?;
    let credential = if let Some(secret) = get(AZURE_CLIENT_SECRET) {
        ConnectionCredential::ClientSecret(Secret::new(secret))
    } else if let Some(path) = get(AZURE_CLIENT_CERTIFICATE_PATH) {
        if get(AZURE_CLIENT_CERTIFICATE_PASSWORD).is_some() {
            return Err(Error::config(
                AZURE_CLIENT_CERTIFICATE_PASSWORD,
                "password-protected certificates are not supported: use a PEM file with an unencrypted key",
            ));
        }
        let cert =
            ClientCertificate::from_pem_file(Path::new(path.trim())).map_err(|e| match e {
                Error::Config { reason, .. } => Error::config(
                    format!("{AZURE_CLIENT_CERTIFICATE_PATH} ({})", path.trim()),
                    reason,
                ),
                other => other,
            })?;
        ConnectionCredential::ClientCertificate(Arc::new(cert))
    } else {
        return Err(Error::config(
            AZURE_CLIENT_SECRET,
            format!("neither {AZURE_CLIENT_SECRET} nor {AZURE_CLIENT_CERTIFICATE_PATH} is set"),
        ));
    };
    Ok(ConnectionConfig {
        name: connection.to_string(),
        authority,
        client_id,
        scopes: Vec::new(),
        credential,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const TID: &str = "7c4d9b1e-2f3a-4b5c-8d6e-0f1a2b3c4d5e";
    const APP: &str = "11111111-1111-4111-8111-111111111111";

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    fn field_of(e: Error) -> String {
        match e {
            Error::Config { field, .. } => field,
            other => panic!("expected a config error, got {other:?}"),
        }
    }

    #[test]
    fn secret_from_env_with_default_cloud() {
        let c = from_env(
            "env",
            env(&[
                (AZURE_TENANT_ID, TID),
                (AZURE_CLIENT_ID, APP),
                (AZURE_CLIENT_SECRET, "s"),
            ]),
        )
        .unwrap();
        assert_eq!(c.authority.cloud(), &Cloud::Global);
        assert_eq!(
            c.authority.url(),
            format!("https://login.microsoftonline.com/{TID}")
        );
        assert_eq!(c.client_id, APP);
        assert!(
            matches!(c.credential, ConnectionCredential::ClientSecret(ref s) if s.expose() == "s")
        );
    }

    #[test]
    fn authority_host_selects_the_cloud_or_a_custom_one() {
        let base = [
            (AZURE_TENANT_ID, TID),
            (AZURE_CLIENT_ID, APP),
            (AZURE_CLIENT_SECRET, "s"),
        ];
        let with = |extra: &[(&'static str, &'static str)]| {
            let mut all = base.to_vec();
            all.extend_from_slice(extra);
            from_env("env", env(&all))
        };
        assert_eq!(
            with(&[(AZURE_AUTHORITY_HOST, "https://login.microsoftonline.us/")])
                .unwrap()
                .authority
                .cloud(),
            &Cloud::UsGov
        );
        assert_eq!(
            with(&[(AZURE_AUTHORITY_HOST, "login.chinacloudapi.cn")])
                .unwrap()
                .authority
                .cloud(),
            &Cloud::China
        );
        let custom = with(&[
            (AZURE_AUTHORITY_HOST, "https://127.0.0.1:8443"),
            (GRAPHLINK_GRAPH_BASE, "https://127.0.0.1:8443"),
        ])
        .unwrap();
        assert_eq!(
            custom.authority.token_endpoint(),
            format!("https://127.0.0.1:8443/{TID}/oauth2/v2.0/token")
        );
        assert_eq!(
            field_of(with(&[(AZURE_AUTHORITY_HOST, "https://127.0.0.1:8443")]).unwrap_err()),
            GRAPHLINK_GRAPH_BASE
        );
        let plain = [
            (AZURE_AUTHORITY_HOST, "http://login.example"),
            (GRAPHLINK_GRAPH_BASE, "https://graph.example"),
        ];
        assert_eq!(field_of(with(&plain).unwrap_err()), AZURE_AUTHORITY_HOST);
        assert_eq!(
            field_of(with(&[(GRAPHLINK_GRAPH_BASE, "https://x")]).unwrap_err()),
            GRAPHLINK_GRAPH_BASE
        );
    }

    #[test]
    fn missing_or_invalid_variables_are_named() {
        assert_eq!(
            field_of(from_env("e", env(&[])).unwrap_err()),
            AZURE_TENANT_ID
        );
        assert_eq!(
            field_of(from_env("e", env(&[(AZURE_TENANT_ID, TID)])).unwrap_err()),
            AZURE_CLIENT_ID
        );
        // The client id follows the one rule of identity: a GUID.
        let err = from_env(
            "e",
            env(&[
                (AZURE_TENANT_ID, TID),
                (AZURE_CLIENT_ID, "app"),
                (AZURE_CLIENT_SECRET, "s"),
            ]),
        )
        .unwrap_err();
        assert!(err.to_string().contains("not an application id"), "{err}");
        assert_eq!(field_of(err), AZURE_CLIENT_ID);
        assert_eq!(
            field_of(
                from_env(
                    "e",
                    env(&[
                        (AZURE_TENANT_ID, TID),
                        (AZURE_CLIENT_ID, APP),
                        (AZURE_CLIENT_SECRET, " ")
                    ])
                )
                .unwrap_err()
            ),
            AZURE_CLIENT_SECRET
        );
        assert_eq!(
            field_of(
                from_env(
                    "e",
                    env(&[
                        (AZURE_TENANT_ID, "common"),
                        (AZURE_CLIENT_ID, APP),
                        (AZURE_CLIENT_SECRET, "s")
                    ])
                )
                .unwrap_err()
            ),
            AZURE_TENANT_ID
        );
        assert_eq!(
            field_of(
                from_env(
                    "e",
                    env(&[
                        (AZURE_TENANT_ID, "not a tenant"),
                        (AZURE_CLIENT_ID, APP),
                        (AZURE_CLIENT_SECRET, "s")
                    ])
                )
                .unwrap_err()
            ),
            AZURE_TENANT_ID
        );
        let err = from_env(
            "e",
            env(&[
                (AZURE_TENANT_ID, TID),
                (AZURE_CLIENT_ID, APP),
                (AZURE_CLIENT_CERTIFICATE_PATH, "/nonexistent/cert.pem"),
            ]),
        )
        .unwrap_err();
        assert!(field_of(err).starts_with(AZURE_CLIENT_CERTIFICATE_PATH));
        let err = from_env(
            "e",
            env(&[
                (AZURE_TENANT_ID, TID),
                (AZURE_CLIENT_ID, APP),
                (AZURE_CLIENT_CERTIFICATE_PATH, "/x.pem"),
                (AZURE_CLIENT_CERTIFICATE_PASSWORD, "pw"),
            ]),
        )
        .unwrap_err();
        assert_eq!(field_of(err), AZURE_CLIENT_CERTIFICATE_PASSWORD);
    }

    #[test]
    fn certificate_from_env() {
        let (key, cert) = crate::testutil::key_and_cert();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.pem");
        std::fs::write(&path, format!("{key}{cert}")).unwrap();
        let c = from_env(
            "e",
            env(&[
                (AZURE_TENANT_ID, TID),
                (AZURE_CLIENT_ID, APP),
                (AZURE_CLIENT_CERTIFICATE_PATH, path.to_str().unwrap()),
            ]),
        )
        .unwrap();
        assert!(matches!(
            c.credential,
            ConnectionCredential::ClientCertificate(_)
        ));
    }
}
