//! The seed: the tenant, apps, users, sites and settings an emulator starts with.
//!
//! A seed is a TOML file (`graphlink emulator --seed FILE`); `graphlink emulator --print-seed`
//! prints the built-in default in the same format. Every section is optional and falls back to
//! the default seed's value.

use serde::{Deserialize, Serialize};

use crate::defaults;
use crate::faults::FaultRule;
use crate::graph::seed::SiteSeed;
use crate::teams::seed::{ChatSeed, TeamSeed};
use crate::Error;

/// The whole seed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Seed {
    /// The one tenant the emulator hosts.
    #[serde(default = "TenantSeed::default_tenant")]
    pub tenant: TenantSeed,
    /// Token lifetimes, paging and other knobs.
    #[serde(default)]
    pub settings: Settings,
    /// App registrations.
    #[serde(default = "AppSeed::defaults")]
    pub apps: Vec<AppSeed>,
    /// Users of the tenant (each gets a OneDrive).
    #[serde(default = "UserSeed::defaults")]
    pub users: Vec<UserSeed>,
    /// SharePoint sites and their document libraries.
    #[serde(default = "SiteSeed::defaults")]
    pub sites: Vec<SiteSeed>,
    /// Teams with their channels and members.
    #[serde(default = "TeamSeed::defaults")]
    pub teams: Vec<TeamSeed>,
    /// Chats that exist from the start.
    #[serde(default)]
    pub chats: Vec<ChatSeed>,
    /// Fault rules in force from the start.
    #[serde(default)]
    pub faults: Vec<FaultRule>,
}

/// The tenant.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TenantSeed {
    /// Tenant id (GUID).
    pub id: String,
    /// Verified domain, usable instead of the id in authorities.
    pub domain: String,
    /// The SharePoint host name of the tenant.
    pub sharepoint_host: String,
    /// Display name.
    pub display_name: String,
}

impl TenantSeed {
    fn default_tenant() -> Self {
        Self {
            id: defaults::TENANT_ID.into(),
            domain: defaults::TENANT_DOMAIN.into(),
            sharepoint_host: defaults::SHAREPOINT_HOST.into(),
            display_name: "Contoso".into(),
        }
    }
}

/// Emulator knobs; all can also be changed at run time with `PUT /_emulator/settings`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Access token lifetime in seconds (`expires_in`).
    pub access_token_lifetime_secs: u64,
    /// When set, token responses carry `refresh_in` with this many seconds.
    pub refresh_in_secs: Option<u64>,
    /// Refresh token lifetime in seconds.
    pub refresh_token_lifetime_secs: u64,
    /// Device code lifetime in seconds.
    pub device_code_lifetime_secs: u64,
    /// Device code polling interval in seconds.
    pub device_code_interval_secs: u64,
    /// Default page size of collection responses (Graph's is 200).
    pub page_size: usize,
    /// Lifetime of pre-authenticated download URLs, in seconds.
    pub download_url_lifetime_secs: u64,
    /// Lifetime of upload sessions, in seconds.
    pub upload_session_lifetime_secs: u64,
    /// Quota of every drive, in bytes (uploads beyond it answer 507 `quotaLimitReached`).
    pub drive_quota_bytes: u64,
    /// When set, Graph requests beyond this many per second per app answer 429
    /// `TooManyRequests` with a `Retry-After` (a token bucket with a burst of the same size).
    pub graph_requests_per_second: Option<f64>,
    /// Reject a client assertion whose `jti` was already used (`invalid_client`). MSAL reuses one
    /// assertion for up to nine minutes, so turn this off to let MSAL's certificate clients fetch
    /// tokens more than once within that window.
    pub reject_assertion_replay: bool,
    /// Channel posts (messages and replies) allowed per second per app; beyond it Graph answers
    /// 429 with `Retry-After`. Zero turns the limit off.
    pub channel_post_rate_per_sec: f64,
    /// Channel posts an app may send at once before the rate applies.
    pub channel_post_burst: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            access_token_lifetime_secs: 3599,
            refresh_in_secs: None,
            refresh_token_lifetime_secs: 90 * 24 * 3600,
            device_code_lifetime_secs: 900,
            device_code_interval_secs: 5,
            page_size: 200,
            download_url_lifetime_secs: 3600,
            upload_session_lifetime_secs: 7 * 24 * 3600,
            drive_quota_bytes: 1 << 40,
            graph_requests_per_second: None,
            reject_assertion_replay: true,
            channel_post_rate_per_sec: 2.0,
            channel_post_burst: 4,
        }
    }
}

