//! Clouds and authorities: where tokens come from and which Graph they are for.

use std::fmt;
use std::net::IpAddr;

use crate::Error;

/// A Microsoft cloud: its login host and its Graph base URL. Tokens never cross clouds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cloud {
    /// The global (public) cloud: `login.microsoftonline.com`, `graph.microsoft.com`.
    Global,
    /// US Government (GCC High): `login.microsoftonline.us`, `graph.microsoft.us`.
    UsGov,
    /// US Government DoD: `login.microsoftonline.us`, `dod-graph.microsoft.us`.
    UsGovDod,
    /// China (operated by 21Vianet): `login.chinacloudapi.cn`, `microsoftgraph.chinacloudapi.cn`.
    China,
    /// Any other deployment (for example the local emulator), given explicitly.
    Custom {
        /// Base URL of the identity platform, without the tenant (`https://127.0.0.1:8443`).
        authority_host: String,
        /// Base URL of Graph, without the version (`https://127.0.0.1:8443`).
        graph_base: String,
    },
}

/// Which cloud a name selects, before any URL is known: the national clouds, or a custom
/// deployment whose URLs are given separately ([`Cloud::custom`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CloudKind {
    /// [`Cloud::Global`].
    Global,
    /// [`Cloud::UsGov`].
    UsGov,
    /// [`Cloud::UsGovDod`].
    UsGovDod,
    /// [`Cloud::China`].
    China,
    /// [`Cloud::Custom`]: the authority host and Graph base URL are given separately.
    Custom,
}

impl CloudKind {
    /// Every kind, in [`CloudKind::NAMES`] order.
    pub const ALL: [CloudKind; 5] = [
        CloudKind::Global,
        CloudKind::UsGov,
        CloudKind::UsGovDod,
        CloudKind::China,
        CloudKind::Custom,
    ];

    /// The canonical names, for "expected one of" messages: `global`, `usgov`, `usgovdod`,
    /// `china`, `custom`.
    pub const NAMES: [&'static str; 5] = ["global", "usgov", "usgovdod", "china", "custom"];

    /// The canonical name.
    pub fn name(self) -> &'static str {
        match self {
            CloudKind::Global => "global",
            CloudKind::UsGov => "usgov",
            CloudKind::UsGovDod => "usgovdod",
            CloudKind::China => "china",
            CloudKind::Custom => "custom",
        }
    }

    /// Parses a cloud name, ignoring case, blanks, `-` and `_`: `global` (also `public`,
    /// `azurepublic`, `azurepubliccloud`), `usgov` (also `gcchigh`, `usgovernment`,
    /// `azureusgovernment`), `usgovdod` (also `dod`, `usdod`), `china` (also `azurechina`,
    /// `azurechinacloud`), `custom`.
    pub fn from_name(name: &str) -> Option<Self> {
        let norm: String = name
            .chars()
            .filter(|c| !matches!(c, '-' | '_') && !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase();
        match norm.as_str() {
            "global" | "public" | "azurepublic" | "azurepubliccloud" => Some(CloudKind::Global),
            "usgov" | "gcchigh" | "azureusgovernment" | "usgovernment" => Some(CloudKind::UsGov),
            "usgovdod" | "dod" | "usdod" => Some(CloudKind::UsGovDod),
            "china" | "azurechina" | "azurechinacloud" => Some(CloudKind::China),
            "custom" => Some(CloudKind::Custom),
            _ => None,
        }
    }
}

impl fmt::Display for CloudKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Cloud {
    /// A custom cloud; trailing slashes are removed. The URLs are validated when an
    /// [`Authority`] is built from it.
    pub fn custom(authority_host: &str, graph_base: &str) -> Self {
        Cloud::Custom {
            authority_host: authority_host.trim().trim_end_matches('/').to_string(),
            graph_base: graph_base.trim().trim_end_matches('/').to_string(),
        }
    }

