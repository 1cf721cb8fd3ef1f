//! OneDrive / SharePoint storage on top of the Graph client: listing, streaming downloads,
//! uploads (spooled to a local temporary file so they can resume), moves, deletes, folders,
//! and delta-based change detection so an idle poll costs one request.

use std::collections::HashMap;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::SystemTime;

use futures::StreamExt;
use graphlink_graph::{
    ConflictBehavior, DeltaCursor, DeltaEvent, DeltaStart, DriveClient, DriveItem, ItemRef,
    NoProgress, UploadOptions,
};
use parking_lot::Mutex;
use tokio::io::{AsyncRead, AsyncWriteExt, ReadBuf};
use tokio::sync::oneshot;

use super::{Entry, ReadStream, Storage};
use crate::naming::{file_name, join, normalize, parent};
use crate::{Error, Result};

/// A drive (a user's OneDrive or a SharePoint library) as a storage.
#[derive(Debug)]
pub struct GraphStorage {
    drive: DriveClient,
    label: String,
    cursors: Mutex<HashMap<String, DeltaCursor>>,
}

impl GraphStorage {
    /// Wraps a resolved drive; `label` names it in messages.
    pub fn new(drive: DriveClient, label: impl Into<String>) -> Self {
        Self {
            drive,
            label: label.into(),
            cursors: Mutex::new(HashMap::new()),
        }
    }

    /// The drive.
    pub fn drive(&self) -> &DriveClient {
        &self.drive
    }

    fn err(&self, action: &'static str, path: &str, e: impl ToString) -> Error {
        Error::Storage {
            storage: self.describe(),
            action,
            path: path.to_string(),
            message: e.to_string(),
        }
    }

    fn item(&self, path: &str) -> Result<ItemRef> {
        let norm = normalize(path).map_err(|m| self.err("resolving", path, m))?;
        Ok(ItemRef::path(format!("/{norm}")))
    }
}

fn entry(path: String, item: &DriveItem) -> Entry {
    let hash = item
        .file
        .as_ref()
        .and_then(|f| f.hashes.as_ref())
        .and_then(|h| h.quick_xor_hash.clone())
        .or_else(|| item.c_tag.clone());
    Entry {
        path,
        size: item.size.unwrap_or(0),
        modified: item
            .last_modified_date_time
            .map(SystemTime::from)
            .unwrap_or(SystemTime::UNIX_EPOCH),
        id: Some(item.id.clone()),
        hash,
    }
}

/// A download stream fed by a background task; a failed download surfaces as a read error
/// (never as a silently truncated file).
struct DownloadReader {
    inner: tokio::io::DuplexStream,
    result: oneshot::Receiver<std::result::Result<(), String>>,
    finished: bool,
}

impl AsyncRead for DownloadReader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) if buf.filled().len() == before && !self.finished => {
                match Pin::new(&mut self.result).poll(cx) {
                    Poll::Pending => Poll::Pending,
                    Poll::Ready(Ok(Ok(()))) => {
                        self.finished = true;
                        Poll::Ready(Ok(()))
                    }
                    Poll::Ready(Ok(Err(e))) => Poll::Ready(Err(std::io::Error::other(e))),
                    Poll::Ready(Err(_)) => {
                        Poll::Ready(Err(std::io::Error::other("the download stopped")))
                    }
                }
            }
            other => other,
        }
    }
}

use std::future::Future;

#[async_trait::async_trait]
impl Storage for GraphStorage {
    fn describe(&self) -> String {
        self.label.clone()
    }

    async fn list(&self, dir: &str, recursive: bool) -> Result<Vec<Entry>> {
        let norm = normalize(dir).map_err(|m| self.err("listing", dir, m))?;
        let folder = self.item(&norm)?;
        let mut out = Vec::new();
        if recursive {
            let mut walk = self.drive.walk(&folder);
            while let Some(e) = walk.next().await {
                match e {
                    Ok(w) if w.item.file.is_some() => {
                        out.push(entry(join(&norm, &w.relative_path), &w.item))
                    }
                    Ok(_) => {}
                    Err(e) if e.is_not_found() => return Ok(Vec::new()),
                    Err(e) => return Err(self.err("listing", dir, e)),
                }
            }
        } else {
            let mut children = self.drive.children(&folder);
            while let Some(item) = children.next().await {
                match item {
                    Ok(item) if item.file.is_some() => {
                        let name = item.name.clone().unwrap_or_else(|| item.id.clone());
                        out.push(entry(join(&norm, &name), &item));
                    }
                    Ok(_) => {}
                    Err(e) if e.is_not_found() => return Ok(Vec::new()),
                    Err(e) => return Err(self.err("listing", dir, e)),
                }
            }
        }
        Ok(out)
    }

