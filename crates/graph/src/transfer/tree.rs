//! Recursive transfers of whole folders, several files at a time.

use std::collections::HashMap;
use std::path::Path;

use futures::stream::{self, StreamExt};

use super::local::{read_ahead, walk, LocalFile};
use super::upload::UploadOptions;
use crate::drive::DriveClient;
use crate::error::{Error, Result};
use crate::path::{check_name, ItemRef};
use crate::progress::Progress;
use crate::wire::{ConflictBehavior, DriveItem};

/// Options of a folder transfer.
#[derive(Debug, Clone)]
pub struct TreeOptions {
    /// Files transferred at the same time (default 4).
    pub concurrency: usize,
    /// For uploads: what happens when a file exists (default: fail).
    pub conflict: ConflictBehavior,
}

impl Default for TreeOptions {
    fn default() -> Self {
        Self {
            concurrency: 4,
            conflict: ConflictBehavior::Fail,
        }
    }
}

/// What a folder transfer did.
#[derive(Debug, Default)]
pub struct TreeReport {
    /// Files transferred.
    pub files: u64,
    /// Folders created (or found).
    pub folders: u64,
    /// Bytes of the files transferred.
    pub bytes: u64,
    /// Files (relative paths) that failed, with why. The other files were transferred.
    pub failures: Vec<(String, Error)>,
}

impl DriveClient {
    /// Uploads the local folder `local` (recursively) into the drive folder `remote` (a path,
    /// created with missing parents). Files that fail are listed in the report.
    pub async fn upload_dir(
        &self,
        local: &Path,
        remote: &str,
        options: &TreeOptions,
        progress: &dyn Progress,
    ) -> Result<TreeReport> {
        let (dirs, files) = {
            let local = local.to_path_buf();
            tokio::task::spawn_blocking(move || walk(&local))
                .await
                .map_err(|e| Error::io("listing the local folder")(std::io::Error::other(e)))??
        };
        let root = self.create_folder_all(remote).await?;
        let mut report = TreeReport::default();
        let mut ids: HashMap<Vec<String>, String> = HashMap::new();
        ids.insert(Vec::new(), root.id);
        for dir in &dirs {
            let Some((name, parent)) = dir.split_last() else {
                continue;
            };
            let Some(parent_id) = ids.get(parent).cloned() else {
                continue;
            };
            let parent_ref = ItemRef::id(parent_id);
            let item = self.ensure_folder(&parent_ref, name).await?;
            ids.insert(dir.clone(), item.id);
            report.folders += 1;
        }
        let upload = UploadOptions {
            conflict: options.conflict,
        };
        let ids = &ids;
        let upload = &upload;
        let expected = files.len();
        let (ahead, reader) = read_ahead(files, self.client.settings().simple_upload_limit);
        let results: Vec<(LocalFile, Result<DriveItem>)> = ahead
            .map(|(file, opened)| async move {
                let target = file
                    .relative
                    .split_last()
                    .and_then(|(name, parent)| Some((name, ids.get(parent)?)));
                let result = match (target, opened) {
                    (None, _) => Err(Error::invalid(
                        "file",
                        format!("{} has no folder", file.describe()),
                    )),
                    (Some(_), Err(e)) => Err(e),
                    (Some((name, parent)), Ok(Some(opened))) => {
                        let parent = ItemRef::id(parent.clone());
                        self.upload_opened(&parent, name, file.describe(), opened, upload, progress)
                            .await
                    }
                    // Not read ahead (large): the upload opens it.
                    (Some((name, parent)), Ok(None)) => {
                        let parent = ItemRef::id(parent.clone());
                        self.upload_file(&parent, name, &file.path, upload, progress)
                            .await
                    }
                };
                (file, result)
            })
            .buffer_unordered(options.concurrency.max(1))
            .collect()
            .await;
        if reader.await.is_err() || results.len() != expected {
            return Err(Error::io(format!(
                "reading the files of {}",
                local.display()
            ))(std::io::Error::other(format!(
                "the reading thread stopped after {} of {expected} files",
                results.len()
            ))));
        }
        for (file, result) in results {
            match result {
                Ok(item) => {
                    report.files += 1;
                    report.bytes += item.size.unwrap_or(0);
                }
                Err(e) => report.failures.push((file.relative.join("/"), e)),
            }
        }
        Ok(report)
    }

    /// Downloads the drive folder `remote` (recursively) into the local folder `local`
    /// (created if missing). Files that fail are listed in the report.
    pub async fn download_dir(
        &self,
        remote: &ItemRef,
        local: &Path,
        options: &TreeOptions,
        progress: &dyn Progress,
    ) -> Result<TreeReport> {
        let mut report = TreeReport::default();
        tokio::fs::create_dir_all(local)
            .await
            .map_err(Error::io(format!("creating {}", local.display())))?;
        let mut files = Vec::new();
        let mut walk = self.walk(remote);
        while let Some(entry) = walk.next().await {
            let entry = entry?;
            let segments: Vec<&str> = entry.relative_path.split('/').collect();
            if let Some(bad) = segments.iter().find(|s| check_name(s).is_err()) {
                report.failures.push((
                    entry.relative_path.clone(),
                    Error::invalid("name", format!("{bad:?} cannot be a local file name")),
                ));
                continue;
            }
            let dest = segments.iter().fold(local.to_path_buf(), |p, s| p.join(s));
            if entry.item.folder.is_some() {
                tokio::fs::create_dir_all(&dest)
                    .await
                    .map_err(Error::io(format!("creating {}", dest.display())))?;
                report.folders += 1;
            } else if entry.item.file.is_some() {
                files.push((entry, dest));
            }
        }
        let results: Vec<_> = stream::iter(files)
            .map(|(entry, dest)| async move {
                let result = self
                    .download_item_to_file(&entry.item, &dest, progress)
                    .await;
                (entry, result)
            })
            .buffer_unordered(options.concurrency.max(1))
            .collect()
            .await;
        for (entry, result) in results {
            match result {
                Ok(()) => {
                    report.files += 1;
                    report.bytes += entry.item.size.unwrap_or(0);
                }
                Err(e) => report.failures.push((entry.relative_path, e)),
            }
        }
        Ok(report)
    }
}
