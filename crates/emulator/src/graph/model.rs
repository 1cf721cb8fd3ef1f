//! The Graph store's records: drives, items, tombstones, site grants and upload sessions, as
//! they are kept in memory and persisted (not the wire format: see [`super::wire`]).

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use super::ids::Millis;
use graphlink_quickxorhash::QuickXorHash;

/// Who created or changed something.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Identity {
    /// `true` for an application, `false` for a user.
    pub application: bool,
    /// Object id (user) or client id (application).
    pub id: String,
    /// Display name.
    pub display_name: String,
    /// E-mail / UPN of a user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

impl Identity {
    /// The identity used for items the emulator creates itself (drive roots).
    pub fn system() -> Self {
        Self {
            application: true,
            id: "00000003-0000-0ff1-ce00-000000000000".into(),
            display_name: "SharePoint App".into(),
            email: None,
        }
    }
}

/// Content of a file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FileFacet {
    /// Size in bytes.
    pub size: u64,
    /// MIME type.
    pub mime: String,
    /// quickXorHash, base64.
    pub quick_xor: String,
    /// Name of the content file under `DATA/graph/content/`.
    pub blob: String,
}

/// A drive item (file or folder).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Item {
    /// Item id.
    pub id: String,
    /// GUID used in the eTag/cTag.
    pub guid: String,
    /// Name (`root` for the root).
    pub name: String,
    /// Parent id (`None` for the root).
    pub parent: Option<String>,
    /// Created (server time).
    pub created: Millis,
    /// Last modified (server time).
    pub modified: Millis,
    /// `fileSystemInfo.createdDateTime` (client-settable).
    pub fs_created: Millis,
    /// `fileSystemInfo.lastModifiedDateTime` (client-settable).
    pub fs_modified: Millis,
    /// Creator.
    pub created_by: Identity,
    /// Last modifier.
    pub modified_by: Identity,
    /// eTag version (changes with metadata and content).
    pub version: u64,
    /// cTag version (changes with content).
    pub content_version: u64,
    /// Change sequence of the last change (for delta).
    pub seq: u64,
    /// Description, if set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// File content, `None` for a folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<FileFacet>,
    /// Children of a folder: lower-cased name → id (rebuilt on load).
    #[serde(skip)]
    pub children: BTreeMap<String, String>,
    /// Total size of a folder's content (rebuilt on load).
    #[serde(skip)]
    pub folder_size: u64,
}

impl Item {
    /// Whether this is a folder.
    pub fn is_folder(&self) -> bool {
        self.file.is_none()
    }

    /// Size: the file's, or the folder's content.
    pub fn size(&self) -> u64 {
        match &self.file {
            Some(f) => f.size,
            None => self.folder_size,
        }
    }

    /// The eTag value, quotes included: `"{GUID},N"`.
    pub fn etag(&self) -> String {
        format!("\"{{{}}},{}\"", self.guid, self.version)
    }

    /// The cTag value: `"c:{GUID},N"`.
    pub fn ctag(&self) -> String {
        format!("\"c:{{{}}},{}\"", self.guid, self.content_version)
    }
}

/// What is left of a deleted item, for delta.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Tombstone {
    /// The deleted item's id.
    pub id: String,
    /// Its parent at deletion.
    pub parent: String,
    /// Whether it was a folder.
    pub folder: bool,
    /// Change sequence of the deletion.
    pub seq: u64,
}

/// Who owns a drive.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Owner {
    /// A user's OneDrive.
    User {
        /// Object id.
        id: String,
        /// UPN.
        upn: String,
        /// Display name.
        display_name: String,
    },
    /// A site's document library.
    Site {
        /// Site id (`host,guid,guid`).
        site_id: String,
        /// Site display name.
        display_name: String,
    },
}

/// A drive's description.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct DriveMeta {
    /// `b!...`.
    pub id: String,
    /// Name (`OneDrive`, `Documents`, ...).
    pub name: String,
    /// `business` or `documentLibrary`.
    pub drive_type: String,
    /// Owner.
    pub owner: Owner,
    /// Web URL of the drive root.
    pub web_url: String,
    /// Creation time.
    pub created: Millis,
    /// Root item id.
    pub root: String,
}

/// A drive with its items.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Drive {
    /// Description.
    pub meta: DriveMeta,
    /// Items by id (the root included).
    pub items: HashMap<String, Item>,
    /// Deleted items by id.
    pub tombstones: HashMap<String, Tombstone>,
    /// Last change sequence handed out.
    pub seq: u64,
    /// Delta tokens older than this are expired (410).
    pub min_token_seq: u64,
    /// Change index: sequence → item id (live or tombstone), rebuilt on load.
    #[serde(skip)]
    pub changes: BTreeMap<u64, String>,
}

/// A site permission granted to an application (`Sites.Selected`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Grant {
    /// Permission id.
    pub id: String,
    /// Site id.
    pub site_id: String,
    /// Application (client) id.
    pub app_id: String,
    /// Application display name given at grant time.
    pub app_name: String,
    /// Roles (`read`, `write`, `owner`, `fullcontrol`).
    pub roles: Vec<String>,
}

impl Grant {
    /// Whether the grant allows writing.
    pub fn can_write(&self) -> bool {
        self.roles.iter().any(|r| {
            ["write", "owner", "fullcontrol", "manage"]
                .iter()
                .any(|w| r.eq_ignore_ascii_case(w))
        })
    }
}

/// Conflict behaviour for creating items.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Conflict {
    /// 409 nameAlreadyExists.
    Fail,
    /// Replace the existing item.
    Replace,
    /// Pick a free name (`name 1.txt`).
    Rename,
}

impl Conflict {
    /// Parses `fail|replace|rename` (case-insensitive).
    pub fn parse(text: &str) -> Option<Self> {
        match text.to_ascii_lowercase().as_str() {
            "fail" => Some(Self::Fail),
            "replace" | "overwrite" => Some(Self::Replace),
            "rename" => Some(Self::Rename),
            _ => None,
        }
    }
}

/// Where an upload session's file goes.
#[derive(Clone, Serialize, Deserialize)]
pub struct UploadSession {
    /// Secret session id (in the upload URL).
    pub id: String,
    /// Drive.
    pub drive: String,
    /// Existing folder the path starts from.
    pub anchor: String,
    /// Folders below the anchor (created if missing at commit).
    pub folders: Vec<String>,
    /// File name.
    pub name: String,
    /// Existing item whose content is replaced (`items/{id}/createUploadSession`).
    pub replace_item: Option<String>,
    /// Conflict behaviour.
    pub conflict: Conflict,
    /// Commit only on an explicit POST.
    pub defer_commit: bool,
    /// Expiry.
    pub expires: Millis,
    /// Total size, known after the first fragment.
    pub total: Option<u64>,
    /// Bytes received (contiguous from 0).
    pub received: u64,
    /// Hash of the bytes received.
    pub hash: QuickXorHash,
    /// `fileSystemInfo` asked for at creation.
    pub fs_created: Option<Millis>,
    /// `fileSystemInfo` asked for at creation.
    pub fs_modified: Option<Millis>,
    /// Description asked for at creation.
    pub description: Option<String>,
    /// Who created the session.
    pub creator: Identity,
}

impl std::fmt::Debug for UploadSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UploadSession")
            .field("drive", &self.drive)
            .field("name", &self.name)
            .field("received", &self.received)
            .field("total", &self.total)
            .finish_non_exhaustive()
    }
}
