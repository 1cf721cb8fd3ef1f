//! Turning store records into Graph's JSON shapes.

use super::ids::{self, format_time, UrlSigner};
use super::model::{Drive, Identity, Item, Owner, Tombstone};
use super::names::encode_path;
use super::sites::Site;
use super::wire::{
    Deleted, DriveItem, DriveJson, Empty, FileJson, FileSystemInfo, FolderJson, Hashes,
    IdentityJson, IdentitySet, ItemReference, Quota, SiteCollection, SiteJson,
};

/// What rendering needs besides the records.
#[derive(Debug, Clone, Copy)]
pub struct Render<'a> {
    /// `https://host:port` as the client used it.
    pub base: &'a str,
    /// Signs download URLs.
    pub signer: &'a UrlSigner,
    /// Download URL lifetime.
    pub download_secs: u64,
    /// Quota of every drive.
    pub quota: u64,
}

/// An identity set for a creator/modifier.
pub fn identity_set(who: &Identity) -> IdentitySet {
    let json = IdentityJson {
        id: Some(who.id.clone()),
        display_name: who.display_name.clone(),
        email: who.email.clone(),
    };
    if who.application {
        IdentitySet {
            application: Some(json),
            ..Default::default()
        }
    } else {
        IdentitySet {
            user: Some(json),
            ..Default::default()
        }
    }
}

/// `/drives/{d}/root:` + `/a/b` (percent-encoded): the `parentReference.path` of children of `id`.
pub fn folder_path(drive: &Drive, id: &str) -> String {
    let names = drive.path_names(id);
    if names.is_empty() {
        format!("/drives/{}/root:", drive.meta.id)
    } else {
        format!("/drives/{}/root:/{}", drive.meta.id, encode_path(names))
    }
}

fn site_id(drive: &Drive) -> Option<String> {
    match &drive.meta.owner {
        Owner::Site { site_id, .. } => Some(site_id.clone()),
        Owner::User { .. } => None,
    }
}

/// The pre-authenticated download URL of a file.
pub fn download_url(r: &Render<'_>, drive_id: &str, item_id: &str) -> String {
    let secs = i64::try_from(r.download_secs).unwrap_or(i64::MAX);
    let expires = ids::now_millis().saturating_add(secs.saturating_mul(1000));
    let token = r.signer.seal(&format!("dl|{drive_id}|{item_id}|{expires}"));
    format!("{}/_download/{token}", r.base)
}

/// A driveItem. In `delta` mode `parentReference.path` and `cTag` are left out, as business
/// drives do.
pub fn item(r: &Render<'_>, drive: &Drive, item: &Item, delta: bool) -> DriveItem {
    let is_root = item.parent.is_none();
    let parent_reference = match &item.parent {
        None => ItemReference {
            drive_id: drive.meta.id.clone(),
            drive_type: drive.meta.drive_type.clone(),
            id: None,
            name: None,
            path: None,
            site_id: site_id(drive),
        },
        Some(parent) => ItemReference {
            drive_id: drive.meta.id.clone(),
            drive_type: drive.meta.drive_type.clone(),
            id: Some(parent.clone()),
            name: drive.items.get(parent).map(|p| {
                if p.parent.is_none() {
                    "root".to_string()
                } else {
                    p.name.clone()
                }
            }),
            path: (!delta).then(|| folder_path(drive, parent)),
            site_id: site_id(drive),
        },
    };
    let names = drive.path_names(&item.id);
    let web_url = if names.is_empty() {
        drive.meta.web_url.clone()
    } else {
        format!("{}/{}", drive.meta.web_url, encode_path(names))
    };
    DriveItem {
        download_url: item
            .file
            .as_ref()
            .map(|_| download_url(r, &drive.meta.id, &item.id)),
        id: item.id.clone(),
        name: Some(item.name.clone()),
        e_tag: Some(item.etag()),
        c_tag: (!delta && (item.file.is_some() || is_root)).then(|| item.ctag()),
        size: Some(item.size()),
        created_date_time: Some(format_time(item.created)),
        last_modified_date_time: Some(format_time(item.modified)),
        web_url: Some(web_url),
        description: item.description.clone(),
        created_by: Some(identity_set(&item.created_by)),
        last_modified_by: Some(identity_set(&item.modified_by)),
        parent_reference: Some(parent_reference),
        file_system_info: Some(FileSystemInfo {
            created_date_time: format_time(item.fs_created),
            last_modified_date_time: format_time(item.fs_modified),
        }),
        file: item.file.as_ref().map(|f| FileJson {
            mime_type: Some(f.mime.clone()),
            hashes: Some(Hashes {
                quick_xor_hash: f.quick_xor.clone(),
            }),
        }),
        folder: item.is_folder().then_some(FolderJson {
            child_count: item.children.len(),
        }),
        root: is_root.then(Empty::default),
        deleted: None,
    }
}

