//! Copy: `POST .../copy` answers 202 with a monitor URL (no auth needed) and copies in the
//! background; the monitor says `inProgress` on its first poll, then `completed` with the new
//! item's `resourceId` (or `failed` with an error).

use axum::body::Body;
use axum::extract::{Path as UrlPath, State};
use axum::http::header::LOCATION;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::context::Ctx;
use super::ids;
use super::items::resolve;
use super::model::{Conflict, FileFacet, Identity};
use super::mutate::{self, Placement};
use super::names::validate_name;
use super::path::{DriveSel, ItemAddr};
use super::reply::{json as json_response, json_body, Outcome};
use crate::web::GraphError;
use crate::AppState;

/// State of a copy job.
#[derive(Debug, Clone)]
pub struct Job {
    status: JobStatus,
    polled: bool,
}

#[derive(Debug, Clone)]
enum JobStatus {
    InProgress,
    Completed(String),
    Failed(String, String),
}

/// One node of the copied subtree.
#[derive(Debug)]
struct Node {
    /// Index of the parent node (`None` for the top).
    parent: Option<usize>,
    name: String,
    file: Option<FileFacet>,
    fs_created: ids::Millis,
    fs_modified: ids::Millis,
}

/// `POST .../copy`.
pub async fn start(ctx: &Ctx, drive: &DriveSel, addr: &ItemAddr, body: Body) -> Outcome {
    let body = json_body(body).await?;
    let conflict = match body
        .get("@microsoft.graph.conflictBehavior")
        .and_then(|v| v.as_str())
    {
        Some(v) => Conflict::parse(v)
            .ok_or_else(|| GraphError::bad_request(format!("Invalid conflictBehavior '{v}'.")))?,
        None => ctx.conflict_query(Conflict::Fail)?,
    };
    let (nodes, dest_drive, dest_parent, name) = {
        let store = ctx.graph().read();
        let src_drive = ctx.drive_id(&store, drive, false)?;
        let d = store.drive(&src_drive)?;
        let src = resolve(d, addr)?;
        if src.parent.is_none() {
            return Err(GraphError::bad_request(
                "The root of a drive cannot be copied.",
            ));
        }
        let pr = body.get("parentReference");
        let dest_drive = match pr.and_then(|p| p.get("driveId")).and_then(|v| v.as_str()) {
            Some(other) => ctx.drive_id(&store, &DriveSel::Id(other.to_string()), true)?,
            None => ctx.drive_id(&store, drive, true)?,
        };
        let dd = store.drive(&dest_drive)?;
        let dest_parent = match pr.and_then(|p| p.get("id")).and_then(|v| v.as_str()) {
            Some(pid) => dd.item(pid)?.id.clone(),
            None if dest_drive == src_drive => src.parent.clone().unwrap_or_default(),
            None => dd.meta.root.clone(),
        };
        if !dd.item(&dest_parent)?.is_folder() {
            return Err(GraphError::bad_request("The destination is not a folder."));
        }
        if dest_drive == src_drive && d.is_within(&dest_parent, &src.id) {
            return Err(GraphError::bad_request(
                "A folder cannot be copied into itself.",
            ));
        }
        let name = body
            .get("name")
            .and_then(|v| v.as_str())
            .map(str::to_string)
            .unwrap_or_else(|| src.name.clone());
        validate_name(&name)?;
        if conflict == Conflict::Fail && dd.child(&dest_parent, &name).is_some() {
            return Err(mutate::name_exists(&name));
        }
        // Snapshot the subtree (parents before children).
        let mut nodes = Vec::new();
        let mut stack = vec![(src.id.clone(), None::<usize>)];
        let mut total = 0u64;
        while let Some((id, parent)) = stack.pop() {
            let Some(item) = d.items.get(&id) else {
                continue;
            };
            let index = nodes.len();
            total += item.file.as_ref().map_or(0, |f| f.size);
            nodes.push(Node {
                parent,
                name: item.name.clone(),
                file: item.file.clone(),
                fs_created: item.fs_created,
                fs_modified: item.fs_modified,
            });
            for child in item.children.values().rev() {
                stack.push((child.clone(), Some(index)));
            }
        }
        mutate::check_quota(&store, &dest_drive, total, ctx.quota())?;
        (nodes, dest_drive, dest_parent, name)
    };
    let job_id = ids::random_token(16);
    ctx.graph().copies.lock().insert(
        job_id.clone(),
        Job {
            status: JobStatus::InProgress,
            polled: false,
        },
    );
    let state = ctx.state.clone();
    let who = ctx.caller.identity();
    let job = job_id.clone();
    tokio::spawn(async move {
        let status = match run(
            &state,
            nodes,
            &dest_drive,
            &dest_parent,
            &name,
            conflict,
            &who,
        )
        .await
        {
            Ok(id) => JobStatus::Completed(id),
            Err(e) => JobStatus::Failed(e.code, e.message),
        };
        if let Some(j) = state.graph.copies.lock().get_mut(&job) {
            j.status = status;
        }
    });
    let mut resp = StatusCode::ACCEPTED.into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("{}/_monitor/{job_id}", ctx.base)) {
        resp.headers_mut().insert(LOCATION, v);
    }
    Ok(resp)
}

