//! Graph's JSON wire types (serde only, no logic). Field names follow Graph; every field Graph
//! may omit is optional, and unknown fields are ignored.

mod batch;
mod drive;
mod error;
mod item;
mod requests;
mod session;

pub use batch::{BatchItemRequest, BatchItemResponse, BatchRequestBody, BatchResponseBody};
pub use drive::{Drive, Identity, IdentitySet, Quota, Site};
pub use error::{ErrorBody, ErrorDetail, InnerError};
pub use item::{
    Collection, Deleted, DownloadUrl, DriveItem, FileFacet, FileSystemInfo, FolderFacet, Hashes,
    ItemReference,
};
pub use requests::{
    ConflictBehavior, CopyRequest, CreateFolderRequest, CreateUploadSessionRequest, ParentRef,
    UpdateItemRequest, UploadSessionItem,
};
pub use session::{CopyStatus, UploadSession};