    /// Parses a cloud name ([`CloudKind::from_name`], aliases accepted). `custom` needs URLs:
    /// build it with [`Cloud::custom`].
    pub fn from_name(name: &str) -> Result<Self, Error> {
        match CloudKind::from_name(name) {
            Some(kind) => Cloud::known(kind).ok_or_else(|| {
                Error::config(
                    "cloud",
                    "a custom cloud needs an authority host and a Graph base URL",
                )
            }),
            None => Err(Error::config(
                "cloud",
                format!(
                    "unknown cloud '{name}': expected {} (with an authority host and a Graph base URL)",
                    CloudKind::NAMES.join(", ")
                ),
            )),
        }
    }

    /// The cloud of a known kind; `None` for [`CloudKind::Custom`] (which needs URLs).
    pub fn known(kind: CloudKind) -> Option<Self> {
        match kind {
            CloudKind::Global => Some(Cloud::Global),
            CloudKind::UsGov => Some(Cloud::UsGov),
            CloudKind::UsGovDod => Some(Cloud::UsGovDod),
            CloudKind::China => Some(Cloud::China),
            CloudKind::Custom => None,
        }
    }

    /// Which kind of cloud this is.
    pub fn kind(&self) -> CloudKind {
        match self {
            Cloud::Global => CloudKind::Global,
            Cloud::UsGov => CloudKind::UsGov,
            Cloud::UsGovDod => CloudKind::UsGovDod,
            Cloud::China => CloudKind::China,
            Cloud::Custom { .. } => CloudKind::Custom,
        }
    }

    /// The identity platform's base URL (scheme and host, no trailing slash).
    pub fn authority_host(&self) -> &str {
        match self {
            Cloud::Global => "https://login.microsoftonline.com",
            Cloud::UsGov | Cloud::UsGovDod => "https://login.microsoftonline.us",
            Cloud::China => "https://login.chinacloudapi.cn",
            Cloud::Custom { authority_host, .. } => authority_host,
        }
    }

    /// Graph's base URL (no version, no trailing slash).
    pub fn graph_base(&self) -> &str {
        match self {
            Cloud::Global => "https://graph.microsoft.com",
            Cloud::UsGov => "https://graph.microsoft.us",
            Cloud::UsGovDod => "https://dod-graph.microsoft.us",
            Cloud::China => "https://microsoftgraph.chinacloudapi.cn",
            Cloud::Custom { graph_base, .. } => graph_base,
        }
    }

    /// The national cloud using this login host, if any (`login.microsoftonline.us` is shared
    /// by both US clouds: `graph_base` decides, GCC High by default).
    fn from_login_host(host: &str, graph_base: Option<&str>) -> Option<Cloud> {
        let candidates: &[Cloud] = match host {
            "login.microsoftonline.com" | "login.microsoft.com" | "login.windows.net" => {
                &[Cloud::Global]
            }
            "login.microsoftonline.us" => &[Cloud::UsGov, Cloud::UsGovDod],
            "login.chinacloudapi.cn" | "login.partner.microsoftonline.cn" => &[Cloud::China],
            _ => return None,
        };
        match graph_base {
            None => candidates.first().cloned(),
            Some(g) => candidates.iter().find(|c| c.graph_base() == g).cloned(),
        }
    }
}

/// The tenant part of an authority.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tenant {
    /// A tenant id (GUID), lower case.
    Id(String),
    /// A verified domain of the tenant (`contoso.onmicrosoft.com`), lower case.
    Domain(String),
    /// Any work/school or personal account (user flows only).
    Common,
    /// Any work/school account (user flows only).
    Organizations,
    /// Personal Microsoft accounts only (user flows only).
    Consumers,
}

