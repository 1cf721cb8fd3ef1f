//! Connections with their macros resolved, turned into Graph clients and storages.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use graphlink_graph::{DriveRef, GraphClient};
use graphlink_http::ClientOptions;
use graphlink_identity::{
    Authority, AuthorityOptions, ClientCertificate, Cloud, ConnectionConfig, ConnectionCredential,
    Secret,
};

use crate::connected::{ConnectOptions, Connected};
use crate::macros::StaticValues;
use crate::model::{AssetId, CloudSetting, Connection, CredentialSetting, StorageSetting};
use crate::run::StorageFactory;
use crate::secrets::SecretValue;
use crate::storage::{GraphStorage, Storage};
use crate::{Error, Result};

/// A connection's credential, resolved. `Debug` hides the secret.
#[derive(Clone)]
pub enum ResolvedCredential {
    /// Client secret.
    ClientSecret(SecretValue),
    /// Certificate: private key file and certificate file.
    ClientCertificate {
        /// PEM private key (may hold the certificate too).
        key: PathBuf,
        /// PEM certificate.
        certificate: Option<PathBuf>,
    },
    /// Device flow.
    DeviceFlow,
}

impl fmt::Debug for ResolvedCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResolvedCredential::ClientSecret(_) => f.write_str("ClientSecret(<redacted>)"),
            ResolvedCredential::ClientCertificate { key, certificate } => f
                .debug_struct("ClientCertificate")
                .field("key", key)
                .field("certificate", certificate)
                .finish(),
            ResolvedCredential::DeviceFlow => f.write_str("DeviceFlow"),
        }
    }
}

/// A connection asset with every macro resolved and paths made absolute.
#[derive(Debug, Clone)]
pub struct ResolvedConnection {
    /// The asset name.
    pub name: String,
    /// The authority (cloud + tenant).
    pub authority: Authority,
    /// Application (client) id.
    pub client_id: String,
    /// Scopes.
    pub scopes: Vec<String>,
    /// The credential.
    pub credential: ResolvedCredential,
    /// Extra CA certificate.
    pub ca_certificate: Option<PathBuf>,
    /// Plain http allowed (emulator).
    pub allow_insecure_http: bool,
    /// Read timeout.
    pub timeout: Option<std::time::Duration>,
}

impl ResolvedConnection {
    /// Resolves connection asset `c` of `project` with `values`.
    pub fn resolve(project_dir: &Path, c: &Connection, values: &StaticValues<'_>) -> Result<Self> {
        let id = &c.meta.id;
        let r = |field: &str, text: &str| crate::run::resolve_text(values, id, field, text);
        let path = |field: &str, text: &str| -> Result<PathBuf> {
            let p = PathBuf::from(r(field, text)?);
            Ok(if p.is_absolute() {
                p
            } else {
                project_dir.join(p)
            })
        };
        let options = AuthorityOptions {
            allow_insecure_http: c.allow_insecure_http,
        };
        let cfg_err = |e: graphlink_identity::Error| Error::identity(id.to_string(), e);
        let graph_url = c
            .graph_url
            .as_deref()
            .map(|g| r("graph_url", g))
            .transpose()?;
        let authority = match &c.authority {
            Some(a) => Authority::parse(&r("authority", a)?, graph_url.as_deref(), options)
                .map_err(cfg_err)?,
            None => {
                let tenant = r("tenant", c.tenant.as_deref().unwrap_or_default())?;
                // The cloud kinds are identity's: a known one is its cloud, a custom one is
                // built from the connection's URLs.
                let cloud = match c.cloud {
                    CloudSetting::Custom => {
                        let host = r(
                            "authority_host",
                            c.authority_host.as_deref().unwrap_or_default(),
                        )?;
                        Cloud::custom(&host, graph_url.as_deref().unwrap_or_default())
                    }
                    kind => Cloud::known(kind).ok_or_else(|| {
                        Error::Config(format!(
                            "{id}: cloud '{kind}' needs authority_host and graph_url"
                        ))
                    })?,
                };
                Authority::with_options(cloud, &tenant, options).map_err(cfg_err)?
            }
        };
        let credential = match &c.credential {
            CredentialSetting::ClientSecret { secret } => {
                let t = crate::run::resolve(values, id, "client_secret", secret)?;
                let v = t
                    .render(None)
                    .map_err(|e| Error::Config(format!("{id}, field 'client_secret': {e}")))?;
                ResolvedCredential::ClientSecret(SecretValue::new(v))
            }
            CredentialSetting::ClientCertificate { key, certificate } => {
                ResolvedCredential::ClientCertificate {
                    key: path("certificate_key", key)?,
                    certificate: certificate
                        .as_deref()
                        .map(|c| path("certificate", c))
                        .transpose()?,
                }
            }
            CredentialSetting::DeviceFlow => ResolvedCredential::DeviceFlow,
        };
        Ok(Self {
            name: id.name.clone(),
            authority,
            client_id: r("client_id", &c.client_id)?,
            scopes: c
                .scopes
                .iter()
                .map(|s| r("scopes", s))
                .collect::<Result<_>>()?,
            credential,
            ca_certificate: c
                .ca_certificate
                .as_deref()
                .map(|p| path("ca_certificate", p))
                .transpose()?,
            allow_insecure_http: c.allow_insecure_http,
            timeout: c.timeout,
        })
    }

