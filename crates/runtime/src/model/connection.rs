//! `[connection.NAME]`: an MS Graph connection. Its settings, and its checks: the identity
//! rules (client id, tenant, cloud names) are graphlink-identity's, called here.

use std::time::Duration;

use graphlink_identity::{check_client_id, Tenant};

use super::check::{literal, Checks};
use super::reader::{AssetReader, Tbl};
use super::settings::{
    count, duration, flag, keyword, keywords, list, settings, text, with, SettingExt, Settings,
};
use super::AssetMeta;
use crate::macros::Scope;

/// The cloud of a connection: graphlink-identity's cloud kinds (`global`, `usgov`,
/// `usgovdod`, `china`, `custom`, with identity's aliases).
pub use graphlink_identity::CloudKind as CloudSetting;

const STATIC: Option<Scope> = Some(Scope::Static);

/// How a connection authenticates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialSetting {
    /// `client-secret`: `client_secret` (a `${sec:..}` or `${env:..}` macro).
    ClientSecret {
        /// The secret setting (a macro, never plain text in a shared project).
        secret: String,
    },
    /// `client-certificate`: PEM private key and certificate files.
    ClientCertificate {
        /// Private key PEM path (may also contain the certificate).
        key: String,
        /// Certificate PEM path (defaults to the key file).
        certificate: Option<String>,
    },
    /// `device-flow`: a person signs in once.
    DeviceFlow,
}

keywords! {
    /// The `credential` keyword.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(crate) enum CredentialKind {
        /// OAuth client credentials with a client secret.
        ClientSecret = "client-secret" | "secret",
        /// OAuth client credentials with a certificate.
        ClientCertificate = "client-certificate" | "certificate",
        /// The device flow.
        DeviceFlow = "device-flow" | "device-code",
    }
}

settings! {
    /// An MS Graph connection.
    #[derive(Debug, Clone)]
    pub struct Connection {
        /// Common fields.
        pub meta: AssetMeta = with(|_, _| AssetMeta::unset()),
        /// The cloud.
        pub cloud: CloudSetting = keyword().or(CloudSetting::Global),
        /// A full authority URL (alternative to cloud + tenant).
        pub authority: Option<String> = text(STATIC),
        /// Custom cloud: identity platform base URL.
        pub authority_host: Option<String> = text(STATIC),
        /// Custom cloud: Graph base URL.
        pub graph_url: Option<String> = text(STATIC),
        /// Tenant id or domain.
        pub tenant: Option<String> = text(STATIC),
        /// Application (client) id.
        pub client_id: String = text(STATIC).required(" (the application id)").or_default(),
        /// The credential (`credential` and the keys it needs).
        pub credential: CredentialSetting = with(credential).needed(),
        /// Scopes.
        pub scopes: Vec<String> = list(STATIC),
        /// Extra CA certificate (PEM) to trust, e.g. the emulator's.
        pub ca_certificate: Option<String> = text(STATIC),
        /// Accept `http://` loopback URLs (emulator only).
        pub allow_insecure_http: bool = flag(false),
        /// Per-request timeout.
        pub timeout: Option<Duration> = duration(),
        /// Files in flight through this connection, all workflows together (at least 1).
        pub files_in_flight: u32 = count().or(DEFAULT_CONNECTION_FILES_IN_FLIGHT),
    }
}

/// Files in flight per connection unless its `files_in_flight` says otherwise.
pub const DEFAULT_CONNECTION_FILES_IN_FLIGHT: u32 = 32;

settings! {
    /// The keys of a credential, as written.
    pub(crate) struct CredentialKeys {
        /// `client-secret`, `client-certificate` or `device-flow`.
        pub credential: CredentialKind = keyword()
            .required(" (client-secret, client-certificate or device-flow)")
            .needed(),
        /// The client secret (a macro).
        pub client_secret: Option<String> = text(STATIC),
        /// The PEM private key file.
        pub certificate_key: Option<String> = text(STATIC),
        /// The PEM certificate file.
        pub certificate: Option<String> = text(STATIC),
    }
}

/// The credential; `None` when `credential` is missing or unknown.
fn credential(r: &mut AssetReader<'_>, t: &mut Tbl<'_>) -> Option<CredentialSetting> {
    let keys = CredentialKeys::read(r, t, "")?;
    Some(match keys.credential {
        CredentialKind::ClientSecret => {
            if keys.client_secret.is_none() {
                r.missing(
                    t,
                    "client_secret",
                    " for credential = \"client-secret\" (use ${sec:KEY} or ${env:NAME})",
                );
            }
            CredentialSetting::ClientSecret {
                secret: keys.client_secret.unwrap_or_default(),
            }
        }
        CredentialKind::ClientCertificate => {
            if keys.certificate_key.is_none() {
                r.missing(
                    t,
                    "certificate_key",
                    " for credential = \"client-certificate\" (PEM private key file)",
                );
            }
            CredentialSetting::ClientCertificate {
                key: keys.certificate_key.unwrap_or_default(),
                certificate: keys.certificate,
            }
        }
        CredentialKind::DeviceFlow => CredentialSetting::DeviceFlow,
    })
}

