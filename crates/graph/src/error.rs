//! The crate's one error type, and how Graph's error answers become it.

use std::fmt;
use std::time::Duration;

use crate::wire::{ErrorBody, InnerError};

/// Everything that can go wrong talking to Graph. Messages never contain an access token or a
/// pre-authenticated URL (download links, upload sessions, copy monitors).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Graph answered with an error status.
    #[error("{0}")]
    Api(Box<ApiError>),
    /// The request did not get an answer (connection refused or broken, timeout, TLS).
    #[error("{request}: {detail}")]
    Transport {
        /// The request, as `METHOD /path` (or a description for pre-authenticated URLs).
        request: String,
        /// What failed, without the URL.
        detail: String,
    },
    /// No access token could be obtained.
    #[error("could not get an access token: {0}")]
    Token(#[from] graphlink_identity::Error),
    /// The HTTP client could not be built.
    #[error(transparent)]
    Http(#[from] graphlink_http::Error),
    /// Bad input from the caller (a path, a name, a drive or site reference, an option).
    #[error("invalid {what}: {reason}")]
    InvalidInput {
        /// What was invalid ("path", "site", ...).
        what: String,
        /// Why.
        reason: String,
    },
    /// A name lookup (site, library) found nothing or several candidates.
    #[error("{what}: {reason}")]
    Resolve {
        /// What was looked up.
        what: String,
        /// What was found instead.
        reason: String,
    },
    /// Graph answered something this client cannot use.
    #[error("unexpected answer to {request}: {detail}")]
    Protocol {
        /// The request.
        request: String,
        /// What was wrong.
        detail: String,
    },
    /// A local file operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done, with the file path.
        context: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The content transferred does not match the drive's hash or size.
    #[error("integrity check failed for {what}: {detail}")]
    Integrity {
        /// The file.
        what: String,
        /// Expected versus actual hash or size.
        detail: String,
    },
    /// A server-side copy reported failure.
    #[error("copy of {what} failed: {message}")]
    CopyFailed {
        /// The source item.
        what: String,
        /// The monitor's message.
        message: String,
    },
}

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn invalid(what: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::InvalidInput {
            what: what.into(),
            reason: reason.into(),
        }
    }

    pub(crate) fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> Self {
        let context = context.into();
        move |source| Self::Io { context, source }
    }

    pub(crate) fn protocol(request: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::Protocol {
            request: request.into(),
            detail: detail.into(),
        }
    }

    pub(crate) fn transport(request: &str, err: &reqwest::Error) -> Self {
        Self::Transport {
            request: request.to_string(),
            detail: graphlink_http::describe_transport_error(err),
        }
    }

    /// The Graph error, when Graph answered with an error status.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Self::Api(e) => Some(e),
            _ => None,
        }
    }

    /// The HTTP status Graph answered with, if any.
    pub fn status(&self) -> Option<u16> {
        self.api().map(|e| e.status)
    }

    /// Whether Graph said the item (or drive, site, ...) does not exist.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// Whether Graph refused because the name is taken (409).
    pub fn is_conflict(&self) -> bool {
        self.status() == Some(409)
    }

    /// Whether Graph's answer carries `code` at any nesting level (case-insensitive).
    pub fn has_code(&self, code: &str) -> bool {
        self.api().is_some_and(|e| e.has_code(code))
    }
}

/// An error answer from Graph: status, codes, message, ids for support, and a hint for the user.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// Error codes from the outermost (`error.code`) to the innermost nested `innerError.code`.
    pub codes: Vec<String>,
    /// Graph's message.
    pub message: Option<String>,
    /// The request, as `METHOD /path` (never a pre-authenticated URL or a query string).
    pub request: String,
    /// The server's `request-id`.
    pub request_id: Option<String>,
    /// The `client-request-id` this client sent.
    pub client_request_id: Option<String>,
    /// The server's `Retry-After`, if any.
    pub retry_after: Option<Duration>,
    /// A sentence telling the user what this most likely means.
    pub hint: Option<String>,
}

