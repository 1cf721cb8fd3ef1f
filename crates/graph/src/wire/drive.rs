//! Drives, sites and identities.

use serde::{Deserialize, Serialize};

/// A drive (OneDrive or a SharePoint document library).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Drive {
    /// Drive id (business form `b!...`).
    pub id: String,
    /// Display name (a library's name, e.g. "Documents").
    #[serde(default)]
    pub name: Option<String>,
    /// `personal`, `business` or `documentLibrary`.
    #[serde(default)]
    pub drive_type: Option<String>,
    /// Browser URL of the drive.
    #[serde(default)]
    pub web_url: Option<String>,
    /// Owner (user, group or site).
    #[serde(default)]
    pub owner: Option<IdentitySet>,
    /// Storage quota.
    #[serde(default)]
    pub quota: Option<Quota>,
}

/// A drive's storage quota, in bytes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Quota {
    /// Total space.
    #[serde(default)]
    pub total: Option<u64>,
    /// Space used.
    #[serde(default)]
    pub used: Option<u64>,
    /// Space left.
    #[serde(default)]
    pub remaining: Option<u64>,
    /// Space used by the recycle bin.
    #[serde(default)]
    pub deleted: Option<u64>,
    /// `normal`, `nearing`, `critical` or `exceeded`.
    #[serde(default)]
    pub state: Option<String>,
}

/// Who created, modified or owns something.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdentitySet {
    /// A user.
    #[serde(default)]
    pub user: Option<Identity>,
    /// An application.
    #[serde(default)]
    pub application: Option<Identity>,
    /// A group.
    #[serde(default)]
    pub group: Option<Identity>,
}

/// One identity of an [`IdentitySet`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Identity {
    /// Object id.
    #[serde(default)]
    pub id: Option<String>,
    /// Display name.
    #[serde(default)]
    pub display_name: Option<String>,
    /// E-mail address (users).
    #[serde(default)]
    pub email: Option<String>,
}

/// A SharePoint site.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Site {
    /// Site id `{hostname},{site-collection-guid},{web-guid}`.
    pub id: String,
    /// URL name of the site (last path segment).
    #[serde(default)]
    pub name: Option<String>,
    /// Title.
    #[serde(default)]
    pub display_name: Option<String>,
    /// Browser URL.
    #[serde(default)]
    pub web_url: Option<String>,
}
