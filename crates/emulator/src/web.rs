//! What every route shares: request ids, the base URL the client used, and the two wire error
//! formats (Graph's and the identity platform's), filled in by one middleware.

use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Ids of the request being served, stored in the request's extensions by [`request_ids`].
#[derive(Debug, Clone)]
pub struct RequestIds {
    /// The server's `request-id`.
    pub request_id: String,
    /// The client's `client-request-id`, or a fresh one.
    pub client_request_id: String,
}

/// Where the emulator listens: what [`BaseUrl`] falls back on when a request does not say
/// which origin the client used.
pub trait Listener {
    /// `https` with TLS, else `http`.
    fn scheme(&self) -> &'static str;
    /// `host:port` the emulator listens on.
    fn listen_authority(&self) -> String;
}

/// The scheme, host and port the client used, for absolute URLs the emulator hands out.
#[derive(Debug, Clone)]
pub struct BaseUrl(pub String);

impl BaseUrl {
    /// Computes the base URL from `X-Forwarded-Proto`/`X-Forwarded-Host`, else `Host`.
    pub fn from_headers(headers: &HeaderMap, listener: &impl Listener) -> Self {
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.split(',').next().unwrap_or(v).trim().to_string())
                .filter(|v| !v.is_empty() && !v.contains(['/', ' ', '@']))
        };
        let scheme = header("x-forwarded-proto")
            .filter(|s| s == "http" || s == "https")
            .unwrap_or_else(|| listener.scheme().to_string());
        let host = header("x-forwarded-host")
            .or_else(|| header("host"))
            .unwrap_or_else(|| listener.listen_authority());
        BaseUrl(format!("{scheme}://{host}"))
    }

    /// The base URL of a request: its headers, or for an HTTP/2 request without `Host` its
    /// `:authority` pseudo-header (the URI's authority).
    pub fn from_parts(parts: &Parts, listener: &impl Listener) -> Self {
        let has_host = parts.headers.contains_key("x-forwarded-host")
            || parts.headers.contains_key(axum::http::header::HOST);
        if let (false, Some(authority)) = (has_host, parts.uri.authority()) {
            let mut headers = parts.headers.clone();
            if let Ok(v) = HeaderValue::from_str(authority.as_str()) {
                headers.insert(axum::http::header::HOST, v);
            }
            return BaseUrl::from_headers(&headers, listener);
        }
        BaseUrl::from_headers(&parts.headers, listener)
    }
}

impl<S: Listener + Send + Sync> FromRequestParts<S> for BaseUrl {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Ok(BaseUrl::from_parts(parts, state))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for RequestIds {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<RequestIds>()
            .cloned()
            .unwrap_or_else(|| RequestIds {
                request_id: uuid::Uuid::new_v4().to_string(),
                client_request_id: uuid::Uuid::new_v4().to_string(),
            }))
    }
}

/// A Graph error: `{"error":{"code","message","innerError":{...}}}`. The body is written by
/// [`request_ids`] so that it carries the request's ids.
#[derive(Debug, Clone)]
pub struct GraphError {
    /// HTTP status.
    pub status: StatusCode,
    /// Top-level code (`itemNotFound`, `InvalidAuthenticationToken`, ...).
    pub code: String,
    /// Human message.
    pub message: String,
    /// Nested inner code (`fragmentOverlap`, ...), if any.
    pub inner_code: Option<String>,
    /// Extra response headers (`Retry-After`, `WWW-Authenticate`, `Location`).
    pub headers: Vec<(HeaderName, String)>,
}

impl GraphError {
    /// A Graph error with a status, code and message.
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.to_string(),
            message: message.into(),
            inner_code: None,
            headers: Vec::new(),
        }
    }

    /// Adds a nested inner error code.
    pub fn inner(mut self, code: &str) -> Self {
        self.inner_code = Some(code.to_string());
        self
    }

    /// Adds a response header.
    pub fn header(mut self, name: HeaderName, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// 404 itemNotFound.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "itemNotFound", message)
    }

    /// 400 invalidRequest.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalidRequest", message)
    }

    fn body(&self, ids: &RequestIds) -> serde_json::Value {
        let date = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        let mut inner = json!({
            "date": date,
            "request-id": ids.request_id,
            "client-request-id": ids.client_request_id,
        });
        if let Some(code) = &self.inner_code {
            inner["code"] = json!(code);
        }
        json!({"error": {"code": self.code, "message": self.message, "innerError": inner}})
    }
}

