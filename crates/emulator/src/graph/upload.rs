//! Upload sessions: `createUploadSession`, then `PUT {uploadUrl}` fragments (no Authorization),
//! `GET` (status), `DELETE` (cancel) and `POST` (commit with `deferCommit`).
//!
//! Rules: `Content-Range: bytes s-e/total` is required; fragments arrive in order (a later
//! start → 416 `fragmentOutOfOrder`, an earlier one → 416 `fragmentOverlap`); every fragment
//! but the last is a multiple of 320 KiB and each is under 60 MiB (else 416 `invalidRange`);
//! the last fragment commits (201 new / 200 replaced, 409 `nameAlreadyExists` with `fail`);
//! an expired or unknown session is 404. Fragments are streamed into the session's partial
//! file on disk.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path as UrlPath, Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_LENGTH, CONTENT_RANGE};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use tokio::io::AsyncSeekExt;

use super::body::{self, io_error};
use super::content::upload_target;
use super::context::Ctx;
use super::ids::{self, format_time};
use super::model::{Conflict, UploadSession};
use super::mutate::{self, Destination, NewContent};
use super::names::validate_name;
use super::path::{DriveSel, ItemAddr};
use super::render::{self, Render};
use super::reply::{json, json_body, method_not_allowed, Outcome};
use super::wire::UploadSessionJson;
use crate::web::{BaseUrl, GraphError};
use crate::AppState;

/// Fragment sizes (but the last) must be multiples of this.
pub const FRAGMENT_UNIT: u64 = 320 * 1024;
/// Fragments must be smaller than this.
pub const MAX_FRAGMENT: u64 = 60 * 1024 * 1024;

fn session_json(s: &UploadSession, upload_url: Option<String>) -> UploadSessionJson {
    let next = match s.total {
        Some(t) if s.received >= t => Vec::new(),
        Some(t) => vec![format!("{}-{}", s.received, t - 1)],
        None => vec![format!("{}-", s.received)],
    };
    UploadSessionJson {
        upload_url,
        expiration_date_time: format_time(s.expires),
        next_expected_ranges: next,
    }
}

/// `POST .../createUploadSession`.
pub async fn create(ctx: &Ctx, drive: &DriveSel, addr: &ItemAddr, body: Body) -> Outcome {
    let body = json_body(body).await?;
    let item = body.get("item").cloned().unwrap_or_default();
    let conflict = match item
        .get("@microsoft.graph.conflictBehavior")
        .and_then(|v| v.as_str())
    {
        Some(v) => Conflict::parse(v)
            .ok_or_else(|| GraphError::bad_request(format!("Invalid conflictBehavior '{v}'.")))?,
        None => ctx.conflict_query(Conflict::Fail)?,
    };
    let defer_commit = body
        .get("deferCommit")
        .and_then(serde_json::Value::as_bool)
        .unwrap_or(false);
    let (drive_id, target) = upload_target(ctx, drive, addr)?;
    let name = match item.get("name").and_then(|v| v.as_str()) {
        // The body's name may only restate the path's, or name the file under an item id.
        Some(n)
            if target.item.is_none() && !n.is_empty() && !n.eq_ignore_ascii_case(&target.name) =>
        {
            return Err(GraphError::bad_request(format!(
                "The item name '{n}' does not match the path's '{}'.",
                target.name
            )))
        }
        _ => target.name.clone(),
    };
    validate_name(&name)?;
    if let Some(size) = item.get("fileSize").and_then(serde_json::Value::as_u64) {
        mutate::check_quota(&ctx.graph().read(), &drive_id, size, ctx.quota())?;
    }
    {
        let store = ctx.graph().read();
        let d = store.drive(&drive_id)?;
        if target.item.is_none() && conflict == Conflict::Fail {
            if let Ok(parent) = d.walk(&target.anchor, &target.folders) {
                if d.child(&parent.id, &name).is_some() {
                    return Err(mutate::name_exists(&name));
                }
            }
        }
    }
    let fsi = item.get("fileSystemInfo");
    let time_of = |key: &str| -> Result<Option<ids::Millis>, GraphError> {
        match fsi.and_then(|f| f.get(key)).and_then(|v| v.as_str()) {
            Some(t) => ids::parse_time(t)
                .map(Some)
                .ok_or_else(|| GraphError::bad_request(format!("Invalid time '{t}'."))),
            None => Ok(None),
        }
    };
    let lifetime =
        i64::try_from(ctx.state.settings().upload_session_lifetime_secs).unwrap_or(i64::MAX);
    let session = UploadSession {
        id: ids::random_token(32),
        drive: drive_id,
        anchor: target.anchor,
        folders: target.folders,
        name,
        replace_item: target.item,
        conflict,
        defer_commit,
        expires: ids::now_millis().saturating_add(lifetime.saturating_mul(1000)),
        total: None,
        received: 0,
        hash: graphlink_quickxorhash::QuickXorHash::new(),
        fs_created: time_of("createdDateTime")?,
        fs_modified: time_of("lastModifiedDateTime")?,
        description: item
            .get("description")
            .and_then(|v| v.as_str())
            .map(str::to_string),
        creator: ctx.caller.identity(),
    };
    let expired = ctx.graph().read().expired_sessions(ids::now_millis());
    for id in expired {
        end_session(&ctx.state, &id);
    }
    let part = ctx.graph().upload_part_path(&session.id);
    std::fs::File::create(&part).map_err(|e| io_error("Creating the upload file failed", e))?;
    let url = format!("{}/_upload/{}", ctx.base, session.id);
    let out = session_json(&session, Some(url));
    ctx.graph().write().put_session(session);
    Ok(json(StatusCode::OK, &out))
}

