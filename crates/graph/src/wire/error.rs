//! Graph's error body.

use serde::{Deserialize, Serialize};

/// `{"error": {...}}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The error.
    #[serde(default)]
    pub error: Option<ErrorDetail>,
}

/// The top-level error.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// Error code, e.g. `itemNotFound`.
    #[serde(default)]
    pub code: Option<String>,
    /// Human-readable message.
    #[serde(default)]
    pub message: Option<String>,
    /// More specific detail, possibly nested.
    #[serde(default, rename = "innerError", alias = "innererror")]
    pub inner_error: Option<Box<InnerError>>,
}

/// A nested `innerError`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InnerError {
    /// A more specific code, e.g. `fragmentOverlap`.
    #[serde(default)]
    pub code: Option<String>,
    /// Message, when given.
    #[serde(default)]
    pub message: Option<String>,
    /// Server time.
    #[serde(default)]
    pub date: Option<String>,
    /// The server's request id.
    #[serde(default, rename = "request-id")]
    pub request_id: Option<String>,
    /// The client's request id, echoed.
    #[serde(default, rename = "client-request-id")]
    pub client_request_id: Option<String>,
    /// A further nested error.
    #[serde(default, rename = "innerError", alias = "innererror")]
    pub inner_error: Option<Box<InnerError>>,
}
