//! Request bodies.

use serde::{Deserialize, Serialize};

/// What Graph does when the target name already exists.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConflictBehavior {
    /// Refuse with 409 `nameAlreadyExists` (the safe default).
    #[default]
    Fail,
    /// Replace the existing item.
    Replace,
    /// Pick a free name (`name 1.txt`).
    Rename,
}

impl ConflictBehavior {
    /// The value on the wire: `fail`, `replace` or `rename`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fail => "fail",
            Self::Replace => "replace",
            Self::Rename => "rename",
        }
    }
}

/// Body of `POST .../children` creating a folder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreateFolderRequest {
    /// Folder name.
    pub name: String,
    /// Always `{}`.
    pub folder: serde_json::Map<String, serde_json::Value>,
    /// Conflict behaviour.
    #[serde(rename = "@microsoft.graph.conflictBehavior")]
    pub conflict_behavior: ConflictBehavior,
}

/// A parent reference in move and copy bodies.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ParentRef {
    /// Drive of the parent (copy; omitted for moves).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drive_id: Option<String>,
    /// Parent item id.
    pub id: String,
}

/// Body of `PATCH .../items/{id}` (move and/or rename).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateItemRequest {
    /// New parent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_reference: Option<ParentRef>,
    /// New name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// Body of `POST .../items/{id}/copy`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CopyRequest {
    /// Destination folder.
    pub parent_reference: ParentRef,
    /// New name (default: the source's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// Body of `POST ...:/createUploadSession`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateUploadSessionRequest {
    /// Item properties.
    pub item: UploadSessionItem,
    /// Whether the upload waits for an explicit commit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub defer_commit: Option<bool>,
}

/// The `item` of [`CreateUploadSessionRequest`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UploadSessionItem {
    /// Conflict behaviour.
    #[serde(rename = "@microsoft.graph.conflictBehavior")]
    pub conflict_behavior: ConflictBehavior,
    /// File name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}