impl ApiError {
    /// Builds the error from a status, the raw body and the response's ids.
    pub fn from_parts(
        status: u16,
        body: &[u8],
        request: &str,
        request_id: Option<String>,
        client_request_id: Option<String>,
        retry_after: Option<Duration>,
    ) -> Self {
        let parsed: Option<ErrorBody> = serde_json::from_slice(body).ok();
        let detail = parsed.and_then(|b| b.error);
        let mut codes = Vec::new();
        let mut message = None;
        let mut inner_request_id = None;
        let mut inner_client_id = None;
        if let Some(detail) = detail {
            codes.extend(detail.code.filter(|c| !c.is_empty()));
            message = detail.message.filter(|m| !m.is_empty());
            let mut inner: Option<&InnerError> = detail.inner_error.as_deref();
            while let Some(e) = inner {
                if let Some(code) = e.code.as_ref().filter(|c| !c.is_empty()) {
                    if codes.last() != Some(code) {
                        codes.push(code.clone());
                    }
                }
                if message.is_none() {
                    message = e.message.clone().filter(|m| !m.is_empty());
                }
                inner_request_id = inner_request_id.or_else(|| e.request_id.clone());
                inner_client_id = inner_client_id.or_else(|| e.client_request_id.clone());
                inner = e.inner_error.as_deref();
            }
        } else if !body.is_empty() && body.len() <= 300 {
            // Not Graph JSON (a proxy page, plain text): keep a short excerpt.
            let text = String::from_utf8_lossy(body).trim().to_string();
            if !text.is_empty() && !text.starts_with('<') {
                message = Some(text);
            }
        }
        let mut err = Self {
            status,
            codes,
            message,
            request: request.to_string(),
            request_id: request_id.or(inner_request_id),
            client_request_id: client_request_id.or(inner_client_id),
            retry_after,
            hint: None,
        };
        err.hint = err.default_hint();
        err
    }

    /// The outermost code (`error.code`).
    pub fn code(&self) -> Option<&str> {
        self.codes.first().map(String::as_str)
    }

    /// The most specific code (the innermost nested one).
    pub fn innermost_code(&self) -> Option<&str> {
        self.codes.last().map(String::as_str)
    }

    /// Whether `code` appears at any nesting level (case-insensitive).
    pub fn has_code(&self, code: &str) -> bool {
        self.codes.iter().any(|c| c.eq_ignore_ascii_case(code))
    }

    /// Whether this is the "token expired or invalid" answer that a fresh token may cure.
    pub fn is_invalid_token(&self) -> bool {
        self.status == 401 && (self.has_code("InvalidAuthenticationToken") || self.codes.is_empty())
    }

    fn default_hint(&self) -> Option<String> {
        let hint = match self.status {
            401 if self.has_code("InvalidAuthenticationToken") => {
                "the access token was refused; check the connection's credentials and its authority/Graph cloud"
            }
            401 => "not authorized for this operation",
            403 => "access denied: the app or user lacks a permission or admin consent (e.g. Files.ReadWrite.All / Sites.ReadWrite.All), or Sites.Selected has no grant for this site",
            404 => "not found: check the path, item, drive or site",
            409 if self.has_code("nameAlreadyExists") => {
                "an item with that name already exists (choose replace or rename to overwrite or keep both)"
            }
            409 => "conflict with the current state of the item",
            412 => "the item changed since it was read (eTag mismatch)",
            423 => "the item is locked (checked out or open in an editor)",
            429 | 503 => "Graph kept throttling the requests; try again later or with fewer parallel transfers",
            507 => "the drive's storage quota is exhausted",
            _ => return None,
        };
        Some(hint.to_string())
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} failed with HTTP {}", self.request, self.status)?;
        if !self.codes.is_empty() {
            write!(f, " ({})", self.codes.join(" / "))?;
        }
        if let Some(message) = &self.message {
            write!(f, ": {message}")?;
        }
        if let Some(hint) = &self.hint {
            write!(f, " - {hint}")?;
        }
        let ids: Vec<String> = [
            self.request_id.as_ref().map(|i| format!("request-id {i}")),
            self.client_request_id
                .as_ref()
                .map(|i| format!("client-request-id {i}")),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !ids.is_empty() {
            write!(f, " [{}]", ids.join(", "))?;
        }
        Ok(())
    }
}

