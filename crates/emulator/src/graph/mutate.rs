//! Write operations shared by the handlers: placing a name under a folder according to the
//! conflict behaviour, creating missing folders, committing uploaded content.

use std::collections::BTreeMap;
use std::path::Path;

use axum::http::StatusCode;

use super::ids;
use super::model::{Conflict, FileFacet, Identity, Item};
use super::names::{mime_for, validate_name};
use super::store::Store;
use crate::web::GraphError;

/// 409 `nameAlreadyExists`.
pub fn name_exists(name: &str) -> GraphError {
    GraphError::new(
        StatusCode::CONFLICT,
        "nameAlreadyExists",
        format!("The specified item name '{name}' already exists."),
    )
}

/// 507 `quotaLimitReached`.
pub fn quota_exceeded() -> GraphError {
    GraphError::new(
        StatusCode::INSUFFICIENT_STORAGE,
        "quotaLimitReached",
        "Insufficient Space Available",
    )
}

/// Checks that `extra` more bytes fit in the drive.
pub fn check_quota(store: &Store, drive: &str, extra: u64, quota: u64) -> Result<(), GraphError> {
    let used = store.drive(drive)?.used();
    if used.saturating_add(extra) > quota {
        return Err(quota_exceeded());
    }
    Ok(())
}

/// A new item (file when `file` is given, else folder).
pub fn new_item(name: &str, parent: &str, who: &Identity, file: Option<FileFacet>) -> Item {
    let now = ids::now_millis();
    Item {
        id: ids::new_item_id(),
        guid: ids::new_etag_guid(),
        name: name.to_string(),
        parent: Some(parent.to_string()),
        created: now,
        modified: now,
        fs_created: now,
        fs_modified: now,
        created_by: who.clone(),
        modified_by: who.clone(),
        version: 1,
        content_version: 1,
        seq: 0,
        description: None,
        file,
        children: BTreeMap::new(),
        folder_size: 0,
    }
}

/// Where a new item goes once the conflict behaviour is applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    /// Create a new item with this name.
    New(String),
    /// Replace the content of this existing file (same id).
    ReplaceFile(String),
}

/// Applies the conflict behaviour for putting `name` (a file when `is_file`) under `parent`.
/// With `replace`, an existing item of the other kind is deleted (its blobs are returned).
pub fn place(
    store: &mut Store,
    drive: &str,
    parent: &str,
    name: &str,
    is_file: bool,
    conflict: Conflict,
) -> Result<(Placement, Vec<String>), GraphError> {
    let d = store.drive(drive)?;
    let Some(existing) = d.child(parent, name) else {
        return Ok((Placement::New(name.to_string()), Vec::new()));
    };
    match conflict {
        Conflict::Fail => Err(name_exists(name)),
        Conflict::Rename => Ok((Placement::New(d.free_name(parent, name)), Vec::new())),
        Conflict::Replace => {
            if is_file && !existing.is_folder() {
                return Ok((Placement::ReplaceFile(existing.id.clone()), Vec::new()));
            }
            let id = existing.id.clone();
            let blobs = store.remove_item(drive, &id);
            Ok((Placement::New(name.to_string()), blobs))
        }
    }
}

/// Walks `folders` below `anchor`, creating the missing ones; returns the last folder's id.
pub fn ensure_folders(
    store: &mut Store,
    drive: &str,
    anchor: &str,
    folders: &[String],
    who: &Identity,
) -> Result<String, GraphError> {
    let mut cur = store.drive(drive)?.item(anchor)?.id.clone();
    if !store.drive(drive)?.item(&cur)?.is_folder() {
        return Err(GraphError::bad_request("The parent item is not a folder."));
    }
    for name in folders {
        let existing = store
            .drive(drive)?
            .child(&cur, name)
            .map(|i| (i.id.clone(), i.is_folder()));
        cur = match existing {
            Some((id, true)) => id,
            Some((_, false)) => {
                return Err(GraphError::new(
                    StatusCode::CONFLICT,
                    "nameAlreadyExists",
                    format!("'{name}' is a file, not a folder."),
                ))
            }
            None => {
                validate_name(name)?;
                let item = new_item(name, &cur, who, None);
                let id = item.id.clone();
                store.put_item(drive, item);
                id
            }
        };
    }
    Ok(cur)
}

/// What to commit as a file's new content.
#[derive(Debug)]
pub struct NewContent<'a> {
    /// Where the bytes are.
    pub bytes: Landed<'a>,
    /// Size.
    pub size: u64,
    /// quickXorHash.
    pub quick_xor: String,
    /// Who wrote it.
    pub who: &'a Identity,
    /// `fileSystemInfo` times to set.
    pub fs_created: Option<ids::Millis>,
    /// `fileSystemInfo` times to set.
    pub fs_modified: Option<ids::Millis>,
    /// Description to set.
    pub description: Option<String>,
}

