//! The identity-platform side of the emulator: discovery, keys, token and device-code endpoints,
//! and the device login page.

use std::path::Path;

use axum::Router;

use crate::seed::Seed;
use crate::{AppState, Error};

/// Identity-platform state kept across requests (and restarts, in the data directory).
#[derive(Debug, Default)]
pub struct IdentityState {}

impl IdentityState {
    /// Loads the identity state from `data_dir`.
    pub fn load(_seed: &Seed, _data_dir: &Path) -> Result<Self, Error> {
        Ok(Self {})
    }
}

/// Routes under `/{tenant}/...`, `/common/...` and the device login page.
pub fn routes() -> Router<AppState> {
    Router::new()
}
