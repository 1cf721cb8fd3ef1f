//! The one error type of the runtime crate.

use std::path::PathBuf;

/// Errors of the runtime: loading projects, secrets, the coordinator, storage and running.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or folder could not be read or written.
    #[error("{action} '{path}': {source}")]
    Io {
        /// What was being done ("reading", "creating", ...).
        action: &'static str,
        /// The path concerned.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The project is invalid; the problems say where.
    #[error("the project has {} problem(s):\n{}", .0.len(), crate::problem::render_problems(.0))]
    Invalid(Vec<crate::Problem>),
    /// A configuration or usage error with a plain explanation.
    #[error("{0}")]
    Config(String),
    /// A secret could not be created, encrypted or decrypted (never contains the secret).
    #[error("secret: {0}")]
    Secret(String),
    /// The access coordinator's database failed.
    #[error("access coordinator ({path}): {message}")]
    Coordinator {
        /// The database file.
        path: PathBuf,
        /// What failed.
        message: String,
    },
    /// A storage (file tree) operation failed.
    #[error("{storage}: {action} '{path}': {message}")]
    Storage {
        /// The storage description (e.g. `local /data/in`).
        storage: String,
        /// The operation.
        action: &'static str,
        /// The path inside the storage.
        path: String,
        /// What failed.
        message: String,
    },
    /// A target already exists and the policy says to fail.
    #[error("'{0}' already exists")]
    Exists(String),
    /// A processing command failed.
    #[error("processing command: {0}")]
    Command(String),
    /// A notification could not be sent.
    #[error("notification through '{service}': {message}")]
    Notify {
        /// The service asset.
        service: String,
        /// What failed.
        message: String,
    },
    /// The node was asked to stop.
    #[error("stopped")]
    Stopped,
}

impl Error {
    /// An I/O error with context.
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            action,
            path: path.into(),
            source,
        }
    }
}

/// The runtime's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
