//! The Graph side of the emulator: drives, items, transfers (and later Teams).

pub mod seed;

use std::path::Path;

use axum::Router;

use crate::seed::Seed;
use crate::{AppState, Error};

/// Graph state: drives, items, upload sessions, ... kept in the data directory.
#[derive(Debug, Default)]
pub struct GraphState {}

impl GraphState {
    /// Loads the Graph state from `data_dir`.
    pub fn load(_seed: &Seed, _data_dir: &Path) -> Result<Self, Error> {
        Ok(Self {})
    }
}

/// Routes under `/v1.0` and `/beta`.
pub fn routes() -> Router<AppState> {
    Router::new()
}