fn session_gone() -> GraphError {
    GraphError::new(
        StatusCode::NOT_FOUND,
        "itemNotFound",
        "The upload session was not found or has expired.",
    )
}

fn range_error(inner: &str, message: &str) -> GraphError {
    GraphError::new(StatusCode::RANGE_NOT_SATISFIABLE, "invalidRange", message).inner(inner)
}

/// Looks the session up, dropping it (and its file) when expired.
fn live_session(state: &AppState, id: &str) -> Result<UploadSession, GraphError> {
    let found = state.graph.read().sessions.get(id).cloned();
    let session = found.ok_or_else(session_gone)?;
    if session.expires <= ids::now_millis() {
        end_session(state, id);
        return Err(session_gone());
    }
    Ok(session)
}

fn end_session(state: &AppState, id: &str) {
    state.graph.write().remove_session(id);
    state.graph.session_locks.lock().remove(id);
    let _ = std::fs::remove_file(state.graph.upload_part_path(id));
}

fn parse_content_range(value: &str) -> Option<(u64, u64, u64)> {
    let spec = value.trim().strip_prefix("bytes")?.trim_start();
    let (range, total) = spec.split_once('/')?;
    let (s, e) = range.trim().split_once('-')?;
    let (s, e, t) = (
        s.trim().parse().ok()?,
        e.trim().parse().ok()?,
        total.trim().parse().ok()?,
    );
    (s <= e && e < t).then_some((s, e, t))
}

/// Every request to `/_upload/{session}`.
pub async fn fragment_entry(
    State(state): State<AppState>,
    UrlPath(id): UrlPath<String>,
    req: Request,
) -> Response {
    let (parts, body) = req.into_parts();
    let base = BaseUrl::from_parts(&parts, &state).0;
    let req = Request::from_parts(parts, body);
    let result = if req.headers().contains_key(AUTHORIZATION) {
        Err(GraphError::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "The upload URL is pre-authenticated: do not send an Authorization header to it.",
        ))
    } else {
        let lock = {
            let mut locks = state.graph.session_locks.lock();
            locks
                .entry(id.clone())
                .or_insert_with(|| Arc::new(tokio::sync::Mutex::new(())))
                .clone()
        };
        let _guard = lock.lock().await;
        match req.method().clone() {
            Method::PUT => put_fragment(&state, &base, &id, req).await,
            Method::GET => {
                live_session(&state, &id).map(|s| json(StatusCode::OK, &session_json(&s, None)))
            }
            Method::DELETE => live_session(&state, &id).map(|_| {
                end_session(&state, &id);
                StatusCode::NO_CONTENT.into_response()
            }),
            Method::POST => commit_deferred(&state, &base, &id).await,
            _ => Err(method_not_allowed()),
        }
    };
    result.unwrap_or_else(axum::response::IntoResponse::into_response)
}