impl Connection {
    /// Whether the credential is app-only (client credentials: no signed-in user).
    pub fn is_app_only(&self) -> bool {
        !matches!(self.credential, CredentialSetting::DeviceFlow)
    }

    /// The checks of one connection.
    pub(crate) fn check(&self, c: &mut Checks<'_>) {
        let m = &self.meta;
        if self.files_in_flight == 0 {
            c.at(
                m,
                Some("files_in_flight"),
                "files_in_flight must be at least 1",
            );
        }
        match (&self.cloud, &self.authority) {
            (_, Some(_)) if self.tenant.is_some() => c.at(
                m,
                Some("tenant"),
                "give either 'authority' (a full URL with the tenant) or 'tenant', not both",
            ),
            (CloudSetting::Custom, None) => {
                if self.authority_host.is_none() {
                    c.at(
                        m,
                        Some("authority_host"),
                        "cloud = \"custom\" needs authority_host (the identity platform base URL)",
                    );
                }
                if self.graph_url.is_none() {
                    c.at(
                        m,
                        Some("graph_url"),
                        "cloud = \"custom\" needs graph_url (the Graph base URL)",
                    );
                }
            }
            (CloudSetting::Custom, Some(_)) if self.graph_url.is_none() => c.at(
                m,
                Some("graph_url"),
                "a custom authority needs graph_url (the Graph base URL)",
            ),
            (_, None) if self.authority_host.is_some() => c.at(
                m,
                Some("authority_host"),
                "authority_host is only used with cloud = \"custom\"",
            ),
            _ => {}
        }
        if self.authority.is_none() && self.tenant.is_none() {
            c.at(
                m,
                Some("tenant"),
                "missing tenant (tenant id or domain), or give a full 'authority' URL",
            );
        }
        for (field, url) in [
            ("authority", &self.authority),
            ("authority_host", &self.authority_host),
            ("graph_url", &self.graph_url),
        ] {
            if let Some(u) = url.as_deref().and_then(literal) {
                match u.split_once("://").map(|(scheme, _)| scheme) {
                    Some("https") => {}
                    Some("http") if self.allow_insecure_http => {}
                    Some("http") => c.at(m, Some(field), format!("'{u}' is plain http: set allow_insecure_http = true (local emulator only)")),
                    _ => c.at(m, Some(field), format!("'{u}' is not an http(s) URL")),
                }
            }
        }
        // Identity's rules. A setting holding macros is checked once resolved (when used).
        let written = |field: &str| m.strings.iter().any(|(f, _, _)| f == field);
        if written("client_id") {
            if let Err(e) = literal(&self.client_id).map_or(Ok(String::new()), check_client_id) {
                c.at(m, Some("client_id"), e.reason());
            }
        }
        if let Some(tenant) = self.tenant.as_deref().and_then(literal) {
            let checked = Tenant::parse(tenant).and_then(|t| {
                if self.is_app_only() {
                    t.require_concrete()
                } else {
                    Ok(())
                }
            });
            if let Err(e) = checked {
                c.at(m, Some("tenant"), e.reason());
            }
        }
        self.check_scopes(c);
        match &self.credential {
            CredentialSetting::ClientSecret { secret } => {
                if !secret.is_empty() && literal(secret).is_some() {
                    c.at(m, Some("client_secret"), "the client secret must not be written in plain text: use ${sec:KEY} or ${env:NAME}");
                }
            }
            CredentialSetting::ClientCertificate { key, certificate } => {
                c.file_exists(m, "certificate_key", key);
                if let Some(cert) = certificate {
                    c.file_exists(m, "certificate", cert);
                }
            }
            CredentialSetting::DeviceFlow => {}
        }
        if let Some(ca) = &self.ca_certificate {
            c.file_exists(m, "ca_certificate", ca);
        }
    }

    fn check_scopes(&self, c: &mut Checks<'_>) {
        let m = &self.meta;
        let defaults = self
            .scopes
            .iter()
            .filter(|s| s.ends_with("/.default"))
            .count();
        if self.is_app_only() {
            if self.scopes.len() > 1 || (self.scopes.len() == 1 && defaults == 0) {
                c.at(
                    m,
                    Some("scopes"),
                    "app-only credentials use exactly one scope '{graph}/.default' (or none): delegated scopes cannot be mixed in",
                );
            }
        } else {
            if self.scopes.is_empty() {
                c.at(m, Some("scopes"), "device flow needs delegated scopes, e.g. [\"User.Read\", \"Files.ReadWrite.All\"]");
            }
            if defaults > 0 && self.scopes.len() > 1 {
                c.at(
                    m,
                    Some("scopes"),
                    "'/.default' cannot be mixed with individual delegated scopes",
                );
            }
        }
    }
}
