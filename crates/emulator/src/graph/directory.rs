//! Users, drives and sites: `/me`, `/users`, `/drives`, `/sites` (search, paths, libraries)
//! and site permissions (`Sites.Selected` grants).

use axum::body::Body;
use axum::http::{Method, StatusCode};
use axum::response::IntoResponse;
use serde_json::json;

use super::auth::access_denied;
use super::context::Ctx;
use super::ids;
use super::model::Grant;
use super::path::{DriveSel, DrivesOf, SiteSel};
use super::render;
use super::reply::{json as json_response, json_body, method_not_allowed, user_not_found, Outcome};
use super::wire::{Page, UserJson};
use crate::seed::UserSeed;
use crate::web::GraphError;

fn user_json(u: &UserSeed) -> UserJson {
    UserJson {
        id: u.id.clone(),
        display_name: u.display_name.clone(),
        user_principal_name: u.upn.clone(),
        mail: u.upn.clone(),
    }
}

/// `GET /me`.
pub fn me(ctx: &Ctx) -> Outcome {
    let Some(oid) = ctx.caller.user_id() else {
        return Err(GraphError::new(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "/me request is only valid with delegated authentication flow.",
        ));
    };
    let user = ctx.state.seed.user(oid).ok_or_else(user_not_found)?;
    Ok(json_response(StatusCode::OK, &user_json(user)))
}

/// `GET /users`.
pub fn users(ctx: &Ctx) -> Outcome {
    let value: Vec<UserJson> = ctx.state.seed.users.iter().map(user_json).collect();
    Ok(json_response(StatusCode::OK, &Page::all(value)))
}

/// `GET /users/{id|upn}`.
pub fn user(ctx: &Ctx, id: &str) -> Outcome {
    let user = ctx.state.seed.user(id).ok_or_else(user_not_found)?;
    Ok(json_response(StatusCode::OK, &user_json(user)))
}

/// `GET .../drives`.
pub fn drives(ctx: &Ctx, of: &DrivesOf) -> Outcome {
    let store = ctx.graph().read();
    let ids: Vec<String> = match of {
        DrivesOf::Me => vec![ctx.drive_id(&store, &DriveSel::Me, false)?],
        DrivesOf::User(u) => vec![ctx.drive_id(&store, &DriveSel::User(u.clone()), false)?],
        DrivesOf::Site(sel) => {
            let site = ctx.site(sel)?;
            ctx.caller.check_site(&site.id, &store.grants)?;
            site.drives
                .iter()
                .filter(|id| {
                    store
                        .drive(id)
                        .is_ok_and(|d| ctx.caller.check_drive(d, &store.grants, false).is_ok())
                })
                .cloned()
                .collect()
        }
    };
    let r = ctx.render();
    let value = ids
        .iter()
        .filter_map(|id| store.drives.get(id))
        .map(|d| render::drive(&r, d))
        .collect();
    Ok(json_response(StatusCode::OK, &Page::all(value)))
}

/// `GET` a drive.
pub fn drive(ctx: &Ctx, sel: &DriveSel) -> Outcome {
    let store = ctx.graph().read();
    let id = ctx.drive_id(&store, sel, false)?;
    Ok(json_response(
        StatusCode::OK,
        &render::drive(&ctx.render(), store.drive(&id)?),
    ))
}

/// `GET /sites?search=...` (also lists every visible site without a search).
pub fn sites(ctx: &Ctx) -> Outcome {
    let store = ctx.graph().read();
    let search = ctx
        .q("search")
        .unwrap_or("*")
        .trim()
        .trim_matches('"')
        .to_lowercase();
    let value: Vec<_> = ctx
        .graph()
        .sites()
        .iter()
        .filter(|s| ctx.caller.check_site(&s.id, &store.grants).is_ok())
        .filter(|s| {
            search.is_empty()
                || search == "*"
                || s.display_name.to_lowercase().contains(&search)
                || s.name.to_lowercase().contains(&search)
                || s.web_url.to_lowercase().contains(&search)
        })
        .map(|s| render::site(s, ctx.graph().created()))
        .collect();
    Ok(json_response(StatusCode::OK, &Page::all(value)))
}