/// Where the bytes of new content are.
#[derive(Debug, Clone, Copy)]
pub enum Landed<'a> {
    /// In a temporary file, renamed into the content store on commit.
    Temp(&'a Path),
    /// Already in the content store under this blob name (written there directly: no rename,
    /// which on a busy file system serialises on the directory locks while the store lock is
    /// held). The caller removes the file if the commit fails.
    Blob(&'a str),
}

/// Where the content goes.
#[derive(Debug)]
pub enum Destination<'a> {
    /// Replace the content of this existing file.
    Item(&'a str),
    /// `anchor/folders.../name`, creating missing folders.
    Path {
        /// Existing folder.
        anchor: &'a str,
        /// Folders below it.
        folders: &'a [String],
        /// File name.
        name: &'a str,
        /// Conflict behaviour.
        conflict: Conflict,
    },
}

/// The result of a commit.
#[derive(Debug)]
pub struct Committed {
    /// The file's id.
    pub id: String,
    /// Whether a new item was created (201) rather than replaced (200).
    pub created: bool,
    /// Blobs no longer referenced (remove after releasing the lock).
    pub stale_blobs: Vec<String>,
}

/// A fresh name for a content blob.
pub fn new_blob_name() -> String {
    ids::random_token(18)
}

/// Moves the content into the content store and creates or updates the file's item.
pub fn commit_file(
    store: &mut Store,
    drive: &str,
    dest: Destination<'_>,
    content: NewContent<'_>,
    quota: u64,
    blob_path: impl Fn(&str) -> std::path::PathBuf,
) -> Result<Committed, GraphError> {
    let (placement, parent, mut stale) = match dest {
        Destination::Item(id) => {
            let item = store.drive(drive)?.item(id)?;
            if item.is_folder() {
                return Err(GraphError::bad_request(
                    "Cannot upload content to a folder.",
                ));
            }
            let parent = item.parent.clone().unwrap_or_default();
            (Placement::ReplaceFile(id.to_string()), parent, Vec::new())
        }
        Destination::Path {
            anchor,
            folders,
            name,
            conflict,
        } => {
            validate_name(name)?;
            // Check the conflict before creating folders, so `fail` leaves nothing behind.
            if let Ok(existing) = store.drive(drive)?.walk(anchor, folders) {
                if conflict == Conflict::Fail
                    && store.drive(drive)?.child(&existing.id, name).is_some()
                {
                    return Err(name_exists(name));
                }
            }
            let parent = ensure_folders(store, drive, anchor, folders, content.who)?;
            let (placement, stale) = place(store, drive, &parent, name, true, conflict)?;
            (placement, parent, stale)
        }
    };
    let old_size = match &placement {
        Placement::ReplaceFile(id) => store.drive(drive)?.item(id)?.size(),
        Placement::New(_) => 0,
    };
    let used = store.drive(drive)?.used();
    if used.saturating_sub(old_size).saturating_add(content.size) > quota {
        return Err(quota_exceeded());
    }
    let blob = match content.bytes {
        Landed::Blob(blob) => blob.to_string(),
        Landed::Temp(temp) => {
            let blob = new_blob_name();
            std::fs::rename(temp, blob_path(&blob)).map_err(|e| {
                GraphError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "generalException",
                    format!("Storing the content failed: {e}"),
                )
            })?;
            blob
        }
    };
    let facet = |name: &str| FileFacet {
        size: content.size,
        mime: mime_for(name).to_string(),
        quick_xor: content.quick_xor.clone(),
        blob: blob.clone(),
    };
    let now = ids::now_millis();
    let (mut item, created) = match placement {
        Placement::New(final_name) => {
            let f = facet(&final_name);
            (new_item(&final_name, &parent, content.who, Some(f)), true)
        }
        Placement::ReplaceFile(id) => {
            let mut item = store.drive(drive)?.item(&id)?.clone();
            if let Some(old) = &item.file {
                stale.push(old.blob.clone());
            }
            item.file = Some(facet(&item.name));
            item.version += 1;
            item.content_version += 1;
            item.modified = now;
            item.fs_modified = now;
            item.modified_by = content.who.clone();
            (item, false)
        }
    };
    if let Some(t) = content.fs_created {
        item.fs_created = t;
    }
    if let Some(t) = content.fs_modified {
        item.fs_modified = t;
    }
    if content.description.is_some() {
        item.description = content.description.clone();
    }
    let id = item.id.clone();
    store.put_item(drive, item);
    Ok(Committed {
        id,
        created,
        stale_blobs: stale,
    })
}
