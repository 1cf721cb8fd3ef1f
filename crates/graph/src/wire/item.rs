//! Drive items and collections.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::IdentitySet;

/// A file or folder.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DriveItem {
    /// Item id (opaque).
    pub id: String,
    /// Name (absent on some deleted items in delta).
    #[serde(default)]
    pub name: Option<String>,
    /// Size in bytes (folders: total of their content).
    #[serde(default)]
    pub size: Option<u64>,
    /// Entity tag covering metadata and content.
    #[serde(default, rename = "eTag")]
    pub e_tag: Option<String>,
    /// Entity tag covering content only (not on business folders).
    #[serde(default, rename = "cTag")]
    pub c_tag: Option<String>,
    /// Creation time.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub created_date_time: Option<OffsetDateTime>,
    /// Last modification time.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub last_modified_date_time: Option<OffsetDateTime>,
    /// Creator.
    #[serde(default)]
    pub created_by: Option<IdentitySet>,
    /// Last modifier.
    #[serde(default)]
    pub last_modified_by: Option<IdentitySet>,
    /// Client-side times.
    #[serde(default)]
    pub file_system_info: Option<FileSystemInfo>,
    /// Browser URL.
    #[serde(default)]
    pub web_url: Option<String>,
    /// Present on files.
    #[serde(default)]
    pub file: Option<FileFacet>,
    /// Present on folders.
    #[serde(default)]
    pub folder: Option<FolderFacet>,
    /// Present (empty object) on the drive's root.
    #[serde(default)]
    pub root: Option<serde_json::Value>,
    /// Present on deleted items in delta.
    #[serde(default)]
    pub deleted: Option<Deleted>,
    /// Parent folder.
    #[serde(default)]
    pub parent_reference: Option<ItemReference>,
    /// The short-lived pre-authenticated download link Graph puts on files it lists or returns
    /// (`@microsoft.graph.downloadUrl`): a secret, never serialised, redacted in `Debug`.
    #[serde(default, rename = "@microsoft.graph.downloadUrl", skip_serializing)]
    pub download_url: Option<DownloadUrl>,
}

/// A pre-authenticated download link: whoever has it can read the file until it expires
/// (about an hour), so it is kept out of `Debug` output, logs and serialised items.
#[derive(Clone, Default, Deserialize)]
#[serde(transparent)]
pub struct DownloadUrl(String);

impl DownloadUrl {
    /// Wraps a link.
    pub fn new(url: impl Into<String>) -> Self {
        Self(url.into())
    }

    /// The link itself (a secret: do not log it).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for DownloadUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DownloadUrl(<redacted>)")
    }
}

/// Links are not part of an item's identity: two reads of the same item carry different links
/// and are still equal.
impl PartialEq for DownloadUrl {
    fn eq(&self, _other: &Self) -> bool {
        true
    }
}

impl DriveItem {
    /// A file's quickXorHash (base64), when Graph gave one.
    pub fn quick_xor_hash(&self) -> Option<&str> {
        self.file
            .as_ref()?
            .hashes
            .as_ref()?
            .quick_xor_hash
            .as_deref()
    }
}

/// Times set by the client that wrote the file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileSystemInfo {
    /// Creation time.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub created_date_time: Option<OffsetDateTime>,
    /// Modification time.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub last_modified_date_time: Option<OffsetDateTime>,
}

/// The `file` facet.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileFacet {
    /// MIME type.
    #[serde(default)]
    pub mime_type: Option<String>,
    /// Content hashes.
    #[serde(default)]
    pub hashes: Option<Hashes>,
}

/// Content hashes (business drives give only `quickXorHash`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Hashes {
    /// QuickXorHash, base64.
    #[serde(default)]
    pub quick_xor_hash: Option<String>,
    /// SHA-1, hex.
    #[serde(default)]
    pub sha1_hash: Option<String>,
    /// SHA-256, hex.
    #[serde(default)]
    pub sha256_hash: Option<String>,
    /// CRC32, hex.
    #[serde(default)]
    pub crc32_hash: Option<String>,
}

/// The `folder` facet.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FolderFacet {
    /// Number of direct children.
    #[serde(default)]
    pub child_count: Option<u64>,
}

/// The `deleted` facet.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Deleted {
    /// Deletion state, if given.
    #[serde(default)]
    pub state: Option<String>,
}

/// Reference to a parent folder.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemReference {
    /// Drive id.
    #[serde(default)]
    pub drive_id: Option<String>,
    /// Drive type.
    #[serde(default)]
    pub drive_type: Option<String>,
    /// Item id of the parent.
    #[serde(default)]
    pub id: Option<String>,
    /// Name of the parent.
    #[serde(default)]
    pub name: Option<String>,
    /// Percent-encoded path of the parent, like `/drives/{d}/root:/Reports` (not in delta).
    #[serde(default)]
    pub path: Option<String>,
    /// Site id (SharePoint).
    #[serde(default)]
    pub site_id: Option<String>,
}

/// A page of a collection (`children`, `delta`, `drives`, `sites`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Collection<T> {
    /// The page's entries.
    #[serde(default = "Vec::new")]
    pub value: Vec<T>,
    /// Absolute link to the next page (follow verbatim).
    #[serde(default, rename = "@odata.nextLink")]
    pub next_link: Option<String>,
    /// On the last page of a delta round: the link for the next round.
    #[serde(default, rename = "@odata.deltaLink")]
    pub delta_link: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn download_links_are_read_but_never_shown_or_written() {
        let link = "https://host/_download/SECRET-TOKEN";
        let item: DriveItem = serde_json::from_value(serde_json::json!({
            "id": "1",
            "name": "a.txt",
            "@microsoft.graph.downloadUrl": link,
        }))
        .unwrap();
        assert_eq!(
            item.download_url.as_ref().map(super::DownloadUrl::expose),
            Some(link)
        );
        let debug = format!("{item:?}");
        assert!(!debug.contains("SECRET-TOKEN"), "{debug}");
        let written = serde_json::to_string(&item).unwrap();
        assert!(!written.contains("SECRET-TOKEN"), "{written}");
    }
}
