//! Graph's JSON shapes, as the emulator writes them (serde types only, no logic).

use serde::Serialize;

/// `{}`: a facet with no properties (`root`, `deleted`).
#[derive(Debug, Clone, Serialize, Default)]
pub struct Empty {}

/// An identity inside an identity set.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IdentityJson {
    /// Id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Display name.
    pub display_name: String,
    /// E-mail (users).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// `createdBy` / `lastModifiedBy` / `owner`.
#[derive(Debug, Clone, Serialize, Default)]
pub struct IdentitySet {
    /// A user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<IdentityJson>,
    /// An application.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application: Option<IdentityJson>,
    /// A group (site libraries).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<IdentityJson>,
}

/// `parentReference`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemReference {
    /// Drive id.
    pub drive_id: String,
    /// `business` / `documentLibrary`.
    pub drive_type: String,
    /// Parent id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Parent name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `/drives/{d}/root:/a/b`, percent-encoded (not in delta).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Site id (site libraries).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub site_id: Option<String>,
}

/// `fileSystemInfo`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FileSystemInfo {
    /// Created.
    pub created_date_time: String,
    /// Last modified.
    pub last_modified_date_time: String,
}

/// `file.hashes`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Hashes {
    /// quickXorHash, base64.
    pub quick_xor_hash: String,
}

/// `file`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FileJson {
    /// MIME type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<String>,
    /// Hashes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hashes: Option<Hashes>,
}

/// `folder`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FolderJson {
    /// Number of children.
    pub child_count: usize,
}

/// `deleted`.
#[derive(Debug, Clone, Serialize)]
pub struct Deleted {
    /// Always `deleted`.
    pub state: String,
}

/// A driveItem.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DriveItem {
    /// Pre-authenticated, short-lived download URL (files).
    #[serde(
        rename = "@microsoft.graph.downloadUrl",
        skip_serializing_if = "Option::is_none"
    )]
    pub download_url: Option<String>,
    /// Id.
    pub id: String,
    /// Name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// eTag.
    #[serde(rename = "eTag", skip_serializing_if = "Option::is_none")]
    pub e_tag: Option<String>,
    /// cTag.
    #[serde(rename = "cTag", skip_serializing_if = "Option::is_none")]
    pub c_tag: Option<String>,
    /// Size.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// Created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_date_time: Option<String>,
    /// Last modified.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_modified_date_time: Option<String>,
    /// Web URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub web_url: Option<String>,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Creator.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_by: Option<IdentitySet>,
    /// Last modifier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_modified_by: Option<IdentitySet>,
    /// Parent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_reference: Option<ItemReference>,
    /// Client-settable times.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_system_info: Option<FileSystemInfo>,
    /// File facet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<FileJson>,
    /// Folder facet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub folder: Option<FolderJson>,
    /// Root facet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub root: Option<Empty>,
    /// Deleted facet (delta).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted: Option<Deleted>,
}

/// `quota`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Quota {
    /// Bytes deleted (recycle bin).
    pub deleted: u64,
    /// Bytes left.
    pub remaining: u64,
    /// `normal`, `nearing`, `critical`, `exceeded`.
    pub state: String,
    /// Total.
    pub total: u64,
    /// Used.
    pub used: u64,
}

/// A drive.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DriveJson {
    /// Id (`b!...`).
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// `business` / `documentLibrary`.
    pub drive_type: String,
    /// Created.
    pub created_date_time: String,
    /// Last modified.
    pub last_modified_date_time: String,
    /// Web URL.
    pub web_url: String,
    /// Owner.
    pub owner: IdentitySet,
    /// Quota.
    pub quota: Quota,
}

/// `siteCollection`.
#[derive(Debug, Clone, Serialize)]
pub struct SiteCollection {
    /// Host name.
    pub hostname: String,
}

/// A site.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SiteJson {
    /// `host,guid,guid`.
    pub id: String,
    /// Last path segment.
    pub name: String,
    /// Display name.
    pub display_name: String,
    /// Description.
    pub description: String,
    /// Web URL.
    pub web_url: String,
    /// Created.
    pub created_date_time: String,
    /// Last modified.
    pub last_modified_date_time: String,
    /// Site collection.
    pub site_collection: SiteCollection,
    /// Root facet (root site).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub root: Option<Empty>,
}

/// A user.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserJson {
    /// Object id.
    pub id: String,
    /// Display name.
    pub display_name: String,
    /// UPN.
    pub user_principal_name: String,
    /// Mail.
    pub mail: String,
}

/// An upload session's state.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadSessionJson {
    /// The URL to PUT fragments to (only at creation).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upload_url: Option<String>,
    /// Expiry.
    pub expiration_date_time: String,
    /// Byte ranges still wanted.
    pub next_expected_ranges: Vec<String>,
}

/// A collection page.
#[derive(Debug, Clone, Serialize)]
pub struct Page<T: Serialize> {
    /// Items.
    pub value: Vec<T>,
    /// Next page.
    #[serde(rename = "@odata.nextLink", skip_serializing_if = "Option::is_none")]
    pub next_link: Option<String>,
    /// Delta link (last page of a delta).
    #[serde(rename = "@odata.deltaLink", skip_serializing_if = "Option::is_none")]
    pub delta_link: Option<String>,
}

impl<T: Serialize> Page<T> {
    /// A single page with everything.
    pub fn all(value: Vec<T>) -> Self {
        Self {
            value,
            next_link: None,
            delta_link: None,
        }
    }
}
