//! [`Ctx`]: what a Graph drive handler knows about its request (state, caller, origin, query,
//! headers and the settings it renders with), and how it resolves sites and drives.

use axum::http::{HeaderMap, StatusCode};

use super::auth::Caller;
use super::model::{Conflict, Owner};
use super::path::{DriveSel, SiteSel};
use super::render::Render;
use super::reply::user_not_found;
use super::sites::Site;
use super::store::Store;
use super::GraphState;
use crate::web::GraphError;
use crate::AppState;

/// Everything a Graph handler needs about its request.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// Shared state.
    pub state: AppState,
    /// Who is calling.
    pub caller: Caller,
    /// `https://host:port` as the client used it.
    pub base: String,
    /// `v1.0` or `beta`.
    pub version: &'static str,
    /// Query parameters, decoded.
    pub query: Vec<(String, String)>,
    /// Request headers.
    pub headers: HeaderMap,
    download_secs: u64,
    quota: u64,
}

impl Ctx {
    /// The context of a request by `caller`, rendering with the current settings (download URL
    /// lifetime, drive quota).
    pub fn new(
        state: AppState,
        caller: Caller,
        base: String,
        version: &'static str,
        query: Vec<(String, String)>,
        headers: HeaderMap,
    ) -> Self {
        let settings = state.settings();
        Self {
            state,
            caller,
            base,
            version,
            query,
            headers,
            download_secs: settings.download_url_lifetime_secs,
            quota: settings.drive_quota_bytes,
        }
    }

    /// The Graph state.
    pub fn graph(&self) -> &GraphState {
        &self.state.graph
    }

    /// A query parameter (name compared case-insensitively, `$` optional).
    pub fn q(&self, name: &str) -> Option<&str> {
        let bare = name.trim_start_matches('$');
        self.query
            .iter()
            .find(|(k, _)| k.trim_start_matches('$').eq_ignore_ascii_case(bare))
            .map(|(_, v)| v.as_str())
    }

    /// `{base}/{version}{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("{}/{}{}", self.base, self.version, path)
    }

    /// Rendering context.
    pub fn render(&self) -> Render<'_> {
        Render {
            base: &self.base,
            signer: self.graph().signer(),
            download_secs: self.download_secs,
            quota: self.quota,
        }
    }

    /// Drive quota in bytes.
    pub fn quota(&self) -> u64 {
        self.quota
    }

    /// `@microsoft.graph.conflictBehavior` from the query, else `default`.
    pub fn conflict_query(&self, default: Conflict) -> Result<Conflict, GraphError> {
        match self.q("@microsoft.graph.conflictBehavior") {
            None => Ok(default),
            Some(v) => Conflict::parse(v)
                .ok_or_else(|| GraphError::bad_request(format!("Invalid conflictBehavior '{v}'."))),
        }
    }

    /// Resolves a site.
    pub fn site(&self, sel: &SiteSel) -> Result<&Site, GraphError> {
        let sites = self.graph().sites();
        let found = match sel {
            SiteSel::Root => sites.iter().find(|s| s.is_root()),
            SiteSel::Id(id) => sites.iter().find(|s| {
                let mut parts = s.id.splitn(3, ',');
                let (_, collection) = (parts.next(), parts.next().unwrap_or_default());
                s.id.eq_ignore_ascii_case(id)
                    || s.id
                        .split_once(',')
                        .is_some_and(|(_, rest)| rest.eq_ignore_ascii_case(id))
                    || collection.eq_ignore_ascii_case(id)
            }),
            SiteSel::Path(host, segs) => {
                let path = format!("/{}", segs.join("/"));
                sites.iter().find(|s| {
                    s.host.eq_ignore_ascii_case(host)
                        && (s.path.eq_ignore_ascii_case(&path) || (s.is_root() && path == "/"))
                })
            }
        };
        found.ok_or_else(|| {
            GraphError::new(
                StatusCode::NOT_FOUND,
                "itemNotFound",
                "Requested site could not be found",
            )
        })
    }

    /// Resolves a drive to its id, checking read or write access.
    pub fn drive_id(
        &self,
        store: &Store,
        sel: &DriveSel,
        write: bool,
    ) -> Result<String, GraphError> {
        let id = match sel {
            DriveSel::Me => {
                let Some(user) = self.caller.user_id() else {
                    return Err(GraphError::new(
                        StatusCode::BAD_REQUEST,
                        "BadRequest",
                        "/me request is only valid with delegated authentication flow.",
                    ));
                };
                user_drive(store, user)?
            }
            DriveSel::User(u) => {
                let user = self.state.seed.user(u).ok_or_else(user_not_found)?;
                user_drive(store, &user.id)?
            }
            DriveSel::Site(s) => {
                let site = self.site(s)?;
                site.drives
                    .first()
                    .cloned()
                    .ok_or_else(|| GraphError::not_found("The site has no document library."))?
            }
            DriveSel::Id(d) => store.drive(d)?.meta.id.clone(),
            DriveSel::Group(_) => {
                return Err(GraphError::not_found(
                    "Groups are not emulated: the group could not be found.",
                ))
            }
        };
        let drive = store.drive(&id)?;
        self.caller.check_drive(drive, &store.grants, write)?;
        Ok(id)
    }
}

/// The id of `user_id`'s OneDrive.
fn user_drive(store: &Store, user_id: &str) -> Result<String, GraphError> {
    store
        .drives
        .values()
        .find(
            |d| matches!(&d.meta.owner, Owner::User { id, .. } if id.eq_ignore_ascii_case(user_id)),
        )
        .map(|d| d.meta.id.clone())
        .ok_or_else(|| GraphError::not_found("The user has no OneDrive."))
}