/// An app registration.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AppSeed {
    /// Display name.
    pub name: String,
    /// Application (client) id.
    pub client_id: String,
    /// Client secrets accepted for this app.
    #[serde(default)]
    pub secrets: Vec<String>,
    /// Secrets that exist but have expired (AADSTS7000222 when used).
    #[serde(default)]
    pub expired_secrets: Vec<String>,
    /// PEM certificate registered for the app, inline.
    #[serde(default)]
    pub certificate_pem: Option<String>,
    /// When true and no certificate is given, the emulator creates a key and certificate for
    /// the app in `DATA/credentials/{name}.key.pem` / `.cert.pem` on first start.
    #[serde(default)]
    pub generate_certificate: bool,
    /// Whether public-client flows (device code) are enabled.
    #[serde(default)]
    pub public_client: bool,
    /// Application permissions granted with admin consent (the `roles` claim).
    #[serde(default)]
    pub application_permissions: Vec<String>,
    /// Delegated scopes consented for every user (the `scp` claim draws from these).
    #[serde(default)]
    pub delegated_scopes: Vec<String>,
}

impl AppSeed {
    fn defaults() -> Vec<Self> {
        let app_roles = vec![
            "Files.ReadWrite.All".to_string(),
            "Sites.ReadWrite.All".to_string(),
        ];
        vec![
            AppSeed {
                name: "graphlink-daemon".into(),
                client_id: defaults::DAEMON_APP_ID.into(),
                secrets: vec![defaults::DAEMON_SECRET.into()],
                expired_secrets: vec![defaults::DAEMON_EXPIRED_SECRET.into()],
                certificate_pem: None,
                generate_certificate: false,
                public_client: false,
                application_permissions: app_roles.clone(),
                delegated_scopes: vec![],
            },
            AppSeed {
                name: "cert-app".into(),
                client_id: defaults::CERT_APP_ID.into(),
                secrets: vec![],
                expired_secrets: vec![],
                certificate_pem: None,
                generate_certificate: true,
                public_client: false,
                application_permissions: app_roles,
                delegated_scopes: vec![],
            },
            AppSeed {
                name: "graphlink-cli".into(),
                client_id: defaults::PUBLIC_APP_ID.into(),
                secrets: vec![],
                expired_secrets: vec![],
                certificate_pem: None,
                generate_certificate: false,
                public_client: true,
                application_permissions: vec![],
                delegated_scopes: [
                    "User.Read",
                    "Files.ReadWrite.All",
                    "Sites.ReadWrite.All",
                    "ChannelMessage.Send",
                    "ChatMessage.Send",
                    "Team.ReadBasic.All",
                    "Channel.ReadBasic.All",
                    "Chat.ReadWrite",
                    "offline_access",
                    "openid",
                    "profile",
                ]
                .into_iter()
                .map(String::from)
                .collect(),
            },
        ]
    }
}

/// A user of the tenant.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct UserSeed {
    /// Object id (GUID).
    pub id: String,
    /// User principal name (also the mail address).
    pub upn: String,
    /// Display name.
    pub display_name: String,
}

