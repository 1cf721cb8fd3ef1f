//! Streaming request bodies to disk (never the whole body in memory) while hashing them.

use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::http::StatusCode;
use futures::StreamExt;
use tokio::io::AsyncWriteExt;

use crate::web::GraphError;
use graphlink_quickxorhash::QuickXorHash;

/// A temporary file removed on drop unless [`TempFile::keep`] was called.
#[derive(Debug)]
pub struct TempFile {
    path: PathBuf,
    keep: bool,
}

impl TempFile {
    /// Tracks `path`.
    pub fn new(path: PathBuf) -> Self {
        Self { path, keep: false }
    }

    /// The path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Stops removing the file on drop (it was moved elsewhere).
    pub fn keep(&mut self) {
        self.keep = true;
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// 500 `generalException` for a local I/O failure.
pub fn io_error(what: &str, e: std::io::Error) -> GraphError {
    GraphError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "generalException",
        format!("{what}: {e}"),
    )
}

/// Appends the body to `file`, hashing it; stops with 400 when more than `limit` bytes arrive.
/// Returns the byte count.
pub async fn stream_into(
    body: Body,
    file: tokio::fs::File,
    hash: &mut QuickXorHash,
    limit: Option<u64>,
) -> Result<u64, GraphError> {
    let mut out = tokio::io::BufWriter::with_capacity(1 << 20, file);
    let mut stream = body.into_data_stream();
    let mut total = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            GraphError::bad_request(format!("The request body could not be read: {e}"))
        })?;
        total += chunk.len() as u64;
        if limit.is_some_and(|l| total > l) {
            return Err(GraphError::bad_request(
                "The request body is longer than its declared length.",
            ));
        }
        hash.update(&chunk);
        out.write_all(&chunk)
            .await
            .map_err(|e| io_error("Writing the content failed", e))?;
    }
    out.flush()
        .await
        .map_err(|e| io_error("Writing the content failed", e))?;
    Ok(total)
}

/// Bodies announced at most this long are read into memory and written with one blocking call
/// (small uploads are dominated by the number of file-system round trips, not by bytes).
const IN_MEMORY_LIMIT: u64 = 4 * 1024 * 1024;

/// A received body: the file holding it (removed on drop unless kept), its size and hash, and
/// the content blob name when it was written straight into the content store.
#[derive(Debug)]
pub struct Received {
    /// The file (a temporary file, or the blob itself).
    pub file: TempFile,
    /// Bytes received.
    pub size: u64,
    /// Their quickXorHash.
    pub hash: QuickXorHash,
    /// Set when `file` is already the content blob of this name.
    pub blob: Option<String>,
}

/// Receives a body. `announced` is the request's `Content-Length`, when it had one: small
/// bodies are read into memory and written with one blocking call straight to a new blob
/// (`blob_path` gives a blob name's path); others are streamed into a temporary file at
/// `temp`.
pub async fn receive(
    body: Body,
    announced: Option<u64>,
    temp: PathBuf,
    blob_path: impl FnOnce(&str) -> PathBuf,
) -> Result<Received, GraphError> {
    if let Some(len) = announced.filter(|l| *l <= IN_MEMORY_LIMIT) {
        let bytes = axum::body::to_bytes(body, len as usize)
            .await
            .map_err(|e| {
                GraphError::bad_request(format!("The request body could not be read: {e}"))
            })?;
        let mut hash = QuickXorHash::new();
        hash.update(&bytes);
        let blob = super::mutate::new_blob_name();
        let file = TempFile::new(blob_path(&blob));
        let target = file.path().to_path_buf();
        let size = bytes.len() as u64;
        tokio::task::spawn_blocking(move || std::fs::write(target, &bytes))
            .await
            .map_err(|e| io_error("Writing the content failed", std::io::Error::other(e)))?
            .map_err(|e| io_error("Writing the content failed", e))?;
        return Ok(Received {
            file,
            size,
            hash,
            blob: Some(blob),
        });
    }
    let file = TempFile::new(temp);
    let out = tokio::fs::File::create(file.path())
        .await
        .map_err(|e| io_error("Creating a temporary file failed", e))?;
    let mut hash = QuickXorHash::new();
    let size = stream_into(body, out, &mut hash, None).await?;
    Ok(Received {
        file,
        size,
        hash,
        blob: None,
    })
}
