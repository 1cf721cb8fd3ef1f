//! Items: get, create folders, move/rename (PATCH), delete.

use axum::body::Body;
use axum::http::header::IF_MATCH;
use axum::http::StatusCode;
use axum::response::IntoResponse;

use super::context::Ctx;
use super::ids;
use super::model::{Conflict, Drive, Item};
use super::mutate::{self, Placement};
use super::names::validate_name;
use super::path::{DriveSel, ItemAddr};
use super::render;
use super::reply::{json, json_body, Outcome};
use crate::web::GraphError;

/// Resolves an item address in a drive (404 when missing).
pub fn resolve<'a>(drive: &'a Drive, addr: &ItemAddr) -> Result<&'a Item, GraphError> {
    let anchor = match &addr.id {
        Some(id) => drive.item(id)?.id.as_str(),
        None => drive.meta.root.as_str(),
    };
    drive.walk(anchor, &addr.path)
}

/// `GET` an item.
pub fn get(ctx: &Ctx, drive: &DriveSel, addr: &ItemAddr) -> Outcome {
    let store = ctx.graph().read();
    let drive_id = ctx.drive_id(&store, drive, false)?;
    let d = store.drive(&drive_id)?;
    let item = resolve(d, addr)?;
    let mut value =
        serde_json::to_value(render::item(&ctx.render(), d, item, false)).unwrap_or_default();
    if ctx.q("$expand").is_some_and(|e| {
        e.split(',')
            .any(|p| p.trim().eq_ignore_ascii_case("children"))
    }) {
        let children: Vec<_> = item
            .children
            .values()
            .filter_map(|id| d.items.get(id))
            .take(ctx.state.settings().page_size.max(1))
            .map(|c| render::item(&ctx.render(), d, c, false))
            .collect();
        value["children"] = serde_json::to_value(children).unwrap_or_default();
    }
    Ok(json(StatusCode::OK, &value))
}

fn conflict_of(
    ctx: &Ctx,
    body: &serde_json::Value,
    default: Conflict,
) -> Result<Conflict, GraphError> {
    match body
        .get("@microsoft.graph.conflictBehavior")
        .and_then(|v| v.as_str())
    {
        Some(v) => Conflict::parse(v)
            .ok_or_else(|| GraphError::bad_request(format!("Invalid conflictBehavior '{v}'."))),
        None => ctx.conflict_query(default),
    }
}

/// `POST .../children`: create a folder (201; 409 `nameAlreadyExists` with `fail`).
pub async fn create(ctx: &Ctx, drive: &DriveSel, addr: &ItemAddr, body: Body) -> Outcome {
    let body = json_body(body).await?;
    let name = body
        .get("name")
        .and_then(|v| v.as_str())
        .ok_or_else(|| GraphError::bad_request("The request body needs a 'name'."))?
        .to_string();
    if body.get("folder").is_none() {
        return Err(GraphError::bad_request(
            "Only folders can be created this way: give \"folder\": {}.",
        ));
    }
    validate_name(&name)?;
    let conflict = conflict_of(ctx, &body, Conflict::Fail)?;
    let who = ctx.caller.identity();
    let (drive_id, id, stale) = {
        let mut store = ctx.graph().write();
        let drive_id = ctx.drive_id(&store, drive, true)?;
        let d = store.drive(&drive_id)?;
        let parent = resolve(d, addr)?;
        if !parent.is_folder() {
            return Err(GraphError::bad_request("The parent item is not a folder."));
        }
        let parent_id = parent.id.clone();
        // `replace` on an existing folder keeps it (and its content) rather than wiping it.
        let existing_folder = d
            .child(&parent_id, &name)
            .filter(|c| c.is_folder() && conflict == Conflict::Replace)
            .map(|c| c.id.clone());
        if let Some(id) = existing_folder {
            return Ok(json(
                StatusCode::CREATED,
                &render::item(&ctx.render(), d, d.item(&id)?, false),
            ));
        }
        let (placement, stale) =
            mutate::place(&mut store, &drive_id, &parent_id, &name, false, conflict)?;
        let Placement::New(final_name) = placement else {
            return Err(mutate::name_exists(&name));
        };
        let mut item = mutate::new_item(&final_name, &parent_id, &who, None);
        if let Some(desc) = body.get("description").and_then(|v| v.as_str()) {
            item.description = Some(desc.to_string());
        }
        let id = item.id.clone();
        store.put_item(&drive_id, item);
        (drive_id, id, stale)
    };
    ctx.graph().remove_blobs(stale);
    let store = ctx.graph().read();
    let d = store.drive(&drive_id)?;
    Ok(json(
        StatusCode::CREATED,
        &render::item(&ctx.render(), d, d.item(&id)?, false),
    ))
}

/// Checks `If-Match` against the item's eTag (or cTag); 412 on mismatch.
pub fn check_if_match(ctx: &Ctx, item: &Item) -> Result<(), GraphError> {
    let Some(wanted) = ctx.headers.get(IF_MATCH).and_then(|v| v.to_str().ok()) else {
        return Ok(());
    };
    let norm = |s: &str| {
        s.trim()
            .trim_start_matches("W/")
            .trim_matches('"')
            .to_string()
    };
    let etag = norm(&item.etag());
    let ctag = norm(&item.ctag());
    // Tags contain commas (`"{GUID},3"`), so a list is matched by containment, not split.
    let whole = norm(wanted);
    let ok = whole == "*"
        || whole == etag
        || whole == ctag
        || wanted.contains(&item.etag())
        || wanted.contains(&item.ctag());
    if ok {
        Ok(())
    } else {
        Err(GraphError::new(
            StatusCode::PRECONDITION_FAILED,
            "resourceModified",
            "ETag does not match current item's value",
        ))
    }
}