impl UserSeed {
    fn defaults() -> Vec<Self> {
        vec![
            UserSeed {
                id: defaults::ADELE_ID.into(),
                upn: defaults::ADELE.into(),
                display_name: "Adele Vance".into(),
            },
            UserSeed {
                id: defaults::MEGAN_ID.into(),
                upn: defaults::MEGAN.into(),
                display_name: "Megan Bowen".into(),
            },
        ]
    }
}

impl Default for Seed {
    fn default() -> Self {
        Self {
            tenant: TenantSeed::default_tenant(),
            settings: Settings::default(),
            apps: AppSeed::defaults(),
            users: UserSeed::defaults(),
            sites: SiteSeed::defaults(),
            teams: TeamSeed::defaults(),
            chats: Vec::new(),
            faults: Vec::new(),
        }
    }
}

impl Seed {
    /// Parses a seed from TOML text; `origin` names the file in errors.
    pub fn from_toml(text: &str, origin: &str) -> Result<Self, Error> {
        let seed: Seed = toml::from_str(text).map_err(|e| Error::Seed {
            path: origin.to_string(),
            message: e.to_string(),
        })?;
        seed.validate(origin)?;
        Ok(seed)
    }

    /// Reads and parses a seed file.
    pub fn from_file(path: &std::path::Path) -> Result<Self, Error> {
        let text = std::fs::read_to_string(path).map_err(Error::io("reading", path))?;
        Self::from_toml(&text, &path.display().to_string())
    }

    /// The seed as TOML, in the format [`Seed::from_toml`] reads.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_default()
    }

    /// Checks cross-field rules: unique client ids and UPNs, non-empty ids.
    pub fn validate(&self, origin: &str) -> Result<(), Error> {
        let fail = |message: String| Error::Seed {
            path: origin.to_string(),
            message,
        };
        let mut ids = std::collections::HashSet::new();
        for (i, app) in self.apps.iter().enumerate() {
            if app.client_id.trim().is_empty() {
                return Err(fail(format!("apps[{i}].client_id is empty")));
            }
            if !ids.insert(app.client_id.to_ascii_lowercase()) {
                return Err(fail(format!(
                    "apps[{i}].client_id {} is used twice",
                    app.client_id
                )));
            }
        }
        let mut upns = std::collections::HashSet::new();
        for (i, user) in self.users.iter().enumerate() {
            if !upns.insert(user.upn.to_ascii_lowercase()) {
                return Err(fail(format!("users[{i}].upn {} is used twice", user.upn)));
            }
        }
        crate::teams::validate::validate(&self.teams, &self.chats, |u| self.user(u).is_some())
            .map_err(fail)?;
        Ok(())
    }

    /// The app with this client id (case-insensitive).
    pub fn app(&self, client_id: &str) -> Option<&AppSeed> {
        self.apps
            .iter()
            .find(|a| a.client_id.eq_ignore_ascii_case(client_id))
    }

    /// The user with this UPN or object id (case-insensitive).
    pub fn user(&self, upn_or_id: &str) -> Option<&UserSeed> {
        self.users
            .iter()
            .find(|u| u.upn.eq_ignore_ascii_case(upn_or_id) || u.id.eq_ignore_ascii_case(upn_or_id))
    }

    /// Whether `tenant` (id or domain, case-insensitive) names this emulator's tenant.
    pub fn is_tenant(&self, tenant: &str) -> bool {
        tenant.eq_ignore_ascii_case(&self.tenant.id)
            || tenant.eq_ignore_ascii_case(&self.tenant.domain)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_seed_round_trips_through_its_printed_form() {
        let seed = Seed::default();
        let text = seed.to_toml();
        let back = Seed::from_toml(&text, "printed").unwrap();
        assert_eq!(seed, back);
    }

    #[test]
    fn unknown_field_is_named_in_the_error() {
        let err = Seed::from_toml(
            "[tenant]\nid='x'\ndomain='d'\nsharepoint_host='h'\ndisplay_name='n'\ncolour='red'\n",
            "seed.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("seed.toml") && err.contains("colour"), "{err}");
    }
}