impl Tenant {
    /// Parses a tenant id, domain, `common`, `organizations` or `consumers`.
    pub fn parse(value: &str) -> Result<Self, Error> {
        let v = value.trim().to_ascii_lowercase();
        match v.as_str() {
            "common" => return Ok(Tenant::Common),
            "organizations" => return Ok(Tenant::Organizations),
            "consumers" => return Ok(Tenant::Consumers),
            _ => {}
        }
        if crate::rules::is_guid(&v) {
            return Ok(Tenant::Id(v));
        }
        let label_ok = |l: &str| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        };
        if v.contains('.') && v.split('.').all(label_ok) {
            return Ok(Tenant::Domain(v));
        }
        Err(Error::config(
            "authority",
            format!("tenant '{value}' is neither a tenant id (GUID), a domain (contoso.onmicrosoft.com), nor common/organizations/consumers"),
        ))
    }

    /// Whether this names one tenant (required by client credentials).
    pub fn is_concrete(&self) -> bool {
        matches!(self, Tenant::Id(_) | Tenant::Domain(_))
    }

    /// Fails with a configuration error (field `tenant`) unless this names one tenant: client
    /// credentials (secret or certificate) get app-only tokens of one tenant.
    pub fn require_concrete(&self) -> Result<(), Error> {
        if self.is_concrete() {
            Ok(())
        } else {
            Err(Error::config(
                "tenant",
                format!(
                    "client credentials (secret or certificate) need a concrete tenant id or domain, not '{self}'"
                ),
            ))
        }
    }

    /// The tenant as it appears in URLs.
    pub fn as_str(&self) -> &str {
        match self {
            Tenant::Id(s) | Tenant::Domain(s) => s,
            Tenant::Common => "common",
            Tenant::Organizations => "organizations",
            Tenant::Consumers => "consumers",
        }
    }
}

impl fmt::Display for Tenant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Options for building an [`Authority`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AuthorityOptions {
    /// Accept plain `http://` URLs. Only for a local emulator: even with this set, `http://`
    /// is accepted only for loopback hosts (`127.0.0.0/8`, `::1`, `localhost`).
    pub allow_insecure_http: bool,
}

/// An authority: a cloud's login endpoint and a tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authority {
    cloud: Cloud,
    tenant: Tenant,
}

impl Authority {
    /// An authority of `cloud` for `tenant` (https only).
    pub fn new(cloud: Cloud, tenant: &str) -> Result<Self, Error> {
        Self::with_options(cloud, tenant, AuthorityOptions::default())
    }

    /// An authority of `cloud` for `tenant`, with options.
    pub fn with_options(
        cloud: Cloud,
        tenant: &str,
        options: AuthorityOptions,
    ) -> Result<Self, Error> {
        let tenant = Tenant::parse(tenant)?;
        let cloud = match cloud {
            Cloud::Custom {
                authority_host,
                graph_base,
            } => Cloud::Custom {
                authority_host: check_base_url("authority", &authority_host, options)?,
                graph_base: check_base_url("graph_base", &graph_base, options)?,
            },
            other => other,
        };
        Ok(Self { cloud, tenant })
    }

    /// Parses an authority URL such as `https://login.microsoftonline.com/contoso.onmicrosoft.com`
    /// (a trailing slash is tolerated). A known login host selects its cloud; any other host
    /// needs `graph_base` and makes a [`Cloud::Custom`]. With a known host, `graph_base`
    /// picks between clouds sharing the host (US Gov / US Gov DoD).
    pub fn parse(
        url: &str,
        graph_base: Option<&str>,
        options: AuthorityOptions,
    ) -> Result<Self, Error> {
        let trimmed = url.trim();
        let parsed = url::Url::parse(trimmed).map_err(|e| {
            Error::config(
                "authority",
                format!("'{trimmed}' is not a URL ({e}); expected https://<login host>/<tenant>"),
            )
        })?;
        let segments: Vec<&str> = parsed.path().split('/').filter(|s| !s.is_empty()).collect();
        let Some((tenant, prefix)) = segments.split_last() else {
            return Err(Error::config(
                "authority",
                format!("'{trimmed}' has no tenant: expected https://<login host>/<tenant id or domain>"),
            ));
        };
        if parsed.query().is_some() || parsed.fragment().is_some() {
            return Err(Error::config(
                "authority",
                "the authority URL must not have a query or fragment",
            ));
        }
        let host = parsed.host_str().unwrap_or_default().to_ascii_lowercase();
        let mut base = format!("{}://{}", parsed.scheme(), host_with_port(&parsed));
        for seg in prefix {
            base.push('/');
            base.push_str(seg);
        }
        let graph_base = graph_base.map(|g| g.trim().trim_end_matches('/'));
        let known = if prefix.is_empty() && parsed.scheme() == "https" && parsed.port().is_none() {
            Cloud::from_login_host(&host, graph_base)
        } else {
            None
        };
        let cloud = match (known, graph_base) {
            (Some(cloud), _) => cloud,
            (None, Some(g)) => Cloud::custom(&base, g),
            (None, None) => {
                return Err(Error::config(
                    "graph_base",
                    format!("'{host}' is not a Microsoft login host: a custom authority needs the Graph base URL too"),
                ))
            }
        };
        Self::with_options(cloud, tenant, options)
    }

