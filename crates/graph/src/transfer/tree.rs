//! Recursive transfers of whole folders, several files at a time.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use futures::stream::{self, StreamExt};

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

struct LocalFile {
    relative: Vec<String>,
    path: PathBuf,
}

/// Lists a local folder recursively: folders (parents first) and files, as relative segments.
/// Symbolic links are skipped (no loops).
async fn walk_local(root: &Path) -> Result<(Vec<Vec<String>>, Vec<LocalFile>)> {
    let mut dirs = Vec::new();
    let mut files = Vec::new();
    let mut queue = vec![(root.to_path_buf(), Vec::<String>::new())];
    while let Some((dir, rel)) = queue.pop() {
        let mut entries = tokio::fs::read_dir(&dir)
            .await
            .map_err(Error::io(format!("listing {}", dir.display())))?;
        let mut found = Vec::new();
        while let Some(entry) = entries
            .next_entry()
            .await
            .map_err(Error::io(format!("listing {}", dir.display())))?
        {
            found.push(entry);
        }
        found.sort_by_key(|e| e.file_name());
        for entry in found {
            let path = entry.path();
            let name = entry.file_name().into_string().map_err(|n| {
                Error::invalid(
                    "file name",
                    format!("{} is not valid UTF-8", PathBuf::from(n).display()),
                )
            })?;
            let kind = entry
                .file_type()
                .await
                .map_err(Error::io(format!("reading {}", path.display())))?;
            let mut child = rel.clone();
            child.push(name);
            if kind.is_dir() {
                dirs.push(child.clone());
                queue.push((path, child));
            } else if kind.is_file() {
                // No size here: each upload reads its file's metadata anyway (one file-system
                // round trip per file, not two).
                files.push(LocalFile {
                    relative: child,
                    path,
                });
            }
        }
    }
    dirs.sort_by_key(|d| d.len());
    Ok((dirs, files))
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
        let (dirs, files) = walk_local(local).await?;
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
        let results: Vec<(LocalFile, Result<DriveItem>)> = stream::iter(files)
            .map(|file| async move {
                let target = file
                    .relative
                    .split_last()
                    .and_then(|(name, parent)| Some((name, ids.get(parent)?)));
                let result = match target {
                    Some((name, parent)) => {
                        self.upload_file(
                            &ItemRef::id(parent.clone()),
                            name,
                            &file.path,
                            upload,
                            progress,
                        )
                        .await
                    }
                    None => Err(Error::invalid(
                        "file",
                        format!("{} has no folder", file.path.display()),
                    )),
                };
                (file, result)
            })
            .buffer_unordered(options.concurrency.max(1))
            .collect()
            .await;
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