impl IntoResponse for GraphError {
    fn into_response(self) -> Response {
        let mut resp = self.status.into_response();
        resp.extensions_mut().insert(self);
        resp
    }
}

/// An identity-platform error: `{"error","error_description","error_codes",...}`, written by
/// [`request_ids`] with the trace and correlation ids.
#[derive(Debug, Clone)]
pub struct IdentityError {
    /// HTTP status.
    pub status: StatusCode,
    /// OAuth `error` (`invalid_client`, ...).
    pub error: String,
    /// AADSTS number, if any (0 for none, e.g. `authorization_declined`).
    pub aadsts: u32,
    /// Description (without the AADSTS prefix and trailer, which are added).
    pub description: String,
}

impl IdentityError {
    /// An identity error.
    pub fn new(
        status: StatusCode,
        error: &str,
        aadsts: u32,
        description: impl Into<String>,
    ) -> Self {
        Self {
            status,
            error: error.to_string(),
            aadsts,
            description: description.into(),
        }
    }

    fn body(&self, ids: &RequestIds) -> serde_json::Value {
        let now = time::OffsetDateTime::now_utc();
        let stamp = now
            .format(time::macros::format_description!(
                "[year]-[month]-[day] [hour]:[minute]:[second]Z"
            ))
            .unwrap_or_default();
        let prefix = if self.aadsts > 0 {
            format!("AADSTS{}: ", self.aadsts)
        } else {
            String::new()
        };
        let description = format!(
            "{prefix}{}\r\nTrace ID: {}\r\nCorrelation ID: {}\r\nTimestamp: {stamp}",
            self.description, ids.request_id, ids.client_request_id
        );
        let codes: Vec<u32> = if self.aadsts > 0 {
            vec![self.aadsts]
        } else {
            vec![]
        };
        json!({
            "error": self.error,
            "error_description": description,
            "error_codes": codes,
            "timestamp": stamp,
            "trace_id": ids.request_id,
            "correlation_id": ids.client_request_id,
            "error_uri": "https://login.microsoftonline.com/error",
        })
    }
}

impl IntoResponse for IdentityError {
    fn into_response(self) -> Response {
        let mut resp = self.status.into_response();
        resp.extensions_mut().insert(self);
        resp
    }
}

/// Middleware: assigns `request-id`, echoes `client-request-id`, counts the request, and writes
/// the body of [`GraphError`] / [`IdentityError`] responses.
pub async fn request_ids(mut req: Request, next: Next) -> Response {
    let client_request_id = req
        .headers()
        .get("client-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.len() <= 128)
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let ids = RequestIds {
        request_id: uuid::Uuid::new_v4().to_string(),
        client_request_id,
    };
    req.extensions_mut().insert(ids.clone());
    let mut resp = next.run(req).await;
    if let Some(err) = resp.extensions_mut().remove::<GraphError>() {
        for (name, value) in &err.headers {
            if let Ok(v) = HeaderValue::from_str(value) {
                resp.headers_mut().append(name.clone(), v);
            }
        }
        resp = with_json_body(resp, err.status, &err.body(&ids));
    } else if let Some(err) = resp.extensions_mut().remove::<IdentityError>() {
        resp = with_json_body(resp, err.status, &err.body(&ids));
        no_store(resp.headers_mut());
    }
    let headers = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&ids.request_id) {
        headers.insert("request-id", v);
    }
    if let Ok(v) = HeaderValue::from_str(&ids.client_request_id) {
        headers.insert("client-request-id", v);
    }
    resp
}

/// Replaces a response's status and body with JSON, keeping its other headers.
fn with_json_body(resp: Response, status: StatusCode, body: &serde_json::Value) -> Response {
    let (mut parts, _) = resp.into_parts();
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    parts.status = status;
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    parts.headers.insert(
        axum::http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// Sets `Cache-Control: no-store, no-cache` and `Pragma: no-cache` (identity responses).
pub fn no_store(headers: &mut HeaderMap) {
    headers.insert(
        "cache-control",
        HeaderValue::from_static("no-store, no-cache"),
    );
    headers.insert("pragma", HeaderValue::from_static("no-cache"));
}