    /// The cloud.
    pub fn cloud(&self) -> &Cloud {
        &self.cloud
    }

    /// The tenant.
    pub fn tenant(&self) -> &Tenant {
        &self.tenant
    }

    /// The authority URL: `{login host}/{tenant}`, no trailing slash.
    pub fn url(&self) -> String {
        format!("{}/{}", self.cloud.authority_host(), self.tenant)
    }

    /// The token endpoint: `{authority}/oauth2/v2.0/token`.
    pub fn token_endpoint(&self) -> String {
        format!("{}/oauth2/v2.0/token", self.url())
    }

    /// The device authorization endpoint: `{authority}/oauth2/v2.0/devicecode`.
    pub fn device_code_endpoint(&self) -> String {
        format!("{}/oauth2/v2.0/devicecode", self.url())
    }

    /// Graph's base URL for this cloud (no version, no trailing slash).
    pub fn graph_base(&self) -> &str {
        self.cloud.graph_base()
    }

    /// The app-only scope: `{graph base}/.default`.
    pub fn app_scope(&self) -> String {
        format!("{}/.default", self.graph_base())
    }

    /// Fails with a configuration error if this authority cannot be used for client
    /// credentials (app-only tokens need one concrete tenant).
    pub fn require_concrete_tenant(&self) -> Result<(), Error> {
        self.tenant
            .require_concrete()
            .map_err(|e| e.in_field("authority"))
    }

    /// A stable identifier used to key cached tokens (lower-case authority URL).
    pub fn cache_key(&self) -> String {
        self.url().to_ascii_lowercase()
    }
}

impl fmt::Display for Authority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.url())
    }
}

fn host_with_port(url: &url::Url) -> String {
    let host = match url.host() {
        Some(url::Host::Ipv6(ip)) => format!("[{ip}]"),
        Some(h) => h.to_string().to_ascii_lowercase(),
        None => String::new(),
    };
    match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host,
    }
}

