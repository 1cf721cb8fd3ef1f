//! The one error type of the benchmark program.

/// Why a benchmark step failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    /// A step failed; `context` says which, `message` why.
    #[error("{context}: {message}")]
    Step {
        /// What the program was doing.
        context: String,
        /// The underlying failure.
        message: String,
    },
    /// A check of the results failed (lost files, wrong sizes, unexpected answers).
    #[error("{0}")]
    Check(String),
}

/// Results of the benchmark program.
pub(crate) type Result<T> = std::result::Result<T, Error>;

/// Adds what the program was doing to any displayable error.
pub(crate) trait Context<T> {
    /// Wraps the error with `context`.
    fn context(self, context: impl Into<String>) -> Result<T>;
}

impl<T, E: std::fmt::Display> Context<T> for std::result::Result<T, E> {
    fn context(self, context: impl Into<String>) -> Result<T> {
        self.map_err(|e| Error::Step {
            context: context.into(),
            message: e.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_names_the_step_and_the_cause() {
        let failed: std::result::Result<(), &str> = Err("connection refused");
        let err = failed.context("uploading the large file").unwrap_err();
        assert_eq!(
            err.to_string(),
            "uploading the large file: connection refused"
        );
    }
}
