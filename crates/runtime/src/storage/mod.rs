//! Storages: a folder tree of files that sources read and sinks write. Paths are
//! `/`-separated and relative to the storage root (a local folder, a drive's root).

mod graph;
mod graph_mirror;
mod local;

use std::fmt;
use std::time::SystemTime;

use tokio::io::AsyncRead;

pub use graph::GraphStorage;
pub use local::LocalStorage;

use crate::Result;

/// A readable stream of a file's content.
pub type ReadStream = Box<dyn AsyncRead + Send + Unpin>;

/// A file in a storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Path from the storage root.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// Last modification.
    pub modified: SystemTime,
    /// Item id (Graph), if any.
    pub id: Option<String>,
    /// Content hash or etag (Graph: quickXorHash, else cTag), if any.
    pub hash: Option<String>,
    /// The quickXorHash of the content (Graph), if the listing gave one: a download by
    /// [`Storage::open`] is checked against it.
    pub quick_xor_hash: Option<String>,
}

impl Entry {
    /// The file name.
    pub fn name(&self) -> &str {
        crate::naming::file_name(&self.path)
    }

    /// The content identity used for when-changed reprocessing: the hash when known, else
    /// size and modification time.
    pub fn fingerprint(&self) -> String {
        match &self.hash {
            Some(h) => format!("hash:{h}"),
            None => format!(
                "size:{}:mtime:{}",
                self.size,
                crate::coordinator::to_ms(self.modified)
            ),
        }
    }
}

/// A folder tree of files.
#[async_trait::async_trait]
pub trait Storage: Send + Sync + fmt::Debug {
    /// A short description for messages (`local /data/in`, `onedrive adele@...`).
    fn describe(&self) -> String;

    /// The files under `dir` (with sub-directories when `recursive`). A missing directory
    /// lists as empty.
    async fn list(&self, dir: &str, recursive: bool) -> Result<Vec<Entry>>;

    /// Whether anything under `dir` may have changed since the previous call for `dir`
    /// (delta-capable storages answer cheaply; others always say yes).
    async fn may_have_changed(&self, _dir: &str) -> Result<bool> {
        Ok(true)
    }

    /// One file, if it exists.
    async fn stat(&self, path: &str) -> Result<Option<Entry>>;

    /// Opens a file for reading.
    async fn read(&self, path: &str) -> Result<ReadStream>;

    /// Opens a listed file for reading; storages that can use what the listing said (an item
    /// id, the size and hash) save looking the file up again.
    async fn open(&self, entry: &Entry) -> Result<ReadStream> {
        self.read(&entry.path).await
    }

    /// Whether a written file appears under its name only once its write completed (Graph
    /// drives: an upload commits atomically), so a sink may write the final name directly.
    fn atomic_writes(&self) -> bool {
        false
    }

    /// Writes `data` as the new file `path`: [`crate::Error::Exists`] when `path` exists with
    /// other content; an existing file with exactly this content counts as written (a write
    /// repeated after a crash). Returns the bytes written.
    async fn write_new(
        &self,
        path: &str,
        data: &mut (dyn AsyncRead + Send + Unpin),
    ) -> Result<u64> {
        if self.exists(path).await? {
            return Err(crate::Error::Exists(path.to_string()));
        }
        self.write(path, data).await
    }

    /// Writes `data` as the file `path` (created or overwritten; the parent must exist).
    /// Returns the bytes written. The content is durable when this returns.
    async fn write(&self, path: &str, data: &mut (dyn AsyncRead + Send + Unpin)) -> Result<u64>;

    /// Renames/moves a file. With `replace` false, fails with [`crate::Error::Exists`] when
    /// `to` exists; a missing `from` is [`crate::Error::Missing`].
    async fn rename(&self, from: &str, to: &str, replace: bool) -> Result<()>;

    /// Deletes a file (a missing file is not an error).
    async fn delete(&self, path: &str) -> Result<()>;

    /// Creates a directory and its parents.
    async fn mkdirs(&self, dir: &str) -> Result<()>;

    /// Whether a directory exists.
    async fn dir_exists(&self, dir: &str) -> Result<bool>;

    /// Whether a file exists.
    async fn exists(&self, path: &str) -> Result<bool> {
        Ok(self.stat(path).await?.is_some())
    }
}
