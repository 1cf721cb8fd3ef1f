//! The emulator crate's error type (start-up and persistence; request errors are wire bodies,
//! see [`crate::web`]).

use std::path::PathBuf;

/// Errors raised while starting the emulator or saving its data.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file in the data directory could not be read or written.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done ("reading", "writing", ...).
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The seed file is not valid.
    #[error("seed file {path}: {message}")]
    Seed {
        /// The seed file ("built-in" for the default seed).
        path: String,
        /// What is wrong, naming the field.
        message: String,
    },
    /// Stored data could not be decoded.
    #[error("stored data {path} is corrupt: {message}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// Keys or certificates could not be created or loaded.
    #[error("crypto: {0}")]
    Crypto(String),
    /// The listening socket could not be opened.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: String,
        /// The cause.
        source: std::io::Error,
    },
}

impl Error {
    /// Wraps an I/O error with the action and the file.
    pub fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Error::Io {
            action,
            path,
            source,
        }
    }
}
