//! What Graph handlers (the drive side and Teams) answer with: the [`Outcome`] type, JSON
//! responses, small JSON request bodies, and the errors every resource shares.

use axum::body::Body;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use crate::web::GraphError;

/// A handler's outcome: the response, or Graph's error answer.
pub type Outcome = Result<Response, GraphError>;

/// A JSON response.
pub fn json<T: Serialize>(status: StatusCode, body: &T) -> Response {
    (status, Json(body)).into_response()
}

/// Reads a small JSON body (400 on invalid JSON; an empty body reads as `{}`).
pub async fn json_body(body: Body) -> Result<serde_json::Value, GraphError> {
    let bytes = axum::body::to_bytes(body, 4 << 20)
        .await
        .map_err(|e| GraphError::bad_request(format!("Could not read the request body: {e}")))?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(serde_json::json!({}));
    }
    serde_json::from_slice(&bytes)
        .map_err(|e| GraphError::bad_request(format!("Invalid request body: {e}")))
}

/// 405 for a method a resource does not support.
pub fn method_not_allowed() -> GraphError {
    GraphError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "invalidRequest",
        "The HTTP method is not supported on this resource.",
    )
}

/// 404 for an unknown user.
pub fn user_not_found() -> GraphError {
    GraphError::new(
        StatusCode::NOT_FOUND,
        "Request_ResourceNotFound",
        "Resource could not be found.",
    )
}