impl From<ApiError> for Error {
    fn from(e: ApiError) -> Self {
        Self::Api(Box::new(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_inner_errors_give_every_code_and_the_ids() {
        let body = br#"{"error":{"code":"invalidRequest","message":"Fragment overlaps.",
            "innerError":{"code":"invalidRange","date":"2026-01-01T00:00:00",
              "request-id":"rid-inner","client-request-id":"crid-inner",
              "innerError":{"code":"fragmentOverlap"}}}}"#;
        let e = ApiError::from_parts(416, body, "PUT upload session", None, None, None);
        assert_eq!(
            e.codes,
            ["invalidRequest", "invalidRange", "fragmentOverlap"]
        );
        assert_eq!(e.code(), Some("invalidRequest"));
        assert_eq!(e.innermost_code(), Some("fragmentOverlap"));
        assert!(e.has_code("FRAGMENTOVERLAP"));
        assert_eq!(e.request_id.as_deref(), Some("rid-inner"));
        assert_eq!(e.client_request_id.as_deref(), Some("crid-inner"));
        let text = e.to_string();
        assert!(text.contains("HTTP 416"), "{text}");
        assert!(
            text.contains("invalidRequest / invalidRange / fragmentOverlap"),
            "{text}"
        );
        assert!(text.contains("Fragment overlaps."), "{text}");
        assert!(text.contains("request-id rid-inner"), "{text}");
    }

    #[test]
    fn header_ids_win_and_hints_explain_common_statuses() {
        let body = br#"{"error":{"code":"accessDenied","message":"Access denied","innererror":{"request-id":"body"}}}"#;
        let e = ApiError::from_parts(
            403,
            body,
            "GET /sites/x",
            Some("header".into()),
            Some("mine".into()),
            None,
        );
        assert_eq!(e.request_id.as_deref(), Some("header"));
        assert!(e.to_string().contains("permission or admin consent"));
        let e = ApiError::from_parts(404, b"", "GET /drives/d/root:/a.txt", None, None, None);
        assert!(e.codes.is_empty());
        assert!(e
            .to_string()
            .contains("GET /drives/d/root:/a.txt failed with HTTP 404"));
        assert!(e.to_string().contains("not found"));
        let e = ApiError::from_parts(
            507,
            br#"{"error":{"code":"quotaLimitReached"}}"#,
            "PUT x",
            None,
            None,
            None,
        );
        assert!(e.to_string().contains("quota"));
    }

    #[test]
    fn invalid_token_detection() {
        let body = br#"{"error":{"code":"InvalidAuthenticationToken","message":"Access token has expired or is not yet valid."}}"#;
        assert!(ApiError::from_parts(401, body, "GET /me", None, None, None).is_invalid_token());
        let teams = br#"{"error":{"code":"Unauthorized","message":"Message POST is allowed in application-only context only for import purposes."}}"#;
        assert!(
            !ApiError::from_parts(401, teams, "POST /teams", None, None, None).is_invalid_token()
        );
        assert!(!ApiError::from_parts(403, body, "GET /me", None, None, None).is_invalid_token());
    }

    #[test]
    fn non_json_bodies_are_kept_short_and_html_dropped() {
        let e = ApiError::from_parts(502, b"upstream broke", "GET /x", None, None, None);
        assert_eq!(e.message.as_deref(), Some("upstream broke"));
        let e = ApiError::from_parts(502, b"<html>proxy</html>", "GET /x", None, None, None);
        assert_eq!(e.message, None);
    }
}
