//! Starting and stopping the emulator: listener, optional TLS, the router.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use axum::Router;

use crate::seed::Seed;
use crate::tls::TlsFiles;
use crate::{AppState, Error};

/// How to start an emulator.
#[derive(Debug, Clone)]
pub struct EmulatorOptions {
    /// Address to listen on (`127.0.0.1:0` picks a free port).
    pub addr: SocketAddr,
    /// Data directory; `None` uses a temporary directory removed at shutdown.
    pub data_dir: Option<PathBuf>,
    /// Serve HTTPS with the emulator's own CA.
    pub tls: bool,
    /// The seed.
    pub seed: Seed,
}

impl Default for EmulatorOptions {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir: None,
            tls: true,
            seed: Seed::default(),
        }
    }
}

/// Entry point: `Emulator::start(options)`.
#[derive(Debug)]
pub struct Emulator;

/// A running emulator. Dropping it stops the server.
#[derive(Debug)]
pub struct RunningEmulator {
    base_url: String,
    ca_cert: Option<PathBuf>,
    data_dir: PathBuf,
    state: AppState,
    handle: axum_server::Handle,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    _temp: Option<tempfile::TempDir>,
}

/// Builds the whole router over a state (no network: usable in-process by tests).
pub fn app(state: AppState) -> Router {
    Router::new()
        .merge(crate::admin::routes())
        .merge(crate::raw::routes())
        .merge(crate::graph::routes())
        .merge(crate::teams::routes())
        .merge(crate::identity::routes())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::faults::inject::<AppState>,
        ))
        .layer(axum::middleware::from_fn(crate::web::request_ids))
        .with_state(state)
}

impl Emulator {
    /// Starts an emulator and returns once it accepts connections.
    pub async fn start(options: EmulatorOptions) -> Result<RunningEmulator, Error> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let (data_dir, temp) = match &options.data_dir {
            Some(dir) => (dir.clone(), None),
            None => {
                let temp = tempfile::tempdir()
                    .map_err(Error::io("creating a temporary data directory", "/tmp"))?;
                (temp.path().to_path_buf(), Some(temp))
            }
        };
        let listener = std::net::TcpListener::bind(options.addr).map_err(|source| Error::Bind {
            addr: options.addr.to_string(),
            source,
        })?;
        listener
            .set_nonblocking(true)
            .map_err(|source| Error::Bind {
                addr: options.addr.to_string(),
                source,
            })?;
        let local = listener.local_addr().map_err(|source| Error::Bind {
            addr: options.addr.to_string(),
            source,
        })?;
        let state = AppState::load(options.seed.clone(), &data_dir, options.tls, local)?;
        let router = app(state.clone());
        let handle = axum_server::Handle::new();
        let make = router.into_make_service();
        let (task, ca_cert, scheme) = if options.tls {
            let files = TlsFiles::load_or_create(&data_dir)?;
            let config = axum_server::tls_rustls::RustlsConfig::from_pem_chain_file(
                &files.server_chain,
                &files.server_key,
            )
            .await
            .map_err(|e| Error::Crypto(format!("loading the TLS certificate: {e}")))?;
            // TCP_NODELAY: small responses must not wait for the client's delayed ACK.
            let acceptor = axum_server::tls_rustls::RustlsAcceptor::new(config)
                .acceptor(axum_server::accept::NoDelayAcceptor::new());
            let server = axum_server::from_tcp(listener)
                .acceptor(acceptor)
                .handle(handle.clone());
            (
                tokio::spawn(server.serve(make)),
                Some(files.ca_cert),
                "https",
            )
        } else {
            let server = axum_server::from_tcp(listener)
                .acceptor(axum_server::accept::NoDelayAcceptor::new())
                .handle(handle.clone());
            (tokio::spawn(server.serve(make)), None, "http")
        };
        let host = if local.ip().is_unspecified() {
            format!("127.0.0.1:{}", local.port())
        } else {
            local.to_string()
        };
        tracing::info!(%scheme, %host, data = %data_dir.display(), "emulator listening");
        Ok(RunningEmulator {
            base_url: format!("{scheme}://{host}"),
            ca_cert,
            data_dir,
            state,
            handle,
            task: Some(task),
            _temp: temp,
        })
    }
}

impl RunningEmulator {
    /// `https://127.0.0.1:PORT` (no trailing slash).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The CA certificate to trust, when serving TLS.
    pub fn ca_cert_path(&self) -> Option<&Path> {
        self.ca_cert.as_deref()
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The tenant's authority URL: `{base}/{tenant-id}`.
    pub fn authority(&self) -> String {
        format!("{}/{}", self.base_url, self.state.seed.tenant.id)
    }

    /// The Graph base URL: `{base}/v1.0`.
    pub fn graph_url(&self) -> String {
        format!("{}/v1.0", self.base_url)
    }

    /// The shared state (for in-process inspection by tests and the demo).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Waits until the server stops (it runs until [`RunningEmulator::shutdown`] or an error).
    pub async fn wait(mut self) -> std::io::Result<()> {
        match self.task.take() {
            Some(task) => task.await.unwrap_or_else(|e| Err(std::io::Error::other(e))),
            None => Ok(()),
        }
    }

    /// Stops the server, letting in-flight requests finish for up to one second.
    pub async fn shutdown(mut self) {
        self.handle.graceful_shutdown(Some(Duration::from_secs(1)));
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for RunningEmulator {
    fn drop(&mut self) {
        self.handle.shutdown();
    }
}
