//! Admin endpoints of the identity side: `GET /_emulator/identity` (device codes not yet
//! expired, refresh-token and used-assertion counts) and `POST /_emulator/devicelogin` (JSON
//! `{user_code, upn, decision}`: the login page's decision, for tests).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;

use super::login_page::{decide, Outcome};
use crate::web::GraphError;
use crate::AppState;

/// `GET /_emulator/identity`.
pub(super) async fn summary(State(state): State<AppState>) -> Json<serde_json::Value> {
    let identity = &state.identity;
    Json(json!({
        "device_codes": identity.devices.pending(),
        "refresh_tokens": identity.store.refresh_token_count(),
        "used_assertions": identity.store.used_assertion_count(),
    }))
}

/// Body of `POST /_emulator/devicelogin`.
#[derive(Debug, Deserialize)]
pub(super) struct DecisionBody {
    user_code: Option<String>,
    upn: Option<String>,
    decision: Option<String>,
}

/// `POST /_emulator/devicelogin`.
pub(super) async fn devicelogin(
    State(state): State<AppState>,
    Json(body): Json<DecisionBody>,
) -> Response {
    match decide(
        &state,
        body.user_code.as_deref(),
        body.upn.as_deref(),
        body.decision.as_deref(),
    ) {
        Ok(Outcome::Approved { upn, scope, .. }) => (
            StatusCode::OK,
            Json(json!({"status": "approved", "upn": upn, "scope": scope})),
        )
            .into_response(),
        Ok(Outcome::Declined { .. }) => {
            (StatusCode::OK, Json(json!({"status": "declined"}))).into_response()
        }
        Err(refusal) => GraphError::bad_request(refusal.message()).into_response(),
    }
}