async fn run(
    state: &AppState,
    nodes: Vec<Node>,
    drive: &str,
    parent: &str,
    name: &str,
    conflict: Conflict,
    who: &Identity,
) -> Result<String, GraphError> {
    // Copy the content first, outside the lock.
    let mut temps = Vec::new();
    for node in &nodes {
        if let Some(f) = &node.file {
            let temp = super::body::TempFile::new(state.graph.temp_path());
            tokio::fs::copy(state.graph.blob_path(&f.blob), temp.path())
                .await
                .map_err(|e| super::body::io_error("Copying the content failed", e))?;
            temps.push(Some(temp));
        } else {
            temps.push(None);
        }
    }
    let mut store = state.graph.write();
    let (placement, stale) = mutate::place(&mut store, drive, parent, name, false, conflict)?;
    let Placement::New(top_name) = placement else {
        return Err(mutate::name_exists(name));
    };
    let mut new_ids: Vec<String> = Vec::with_capacity(nodes.len());
    for (node, temp) in nodes.iter().zip(temps.iter_mut()) {
        let parent_id = match node.parent {
            Some(i) => new_ids[i].clone(),
            None => parent.to_string(),
        };
        let item_name = if node.parent.is_none() {
            top_name.clone()
        } else {
            node.name.clone()
        };
        let file = match (&node.file, temp) {
            (Some(f), Some(t)) => {
                let blob = ids::random_token(18);
                std::fs::rename(t.path(), state.graph.blob_path(&blob))
                    .map_err(|e| super::body::io_error("Storing the copy failed", e))?;
                t.keep();
                Some(FileFacet { blob, ..f.clone() })
            }
            _ => None,
        };
        let mut item = mutate::new_item(&item_name, &parent_id, who, file);
        item.fs_created = node.fs_created;
        item.fs_modified = node.fs_modified;
        new_ids.push(item.id.clone());
        store.put_item(drive, item);
    }
    drop(store);
    state.graph.remove_blobs(stale);
    new_ids
        .into_iter()
        .next()
        .ok_or_else(|| GraphError::not_found("The source item vanished."))
}

/// `GET /_monitor/{job}`: the copy's progress (no Authorization needed).
pub async fn monitor(State(state): State<AppState>, UrlPath(job): UrlPath<String>) -> Response {
    let mut jobs = state.graph.copies.lock();
    let Some(j) = jobs.get_mut(&job) else {
        return GraphError::not_found("The copy operation could not be found.").into_response();
    };
    let first = !j.polled;
    j.polled = true;
    match (&j.status, first) {
        (JobStatus::InProgress, _) | (_, true) => json_response(
            StatusCode::ACCEPTED,
            &json!({"status": "inProgress", "percentageComplete": 0.0, "operation": "ItemCopy"}),
        ),
        (JobStatus::Completed(id), false) => json_response(
            StatusCode::OK,
            &json!({"status": "completed", "percentageComplete": 100.0, "resourceId": id, "operation": "ItemCopy"}),
        ),
        (JobStatus::Failed(code, message), false) => json_response(
            StatusCode::OK,
            &json!({"status": "failed", "operation": "ItemCopy", "error": {"code": code, "message": message}}),
        ),
    }
}
