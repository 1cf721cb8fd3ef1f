//! Plain blob storage without any Graph logic, under `/_emulator/raw/{name}`: the baseline the
//! benchmark compares the Graph client's transfers with (same bytes, same loopback, same disk).

use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use futures::TryStreamExt;
use tokio::io::AsyncWriteExt;

use crate::graph::body::TempFile;
use crate::web::GraphError;
use crate::AppState;

/// Routes `PUT`/`GET /_emulator/raw/{name}`.
pub fn routes() -> Router<AppState> {
    Router::new().route("/_emulator/raw/{name}", get(download).put(upload))
}

fn blob_path(state: &AppState, name: &str) -> Option<std::path::PathBuf> {
    let valid = !name.is_empty()
        && name.len() <= 128
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
        && !name.starts_with('.');
    // Next to the Graph content blobs, in the same folder: file creation costs depend on the
    // folder (ext4 allocates a file's inode near its folder's), and the baseline must pay what
    // the Graph uploads pay. The `raw.` prefix cannot collide with a blob name (URL-safe base64).
    valid.then(|| state.graph.blob_path(&format!("raw.{name}")))
}

async fn upload(State(state): State<AppState>, Path(name): Path<String>, req: Request) -> Response {
    let Some(path) = blob_path(&state, &name) else {
        return GraphError::bad_request("raw blob names are [A-Za-z0-9._-]{1,128}").into_response();
    };
    let result = async {
        let (file, temp) = create(path.clone(), state.graph.temp_path()).await?;
        // Removed again if the upload fails.
        let mut temp = temp.map(TempFile::new);
        let mut file = tokio::fs::File::from_std(file);
        let mut body = req.into_body().into_data_stream();
        let mut size = 0u64;
        while let Some(chunk) = body.try_next().await.map_err(std::io::Error::other)? {
            size += chunk.len() as u64;
            file.write_all(&chunk).await?;
        }
        file.flush().await?;
        if let Some(temp) = &mut temp {
            tokio::fs::rename(temp.path(), &path).await?;
            temp.keep();
        }
        Ok::<u64, std::io::Error>(size)
    }
    .await;
    match result {
        Ok(size) => (
            StatusCode::CREATED,
            axum::Json(serde_json::json!({ "size": size })),
        )
            .into_response(),
        Err(e) => GraphError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "generalException",
            e.to_string(),
        )
        .into_response(),
    }
}

/// Opens the file a raw `PUT` writes: the blob itself when it is new; when it exists, a
/// temporary file (the Graph store's, on the same file system) renamed over it at the end
/// (returned as the second value). A replaced blob is thus freed only once its successor is
/// written, as a Graph upload replaces a file's content: both sides of the comparison write into
/// memory the kernel has not just freed (which costs several times less on a virtual machine
/// that hands freed memory back to its host).
async fn create(
    path: std::path::PathBuf,
    temp: std::path::PathBuf,
) -> std::io::Result<(std::fs::File, Option<std::path::PathBuf>)> {
    tokio::task::spawn_blocking(move || match std::fs::File::create_new(&path) {
        Ok(file) => Ok((file, None)),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            Ok((std::fs::File::create_new(&temp)?, Some(temp)))
        }
        Err(e) => Err(e),
    })
    .await
    .map_err(std::io::Error::other)?
}

async fn download(State(state): State<AppState>, Path(name): Path<String>) -> Response {
    let Some(path) = blob_path(&state, &name) else {
        return GraphError::bad_request("raw blob names are [A-Za-z0-9._-]{1,128}").into_response();
    };
    match tokio::fs::File::open(&path).await {
        Ok(file) => {
            let len = file.metadata().await.map(|m| m.len()).unwrap_or(0);
            let stream = tokio_util::io::ReaderStream::with_capacity(file, 256 * 1024);
            let mut resp = Body::from_stream(stream).into_response();
            if let Ok(v) = axum::http::HeaderValue::from_str(&len.to_string()) {
                resp.headers_mut()
                    .insert(axum::http::header::CONTENT_LENGTH, v);
            }
            resp
        }
        Err(_) => GraphError::not_found(format!("no raw blob named {name}")).into_response(),
    }
}