/// `GET` a site.
pub fn site(ctx: &Ctx, sel: &SiteSel) -> Outcome {
    let store = ctx.graph().read();
    let site = ctx.site(sel)?;
    ctx.caller.check_site(&site.id, &store.grants)?;
    Ok(json_response(
        StatusCode::OK,
        &render::site(site, ctx.graph().created()),
    ))
}

/// `GET /sites/{s}/sites`: the emulator has no sub-sites.
pub fn sub_sites(ctx: &Ctx, sel: &SiteSel) -> Outcome {
    let store = ctx.graph().read();
    let site = ctx.site(sel)?;
    ctx.caller.check_site(&site.id, &store.grants)?;
    Ok(json_response(
        StatusCode::OK,
        &Page::<serde_json::Value>::all(Vec::new()),
    ))
}

fn grant_json(g: &Grant) -> serde_json::Value {
    let identity = json!({"application": {"id": g.app_id, "displayName": g.app_name}});
    json!({
        "id": g.id,
        "roles": g.roles,
        "grantedToIdentities": [identity.clone()],
        "grantedToIdentitiesV2": [identity],
    })
}

/// `GET|POST /sites/{s}/permissions`, `GET|DELETE /sites/{s}/permissions/{id}`.
pub async fn site_permissions(
    ctx: &Ctx,
    method: Method,
    sel: &SiteSel,
    id: Option<&str>,
    body: Body,
) -> Outcome {
    let site_id = ctx.site(sel)?.id.clone();
    if !ctx.caller.can_manage_site_permissions() {
        return Err(access_denied());
    }
    match (method, id) {
        (Method::GET, None) => {
            let store = ctx.graph().read();
            let value: Vec<_> = store
                .grants
                .iter()
                .filter(|g| g.site_id == site_id)
                .map(grant_json)
                .collect();
            Ok(json_response(StatusCode::OK, &Page::all(value)))
        }
        (Method::GET, Some(pid)) => {
            let store = ctx.graph().read();
            let g = store
                .grants
                .iter()
                .find(|g| g.site_id == site_id && g.id == pid)
                .ok_or_else(|| GraphError::not_found("The permission could not be found."))?;
            Ok(json_response(StatusCode::OK, &grant_json(g)))
        }
        (Method::POST, None) => {
            let body = json_body(body).await?;
            let roles: Vec<String> = body
                .get("roles")
                .and_then(|v| v.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|r| r.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            if roles.is_empty() {
                return Err(GraphError::bad_request("The permission needs 'roles'."));
            }
            let identities = body
                .get("grantedToIdentities")
                .or_else(|| body.get("grantedToIdentitiesV2"))
                .and_then(|v| v.as_array())
                .cloned()
                .unwrap_or_default();
            let app = identities
                .iter()
                .find_map(|i| i.get("application"))
                .ok_or_else(|| {
                    GraphError::bad_request("grantedToIdentities must name an application.")
                })?;
            let app_id = app
                .get("id")
                .and_then(|v| v.as_str())
                .ok_or_else(|| GraphError::bad_request("The application needs an 'id'."))?
                .to_string();
            let app_name = app
                .get("displayName")
                .and_then(|v| v.as_str())
                .map(str::to_string)
                .or_else(|| ctx.state.seed.app(&app_id).map(|a| a.name.clone()))
                .unwrap_or_else(|| app_id.clone());
            let mut store = ctx.graph().write();
            let existing = store
                .grants
                .iter()
                .find(|g| g.site_id == site_id && g.app_id.eq_ignore_ascii_case(&app_id))
                .map(|g| g.id.clone());
            let grant = Grant {
                id: existing.unwrap_or_else(|| ids::random_token(24)),
                site_id,
                app_id,
                app_name,
                roles,
            };
            let out = grant_json(&grant);
            store.put_grant(grant);
            Ok(json_response(StatusCode::CREATED, &out))
        }
        (Method::DELETE, Some(pid)) => {
            let mut store = ctx.graph().write();
            let belongs = store
                .grants
                .iter()
                .any(|g| g.site_id == site_id && g.id == pid);
            if !belongs || !store.remove_grant(pid) {
                return Err(GraphError::not_found("The permission could not be found."));
            }
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        _ => Err(method_not_allowed()),
    }
}
