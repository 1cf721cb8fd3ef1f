//! The flags that choose the MS Graph connection a command uses, and turning them into a
//! [`Connection`]: a project's connection asset or the `AZURE_*` environment, through the
//! runtime's one path ([`graphlink_runtime::Connected`]).

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use graphlink_runtime::{ConnectOptions, ResolvedConnection};

/// A connection ready to use: identity settings, HTTP pool, retry policy, sign-in cache.
pub(crate) type Connection = graphlink_runtime::Connected;

/// Flags every command that talks to Graph shares.
#[derive(Debug, Clone, Args)]
pub(crate) struct ConnectionArgs {
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

impl ConnectionArgs {
    /// The sign-in cache folder: `--cache-dir`, else [`graphlink_runtime::default_cache_dir`]
    /// (`None` when the system has no cache folder).
    pub(crate) fn sign_in_cache_or_default(&self) -> Option<PathBuf> {
        self.cache_dir
            .clone()
            .or_else(graphlink_runtime::default_cache_dir)
    }

    /// The sign-in cache folder; an error telling how to name one when the system has none.
    pub(crate) fn sign_in_cache(&self) -> anyhow::Result<PathBuf> {
        self.sign_in_cache_or_default().context(
            "no cache folder for sign-ins on this system: pass --cache-dir or set GRAPHLINK_CACHE_DIR",
        )
    }

    fn connect_options(&self) -> anyhow::Result<ConnectOptions> {
        Ok(ConnectOptions::new(self.sign_in_cache()?).trusting(self.ca_cert.clone()))
    }

    /// The connection: a project's connection asset with `--project`, else the `AZURE_*`
    /// environment variables.
    pub(crate) fn connect(&self) -> anyhow::Result<Connection> {
        if let Some(dir) = &self.project {
            let resolved = self.resolve_in(dir)?;
            return self.connect_resolved(&resolved);
        }
        let options = self.connect_options()?;
        Connection::from_env("env", |k| std::env::var(k).ok(), &options).context(
            "no connection configured: pass --project DIR [--connection NAME], or set AZURE_TENANT_ID, \
             AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or AZURE_CLIENT_CERTIFICATE_PATH); for a custom \
             authority also AZURE_AUTHORITY_HOST and GRAPHLINK_GRAPH_BASE",
        )
    }

    /// A resolved connection asset (a service's connection, say), with `--ca-cert` trusted
    /// too and sign-ins in the cache folder.
    pub(crate) fn connect_resolved(
        &self,
        resolved: &ResolvedConnection,
    ) -> anyhow::Result<Connection> {
        Ok(Connection::resolve(resolved, &self.connect_options()?)?)
    }

    /// The connection asset of the project in `dir`: `--connection`, or the only one.
    fn resolve_in(&self, dir: &std::path::Path) -> anyhow::Result<ResolvedConnection> {
        let project = graphlink_runtime::Project::load(dir)?;
        let name = match &self.connection {
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
        Ok(graphlink_runtime::resolve_connection(
            &project,
            &name,
            self.stage.as_deref(),
            self.secret_key.as_deref(),
        )?)
    }
}
