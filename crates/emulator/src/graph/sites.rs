//! The directory derived from the seed: users' OneDrives and SharePoint sites with their
//! libraries. Ids are derived from the seed, so the same seed always yields the same ids.

use super::ids;
use super::model::{DriveMeta, Owner};
use super::names::encode_path;
use crate::seed::Seed;

/// A SharePoint site.
#[derive(Debug, Clone)]
pub struct Site {
    /// `host,guid,guid`.
    pub id: String,
    /// Host name.
    pub host: String,
    /// Server-relative path (`""` for the root site, `/sites/Finance`).
    pub path: String,
    /// Display name.
    pub display_name: String,
    /// Last path segment (`""` for the root site).
    pub name: String,
    /// Web URL.
    pub web_url: String,
    /// Library drive ids; the first is the default drive.
    pub drives: Vec<String>,
}

impl Site {
    /// Whether this is the root site.
    pub fn is_root(&self) -> bool {
        self.path.is_empty() || self.path == "/"
    }
}

/// The personal-site host of a tenant: `contoso.sharepoint.com` → `contoso-my.sharepoint.com`.
pub fn my_host(host: &str) -> String {
    match host.split_once('.') {
        Some((first, rest)) => format!("{first}-my.{rest}"),
        None => format!("{host}-my"),
    }
}

fn normalise_path(path: &str) -> String {
    let trimmed = path.trim().trim_matches('/');
    if trimmed.is_empty() {
        String::new()
    } else {
        format!("/{trimmed}")
    }
}

/// Sites and all drives (users' OneDrives, then site libraries) the seed describes.
pub fn from_seed(seed: &Seed, now: ids::Millis) -> (Vec<Site>, Vec<DriveMeta>) {
    let host = seed.tenant.sharepoint_host.to_ascii_lowercase();
    let mut drives = Vec::new();
    for user in &seed.users {
        let id = ids::derived_drive_id(&format!("user|{}|{}", seed.tenant.id, user.id));
        let mangled: String = user
            .upn
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        drives.push(DriveMeta {
            root: ids::derived_item_id(&format!("root|{id}")),
            id,
            name: "OneDrive".into(),
            drive_type: "business".into(),
            owner: Owner::User {
                id: user.id.clone(),
                upn: user.upn.clone(),
                display_name: user.display_name.clone(),
            },
            web_url: format!(
                "https://{}/personal/{}/Documents",
                my_host(&host),
                mangled.to_ascii_lowercase()
            ),
            created: now,
        });
    }
    let mut sites = Vec::new();
    for s in &seed.sites {
        let path = normalise_path(&s.path);
        let key = format!("{host}|{}", path.to_ascii_lowercase());
        let id = format!(
            "{host},{},{}",
            ids::derived_guid(&format!("site-collection|{key}")),
            ids::derived_guid(&format!("site-web|{key}"))
        );
        let web_url = format!("https://{host}{}", encode_path(path.split('/')));
        let mut site = Site {
            id: id.clone(),
            host: host.clone(),
            name: path.rsplit('/').next().unwrap_or_default().to_string(),
            path: path.clone(),
            display_name: s.display_name.clone(),
            web_url: web_url.clone(),
            drives: Vec::new(),
        };
        for lib in &s.libraries {
            let drive_id = ids::derived_drive_id(&format!("site|{key}|{}", lib.to_lowercase()));
            let folder = if lib == "Documents" {
                "Shared Documents"
            } else {
                lib.as_str()
            };
            drives.push(DriveMeta {
                root: ids::derived_item_id(&format!("root|{drive_id}")),
                id: drive_id.clone(),
                name: lib.clone(),
                drive_type: "documentLibrary".into(),
                owner: Owner::Site {
                    site_id: id.clone(),
                    display_name: s.display_name.clone(),
                },
                web_url: format!("{web_url}/{}", encode_path([folder])),
                created: now,
            });
            site.drives.push(drive_id);
        }
        sites.push(site);
    }
    (sites, drives)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_seed_has_drives_for_users_and_libraries() {
        let (sites, drives) = from_seed(&Seed::default(), 0);
        assert_eq!(sites.len(), 2);
        assert!(sites[0].is_root());
        assert_eq!(sites[1].path, "/sites/Finance");
        assert_eq!(sites[1].drives.len(), 2);
        assert!(sites[1].id.starts_with("contoso.sharepoint.com,"));
        assert_eq!(sites[1].id.split(',').count(), 3);
        assert_eq!(drives.len(), 2 + 1 + 2);
        assert!(drives.iter().all(|d| d.id.starts_with("b!")));
        let (_, again) = from_seed(&Seed::default(), 5);
        assert_eq!(drives[0].id, again[0].id, "ids are derived from the seed");
    }
}
