//! File content: `GET .../content` (302 to a pre-authenticated URL), the download URL itself
//! (Range → 206), and simple upload `PUT .../content`.

use axum::body::Body;
use axum::extract::{Path as UrlPath, State};
use axum::http::header::{
    ACCEPT_RANGES, CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, ETAG,
    LOCATION, RANGE,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio_util::io::ReaderStream;

use super::body::{self, io_error};
use super::context::Ctx;
use super::ids;
use super::items::resolve;
use super::model::Conflict;
use super::mutate::{self, Destination, NewContent};
use super::names::encode_segment;
use super::path::{DriveSel, ItemAddr};
use super::render;
use super::reply::{json, Outcome};
use crate::web::GraphError;
use crate::AppState;

/// `GET .../content`: 302 to the item's pre-authenticated download URL.
pub fn redirect(ctx: &Ctx, drive: &DriveSel, addr: &ItemAddr) -> Outcome {
    let store = ctx.graph().read();
    let drive_id = ctx.drive_id(&store, drive, false)?;
    let d = store.drive(&drive_id)?;
    let item = resolve(d, addr)?;
    if item.is_folder() {
        return Err(GraphError::bad_request(
            "The item is a folder: it has no content to download.",
        ));
    }
    let url = render::download_url(&ctx.render(), &drive_id, &item.id);
    let mut resp = StatusCode::FOUND.into_response();
    if let Ok(v) = HeaderValue::from_str(&url) {
        resp.headers_mut().insert(LOCATION, v);
    }
    Ok(resp)
}

fn link_rejected(message: &str) -> Response {
    GraphError::new(StatusCode::UNAUTHORIZED, "unauthenticated", message).into_response()
}

/// A parsed `Range` header.
#[derive(Debug, PartialEq, Eq)]
enum Wanted {
    All,
    Part(u64, u64),
    Unsatisfiable,
}

fn parse_range(header: Option<&str>, size: u64) -> Wanted {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
        return Wanted::All;
    };
    if spec.contains(',') {
        // Several ranges: the service may ignore Range and send everything.
        return Wanted::All;
    }
    let Some((a, b)) = spec.trim().split_once('-') else {
        return Wanted::All;
    };
    let (a, b) = (a.trim(), b.trim());
    let (start, end) = if a.is_empty() {
        let Ok(n) = b.parse::<u64>() else {
            return Wanted::All;
        };
        if n == 0 {
            return Wanted::Unsatisfiable;
        }
        (size.saturating_sub(n), size.saturating_sub(1))
    } else {
        let Ok(start) = a.parse::<u64>() else {
            return Wanted::All;
        };
        let end = if b.is_empty() {
            size.saturating_sub(1)
        } else {
            match b.parse::<u64>() {
                Ok(e) => e.min(size.saturating_sub(1)),
                Err(_) => return Wanted::All,
            }
        };
        (start, end)
    };
    if size == 0 || start >= size || start > end {
        return Wanted::Unsatisfiable;
    }
    Wanted::Part(start, end)
}

/// `GET /_download/{token}`: streams the file from disk, honouring `Range`. Needs no
/// Authorization (and ignores one).
pub async fn download(
    State(state): State<AppState>,
    UrlPath(token): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    let Some(payload) = state.graph.signer().open(&token) else {
        return link_rejected("The download URL is not valid.");
    };
    let parts: Vec<&str> = payload.split('|').collect();
    let [kind, drive_id, item_id, expires] = parts.as_slice() else {
        return link_rejected("The download URL is not valid.");
    };
    if *kind != "dl" {
        return link_rejected("The download URL is not valid.");
    }
    if expires
        .parse::<i64>()
        .map_or(true, |e| e <= ids::now_millis())
    {
        return link_rejected("The download URL has expired.");
    }
    let found = {
        let store = state.graph.read();
        store
            .drives
            .get(*drive_id)
            .and_then(|d| d.items.get(*item_id))
            .and_then(|i| {
                i.file.as_ref().map(|f| {
                    (
                        f.blob.clone(),
                        f.size,
                        f.mime.clone(),
                        i.name.clone(),
                        i.ctag(),
                    )
                })
            })
    };
    let Some((blob, size, mime, name, ctag)) = found else {
        return GraphError::not_found("The item no longer exists.").into_response();
    };
    // Opening under the read lock's protection is not needed: a replaced blob is removed only
    // after the store points elsewhere, and an open file stays readable on Unix.
    let mut file = match tokio::fs::File::open(state.graph.blob_path(&blob)).await {
        Ok(f) => f,
        Err(e) => return io_error("Opening the content failed", e).into_response(),
    };
    let wanted = parse_range(headers.get(RANGE).and_then(|v| v.to_str().ok()), size);
    let (status, start, len) = match wanted {
        Wanted::All => (StatusCode::OK, 0, size),
        Wanted::Part(s, e) => (StatusCode::PARTIAL_CONTENT, s, e - s + 1),
        Wanted::Unsatisfiable => {
            let mut resp = GraphError::new(
                StatusCode::RANGE_NOT_SATISFIABLE,
                "invalidRange",
                "The requested range is not satisfiable.",
            )
            .into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{size}")) {
                resp.headers_mut().insert(CONTENT_RANGE, v);
            }
            return resp;
        }
    };
    if start > 0 {
        if let Err(e) = file.seek(std::io::SeekFrom::Start(start)).await {
            return io_error("Reading the content failed", e).into_response();
        }
    }
    let stream = ReaderStream::with_capacity(file.take(len), 256 * 1024);
    let mut resp = Response::new(Body::from_stream(stream));
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    let mut set = |name, value: String| {
        if let Ok(v) = HeaderValue::from_str(&value) {
            h.insert(name, v);
        }
    };
    set(CONTENT_LENGTH, len.to_string());
    set(CONTENT_TYPE, mime);
    set(ACCEPT_RANGES, "bytes".into());
    set(ETAG, ctag);
    set(
        CONTENT_DISPOSITION,
        format!("attachment; filename*=UTF-8''{}", encode_segment(&name)),
    );
    if status == StatusCode::PARTIAL_CONTENT {
        set(
            CONTENT_RANGE,
            format!("bytes {start}-{}/{size}", start + len - 1),
        );
    }
    resp
}