/// `PATCH` an item: rename, move (same drive), `fileSystemInfo`, `description`.
pub async fn patch(ctx: &Ctx, drive: &DriveSel, addr: &ItemAddr, body: Body) -> Outcome {
    let body = json_body(body).await?;
    let conflict = conflict_of(ctx, &body, Conflict::Fail)?;
    let who = ctx.caller.identity();
    let (drive_id, id, stale) = {
        let mut store = ctx.graph().write();
        let drive_id = ctx.drive_id(&store, drive, true)?;
        let d = store.drive(&drive_id)?;
        let item = resolve(d, addr)?;
        check_if_match(ctx, item)?;
        let mut updated = item.clone();
        let is_root = item.parent.is_none();
        let mut stale = Vec::new();
        let new_name = body
            .get("name")
            .and_then(|v| v.as_str())
            .map(str::to_string);
        let new_parent = match body.get("parentReference") {
            Some(p) => {
                if let Some(other) = p.get("driveId").and_then(|v| v.as_str()) {
                    if !other.eq_ignore_ascii_case(&drive_id) {
                        return Err(GraphError::bad_request(
                            "Moving items across drives is not supported; copy them instead.",
                        ));
                    }
                }
                if let Some(pid) = p.get("id").and_then(|v| v.as_str()) {
                    Some(d.item(pid)?.id.clone())
                } else if let Some(path) = p.get("path").and_then(|v| v.as_str()) {
                    Some(folder_by_path(d, path)?.to_string())
                } else {
                    None
                }
            }
            None => None,
        };
        if (new_name.is_some() || new_parent.is_some()) && is_root {
            return Err(GraphError::bad_request(
                "The root cannot be moved or renamed.",
            ));
        }
        if let Some(parent) = &new_parent {
            if !d.item(parent)?.is_folder() {
                return Err(GraphError::bad_request("The new parent is not a folder."));
            }
            if d.is_within(parent, &item.id) {
                return Err(GraphError::bad_request(
                    "A folder cannot be moved into itself or one of its subfolders.",
                ));
            }
            updated.parent = Some(parent.clone());
        }
        if let Some(name) = &new_name {
            validate_name(name)?;
            updated.name = name.clone();
        }
        if new_name.is_some() || new_parent.is_some() {
            let parent = updated.parent.clone().unwrap_or_default();
            let clash = d
                .child(&parent, &updated.name)
                .filter(|c| c.id != item.id)
                .map(|c| c.id.clone());
            if let Some(clash) = clash {
                match conflict {
                    Conflict::Fail => return Err(mutate::name_exists(&updated.name)),
                    Conflict::Rename => updated.name = d.free_name(&parent, &updated.name),
                    Conflict::Replace => stale = store.remove_item(&drive_id, &clash),
                }
            }
        }
        if let Some(fsi) = body.get("fileSystemInfo") {
            if let Some(t) = fsi.get("createdDateTime").and_then(|v| v.as_str()) {
                updated.fs_created = ids::parse_time(t)
                    .ok_or_else(|| GraphError::bad_request(format!("Invalid time '{t}'.")))?;
            }
            if let Some(t) = fsi.get("lastModifiedDateTime").and_then(|v| v.as_str()) {
                updated.fs_modified = ids::parse_time(t)
                    .ok_or_else(|| GraphError::bad_request(format!("Invalid time '{t}'.")))?;
            }
        }
        if let Some(desc) = body.get("description") {
            updated.description = desc.as_str().map(str::to_string);
        }
        updated.version += 1;
        updated.modified = ids::now_millis();
        updated.modified_by = who;
        let id = updated.id.clone();
        store.put_item(&drive_id, updated);
        (drive_id, id, stale)
    };
    ctx.graph().remove_blobs(stale);
    let store = ctx.graph().read();
    let d = store.drive(&drive_id)?;
    Ok(json(
        StatusCode::OK,
        &render::item(&ctx.render(), d, d.item(&id)?, false),
    ))
}

/// Resolves `/drive/root:/a/b` or `/drives/{d}/root:/a/b` to a folder id.
fn folder_by_path<'a>(d: &'a Drive, path: &str) -> Result<&'a str, GraphError> {
    let after = path
        .split_once("root:")
        .map(|(_, rest)| rest)
        .ok_or_else(|| {
            GraphError::bad_request(format!("Invalid parentReference.path '{path}'."))
        })?;
    let segs: Vec<String> = after
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect();
    Ok(d.walk(&d.meta.root, &segs)?.id.as_str())
}

/// `DELETE` an item (204; 412 on `If-Match` mismatch).
pub async fn delete(ctx: &Ctx, drive: &DriveSel, addr: &ItemAddr) -> Outcome {
    let stale = {
        let mut store = ctx.graph().write();
        let drive_id = ctx.drive_id(&store, drive, true)?;
        let d = store.drive(&drive_id)?;
        let item = resolve(d, addr)?;
        if item.parent.is_none() {
            return Err(GraphError::new(
                StatusCode::FORBIDDEN,
                "accessDenied",
                "The root of a drive cannot be deleted.",
            ));
        }
        check_if_match(ctx, item)?;
        let id = item.id.clone();
        store.remove_item(&drive_id, &id)
    };
    ctx.graph().remove_blobs(stale);
    Ok(StatusCode::NO_CONTENT.into_response())
}
