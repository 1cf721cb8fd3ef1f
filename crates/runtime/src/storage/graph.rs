//! OneDrive / SharePoint storage on top of the Graph client: listing, streaming downloads,
//! uploads (spooled to a local temporary file so they can resume), moves, deletes, folders,
//! and delta-based change detection so an idle poll costs one request.
//!
//! A listed folder is kept as a [`Mirror`] (see `graph_mirror`): the first listing walks
//! the folder, later polls apply the drive's delta to the mirror and answer listings from
//! it, so a poll after a change costs the delta request(s) only, and changes elsewhere in the
//! drive do not count as changes of the folder.

use std::collections::HashMap;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::StreamExt;
use graphlink_graph::quickxorhash::{same_hash, QuickXorHash};
use graphlink_graph::wire::{FileFacet, Hashes};
use graphlink_graph::{
    ConflictBehavior, DeltaCursor, DeltaEvent, DeltaStart, DriveClient, DriveItem, ItemRef,
    NoProgress, UploadOptions,
};
use parking_lot::Mutex;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt, ReadBuf};
use tokio::sync::oneshot;

use super::graph_mirror::{entry, Mirror};
use super::{Entry, ReadStream, Storage};
use crate::naming::{file_name, join, normalize, parent};
use crate::{Error, Result};

/// A drive (a user's OneDrive or a SharePoint library) as a storage.
#[derive(Debug)]
pub struct GraphStorage {
    drive: DriveClient,
    label: String,
    /// Change tracking by listed/polled folder (normalised path).
    dirs: Mutex<HashMap<String, DirState>>,
    /// Folder ids by normalised path, learnt from folder creations and lookups, so uploads
    /// and moves into a known folder address it by id instead of asking for it again.
    folders: Mutex<HashMap<String, String>>,
}

/// What the storage knows of a folder it polled or listed.
#[derive(Debug, Default)]
struct DirState {
    /// Where the next delta round resumes.
    cursor: Option<DeltaCursor>,
    /// The folder's content, current up to `cursor`.
    mirror: Option<Mirror>,
    /// A delta round was applied to the mirror and nothing was listed or written through this
    /// storage since: a listing may answer without a request.
    fresh: bool,
    /// The last listing found no folder: any change in the drive counts.
    missing: bool,
    /// Bumped whenever the mirror is replaced or dropped, so a delta round that raced with a
    /// listing does not apply to (or move the cursor of) a mirror it did not start with.
    generation: u64,
}

impl DirState {
    fn replace(&mut self, cursor: Option<DeltaCursor>, mirror: Option<Mirror>, missing: bool) {
        self.cursor = cursor;
        self.mirror = mirror;
        self.fresh = false;
        self.missing = missing;
        self.generation += 1;
    }
}