async fn put_fragment(state: &AppState, base: &str, id: &str, req: Request) -> Outcome {
    let mut session = live_session(state, id)?;
    let (parts, body) = req.into_parts();
    let header = |name| {
        parts
            .headers
            .get(name)
            .and_then(|v: &axum::http::HeaderValue| v.to_str().ok())
            .map(str::to_string)
    };
    let Some(range) = header(CONTENT_RANGE) else {
        return Err(GraphError::bad_request(
            "A fragment needs a Content-Range header (bytes start-end/total).",
        ));
    };
    let content_length = header(CONTENT_LENGTH);
    let (start, end, total) = parse_content_range(&range)
        .ok_or_else(|| range_error("invalidRange", &format!("Invalid Content-Range '{range}'.")))?;
    let len = end - start + 1;
    if let Some(t) = session.total {
        if t != total {
            return Err(range_error(
                "invalidRange",
                &format!("The total size {total} differs from the session's {t}."),
            ));
        }
    }
    if start < session.received {
        return Err(range_error(
            "fragmentOverlap",
            &format!(
                "The fragment starts at {start} but bytes up to {} were already received.",
                session.received
            ),
        ));
    }
    if start > session.received {
        return Err(range_error(
            "fragmentOutOfOrder",
            &format!(
                "The fragment starts at {start}; the next expected byte is {}.",
                session.received
            ),
        ));
    }
    if len >= MAX_FRAGMENT {
        return Err(range_error(
            "invalidRange",
            "Fragments must be smaller than 60 MiB.",
        ));
    }
    let last = end + 1 == total;
    if !last && len % FRAGMENT_UNIT != 0 {
        return Err(range_error(
            "invalidRange",
            "Every fragment but the last must be a multiple of 320 KiB (327,680 bytes).",
        ));
    }
    if let Some(cl) = content_length.and_then(|v| v.parse::<u64>().ok()) {
        if cl != len {
            return Err(GraphError::bad_request(format!(
                "Content-Length {cl} does not match Content-Range '{range}'."
            )));
        }
    }
    {
        let store = state.graph.read();
        let used = store.drive(&session.drive)?.used();
        if used.saturating_add(total) > state.settings().drive_quota_bytes {
            return Err(mutate::quota_exceeded());
        }
    }
    let part = state.graph.upload_part_path(id);
    let mut file = tokio::fs::OpenOptions::new()
        .write(true)
        .open(&part)
        .await
        .map_err(|e| io_error("Opening the upload file failed", e))?;
    file.set_len(start)
        .await
        .map_err(|e| io_error("Preparing the upload file failed", e))?;
    file.seek(std::io::SeekFrom::Start(start))
        .await
        .map_err(|e| io_error("Preparing the upload file failed", e))?;
    let mut hash = session.hash.clone();
    let got = body::stream_into(body, file, &mut hash, Some(len)).await?;
    if got != len {
        // Leave the session as it was: the partial bytes are cut off on the next attempt.
        return Err(GraphError::bad_request(format!(
            "The fragment carried {got} bytes; Content-Range announced {len}."
        )));
    }
    session.received = end + 1;
    session.total = Some(total);
    session.hash = hash;
    if !last {
        let out = session_json(&session, None);
        state.graph.write().put_session(session);
        return Ok(json(StatusCode::ACCEPTED, &out));
    }
    if session.defer_commit {
        let out = session_json(&session, None);
        state.graph.write().put_session(session);
        return Ok(json(StatusCode::ACCEPTED, &out));
    }
    state.graph.write().put_session(session.clone());
    commit(state, base, session)
}

async fn commit_deferred(state: &AppState, base: &str, id: &str) -> Outcome {
    let session = live_session(state, id)?;
    if session.total.is_none_or(|t| session.received < t) {
        return Err(GraphError::bad_request(
            "The upload is not complete: send the remaining fragments first.",
        ));
    }
    commit(state, base, session)
}

fn commit(state: &AppState, base: &str, session: UploadSession) -> Outcome {
    let part = state.graph.upload_part_path(&session.id);
    let settings = state.settings();
    let result = {
        let mut store = state.graph.write();
        let dest = match &session.replace_item {
            Some(item) => Destination::Item(item),
            None => Destination::Path {
                anchor: &session.anchor,
                folders: &session.folders,
                name: &session.name,
                conflict: session.conflict,
            },
        };
        let content = NewContent {
            bytes: mutate::Landed::Temp(&part),
            size: session.received,
            quick_xor: session.hash.finish_base64(),
            who: &session.creator,
            fs_created: session.fs_created,
            fs_modified: session.fs_modified,
            description: session.description.clone(),
        };
        let graph = &state.graph;
        mutate::commit_file(
            &mut store,
            &session.drive,
            dest,
            content,
            settings.drive_quota_bytes,
            |b| graph.blob_path(b),
        )
    };
    // Success or a final error (conflict, quota): the session is over either way.
    end_session(state, &session.id);
    let committed = result?;
    state.graph.remove_blobs(committed.stale_blobs);
    let store = state.graph.read();
    let d = store.drive(&session.drive)?;
    let r = Render {
        base,
        signer: state.graph.signer(),
        download_secs: settings.download_url_lifetime_secs,
        quota: settings.drive_quota_bytes,
    };
    let status = if committed.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(json(
        status,
        &render::item(&r, d, d.item(&committed.id)?, false),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_range() {
        assert_eq!(parse_content_range("bytes 0-9/10"), Some((0, 9, 10)));
        assert_eq!(parse_content_range("bytes 5-4/10"), None);
        assert_eq!(parse_content_range("bytes 0-10/10"), None);
        assert_eq!(parse_content_range("bytes */10"), None);
        assert_eq!(parse_content_range("items 0-1/2"), None);
    }
}
