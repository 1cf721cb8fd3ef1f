//! The local file system storage.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use tokio::io::{AsyncRead, AsyncWriteExt};

use super::{Entry, ReadStream, Storage};
use crate::{Error, Result};

/// Files under a folder of this machine.
#[derive(Debug, Clone)]
pub struct LocalStorage {
    root: PathBuf,
}

impl LocalStorage {
    /// A storage rooted at `root` (created on first write if missing).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The root folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn full(&self, path: &str) -> Result<PathBuf> {
        let norm = crate::naming::normalize(path).map_err(|m| self.err("resolving", path, m))?;
        Ok(if norm.is_empty() {
            self.root.clone()
        } else {
            self.root.join(norm)
        })
    }

    fn err(&self, action: &'static str, path: &str, message: impl ToString) -> Error {
        Error::Storage {
            storage: self.describe(),
            action,
            path: path.to_string(),
            message: message.to_string(),
        }
    }
}

/// Whether two paths name the same file (one inode, through hard links).
async fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (
        tokio::fs::symlink_metadata(a).await,
        tokio::fs::symlink_metadata(b).await,
    ) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

fn entry(path: String, meta: &std::fs::Metadata) -> Entry {
    Entry {
        path,
        size: meta.len(),
        modified: meta.modified().unwrap_or(std::time::UNIX_EPOCH),
        id: None,
        hash: None,
        quick_xor_hash: None,
    }
}

fn walk(base: &Path, rel: &str, recursive: bool, out: &mut Vec<Entry>) -> std::io::Result<()> {
    let dir = if rel.is_empty() {
        base.to_path_buf()
    } else {
        base.join(rel)
    };
    let rd = match std::fs::read_dir(&dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for item in rd {
        let item = item?;
        let name = item.file_name().to_string_lossy().into_owned();
        let child = crate::naming::join(rel, &name);
        let meta = match item.metadata() {
            Ok(m) => m,
            Err(e) if e.kind() == ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        if meta.is_dir() {
            if recursive {
                walk(base, &child, true, out)?;
            }
        } else if meta.is_file() {
            out.push(entry(child, &meta));
        }
    }
    Ok(())
}

#[async_trait::async_trait]
impl Storage for LocalStorage {
    fn describe(&self) -> String {
        format!("local {}", self.root.display())
    }

    async fn list(&self, dir: &str, recursive: bool) -> Result<Vec<Entry>> {
        let norm = crate::naming::normalize(dir).map_err(|m| self.err("listing", dir, m))?;
        let root = self.root.clone();
        let mut out = Vec::new();
        walk(&root, &norm, recursive, &mut out).map_err(|e| self.err("listing", dir, e))?;
        Ok(out)
    }

    async fn stat(&self, path: &str) -> Result<Option<Entry>> {
        let full = self.full(path)?;
        match tokio::fs::metadata(&full).await {
            Ok(m) if m.is_file() => Ok(Some(entry(
                crate::naming::normalize(path).unwrap_or_default(),
                &m,
            ))),
            Ok(_) => Ok(None),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(self.err("reading", path, e)),
        }
    }

    async fn read(&self, path: &str) -> Result<ReadStream> {
        let full = self.full(path)?;
        let f = tokio::fs::File::open(&full)
            .await
            .map_err(|e| self.err("opening", path, e))?;
        Ok(Box::new(f))
    }

    async fn write(&self, path: &str, data: &mut (dyn AsyncRead + Send + Unpin)) -> Result<u64> {
        let full = self.full(path)?;
        let mut f = tokio::fs::File::create(&full)
            .await
            .map_err(|e| self.err("creating", path, e))?;
        let n = tokio::io::copy(data, &mut f)
            .await
            .map_err(|e| self.err("writing", path, e))?;
        f.flush().await.map_err(|e| self.err("writing", path, e))?;
        f.sync_all()
            .await
            .map_err(|e| self.err("syncing", path, e))?;
        Ok(n)
    }

    async fn rename(&self, from: &str, to: &str, replace: bool) -> Result<()> {
        let src = self.full(from)?;
        let dst = self.full(to)?;
        if tokio::fs::symlink_metadata(&src).await.is_err() {
            return Err(Error::Missing(from.to_string()));
        }
        if replace {
            tokio::fs::rename(&src, &dst)
                .await
                .map_err(|e| self.err("moving", from, format!("to '{to}': {e}")))?;
        } else {
            // A hard link fails atomically when the name is taken, so two files moved to one
            // name at once never overwrite each other; then the old name goes.
            match tokio::fs::hard_link(&src, &dst).await {
                Ok(()) => tokio::fs::remove_file(&src)
                    .await
                    .map_err(|e| self.err("moving", from, format!("to '{to}': {e}")))?,
                Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                    // The link may be this very move's, made by a run that stopped before
                    // removing the old name: then finish it.
                    if !same_file(&src, &dst).await {
                        return Err(Error::Exists(to.to_string()));
                    }
                    tokio::fs::remove_file(&src)
                        .await
                        .map_err(|e| self.err("moving", from, format!("to '{to}': {e}")))?;
                }
                Err(_) => {
                    // No hard links here (another file system kind): look, then rename.
                    if tokio::fs::symlink_metadata(&dst).await.is_ok() {
                        return Err(Error::Exists(to.to_string()));
                    }
                    tokio::fs::rename(&src, &dst)
                        .await
                        .map_err(|e| self.err("moving", from, format!("to '{to}': {e}")))?;
                }
            }
        }
        if let Some(parent) = dst.parent() {
            if let Ok(d) = std::fs::File::open(parent) {
                let _ = d.sync_all();
            }
        }
        Ok(())
    }

    async fn delete(&self, path: &str) -> Result<()> {
        let full = self.full(path)?;
        match tokio::fs::remove_file(&full).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
            Err(e) => Err(self.err("deleting", path, e)),
        }
    }

    async fn mkdirs(&self, dir: &str) -> Result<()> {
        let full = self.full(dir)?;
        tokio::fs::create_dir_all(&full)
            .await
            .map_err(|e| self.err("creating", dir, e))
    }

    async fn dir_exists(&self, dir: &str) -> Result<bool> {
        let full = self.full(dir)?;
        Ok(tokio::fs::metadata(&full)
            .await
            .map(|m| m.is_dir())
            .unwrap_or(false))
    }
}