/// Where a simple upload or upload session writes: an existing file, or a path below a folder.
#[derive(Debug, Clone)]
pub struct Target {
    /// Existing item to replace (`items/{id}/content`).
    pub item: Option<String>,
    /// Folder the path starts from.
    pub anchor: String,
    /// Folders below the anchor.
    pub folders: Vec<String>,
    /// File name.
    pub name: String,
}

/// Works out where an upload goes (404 when the anchor does not exist).
pub fn upload_target(
    ctx: &Ctx,
    drive: &DriveSel,
    addr: &ItemAddr,
) -> Result<(String, Target), GraphError> {
    let store = ctx.graph().read();
    let drive_id = ctx.drive_id(&store, drive, true)?;
    let d = store.drive(&drive_id)?;
    let anchor = match &addr.id {
        Some(id) => d.item(id)?.id.clone(),
        None => d.meta.root.clone(),
    };
    let target = match addr.path.split_last() {
        None => {
            let item = d.item(&anchor)?;
            if item.is_folder() {
                return Err(GraphError::bad_request(
                    "Cannot upload content to a folder; address a file name below it.",
                ));
            }
            Target {
                item: Some(anchor.clone()),
                anchor: item.parent.clone().unwrap_or_default(),
                folders: Vec::new(),
                name: item.name.clone(),
            }
        }
        Some((name, folders)) => Target {
            item: None,
            anchor,
            folders: folders.to_vec(),
            name: name.clone(),
        },
    };
    Ok((drive_id, target))
}

/// `PUT .../content`: simple upload (201 new / 200 replaced).
pub async fn put(ctx: &Ctx, drive: &DriveSel, addr: &ItemAddr, body: Body) -> Outcome {
    let conflict = ctx.conflict_query(Conflict::Replace)?;
    let (drive_id, target) = upload_target(ctx, drive, addr)?;
    if target.item.is_none() {
        super::names::validate_name(&target.name)?;
        // Fail early on a known conflict, before reading the body.
        let store = ctx.graph().read();
        let d = store.drive(&drive_id)?;
        if let Ok(parent) = d.walk(&target.anchor, &target.folders) {
            if conflict == Conflict::Fail && d.child(&parent.id, &target.name).is_some() {
                return Err(mutate::name_exists(&target.name));
            }
        }
    }
    let announced = ctx
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(len) = announced {
        mutate::check_quota(&ctx.graph().read(), &drive_id, len, ctx.quota())?;
    }
    let graph = ctx.graph();
    let mut received =
        body::receive(body, announced, graph.temp_path(), |b| graph.blob_path(b)).await?;
    let who = ctx.caller.identity();
    let committed = {
        let mut store = ctx.graph().write();
        let dest = match &target.item {
            Some(id) => Destination::Item(id),
            None => Destination::Path {
                anchor: &target.anchor,
                folders: &target.folders,
                name: &target.name,
                conflict,
            },
        };
        let content = NewContent {
            bytes: match &received.blob {
                Some(blob) => mutate::Landed::Blob(blob),
                None => mutate::Landed::Temp(received.file.path()),
            },
            size: received.size,
            quick_xor: received.hash.finish_base64(),
            who: &who,
            fs_created: None,
            fs_modified: None,
            description: None,
        };
        let graph = ctx.graph();
        mutate::commit_file(&mut store, &drive_id, dest, content, ctx.quota(), |b| {
            graph.blob_path(b)
        })?
    };
    received.file.keep();
    ctx.graph().remove_blobs(committed.stale_blobs);
    let store = ctx.graph().read();
    let d = store.drive(&drive_id)?;
    let item = d.item(&committed.id)?;
    let status = if committed.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(json(status, &render::item(&ctx.render(), d, item, false)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(parse_range(None, 10), Wanted::All);
        assert_eq!(parse_range(Some("bytes=0-3"), 10), Wanted::Part(0, 3));
        assert_eq!(parse_range(Some("bytes=4-"), 10), Wanted::Part(4, 9));
        assert_eq!(parse_range(Some("bytes=-3"), 10), Wanted::Part(7, 9));
        assert_eq!(parse_range(Some("bytes=5-100"), 10), Wanted::Part(5, 9));
        assert_eq!(parse_range(Some("bytes=10-"), 10), Wanted::Unsatisfiable);
        assert_eq!(parse_range(Some("bytes=0-1,3-4"), 10), Wanted::All);
        assert_eq!(parse_range(Some("bytes=0-"), 0), Wanted::Unsatisfiable);
    }
}
