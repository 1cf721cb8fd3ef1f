//! The one error type of the runtime crate.
//!
//! Errors that come from the identity, Graph or HTTP crates keep them as their
//! [`source`](std::error::Error::source), so callers (the CLI's exit codes) can tell a refused
//! sign-in from a missing item or a broken network. Their `Display` still says everything on
//! one line (context, then the cause); printers that walk the source chain should not repeat
//! a cause already in the text. No message ever contains a secret.

use std::path::PathBuf;

/// Errors of the runtime: loading projects, secrets, connections, the coordinator, storage
/// and running.
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
    /// A TOML file the runtime edits (secrets) could not be parsed.
    #[error("'{}' is not valid TOML: {source}", .path.display())]
    Toml {
        /// The file.
        path: PathBuf,
        /// The parser's error.
        #[source]
        source: Box<toml_edit::TomlError>,
    },
    /// The project has no asset of that kind and name.
    #[error("no {kind} '{name}' in the project (known: {})", quoted(.known))]
    UnknownAsset {
        /// The asset kind ("connection", "service", ...).
        kind: &'static str,
        /// The name asked for.
        name: String,
        /// The names the project does have.
        known: Vec<String>,
    },
    /// A Teams service has no logical conversation of that name.
    #[error("notification through '{service}': no channel or chat '{name}' (known: {})", quoted(.known))]
    UnknownConversation {
        /// The service asset.
        service: String,
        /// The conversation asked for.
        name: String,
        /// The service's conversations.
        known: Vec<String>,
    },
    /// An identity error: a credential, a certificate, a sign-in or a token.
    #[error("{context}: {source}")]
    Identity {
        /// What it concerned (the connection asset, with the field when known).
        context: String,
        /// The identity error.
        #[source]
        source: graphlink_identity::Error,
    },
    /// A Graph request or a Graph client setting failed.
    #[error("{context}: {source}")]
    Graph {
        /// What was being done (the asset, the drive or conversation).
        context: String,
        /// The Graph error.
        #[source]
        source: graphlink_graph::Error,
    },
    /// A connection's HTTP client could not be built (CA certificate, TLS).
    #[error("{context}: {source}")]
    Http {
        /// The connection concerned.
        context: String,
        /// The HTTP crate's error.
        #[source]
        source: graphlink_http::Error,
    },
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
    /// A file to move or read does not exist (any more).
    #[error("'{0}' does not exist")]
    Missing(String),
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

    /// An identity error about `context` (e.g. `connection 'm365'`).
    pub fn identity(context: impl Into<String>, source: graphlink_identity::Error) -> Self {
        Error::Identity {
            context: context.into(),
            source,
        }
    }

    /// A Graph error while doing `context`.
    pub fn graph(context: impl Into<String>, source: graphlink_graph::Error) -> Self {
        Error::Graph {
            context: context.into(),
            source,
        }
    }

    /// An HTTP client construction error about `context`.
    pub fn http(context: impl Into<String>, source: graphlink_http::Error) -> Self {
        Error::Http {
            context: context.into(),
            source,
        }
    }

    /// "No `kind` named `name`": the project's names of that kind are listed.
    pub fn unknown_asset<S: Into<String>>(
        kind: &'static str,
        name: impl Into<String>,
        known: impl IntoIterator<Item = S>,
    ) -> Self {
        Error::UnknownAsset {
            kind,
            name: name.into(),
            known: known.into_iter().map(Into::into).collect(),
        }
    }

    /// Whether something named (an asset of the project, a conversation of a service) does
    /// not exist. Graph's own "not found" answers are in the [`source`](std::error::Error::source)
    /// chain ([`graphlink_graph::Error::is_not_found`]).
    pub fn is_not_found(&self) -> bool {
        matches!(
            self,
            Error::UnknownAsset { .. } | Error::UnknownConversation { .. }
        )
    }
}

/// `'a', 'b'`, or `none`.
pub(crate) fn quoted(names: &[String]) -> String {
    if names.is_empty() {
        return "none".into();
    }
    names
        .iter()
        .map(|n| format!("'{n}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The runtime's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    #[test]
    fn unknown_assets_list_the_known_names_or_none() {
        let e = Error::unknown_asset("connection", "three", ["one", "two"]);
        assert_eq!(
            e.to_string(),
            "no connection 'three' in the project (known: 'one', 'two')"
        );
        assert!(e.is_not_found());
        let e = Error::unknown_asset("service", "x", Vec::<String>::new());
        assert_eq!(e.to_string(), "no service 'x' in the project (known: none)");
    }

    #[test]
    fn identity_errors_keep_their_source_and_name_the_connection() {
        let e = Error::identity(
            "connection 'm365'",
            graphlink_identity::Error::config("tenant", "is empty"),
        );
        assert_eq!(
            e.to_string(),
            "connection 'm365': invalid identity configuration: tenant: is empty"
        );
        assert!(!e.is_not_found());
        let source = e.source().expect("a source");
        assert!(source.downcast_ref::<graphlink_identity::Error>().is_some());
    }
}
