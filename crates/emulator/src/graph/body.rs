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

/// Streams the body into a new temporary file at `path`. `announced` is the request's
/// `Content-Length`, when it had one.
pub async fn receive(
    body: Body,
    path: PathBuf,
    announced: Option<u64>,
) -> Result<(TempFile, u64, QuickXorHash), GraphError> {
    let temp = TempFile::new(path);
    if let Some(len) = announced.filter(|l| *l <= IN_MEMORY_LIMIT) {
        let bytes = axum::body::to_bytes(body, len as usize)
            .await
            .map_err(|e| {
                GraphError::bad_request(format!("The request body could not be read: {e}"))
            })?;
        let mut hash = QuickXorHash::new();
        hash.update(&bytes);
        let size = bytes.len() as u64;
        let target = temp.path().to_path_buf();
        tokio::task::spawn_blocking(move || std::fs::write(target, &bytes))
            .await
            .map_err(|e| io_error("Writing the content failed", std::io::Error::other(e)))?
            .map_err(|e| io_error("Writing the content failed", e))?;
        return Ok((temp, size, hash));
    }
    let file = tokio::fs::File::create(temp.path())
        .await
        .map_err(|e| io_error("Creating a temporary file failed", e))?;
    let mut hash = QuickXorHash::new();
    let size = stream_into(body, file, &mut hash, None).await?;
    Ok((temp, size, hash))
}
