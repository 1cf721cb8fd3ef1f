//! Which drive: [`DriveRef`], resolved to a [`DriveClient`].

use reqwest::Method;

use crate::client::GraphClient;
use crate::error::{Error, Result};
use crate::path::encode_id;
use crate::site::{classify, SiteLookup};
use crate::wire::{Collection, Drive, Site};

/// A drive as the user names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DriveRef {
    /// The signed-in user's OneDrive (`/me/drive`; delegated tokens only).
    Me,
    /// A user's OneDrive, by UPN or object id.
    User(String),
    /// A group's (team's) document library, by group id.
    Group(String),
    /// A drive by id (`b!...`).
    Id(String),
    /// A SharePoint document library.
    Site {
        /// Site URL (`https://host/sites/X`), `host:/sites/X`, site id, or site name/title.
        site: String,
        /// Library (drive) name or id; `None` for the site's default library.
        library: Option<String>,
    },
}

impl std::fmt::Display for DriveRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Me => write!(f, "the signed-in user's drive"),
            Self::User(u) => write!(f, "the drive of user {u}"),
            Self::Group(g) => write!(f, "the drive of group {g}"),
            Self::Id(id) => write!(f, "drive {id}"),
            Self::Site {
                site,
                library: None,
            } => write!(f, "the default library of site {site}"),
            Self::Site {
                site,
                library: Some(l),
            } => write!(f, "library {l:?} of site {site}"),
        }
    }
}

/// A resolved drive: every item operation lives here. Cheap to clone.
#[derive(Debug, Clone)]
pub struct DriveClient {
    pub(crate) client: GraphClient,
    pub(crate) drive: Drive,
}

impl DriveClient {
    /// The drive id.
    pub fn id(&self) -> &str {
        &self.drive.id
    }

    /// The drive's JSON as Graph returned it.
    pub fn info(&self) -> &Drive {
        &self.drive
    }

    /// The client this drive belongs to.
    pub fn client(&self) -> &GraphClient {
        &self.client
    }
}

impl GraphClient {
    /// Resolves a drive reference to a drive (one to three requests).
    pub async fn drive(&self, drive: &DriveRef) -> Result<DriveClient> {
        let info = match drive {
            DriveRef::Me => self.get_drive("/me/drive").await?,
            DriveRef::User(u) => {
                self.get_drive(&format!("/users/{}/drive", encode_id(u)))
                    .await?
            }
            DriveRef::Group(g) => {
                self.get_drive(&format!("/groups/{}/drive", encode_id(g)))
                    .await?
            }
            DriveRef::Id(id) => {
                self.get_drive(&format!("/drives/{}", encode_id(id)))
                    .await?
            }
            DriveRef::Site { site, library } => {
                let site = self.site(site).await?;
                self.site_library(&site, library.as_deref()).await?
            }
        };
        Ok(DriveClient {
            client: self.clone(),
            drive: info,
        })
    }

    /// A drive handle for a known drive id, without asking Graph.
    pub fn drive_by_id(&self, drive_id: impl Into<String>) -> DriveClient {
        DriveClient {
            client: self.clone(),
            drive: Drive {
                id: drive_id.into(),
                ..Drive::default()
            },
        }
    }

    async fn get_drive(&self, path: &str) -> Result<Drive> {
        self.send_json(&self.req(Method::GET, path)?).await
    }

    /// Resolves a site reference (URL, `host:/path`, id, or name/title) to the site.
    pub async fn site(&self, site: &str) -> Result<Site> {
        match classify(site)? {
            SiteLookup::Address(path) => self.send_json(&self.req(Method::GET, &path)?).await,
            SiteLookup::Name(name) => self.site_by_name(&name).await,
        }
    }

    async fn site_by_name(&self, name: &str) -> Result<Site> {
        let req = self.req(Method::GET, "/sites")?.query("search", name);
        let page: Collection<Site> = self.send_json(&req).await?;
        let matches = |s: &Site| {
            [s.name.as_deref(), s.display_name.as_deref()]
                .into_iter()
                .flatten()
                .any(|n| n.eq_ignore_ascii_case(name))
        };
        let mut exact: Vec<Site> = page.value.iter().filter(|s| matches(s)).cloned().collect();
        match exact.len() {
            1 => Ok(exact.remove(0)),
            0 => Err(Error::Resolve {
                what: format!("site {name:?}"),
                reason: if page.value.is_empty() {
                    "no site found by that name".into()
                } else {
                    format!(
                        "no site has exactly that name; similar: {}",
                        describe_sites(&page.value)
                    )
                },
            }),
            _ => Err(Error::Resolve {
                what: format!("site {name:?}"),
                reason: format!(
                    "several sites have that name; give the URL or id: {}",
                    describe_sites(&exact)
                ),
            }),
        }
    }

    /// The libraries (drives) of a site (all pages).
    pub async fn site_libraries(&self, site: &Site) -> Result<Vec<Drive>> {
        let mut out = Vec::new();
        let mut req = self.req(
            Method::GET,
            &format!("/sites/{}/drives", encode_id(&site.id)),
        )?;
        loop {
            let page: Collection<Drive> = self.send_json(&req).await?;
            out.extend(page.value);
            match page.next_link {
                Some(link) => req = self.req_link(Method::GET, &link)?,
                None => return Ok(out),
            }
        }
    }

    async fn site_library(&self, site: &Site, library: Option<&str>) -> Result<Drive> {
        let Some(library) = library.map(str::trim).filter(|l| !l.is_empty()) else {
            return self
                .get_drive(&format!("/sites/{}/drive", encode_id(&site.id)))
                .await;
        };
        let drives = self.site_libraries(site).await?;
        if let Some(d) = drives.iter().find(|d| d.id == library) {
            return Ok(d.clone());
        }
        let by_name: Vec<&Drive> = drives
            .iter()
            .filter(|d| {
                d.name
                    .as_deref()
                    .is_some_and(|n| n.eq_ignore_ascii_case(library))
                    || d.web_url
                        .as_deref()
                        .is_some_and(|u| last_url_segment(u).eq_ignore_ascii_case(library))
            })
            .collect();
        match by_name.as_slice() {
            [one] => Ok((*one).clone()),
            [] => Err(Error::Resolve {
                what: format!("library {library:?} of site {}", site_label(site)),
                reason: format!(
                    "not found; the site has: {}",
                    drives
                        .iter()
                        .map(|d| d.name.clone().unwrap_or_else(|| d.id.clone()))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }),
            many => Err(Error::Resolve {
                what: format!("library {library:?} of site {}", site_label(site)),
                reason: format!(
                    "several libraries match; give the drive id: {}",
                    many.iter()
                        .map(|d| d.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }),
        }
    }
}

fn last_url_segment(url: &str) -> String {
    let last = url.trim_end_matches('/').rsplit('/').next().unwrap_or("");
    percent_encoding::percent_decode_str(last)
        .decode_utf8_lossy()
        .to_string()
}

fn site_label(site: &Site) -> String {
    site.web_url.clone().unwrap_or_else(|| site.id.clone())
}

fn describe_sites(sites: &[Site]) -> String {
    sites
        .iter()
        .take(10)
        .map(site_label)
        .collect::<Vec<_>>()
        .join(", ")
}