    async fn may_have_changed(&self, dir: &str) -> Result<bool> {
        let cursor = self.cursors.lock().get(dir).cloned();
        let start = match &cursor {
            Some(c) => DeltaStart::Resume(c.clone()),
            None => DeltaStart::Latest,
        };
        let mut changed = cursor.is_none();
        let mut stream = self.drive.delta(start);
        while let Some(ev) = stream.next().await {
            match ev {
                Ok(DeltaEvent::Page { items, .. }) => changed |= !items.is_empty(),
                Ok(DeltaEvent::Resync { .. }) => changed = true,
                Ok(DeltaEvent::Done(c)) => {
                    self.cursors.lock().insert(dir.to_string(), c);
                }
                Err(e) => {
                    tracing::debug!(storage = %self.label, error = %e, "delta failed; listing instead");
                    self.cursors.lock().remove(dir);
                    return Ok(true);
                }
            }
        }
        Ok(changed)
    }

    async fn stat(&self, path: &str) -> Result<Option<Entry>> {
        let item = self.item(path)?;
        match self.drive.try_get(&item).await {
            Ok(Some(i)) if i.file.is_some() => {
                Ok(Some(entry(normalize(path).unwrap_or_default(), &i)))
            }
            Ok(_) => Ok(None),
            Err(e) => Err(self.err("reading", path, e)),
        }
    }

    async fn read(&self, path: &str) -> Result<ReadStream> {
        let item = self.item(path)?;
        let meta = self
            .drive
            .get(&item)
            .await
            .map_err(|e| self.err("opening", path, e))?;
        let (mut writer, reader) = tokio::io::duplex(256 * 1024);
        let (tx, rx) = oneshot::channel();
        let drive = self.drive.clone();
        tokio::spawn(async move {
            let r = drive.download_item(&meta, &mut writer, &NoProgress).await;
            let r = match r {
                Ok(()) => writer.shutdown().await.map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            drop(writer);
            let _ = tx.send(r);
        });
        Ok(Box::new(DownloadReader {
            inner: reader,
            result: rx,
            finished: false,
        }))
    }

    async fn write(&self, path: &str, data: &mut (dyn AsyncRead + Send + Unpin)) -> Result<u64> {
        let norm = normalize(path).map_err(|m| self.err("writing", path, m))?;
        // Spool to a local file: the upload can then resume any fragment, whatever the source.
        let spool = tempfile::NamedTempFile::new().map_err(|e| self.err("spooling", path, e))?;
        let mut file = tokio::fs::File::create(spool.path())
            .await
            .map_err(|e| self.err("spooling", path, e))?;
        let n = tokio::io::copy(data, &mut file)
            .await
            .map_err(|e| self.err("reading the stream for", path, e))?;
        file.flush()
            .await
            .map_err(|e| self.err("spooling", path, e))?;
        drop(file);
        let parent_ref = self.item(parent(&norm))?;
        let options = UploadOptions {
            conflict: ConflictBehavior::Replace,
        };
        self.drive
            .upload_file(
                &parent_ref,
                file_name(&norm),
                spool.path(),
                &options,
                &NoProgress,
            )
            .await
            .map_err(|e| self.err("uploading", path, e))?;
        Ok(n)
    }

    async fn rename(&self, from: &str, to: &str, replace: bool) -> Result<()> {
        let to_norm = normalize(to).map_err(|m| self.err("moving", to, m))?;
        if self
            .drive
            .try_get(&self.item(&to_norm)?)
            .await
            .map_err(|e| self.err("moving", to, e))?
            .is_some()
        {
            if !replace {
                return Err(Error::Exists(to.to_string()));
            }
            self.delete(&to_norm).await?;
        }
        let src = self.item(from)?;
        let from_norm = normalize(from).unwrap_or_default();
        let same_parent = parent(&from_norm) == parent(&to_norm);
        let new_parent = if same_parent {
            None
        } else {
            Some(self.item(parent(&to_norm))?)
        };
        match self
            .drive
            .move_item(&src, new_parent.as_ref(), Some(file_name(&to_norm)), None)
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if e.status() == Some(409) => Err(Error::Exists(to.to_string())),
            Err(e) => Err(self.err("moving", from, format!("to '{to}': {e}"))),
        }
    }

    async fn delete(&self, path: &str) -> Result<()> {
        match self.drive.delete(&self.item(path)?, None).await {
            Ok(()) => Ok(()),
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) => Err(self.err("deleting", path, e)),
        }
    }

    async fn mkdirs(&self, dir: &str) -> Result<()> {
        let norm = normalize(dir).map_err(|m| self.err("creating", dir, m))?;
        if norm.is_empty() {
            return Ok(());
        }
        self.drive
            .create_folder_all(&format!("/{norm}"))
            .await
            .map(|_| ())
            .map_err(|e| self.err("creating", dir, e))
    }

    async fn dir_exists(&self, dir: &str) -> Result<bool> {
        match self.drive.try_get(&self.item(dir)?).await {
            Ok(Some(i)) => Ok(graphlink_graph::is_folder(&i)),
            Ok(None) => Ok(false),
            Err(e) => Err(self.err("reading", dir, e)),
        }
    }
}
