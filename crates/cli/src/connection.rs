//! Resolving the MS Graph connection a command uses: a project's connection asset or the
//! `AZURE_*` environment; one HTTP pool and one retry policy per connection.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use graphlink_graph::GraphClient;
use graphlink_http::{ClientOptions, Sender};
use graphlink_identity::{ConnectionConfig, TokenProvider};

/// Flags every command that talks to Graph shares.
#[derive(Debug, Clone, Args)]
pub struct ConnectionArgs {
    /// Project folder whose connection assets to use (without it: the AZURE_* environment).
    #[arg(long, global = true, env = "GRAPHLINK_PROJECT", value_name = "DIR")]
    pub project: Option<PathBuf>,
    /// The connection asset to use (default: the project's only connection).
    #[arg(long, global = true, env = "GRAPHLINK_CONNECTION", value_name = "NAME")]
    pub connection: Option<String>,
    /// Deployment stage (environment asset) for `${lay:..}` macros.
    #[arg(long, global = true, env = "GRAPHLINK_STAGE", value_name = "STAGE")]
    pub stage: Option<String>,
    /// Private key file for `${sec:..}` secrets (default: GRAPHLINK_SECRET_KEY_FILE).
    #[arg(long, global = true, value_name = "FILE")]
    pub secret_key: Option<PathBuf>,
    /// Extra CA certificate (PEM) to trust, e.g. the emulator's `DATA/tls/ca.pem`.
    #[arg(long, global = true, env = "GRAPHLINK_CA_CERT", value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
    /// Where device-flow sign-ins are kept (default: the user's cache folder + `graphlink`).
    #[arg(long, global = true, env = "GRAPHLINK_CACHE_DIR", value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
}

/// A connection ready to use: identity settings, HTTP pool, retry policy, sign-in cache.
#[derive(Debug, Clone)]
pub struct Connection {
    /// The identity settings.
    pub config: ConnectionConfig,
    /// The connection's HTTP client (one pool).
    pub http: reqwest::Client,
    /// The connection's retry policy and throttling pause.
    pub sender: Sender,
    /// The sign-in cache folder.
    pub cache_dir: PathBuf,
    /// Plain `http://` allowed (loopback emulator only).
    pub allow_http: bool,
}

impl Connection {
    /// Resolves the connection: a project's connection asset with `--project`, else the
    /// `AZURE_*` environment variables.
    pub fn resolve(args: &ConnectionArgs) -> anyhow::Result<Self> {
        if let Some(dir) = &args.project {
            return Self::from_project(dir, args);
        }
        let config = graphlink_identity::from_env("env", |k| std::env::var(k).ok()).context(
            "no connection configured: pass --project DIR [--connection NAME], or set AZURE_TENANT_ID, \
             AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or AZURE_CLIENT_CERTIFICATE_PATH); for a custom \
             authority also AZURE_AUTHORITY_HOST and GRAPHLINK_GRAPH_BASE",
        )?;
        let mut options = ClientOptions::default();
        if let Some(ca) = &args.ca_cert {
            options = options.trust_ca_file(ca)?;
        }
        Self::build(config, options, false, args)
    }

    fn from_project(dir: &std::path::Path, args: &ConnectionArgs) -> anyhow::Result<Self> {
        let project = graphlink_runtime::Project::load(dir)?;
        let name = match &args.connection {
            Some(name) => name.clone(),
            None => match project.connections.as_slice() {
                [only] => only.meta.id.name.clone(),
                [] => anyhow::bail!("project {} defines no connection", dir.display()),
                many => anyhow::bail!(
                    "project {} defines several connections ({}): choose one with --connection",
                    dir.display(),
                    many.iter()
                        .map(|c| c.meta.id.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            },
        };
        let resolved = graphlink_runtime::resolve_connection(
            &project,
            &name,
            args.stage.as_deref(),
            args.secret_key.as_deref(),
        )?;
        let mut options = resolved.client_options()?;
        if let Some(ca) = &args.ca_cert {
            options = options.trust_ca_file(ca)?;
        }
        Self::build(
            resolved.identity_config()?,
            options,
            resolved.allow_insecure_http,
            args,
        )
    }

    /// Builds the pool and retry policy for identity settings.
    fn build(
        config: ConnectionConfig,
        options: ClientOptions,
        allow_http: bool,
        args: &ConnectionArgs,
    ) -> anyhow::Result<Self> {
        let http = options.build()?;
        let cache_dir = match &args.cache_dir {
            Some(dir) => dir.clone(),
            None => dirs::cache_dir()
                .map(|d| d.join("graphlink"))
                .context("no cache folder for sign-ins on this system: pass --cache-dir or set GRAPHLINK_CACHE_DIR")?,
        };
        Ok(Self {
            config,
            http,
            sender: Sender::default(),
            cache_dir,
            allow_http,
        })
    }

    /// The connection's token provider.
    pub fn tokens(&self) -> anyhow::Result<Arc<dyn TokenProvider>> {
        Ok(graphlink_identity::provider(
            &self.config,
            self.http.clone(),
            self.sender.clone(),
            &self.cache_dir,
        )?)
    }

    /// The Graph base URL with version (`https://graph.microsoft.com/v1.0`).
    pub fn graph_url(&self) -> String {
        format!(
            "{}/v1.0",
            self.config.authority.graph_base().trim_end_matches('/')
        )
    }

    /// A Graph client sharing this connection's pool, retry policy and tokens.
    pub fn graph(&self) -> anyhow::Result<GraphClient> {
        Ok(GraphClient::builder(self.graph_url(), self.tokens()?)
            .with_http_client(self.http.clone())
            .with_sender(self.sender.clone())
            .allow_http(self.allow_http)
            .build()?)
    }
}