    /// The identity settings (for `graphlink auth login` and token providers).
    pub fn identity_config(&self) -> Result<ConnectionConfig> {
        let credential = match &self.credential {
            ResolvedCredential::ClientSecret(s) => {
                ConnectionCredential::ClientSecret(Secret::new(s.expose()))
            }
            ResolvedCredential::ClientCertificate { key, certificate } => {
                let cert = match certificate {
                    Some(c) => ClientCertificate::from_pem_files(key, c),
                    None => ClientCertificate::from_pem_file(key),
                }
                .map_err(|e| Error::identity(self.context(), e))?;
                ConnectionCredential::ClientCertificate(Arc::new(cert))
            }
            ResolvedCredential::DeviceFlow => ConnectionCredential::DeviceFlow,
        };
        Ok(ConnectionConfig {
            name: self.name.clone(),
            authority: self.authority.clone(),
            client_id: self.client_id.clone(),
            scopes: self.scopes.clone(),
            credential,
        })
    }

    /// The HTTP client options (CA certificate, timeouts).
    pub fn client_options(&self) -> Result<ClientOptions> {
        let mut o = ClientOptions::default();
        if let Some(t) = self.timeout {
            o.read_timeout = t;
        }
        if let Some(ca) = &self.ca_certificate {
            o = o
                .trust_ca_file(ca)
                .map_err(|e| Error::http(self.context(), e))?;
        }
        Ok(o)
    }

    /// A Graph client for this connection (`cache_dir` holds device-flow sign-ins), through
    /// [`Connected`].
    pub fn graph_client(&self, cache_dir: &Path) -> Result<GraphClient> {
        Connected::resolve(self, &ConnectOptions::new(cache_dir))?.graph()
    }

    /// `connection 'NAME'`, the context of this connection's errors.
    fn context(&self) -> String {
        format!("connection '{}'", self.name)
    }
}

/// Opens OneDrive/SharePoint storages with the built-in Graph client, one client (pool, token
/// cache, throttling pause) per connection.
#[derive(Debug)]
pub struct GraphStorageFactory {
    cache_dir: PathBuf,
    clients: tokio::sync::Mutex<HashMap<String, GraphClient>>,
}

impl GraphStorageFactory {
    /// A factory; `cache_dir` holds device-flow sign-ins (`graphlink auth login`).
    pub fn new(cache_dir: impl Into<PathBuf>) -> Self {
        Self {
            cache_dir: cache_dir.into(),
            clients: tokio::sync::Mutex::new(HashMap::new()),
        }
    }
}

/// The drive a storage setting names.
pub fn drive_ref(setting: &StorageSetting) -> Option<DriveRef> {
    match setting {
        StorageSetting::Local { .. } => None,
        StorageSetting::OneDrive { drive: Some(d), .. } => Some(DriveRef::Id(d.clone())),
        StorageSetting::OneDrive { user: Some(u), .. } if u != "me" => {
            Some(DriveRef::User(u.clone()))
        }
        StorageSetting::OneDrive { .. } => Some(DriveRef::Me),
        StorageSetting::SharePoint { site, library, .. } => Some(DriveRef::Site {
            site: site.clone(),
            library: Some(library.clone()),
        }),
    }
}

#[async_trait::async_trait]
impl StorageFactory for GraphStorageFactory {
    async fn open(
        &self,
        connection: &ResolvedConnection,
        asset: &AssetId,
        setting: &StorageSetting,
    ) -> Result<Arc<dyn Storage>> {
        let client = {
            let mut clients = self.clients.lock().await;
            match clients.get(&connection.name) {
                Some(c) => c.clone(),
                None => {
                    let c = connection.graph_client(&self.cache_dir)?;
                    clients.insert(connection.name.clone(), c.clone());
                    c
                }
            }
        };
        let drive_ref = drive_ref(setting)
            .ok_or_else(|| Error::Config(format!("{asset}: not a Graph storage")))?;
        let drive = client
            .drive(&drive_ref)
            .await
            .map_err(|e| Error::graph(format!("{asset}: cannot open {drive_ref}"), e))?;
        let kind = if matches!(setting, StorageSetting::SharePoint { .. }) {
            "sharepoint"
        } else {
            "onedrive"
        };
        Ok(Arc::new(GraphStorage::new(
            drive,
            format!("{kind} {drive_ref}"),
        )))
    }
}

/// Resolves connection asset `name` of `project` for use outside a node (connection test,
/// `auth login`): `${env:..}` from the process, `${lay:..}` from `stage` (or the default),
/// `${sec:..}` decrypted with the private key file `secret_key` (or
/// `GRAPHLINK_SECRET_KEY_FILE`) when the connection uses secrets.
pub fn resolve_connection(
    project: &crate::Project,
    name: &str,
    stage: Option<&str>,
    secret_key: Option<&Path>,
) -> Result<ResolvedConnection> {
    let c = project.connection(name).ok_or_else(|| {
        Error::unknown_asset(
            "connection",
            name,
            project.connections.iter().map(|c| c.meta.id.name.as_str()),
        )
    })?;
    let lay = project
        .select_environment(stage)
        .map_err(Error::Config)?
        .map(|e| &e.values);
    let uses_secrets = c.meta.strings.iter().any(|(_, t, _)| t.contains("${sec:"));
    let secrets = if uses_secrets {
        let key = match secret_key {
            Some(p) => crate::secrets::KeyPair::read(p)?,
            None => crate::secrets::KeyPair::from_env()?.ok_or_else(|| {
                Error::Secret(format!(
                    "connection '{name}' uses ${{sec:..}}: give the private key file ({})",
                    crate::secrets::SECRET_KEY_ENV
                ))
            })?,
        };
        Some(crate::secrets::decrypt_all(project, &key)?)
    } else {
        None
    };
    let env = |n: &str| std::env::var(n).ok();
    let values = StaticValues {
        env: &env,
        lay,
        secrets: secrets.as_ref(),
    };
    ResolvedConnection::resolve(&project.dir, c, &values)
}