/// A deleted item as delta reports it (no name, no cTag).
pub fn tombstone(drive: &Drive, t: &Tombstone) -> DriveItem {
    DriveItem {
        download_url: None,
        id: t.id.clone(),
        name: None,
        e_tag: None,
        c_tag: None,
        size: Some(0),
        created_date_time: None,
        last_modified_date_time: None,
        web_url: None,
        description: None,
        created_by: None,
        last_modified_by: None,
        parent_reference: Some(ItemReference {
            drive_id: drive.meta.id.clone(),
            drive_type: drive.meta.drive_type.clone(),
            id: Some(t.parent.clone()),
            name: None,
            path: None,
            site_id: site_id(drive),
        }),
        file_system_info: None,
        file: (!t.folder).then_some(FileJson {
            mime_type: None,
            hashes: None,
        }),
        folder: t.folder.then_some(FolderJson { child_count: 0 }),
        root: None,
        deleted: Some(Deleted {
            state: "deleted".into(),
        }),
    }
}

/// A drive.
pub fn drive(r: &Render<'_>, drive: &Drive) -> DriveJson {
    let used = drive.used();
    let owner = match &drive.meta.owner {
        Owner::User {
            id,
            upn,
            display_name,
        } => IdentitySet {
            user: Some(IdentityJson {
                id: Some(id.clone()),
                display_name: display_name.clone(),
                email: Some(upn.clone()),
            }),
            ..Default::default()
        },
        Owner::Site {
            site_id,
            display_name,
        } => IdentitySet {
            group: Some(IdentityJson {
                id: Some(ids::derived_guid(&format!("site-group|{site_id}"))),
                display_name: format!("{display_name} Owners"),
                email: None,
            }),
            ..Default::default()
        },
    };
    let remaining = r.quota.saturating_sub(used);
    let state = if remaining == 0 {
        "exceeded"
    } else if remaining < r.quota / 100 {
        "critical"
    } else if remaining < r.quota / 10 {
        "nearing"
    } else {
        "normal"
    };
    DriveJson {
        id: drive.meta.id.clone(),
        name: drive.meta.name.clone(),
        description: String::new(),
        drive_type: drive.meta.drive_type.clone(),
        created_date_time: format_time(drive.meta.created),
        last_modified_date_time: format_time(drive.root().modified.max(drive.meta.created)),
        web_url: drive.meta.web_url.clone(),
        owner,
        quota: Quota {
            deleted: 0,
            remaining,
            state: state.into(),
            total: r.quota,
            used,
        },
    }
}

/// A site.
pub fn site(site: &Site, created: ids::Millis) -> SiteJson {
    SiteJson {
        id: site.id.clone(),
        name: site.name.clone(),
        display_name: site.display_name.clone(),
        description: String::new(),
        web_url: site.web_url.clone(),
        created_date_time: format_time(created),
        last_modified_date_time: format_time(created),
        site_collection: SiteCollection {
            hostname: site.host.clone(),
        },
        root: site.is_root().then(Empty::default),
    }
}
