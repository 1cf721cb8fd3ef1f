//! The emulator's own admin API under `/_emulator`: faults, request counters, settings.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use crate::faults::FaultRule;
use crate::web::GraphError;
use crate::AppState;

/// Routes under `/_emulator`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/_emulator/faults",
            get(list_faults).post(add_faults).delete(clear_faults),
        )
        .route("/_emulator/requests", get(requests).delete(reset_requests))
        .route("/_emulator/settings", get(get_settings).put(put_settings))
}

async fn list_faults(State(state): State<AppState>) -> Json<Vec<FaultRule>> {
    Json(state.faults.rules())
}

/// Accepts one rule or an array of rules.
#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    Many(Vec<FaultRule>),
    One(FaultRule),
}

async fn add_faults(State(state): State<AppState>, Json(body): Json<OneOrMany>) -> Response {
    let rules = match body {
        OneOrMany::Many(r) => r,
        OneOrMany::One(r) => vec![r],
    };
    for (i, rule) in rules.into_iter().enumerate() {
        if let Err(e) = state.faults.add(rule) {
            return GraphError::bad_request(format!("rule {i}: {e}")).into_response();
        }
    }
    (StatusCode::CREATED, Json(state.faults.rules())).into_response()
}

async fn clear_faults(State(state): State<AppState>) -> StatusCode {
    state.faults.clear();
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct CountQuery {
    path: Option<String>,
    method: Option<String>,
}

async fn requests(State(state): State<AppState>, Query(q): Query<CountQuery>) -> Response {
    let counters = state.faults.counters();
    let mut body = serde_json::to_value(&counters).unwrap_or_default();
    if let Some(pattern) = q.path {
        match regex::Regex::new(&pattern) {
            Ok(re) => {
                body["matching"] = json!(state.faults.count_matching(q.method.as_deref(), &re));
            }
            Err(e) => {
                return GraphError::bad_request(format!("path: invalid regex: {e}")).into_response()
            }
        }
    }
    Json(body).into_response()
}

async fn reset_requests(State(state): State<AppState>) -> StatusCode {
    state.faults.reset_counters();
    StatusCode::NO_CONTENT
}

async fn get_settings(State(state): State<AppState>) -> Response {
    Json(state.settings()).into_response()
}

/// Merges the given fields into the settings.
async fn put_settings(
    State(state): State<AppState>,
    Json(patch): Json<serde_json::Value>,
) -> Response {
    let mut current = serde_json::to_value(state.settings()).unwrap_or_default();
    let (Some(obj), Some(patch)) = (current.as_object_mut(), patch.as_object()) else {
        return GraphError::bad_request("settings must be a JSON object").into_response();
    };
    for (k, v) in patch {
        if !obj.contains_key(k) {
            return GraphError::bad_request(format!("unknown setting `{k}`")).into_response();
        }
        obj.insert(k.clone(), v.clone());
    }
    match serde_json::from_value(current) {
        Ok(settings) => {
            *state.settings.write() = settings;
            Json(state.settings()).into_response()
        }
        Err(e) => GraphError::bad_request(format!("invalid settings: {e}")).into_response(),
    }
}