/// Validates a base URL (https, or http on loopback with the opt-in) and normalises it
/// (no trailing slash, no query).
fn check_base_url(field: &str, value: &str, options: AuthorityOptions) -> Result<String, Error> {
    let trimmed = value.trim().trim_end_matches('/');
    let parsed = url::Url::parse(trimmed)
        .map_err(|e| Error::config(field, format!("'{trimmed}' is not a URL ({e})")))?;
    if parsed.host().is_none() {
        return Err(Error::config(field, format!("'{trimmed}' has no host")));
    }
    if parsed.query().is_some()
        || parsed.fragment().is_some()
        || !parsed.username().is_empty()
        || parsed.password().is_some()
    {
        return Err(Error::config(
            field,
            format!("'{trimmed}' must not contain credentials, a query or a fragment"),
        ));
    }
    match parsed.scheme() {
        "https" => {}
        "http" if options.allow_insecure_http => {
            if !is_loopback(&parsed) {
                return Err(Error::config(
                    field,
                    format!("'{trimmed}': plain http is only allowed for a loopback host (127.0.0.1, ::1, localhost); use https"),
                ));
            }
        }
        "http" => {
            return Err(Error::config(
                field,
                format!("'{trimmed}' uses plain http: tokens and secrets would travel unencrypted; use https (http is only accepted for a local emulator with allow_insecure_http)"),
            ))
        }
        other => return Err(Error::config(field, format!("'{trimmed}': unsupported scheme '{other}', expected https"))),
    }
    let mut base = format!("{}://{}", parsed.scheme(), host_with_port(&parsed));
    let path = parsed.path().trim_end_matches('/');
    for seg in path.split('/').filter(|s| !s.is_empty()) {
        base.push('/');
        base.push_str(seg);
    }
    Ok(base)
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TID: &str = "7c4d9b1e-2f3a-4b5c-8d6e-0f1a2b3c4d5e";

    #[test]
    fn clouds_have_the_contract_hosts() {
        let table = [
            (
                Cloud::Global,
                "https://login.microsoftonline.com",
                "https://graph.microsoft.com",
            ),
            (
                Cloud::UsGov,
                "https://login.microsoftonline.us",
                "https://graph.microsoft.us",
            ),
            (
                Cloud::UsGovDod,
                "https://login.microsoftonline.us",
                "https://dod-graph.microsoft.us",
            ),
            (
                Cloud::China,
                "https://login.chinacloudapi.cn",
                "https://microsoftgraph.chinacloudapi.cn",
            ),
        ];
        for (cloud, login, graph) in table {
            let a = Authority::new(cloud.clone(), TID).unwrap();
            assert_eq!(a.url(), format!("{login}/{TID}"));
            assert_eq!(
                a.token_endpoint(),
                format!("{login}/{TID}/oauth2/v2.0/token")
            );
            assert_eq!(
                a.device_code_endpoint(),
                format!("{login}/{TID}/oauth2/v2.0/devicecode")
            );
            assert_eq!(a.graph_base(), graph);
            assert_eq!(a.app_scope(), format!("{graph}/.default"));
        }
    }

    #[test]
    fn cloud_names_and_aliases() {
        assert_eq!(Cloud::from_name("Global").unwrap(), Cloud::Global);
        assert_eq!(Cloud::from_name("us-gov").unwrap(), Cloud::UsGov);
        assert_eq!(Cloud::from_name("USGovDoD").unwrap(), Cloud::UsGovDod);
        assert_eq!(Cloud::from_name("china").unwrap(), Cloud::China);
        assert_eq!(Cloud::from_name("AzurePublicCloud").unwrap(), Cloud::Global);
        assert!(Cloud::from_name("custom").is_err());
        let err = Cloud::from_name("mars").unwrap_err().to_string();
        assert!(err.contains("cloud") && err.contains("mars"), "{err}");
    }

    #[test]
    fn cloud_kinds_name_every_cloud_once() {
        for (kind, name) in CloudKind::ALL.into_iter().zip(CloudKind::NAMES) {
            assert_eq!(kind.name(), name);
            assert_eq!(CloudKind::from_name(name), Some(kind));
            assert_eq!(kind.to_string(), name);
            match Cloud::known(kind) {
                Some(cloud) => assert_eq!(cloud.kind(), kind),
                None => assert_eq!(kind, CloudKind::Custom),
            }
        }
        for (alias, kind) in [
            ("public", CloudKind::Global),
            ("us-gov", CloudKind::UsGov),
            ("us_gov_dod", CloudKind::UsGovDod),
            ("GCC High", CloudKind::UsGov),
            ("Azure China Cloud", CloudKind::China),
            (" Custom ", CloudKind::Custom),
        ] {
            assert_eq!(CloudKind::from_name(alias), Some(kind), "{alias}");
        }
        assert_eq!(CloudKind::from_name("mars"), None);
        assert_eq!(CloudKind::from_name(""), None);
        assert_eq!(
            Cloud::custom("https://a", "https://b").kind(),
            CloudKind::Custom
        );
    }

    #[test]
    fn parse_tolerates_trailing_slashes_and_infers_clouds() {
        let opts = AuthorityOptions::default();
        let a = Authority::parse(
            "https://login.microsoftonline.com/contoso.onmicrosoft.com/",
            None,
            opts,
        )
        .unwrap();
        assert_eq!(a.cloud(), &Cloud::Global);
        assert_eq!(
            a.tenant(),
            &Tenant::Domain("contoso.onmicrosoft.com".into())
        );
        assert_eq!(
            a.token_endpoint(),
            "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
        );
        let a = Authority::parse("https://login.microsoftonline.us//common//", None, opts).unwrap();
        assert_eq!(a.cloud(), &Cloud::UsGov);
        assert_eq!(a.tenant(), &Tenant::Common);
        let a = Authority::parse(
            "https://login.microsoftonline.us/organizations",
            Some("https://dod-graph.microsoft.us/"),
            opts,
        )
        .unwrap();
        assert_eq!(a.cloud(), &Cloud::UsGovDod);
        let a = Authority::parse(
            &format!("https://login.chinacloudapi.cn/{}", TID.to_uppercase()),
            None,
            opts,
        )
        .unwrap();
        assert_eq!(a.cloud(), &Cloud::China);
        assert_eq!(a.tenant(), &Tenant::Id(TID.into()));
    }

    #[test]
    fn custom_authorities_need_a_graph_base_and_https() {
        let strict = AuthorityOptions::default();
        let err =
            Authority::parse("https://127.0.0.1:8443/tenant.example", None, strict).unwrap_err();
        assert!(err.to_string().contains("graph_base"), "{err}");

        let a = Authority::parse(
            &format!("https://127.0.0.1:8443/{TID}/"),
            Some("https://127.0.0.1:8443/"),
            strict,
        )
        .unwrap();
        assert_eq!(
            a.token_endpoint(),
            format!("https://127.0.0.1:8443/{TID}/oauth2/v2.0/token")
        );
        assert_eq!(a.app_scope(), "https://127.0.0.1:8443/.default");

        let err = Authority::parse(
            &format!("http://127.0.0.1:8080/{TID}"),
            Some("http://127.0.0.1:8080"),
            strict,
        )
        .unwrap_err();
        assert!(err.to_string().contains("plain http"), "{err}");

        let insecure = AuthorityOptions {
            allow_insecure_http: true,
        };
        let a = Authority::parse(
            &format!("http://127.0.0.1:8080/{TID}"),
            Some("http://127.0.0.1:8080"),
            insecure,
        )
        .unwrap();
        assert_eq!(a.url(), format!("http://127.0.0.1:8080/{TID}"));
        Authority::parse(
            &format!("http://localhost:8080/{TID}"),
            Some("http://[::1]:8080"),
            insecure,
        )
        .unwrap();
        let err = Authority::parse(
            &format!("http://login.example.com/{TID}"),
            Some("http://login.example.com"),
            insecure,
        )
        .unwrap_err();
        assert!(err.to_string().contains("loopback"), "{err}");

        let a = Authority::with_options(
            Cloud::custom("https://emu.test/base/", "https://emu.test/"),
            "common",
            strict,
        )
        .unwrap();
        assert_eq!(a.url(), "https://emu.test/base/common");
        assert!(Authority::new(Cloud::custom("ftp://x", "https://y"), TID).is_err());
    }

    #[test]
    fn tenants_are_validated_and_client_credentials_need_a_concrete_one() {
        for t in ["common", "Organizations", "consumers"] {
            let a = Authority::new(Cloud::Global, t).unwrap();
            let err = a.require_concrete_tenant().unwrap_err().to_string();
            assert!(
                err.contains("authority") && err.contains("concrete"),
                "{err}"
            );
        }
        Authority::new(Cloud::Global, TID)
            .unwrap()
            .require_concrete_tenant()
            .unwrap();
        Authority::new(Cloud::Global, "contoso.com")
            .unwrap()
            .require_concrete_tenant()
            .unwrap();
        for t in ["common", "organizations", "consumers"] {
            let err = Tenant::parse(t).unwrap().require_concrete().unwrap_err();
            assert!(
                matches!(&err, Error::Config { field, reason } if field == "tenant" && reason.contains(&format!("not '{t}'"))),
                "{err:?}"
            );
        }
        Tenant::parse(TID).unwrap().require_concrete().unwrap();
        for bad in ["", "not a tenant", "contoso", "a..b", "x/y"] {
            assert!(Tenant::parse(bad).is_err(), "{bad}");
        }
        let err = Authority::parse(
            "https://login.microsoftonline.com/",
            None,
            AuthorityOptions::default(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("no tenant"), "{err}");
    }
}
