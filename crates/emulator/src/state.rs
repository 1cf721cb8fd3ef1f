//! The emulator's shared state: the seed, settings, signing key, fault registry, and the stores
//! of each side (identity, Graph).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::RwLock;

use crate::faults::FaultRegistry;
use crate::keys::SigningKey;
use crate::seed::{Seed, Settings};
use crate::Error;

/// Shared state handed to every route. Cheap to clone.
#[derive(Clone, Debug)]
pub struct AppState(Arc<Inner>);

/// What [`AppState`] holds.
#[derive(Debug)]
pub struct Inner {
    /// The seed the emulator started with.
    pub seed: Seed,
    /// The data directory.
    pub data_dir: PathBuf,
    /// Settings, adjustable at run time.
    pub settings: RwLock<Settings>,
    /// The token-signing key.
    pub keys: SigningKey,
    /// Fault rules and request counters.
    pub faults: FaultRegistry,
    /// Identity-platform state (device codes, refresh tokens, ...).
    pub identity: crate::identity::IdentityState,
    /// Graph state (drives, items, sessions, ...).
    pub graph: crate::graph::GraphState,
    /// Teams state (teams, channels, chats, messages).
    pub teams: crate::teams::TeamsState,
    tls: bool,
    listen: SocketAddr,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    /// Loads (or creates) everything the emulator keeps in `data_dir`.
    pub fn load(seed: Seed, data_dir: &Path, tls: bool, listen: SocketAddr) -> Result<Self, Error> {
        std::fs::create_dir_all(data_dir).map_err(Error::io("creating", data_dir))?;
        let keys = SigningKey::load_or_create(data_dir)?;
        let faults = FaultRegistry::default();
        for (i, rule) in seed.faults.iter().enumerate() {
            faults.add(rule.clone()).map_err(|message| Error::Seed {
                path: "seed".into(),
                message: format!("faults[{i}].{message}"),
            })?;
        }
        let identity = crate::identity::IdentityState::load(&seed, data_dir)?;
        let graph = crate::graph::GraphState::load(&seed, data_dir)?;
        let teams = crate::teams::TeamsState::load(&seed, data_dir)?;
        Ok(AppState(Arc::new(Inner {
            settings: RwLock::new(seed.settings.clone()),
            seed,
            data_dir: data_dir.to_path_buf(),
            keys,
            faults,
            identity,
            graph,
            teams,
            tls,
            listen,
        })))
    }

    /// `https` with TLS, else `http`.
    pub fn scheme(&self) -> &'static str {
        if self.0.tls {
            "https"
        } else {
            "http"
        }
    }

    /// `host:port` the emulator listens on (used when a request has no `Host`).
    pub fn listen_authority(&self) -> String {
        self.0.listen.to_string()
    }

    /// A copy of the current settings.
    pub fn settings(&self) -> Settings {
        self.0.settings.read().clone()
    }
}

impl crate::web::Listener for AppState {
    fn scheme(&self) -> &'static str {
        AppState::scheme(self)
    }

    fn listen_authority(&self) -> String {
        AppState::listen_authority(self)
    }
}

impl AsRef<FaultRegistry> for AppState {
    fn as_ref(&self) -> &FaultRegistry {
        &self.0.faults
    }
}
