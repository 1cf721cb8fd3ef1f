//! The one error type of the CLI: the failures the CLI itself detects, each of a kind
//! [`crate::exit::for_error`] maps to its exit code. Failures of the libraries (runtime,
//! Graph, identity) keep their own types and are classified from their source chain.

/// A failure the CLI detects itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum CliError {
    /// Wrong usage: a flag, an argument or a parameter (exit 2).
    #[error("{0}")]
    Usage(String),
    /// A location string that could not be understood (exit 2).
    #[error("location `{input}`: {reason}")]
    Location {
        /// The text given.
        input: String,
        /// What is wrong and what a valid location looks like.
        reason: String,
    },
    /// What was named does not exist (exit 3).
    #[error("{0}")]
    NotFound(String),
    /// The connection cannot do this: wrong kind of credential, no sign-in (exit 4).
    #[error("{0}")]
    Auth(String),
}
