//! The catch-all entry of Graph requests: authenticate, apply the request limit, parse the
//! path, call the handler. Dispatch depends on the handlers; they share [`super::context`] and
//! [`super::reply`] with it, never this module.

use axum::extract::{Request, State};
use axum::http::Method;
use axum::response::{IntoResponse, Response};

use super::context::Ctx;
use super::path::{self, Action, Target};
use super::reply::{method_not_allowed, Outcome};
use super::{auth, throttle};
use super::{batch, children, content, copy, delta, directory, items, upload};
use crate::web::{BaseUrl, GraphError};
use crate::AppState;

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
    let base = BaseUrl::from_parts(&parts, &state).0;
    let caller = auth::authenticate(&state, &parts.headers, &base)?;
    throttle::admit(&state, &caller.claims.appid)?;
    let target = path::parse(rest)?;
    let query: Vec<(String, String)> = parts
        .uri
        .query()
        .and_then(|q| serde_urlencoded::from_str(q).ok())
        .unwrap_or_default();
    let ctx = Ctx::new(
        state.clone(),
        caller,
        base,
        version,
        query,
        parts.headers.clone(),
    );
    let method = parts.method.clone();
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
