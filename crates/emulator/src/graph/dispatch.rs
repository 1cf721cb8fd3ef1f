//! The catch-all entry of Graph requests: authenticate, parse the path, call the handler.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use super::auth::{self, Caller};
use super::model::Conflict;
use super::path::{self, Action, DriveSel, SiteSel, Target};
use super::render::Render;
use super::sites::Site;
use super::store::Store;
use super::GraphState;
use crate::web::{BaseUrl, GraphError};
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

/// A handler's outcome.
pub type Outcome = Result<Response, GraphError>;

/// A JSON response.
pub fn json<T: Serialize>(status: StatusCode, body: &T) -> Response {
    (status, Json(body)).into_response()
}

/// 405 for a method a resource does not support.
pub fn method_not_allowed() -> GraphError {
    GraphError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "invalidRequest",
        "The HTTP method is not supported on this resource.",
    )
}

impl Ctx {
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

/// 404 for an unknown user.
pub fn user_not_found() -> GraphError {
    GraphError::new(
        StatusCode::NOT_FOUND,
        "Request_ResourceNotFound",
        "Resource could not be found.",
    )
}

fn user_drive(store: &Store, user_id: &str) -> Result<String, GraphError> {
    store
        .drives
        .values()
        .find(|d| matches!(&d.meta.owner, super::model::Owner::User { id, .. } if id.eq_ignore_ascii_case(user_id)))
        .map(|d| d.meta.id.clone())
        .ok_or_else(|| GraphError::not_found("The user has no OneDrive."))
}

/// The base URL the client used (`Host`, `X-Forwarded-*`, or the HTTP/2 `:authority`).
pub fn base_url(parts: &axum::http::request::Parts, state: &AppState) -> String {
    let has_host = parts.headers.contains_key("x-forwarded-host")
        || parts.headers.contains_key(axum::http::header::HOST);
    match (has_host, parts.uri.authority()) {
        (false, Some(authority)) => {
            let mut headers = parts.headers.clone();
            if let Ok(v) = axum::http::HeaderValue::from_str(authority.as_str()) {
                headers.insert(axum::http::header::HOST, v);
            }
            BaseUrl::from_headers(&headers, state).0
        }
        _ => BaseUrl::from_headers(&parts.headers, state).0,
    }
}

/// Reads a small JSON body (400 on invalid JSON; an empty body reads as `{}`).
pub async fn json_body(body: Body) -> Result<serde_json::Value, GraphError> {
    let bytes = axum::body::to_bytes(body, 4 << 20)
        .await
        .map_err(|e| GraphError::bad_request(format!("Could not read the request body: {e}")))?;
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Ok(serde_json::json!({}));
    }
    serde_json::from_slice(&bytes)
        .map_err(|e| GraphError::bad_request(format!("Invalid request body: {e}")))
}

/// Entry point of every `/v1.0/...` and `/beta/...` request.
pub async fn entry(State(state): State<AppState>, req: Request) -> Response {
    match handle(state, req).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn handle(state: AppState, req: Request) -> Outcome {
    let (parts, body) = req.into_parts();
    let raw_path = parts.uri.path().to_string();
    let (version, rest) = if let Some(r) = raw_path.strip_prefix("/v1.0") {
        ("v1.0", r)
    } else if let Some(r) = raw_path.strip_prefix("/beta") {
        ("beta", r)
    } else {
        return Err(GraphError::not_found("Unknown API version."));
    };
    let base = base_url(&parts, &state);
    let caller = auth::authenticate(&state, &parts.headers, &base)?;
    let settings = state.settings();
    if let Some(rate) = settings.graph_requests_per_second {
        if let Err(wait) = state.graph.throttle.take(&caller.claims.appid, rate) {
            // Tell the fault registry, so tests can count requests sent during the pause.
            state.faults.note_pause(wait);
            return Err(GraphError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "TooManyRequests",
                "Too many requests: the application is being throttled.",
            )
            .inner("activityLimitReached")
            .header(RETRY_AFTER, super::throttle::retry_after(wait)));
        }
    }
    let target = path::parse(rest)?;
    let query: Vec<(String, String)> = parts
        .uri
        .query()
        .and_then(|q| serde_urlencoded::from_str(q).ok())
        .unwrap_or_default();
    let ctx = Ctx {
        state: state.clone(),
        caller,
        base,
        version,
        query,
        headers: parts.headers.clone(),
        download_secs: settings.download_url_lifetime_secs,
        quota: settings.drive_quota_bytes,
    };
    let method = parts.method.clone();
    use super::{batch, children, content, copy, delta, directory, items, upload};
    match (method, target) {
        (Method::POST, Target::Batch) => batch::run(&ctx, &parts, body).await,
        (Method::GET, Target::Me) => directory::me(&ctx),
        (Method::GET, Target::Users) => directory::users(&ctx),
        (Method::GET, Target::User(u)) => directory::user(&ctx, &u),
        (Method::GET, Target::Drives(of)) => directory::drives(&ctx, &of),
        (Method::GET, Target::Drive(sel)) => directory::drive(&ctx, &sel),
        (Method::GET, Target::Sites) => directory::sites(&ctx),
        (Method::GET, Target::Site(sel)) => directory::site(&ctx, &sel),
        (Method::GET, Target::SubSites(sel)) => directory::sub_sites(&ctx, &sel),
        (m, Target::SitePermissions(sel, id)) => {
            directory::site_permissions(&ctx, m, &sel, id.as_deref(), body).await
        }
        (m, Target::Item(drive, addr, action)) => match (m, action) {
            (Method::GET, Action::Item) => items::get(&ctx, &drive, &addr),
            (Method::PATCH, Action::Item) => items::patch(&ctx, &drive, &addr, body).await,
            (Method::DELETE, Action::Item) => items::delete(&ctx, &drive, &addr).await,
            (Method::GET, Action::Children) => children::list(&ctx, &drive, &addr),
            (Method::POST, Action::Children) => items::create(&ctx, &drive, &addr, body).await,
            (Method::GET | Method::HEAD, Action::Content) => content::redirect(&ctx, &drive, &addr),
            (Method::PUT, Action::Content) => content::put(&ctx, &drive, &addr, body).await,
            (Method::POST, Action::CreateUploadSession) => {
                upload::create(&ctx, &drive, &addr, body).await
            }
            (Method::POST, Action::Copy) => copy::start(&ctx, &drive, &addr, body).await,
            (Method::GET, Action::Delta(token)) => delta::get(&ctx, &drive, &addr, token),
            _ => Err(method_not_allowed()),
        },
        _ => Err(method_not_allowed()),
    }
}
