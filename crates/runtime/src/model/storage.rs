//! Where a source or sink keeps its files: `type` and the keys of that type, written in the
//! source's or sink's own table.

use super::reader::{AssetReader, Tbl};
use super::settings::{keyword, keywords, settings, text, Setting, SettingExt, Settings};
use crate::macros::Scope;

const STATIC: Option<Scope> = Some(Scope::Static);
const CONNECTION: &str = " (an MS Graph connection asset)";

/// Where a source or sink keeps its files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageSetting {
    /// A folder on this machine.
    Local {
        /// The root folder; directories of the asset are relative to it.
        root: String,
    },
    /// A OneDrive drive.
    OneDrive {
        /// The connection asset.
        connection: String,
        /// Drive name or id.
        drive: Option<String>,
        /// A user's drive by UPN (or the signed-in user's with `me`).
        user: Option<String>,
    },
    /// A SharePoint document library.
    SharePoint {
        /// The connection asset.
        connection: String,
        /// Site name, URL or id.
        site: String,
        /// Library (drive) name or id.
        library: String,
    },
}

impl StorageSetting {
    /// The connection used, if any.
    pub fn connection(&self) -> Option<&str> {
        match self {
            StorageSetting::Local { .. } => None,
            StorageSetting::OneDrive { connection, .. }
            | StorageSetting::SharePoint { connection, .. } => Some(connection),
        }
    }

    /// Reads `type` and the keys of that type; `None` when the type is missing or unknown
    /// (the keys of the other types are then unknown fields).
    pub(crate) fn read(r: &mut AssetReader<'_>, t: &mut Tbl<'_>) -> Option<Self> {
        let kind = keyword::<StorageKind>()
            .required(" (onedrive, sharepoint or local)")
            .needed()
            .read(r, t, "type")?;
        Some(match kind {
            StorageKind::OneDrive => {
                let s = OneDriveKeys::read(r, t, "")?;
                StorageSetting::OneDrive {
                    connection: s.connection,
                    drive: s.drive,
                    user: s.user,
                }
            }
            StorageKind::SharePoint => {
                let s = SharePointKeys::read(r, t, "")?;
                StorageSetting::SharePoint {
                    connection: s.connection,
                    site: s.site,
                    library: s.library,
                }
            }
            StorageKind::Local => StorageSetting::Local {
                root: LocalKeys::read(r, t, "")?.root,
            },
        })
    }
}

keywords! {
    /// The storage `type`.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(crate) enum StorageKind {
        /// OneDrive.
        OneDrive = "onedrive",
        /// SharePoint.
        SharePoint = "sharepoint",
        /// A local folder.
        Local = "local",
    }
}

settings! {
    /// `type = "onedrive"`.
    pub(crate) struct OneDriveKeys {
        /// The connection asset.
        pub connection: String = text(None).required(CONNECTION).or_default(),
        /// Drive name or id.
        pub drive: Option<String> = text(STATIC),
        /// A user's drive.
        pub user: Option<String> = text(STATIC),
    }
}

settings! {
    /// `type = "sharepoint"`.
    pub(crate) struct SharePointKeys {
        /// The connection asset.
        pub connection: String = text(None).required(CONNECTION).or_default(),
        /// Site name, URL or id.
        pub site: String = text(STATIC).required(" (site name, URL or id)").or_default(),
        /// Library (drive) name or id.
        pub library: String = text(STATIC).or("Documents"),
    }
}

settings! {
    /// `type = "local"`.
    pub(crate) struct LocalKeys {
        /// The root folder.
        pub root: String = text(STATIC).required(" (the folder on this machine)").or_default(),
    }
}