impl GraphStorage {
    /// Wraps a resolved drive; `label` names it in messages.
    pub fn new(drive: DriveClient, label: impl Into<String>) -> Self {
        Self {
            drive,
            label: label.into(),
            dirs: Mutex::new(HashMap::new()),
            folders: Mutex::new(HashMap::new()),
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

    /// The key of a folder's state: its normalised path.
    fn key(dir: &str) -> String {
        normalize(dir).unwrap_or_else(|_| dir.to_string())
    }

    /// A cursor at the current end of the drive's changes (one request).
    async fn latest_cursor(&self) -> std::result::Result<DeltaCursor, String> {
        let mut stream = self.drive.delta(DeltaStart::Latest);
        while let Some(ev) = stream.next().await {
            match ev {
                Ok(DeltaEvent::Done(c)) => return Ok(c),
                Ok(_) => {}
                Err(e) => return Err(e.to_string()),
            }
        }
        Err("the delta round ended without a cursor".into())
    }

    /// One delta round for folder `key`, applied to its mirror. Returns whether the folder may
    /// have changed: the mirror changed or became stale, or there is no mirror to tell (then,
    /// for a folder found missing, whether anything in the drive changed).
    async fn sync(&self, key: &str) -> bool {
        let (cursor, generation) = match self.dirs.lock().get(key) {
            Some(s) => (s.cursor.clone(), s.generation),
            None => (None, 0),
        };
        let Some(cursor) = cursor else {
            // First poll: only take the cursor; the listing that follows builds the mirror.
            match self.latest_cursor().await {
                Ok(c) => self.dirs.lock().entry(key.to_string()).or_default().cursor = Some(c),
                Err(e) => tracing::debug!(storage = %self.label, error = %e, "delta failed"),
            }
            return true;
        };
        let mut any = false;
        let mut changed = false;
        let mut stream = self.drive.delta(DeltaStart::Resume(cursor));
        while let Some(ev) = stream.next().await {
            let mut dirs = self.dirs.lock();
            let state = dirs.get_mut(key).filter(|s| s.generation == generation);
            let Some(state) = state else {
                // A listing replaced the state meanwhile: it holds its own cursor.
                return true;
            };
            match ev {
                Ok(DeltaEvent::Page { items, .. }) => {
                    any |= !items.is_empty();
                    if let Some(m) = state.mirror.as_mut() {
                        for item in &items {
                            changed |= m.apply(item);
                        }
                    }
                }
                Ok(DeltaEvent::Done(c)) => {
                    state.cursor = Some(c);
                    if let Some(m) = state.mirror.as_mut() {
                        changed |= m.end_round();
                    }
                }
                Ok(DeltaEvent::Resync { .. }) | Err(_) => {
                    if let Err(e) = ev {
                        tracing::debug!(storage = %self.label, error = %e, "delta failed; listing instead");
                    }
                    dirs.remove(key);
                    return true;
                }
            }
        }
        let mut dirs = self.dirs.lock();
        let Some(state) = dirs.get_mut(key).filter(|s| s.generation == generation) else {
            return true;
        };
        match &state.mirror {
            Some(m) if !m.is_stale() => {
                state.fresh = true;
                changed
            }
            Some(_) => true,
            None => !state.missing || any,
        }
    }

    /// The listing from the mirror of `key`, synced with delta unless a poll just did;
    /// `None` when there is no usable mirror.
    async fn list_from_mirror(&self, key: &str, recursive: bool) -> Option<Vec<Entry>> {
        let fresh = {
            let dirs = self.dirs.lock();
            let state = dirs.get(key)?;
            if !state.mirror.as_ref()?.can_answer(recursive) {
                return None;
            }
            state.fresh
        };
        if !fresh {
            self.sync(key).await;
        }
        let mut dirs = self.dirs.lock();
        let state = dirs.get_mut(key)?;
        let mirror = state.mirror.as_ref()?;
        if !mirror.can_answer(recursive) {
            return None;
        }
        state.fresh = false;
        Some(mirror.list(recursive))
    }

    /// The folder items from the top of `norm` down to it (the root for ``); `None` if a
    /// part is missing or not a folder.
    async fn folder_chain(&self, norm: &str) -> graphlink_graph::Result<Option<Vec<DriveItem>>> {
        let mut chain = Vec::new();
        let mut paths = vec![String::new()];
        if !norm.is_empty() {
            paths = norm
                .split('/')
                .scan(String::new(), |acc, part| {
                    *acc = join(acc, part);
                    Some(acc.clone())
                })
                .collect();
        }
        for path in paths {
            match self
                .drive
                .try_get(&ItemRef::path(format!("/{path}")))
                .await?
            {
                Some(item) if graphlink_graph::is_folder(&item) => chain.push(item),
                _ => return Ok(None),
            }
        }
        Ok(Some(chain))
    }

    /// Lists folder `norm` from the drive (a walk when `recursive`) and keeps the result as
    /// its mirror, current from a cursor taken before the listing.
    async fn list_and_mirror(&self, dir: &str, norm: &str, recursive: bool) -> Result<Vec<Entry>> {
        let known = self.dirs.lock().get(norm).and_then(|s| s.cursor.clone());
        let cursor = match known {
            Some(c) => Some(c),
            None => self.latest_cursor().await.ok(),
        };
        let missing = |this: &Self| {
            let mut dirs = this.dirs.lock();
            dirs.entry(norm.to_string())
                .or_default()
                .replace(cursor.clone(), None, true);
            Ok(Vec::new())
        };
        let chain = match self.folder_chain(norm).await {
            Ok(Some(chain)) => chain,
            Ok(None) => return missing(self),
            Err(e) if e.is_not_found() => return missing(self),
            Err(e) => return Err(self.err("listing", dir, e)),
        };
        let mut mirror = Mirror::new(norm, &chain, recursive);
        let folder = ItemRef::id(chain.last().map(|i| i.id.clone()).unwrap_or_default());
        let mut complete = true;
        let mut out = Vec::new();
        let mut items = if recursive {
            self.drive
                .walk(&folder)
                .map(|r| r.map(|w| (w.relative_path, w.item)))
                .boxed()
        } else {
            self.drive
                .children(&folder)
                .map(|r| {
                    r.map(|i| {
                        let name = i.name.clone().unwrap_or_else(|| i.id.clone());
                        (name, i)
                    })
                })
                .boxed()
        };
        while let Some(next) = items.next().await {
            match next {
                Ok((rel, item)) => {
                    complete &= mirror.add_listed(&item);
                    if item.file.is_some() {
                        out.push(entry(join(norm, &rel), &item));
                    }
                }
                Err(e) if e.is_not_found() => return missing(self),
                Err(e) => return Err(self.err("listing", dir, e)),
            }
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        let mirror = (complete && cursor.is_some()).then_some(mirror);
        self.dirs
            .lock()
            .entry(norm.to_string())
            .or_default()
            .replace(cursor, mirror, false);
        Ok(out)
    }

    /// Keeps the mirrors honest about a change this storage made at `path`: a mirror that
    /// covers it syncs before its next listing and, with `forget`, drops the item until delta
    /// reports it again (so it never hands out a file this storage just moved or deleted).
    fn touched(&self, path: &str, forget: bool) {
        let path = Self::key(path);
        for state in self.dirs.lock().values_mut() {
            if let Some(m) = state.mirror.as_mut().filter(|m| m.covers(&path)) {
                state.fresh = false;
                if forget {
                    m.forget(&path);
                }
            }
        }
    }
}

impl GraphStorage {
    /// A reader of `meta`'s content, downloaded by a background task.
    fn stream_item(&self, meta: DriveItem) -> ReadStream {
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
        Box::new(DownloadReader {
            inner: reader,
            result: rx,
            finished: false,
        })
    }

    /// The folder `norm` by id when known, else by path.
    fn folder_ref(&self, norm: &str) -> ItemRef {
        match self.folders.lock().get(norm) {
            Some(id) => ItemRef::id(id.clone()),
            None => ItemRef::path(format!("/{norm}")),
        }
    }

    /// Whether the id of folder `norm` is cached.
    fn folder_known(&self, norm: &str) -> bool {
        self.folders.lock().contains_key(norm)
    }

    /// The id of folder `norm`, asked for (and remembered) when not known.
    async fn folder_id(&self, norm: &str) -> graphlink_graph::Result<String> {
        if let Some(id) = self.folders.lock().get(norm) {
            return Ok(id.clone());
        }
        let id = self
            .drive
            .item_id(&ItemRef::path(format!("/{norm}")))
            .await?;
        self.folders.lock().insert(norm.to_string(), id.clone());
        Ok(id)
    }

    /// Forgets the cached ids of `norm` and everything below it (it was deleted, or a request
    /// by id said it is gone).
    fn forget_folders(&self, norm: &str) {
        let below = format!("{norm}/");
        self.folders
            .lock()
            .retain(|k, _| !(k == norm || norm.is_empty() || k.starts_with(&below)));
    }

    /// Spools `data` to a local temporary file (so an upload can resume any fragment, whatever
    /// the source); returns the file and its size.
    async fn spool(
        &self,
        path: &str,
        data: &mut (dyn AsyncRead + Send + Unpin),
    ) -> Result<(tempfile::NamedTempFile, u64)> {
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
        Ok((spool, n))
    }

    /// Whether the file at `norm` holds exactly the spooled content (size, then quickXorHash;
    /// the spool is hashed only when the sizes agree).
    async fn holds(&self, norm: &str, spool: &std::path::Path, size: u64) -> Result<bool> {
        let existing = self
            .drive
            .try_get(&self.item(norm)?)
            .await
            .map_err(|e| self.err("uploading", norm, e))?;
        let Some(remote) = existing
            .as_ref()
            .filter(|i| i.size == Some(size))
            .and_then(DriveItem::quick_xor_hash)
        else {
            return Ok(false);
        };
        let mut file = tokio::fs::File::open(spool)
            .await
            .map_err(|e| self.err("spooling", norm, e))?;
        let mut hasher = QuickXorHash::new();
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            let got = file
                .read(&mut buf)
                .await
                .map_err(|e| self.err("spooling", norm, e))?;
            if got == 0 {
                break;
            }
            hasher.update(&buf[..got]);
        }
        Ok(same_hash(remote, &hasher.finish_base64()))
    }

    /// Uploads a spooled file as `norm` with `conflict`, into its parent by id when known. A
    /// parent that vanished since it was cached is forgotten and the upload addressed by path.
    async fn upload(
        &self,
        norm: &str,
        spool: &std::path::Path,
        conflict: ConflictBehavior,
    ) -> graphlink_graph::Result<DriveItem> {
        let dir = parent(norm);
        let options = UploadOptions { conflict };
        let mut by_cached_id = self.folder_known(dir);
        loop {
            let r = self
                .drive
                .upload_file(
                    &self.folder_ref(dir),
                    file_name(norm),
                    spool,
                    &options,
                    &NoProgress,
                )
                .await;
            match r {
                Err(e) if by_cached_id && e.is_not_found() => {
                    self.forget_folders(dir);
                    by_cached_id = false;
                }
                other => return other,
            }
        }
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
        if let Some(entries) = self.list_from_mirror(&norm, recursive).await {
            return Ok(entries);
        }
        self.list_and_mirror(dir, &norm, recursive).await
    }

    async fn may_have_changed(&self, dir: &str) -> Result<bool> {
        Ok(self.sync(&Self::key(dir)).await)
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
        Ok(self.stream_item(meta))
    }

    async fn open(&self, entry: &Entry) -> Result<ReadStream> {
        let Some(id) = &entry.id else {
            return self.read(&entry.path).await;
        };
        // What the listing said is all a download needs: `/content` by id (its redirect to the
        // download URL is not a Graph request), checked against the listed size and hash.
        let meta = DriveItem {
            id: id.clone(),
            name: Some(entry.name().to_string()),
            size: Some(entry.size),
            file: Some(FileFacet {
                hashes: Some(Hashes {
                    quick_xor_hash: entry.quick_xor_hash.clone(),
                    ..Hashes::default()
                }),
                ..FileFacet::default()
            }),
            ..DriveItem::default()
        };
        Ok(self.stream_item(meta))
    }

    fn atomic_writes(&self) -> bool {
        true
    }

    async fn write(&self, path: &str, data: &mut (dyn AsyncRead + Send + Unpin)) -> Result<u64> {
        let norm = normalize(path).map_err(|m| self.err("writing", path, m))?;
        let (spool, n) = self.spool(path, data).await?;
        self.upload(&norm, spool.path(), ConflictBehavior::Replace)
            .await
            .map_err(|e| self.err("uploading", path, e))?;
        self.touched(&norm, true);
        Ok(n)
    }

    async fn write_new(
        &self,
        path: &str,
        data: &mut (dyn AsyncRead + Send + Unpin),
    ) -> Result<u64> {
        let norm = normalize(path).map_err(|m| self.err("writing", path, m))?;
        let (spool, n) = self.spool(path, data).await?;
        match self
            .upload(&norm, spool.path(), ConflictBehavior::Fail)
            .await
        {
            Ok(_) => {
                self.touched(&norm, true);
                Ok(n)
            }
            // The name is taken. By this very content (an upload whose answer was lost, or a
            // run that stopped before recording it), the write is done; else it exists.
            Err(e) if e.is_conflict() => match self.holds(&norm, spool.path(), n).await? {
                true => Ok(n),
                false => Err(Error::Exists(path.to_string())),
            },
            Err(e) => Err(self.err("uploading", path, e)),
        }
    }

    async fn rename(&self, from: &str, to: &str, replace: bool) -> Result<()> {
        let to_norm = normalize(to).map_err(|m| self.err("moving", to, m))?;
        let from_norm = normalize(from).map_err(|m| self.err("moving", from, m))?;
        if replace
            && self
                .drive
                .try_get(&self.item(&to_norm)?)
                .await
                .map_err(|e| self.err("moving", to, e))?
                .is_some()
        {
            self.delete(&to_norm).await?;
        }
        // No look before the move: Graph refuses a taken name itself (409), so a move costs one
        // request when the target folder's id is known.
        let src = self.item(&from_norm)?;
        let same_parent = parent(&from_norm) == parent(&to_norm);
        let dest_dir = parent(&to_norm);
        let mut retried = false;
        loop {
            let new_parent = if same_parent {
                None
            } else {
                match self.folder_id(dest_dir).await {
                    Ok(id) => Some(ItemRef::id(id)),
                    Err(e) => return Err(self.err("moving", from, format!("to '{to}': {e}"))),
                }
            };
            match self
                .drive
                .move_item(&src, new_parent.as_ref(), Some(file_name(&to_norm)), None)
                .await
            {
                Ok(_) => {
                    self.touched(&from_norm, true);
                    self.touched(&to_norm, true);
                    return Ok(());
                }
                Err(e) if e.is_conflict() => return Err(Error::Exists(to.to_string())),
                Err(e) if e.is_not_found() && new_parent.is_some() && !retried => {
                    // Either the file or the cached target folder is gone: ask again by path.
                    self.forget_folders(dest_dir);
                    retried = true;
                }
                Err(e) if e.is_not_found() => {
                    self.touched(&from_norm, true);
                    return Err(Error::Missing(from.to_string()));
                }
                Err(e) => return Err(self.err("moving", from, format!("to '{to}': {e}"))),
            }
        }
    }

    async fn delete(&self, path: &str) -> Result<()> {
        let norm = Self::key(path);
        self.forget_folders(&norm);
        match self.drive.delete(&self.item(path)?, None).await {
            Ok(()) => {
                self.touched(path, true);
                Ok(())
            }
            Err(e) if e.is_not_found() => {
                self.touched(path, true);
                Ok(())
            }
            Err(e) => Err(self.err("deleting", path, e)),
        }
    }

    async fn mkdirs(&self, dir: &str) -> Result<()> {
        let norm = normalize(dir).map_err(|m| self.err("creating", dir, m))?;
        if norm.is_empty() || self.folder_known(&norm) {
            return Ok(());
        }
        let folder = self
            .drive
            .create_folder_all(&format!("/{norm}"))
            .await
            .map_err(|e| self.err("creating", dir, e))?;
        self.folders.lock().insert(norm.clone(), folder.id);
        self.touched(&norm, false);
        Ok(())
    }

    async fn dir_exists(&self, dir: &str) -> Result<bool> {
        match self.drive.try_get(&self.item(dir)?).await {
            Ok(Some(i)) => Ok(graphlink_graph::is_folder(&i)),
            Ok(None) => Ok(false),
            Err(e) => Err(self.err("reading", dir, e)),
        }
    }
}
