//! Admin views of the Graph store for tests and the demo, under `/_emulator` (no auth):
//! - `GET  /_emulator/drives`: every drive (id, name, type, owner, site, item count, bytes used);
//! - `GET  /_emulator/drives/{id}/tree`: every item of a drive by path (id, folder, size, hash, eTag);
//! - `POST /_emulator/drives/{id}/expire-delta`: makes every delta token issued so far answer 410;
//! - `GET  /_emulator/sites`: sites with their library drive ids;
//! - `GET  /_emulator/uploads`: open upload sessions (drive, name, bytes received; no URLs);
//! - `POST /_emulator/graph/flush`: writes the store snapshot now.

use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;

use super::model::Owner;
use crate::web::GraphError;
use crate::AppState;

/// Graph admin routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/_emulator/drives", get(drives))
        .route("/_emulator/drives/{id}/tree", get(tree))
        .route("/_emulator/drives/{id}/expire-delta", post(expire_delta))
        .route("/_emulator/sites", get(sites))
        .route("/_emulator/uploads", get(uploads))
        .route("/_emulator/graph/flush", post(flush))
}

async fn drives(State(state): State<AppState>) -> Json<serde_json::Value> {
    let store = state.graph.read();
    let mut list: Vec<_> = store
        .drives
        .values()
        .map(|d| {
            let (owner, site) = match &d.meta.owner {
                Owner::User { upn, .. } => (upn.clone(), None),
                Owner::Site {
                    site_id,
                    display_name,
                } => (display_name.clone(), Some(site_id.clone())),
            };
            json!({
                "id": d.meta.id,
                "name": d.meta.name,
                "driveType": d.meta.drive_type,
                "owner": owner,
                "siteId": site,
                "rootId": d.meta.root,
                "webUrl": d.meta.web_url,
                "items": d.items.len(),
                "used": d.used(),
                "seq": d.seq,
            })
        })
        .collect();
    list.sort_by(|a, b| a["webUrl"].as_str().cmp(&b["webUrl"].as_str()));
    Json(json!({ "value": list }))
}

async fn tree(State(state): State<AppState>, UrlPath(id): UrlPath<String>) -> Response {
    let store = state.graph.read();
    let Some(d) = store.drives.get(&id) else {
        return GraphError::not_found("No such drive.").into_response();
    };
    let items: Vec<_> = d
        .pre_order()
        .iter()
        .filter_map(|i| d.items.get(i))
        .filter(|i| i.parent.is_some())
        .map(|i| {
            json!({
                "path": format!("/{}", d.path_names(&i.id).join("/")),
                "id": i.id,
                "folder": i.is_folder(),
                "size": i.size(),
                "quickXorHash": i.file.as_ref().map(|f| f.quick_xor.clone()),
                "eTag": i.etag(),
            })
        })
        .collect();
    Json(json!({ "value": items })).into_response()
}

async fn expire_delta(State(state): State<AppState>, UrlPath(id): UrlPath<String>) -> Response {
    let mut store = state.graph.write();
    if !store.drives.contains_key(&id) {
        return GraphError::not_found("No such drive.").into_response();
    }
    store.expire_delta_tokens(&id);
    StatusCode::NO_CONTENT.into_response()
}

async fn sites(State(state): State<AppState>) -> Json<serde_json::Value> {
    let list: Vec<_> = state
        .graph
        .sites()
        .iter()
        .map(|s| json!({"id": s.id, "path": s.path, "displayName": s.display_name, "webUrl": s.web_url, "drives": s.drives}))
        .collect();
    Json(json!({ "value": list }))
}

async fn uploads(State(state): State<AppState>) -> Json<serde_json::Value> {
    let store = state.graph.read();
    let list: Vec<_> = store
        .sessions
        .values()
        .map(
            |s| json!({"drive": s.drive, "name": s.name, "received": s.received, "total": s.total}),
        )
        .collect();
    Json(json!({ "value": list }))
}

async fn flush(State(state): State<AppState>) -> Response {
    match state.graph.flush() {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => GraphError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "generalException",
            e.to_string(),
        )
        .into_response(),
    }
}
