//! Who is calling: the bearer token, verified, and the permission checks drives and sites
//! apply (application `roles` vs delegated `scp`, `Sites.Selected` grants).

use axum::http::header::WWW_AUTHENTICATE;
use axum::http::{HeaderMap, StatusCode};

use super::model::{Drive, Grant, Identity, Owner};
use crate::keys::{AccessClaims, TokenRejection};
use crate::web::GraphError;
use crate::AppState;

const CHALLENGE: &str = "Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", client_id=\"00000003-0000-0000-c000-000000000000\"";

/// The authenticated caller of a Graph request.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The verified claims.
    pub claims: AccessClaims,
    /// The app's display name (from the seed), or its id.
    pub app_name: String,
}

/// 401 `InvalidAuthenticationToken` with the `WWW-Authenticate` challenge.
pub fn unauthenticated(message: &str) -> GraphError {
    GraphError::new(
        StatusCode::UNAUTHORIZED,
        "InvalidAuthenticationToken",
        message,
    )
    .header(WWW_AUTHENTICATE, CHALLENGE)
}

/// 403 `accessDenied`.
pub fn access_denied() -> GraphError {
    GraphError::new(
        StatusCode::FORBIDDEN,
        "accessDenied",
        "Access denied. You do not have permission to perform this action or access this resource.",
    )
}

/// Verifies the request's bearer token. `base` is the emulator's own URL, an accepted audience.
pub fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    base: &str,
) -> Result<Caller, GraphError> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .trim();
    let token = match value.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim(),
        _ => "",
    };
    if token.is_empty() {
        return Err(unauthenticated("Access token is empty."));
    }
    let audiences = [
        "https://graph.microsoft.com".to_string(),
        "https://graph.microsoft.com/".to_string(),
        "00000003-0000-0000-c000-000000000000".to_string(),
        base.to_string(),
        format!("{base}/"),
    ];
    let claims = state
        .keys
        .verify_access_token(token, &audiences)
        .map_err(|e| match e {
            TokenRejection::Expired => {
                unauthenticated("Access token has expired or is not yet valid.")
            }
            TokenRejection::Invalid(why) => {
                tracing::debug!(%why, "rejected an access token");
                unauthenticated("Access token validation failure. Invalid audience or signature.")
            }
        })?;
    if !claims.tid.is_empty() && !state.seed.is_tenant(&claims.tid) {
        return Err(unauthenticated(
            "Access token validation failure. The token was issued for another tenant.",
        ));
    }
    if claims.roles.is_empty() && claims.scp.as_deref().is_none_or(|s| s.trim().is_empty()) {
        return Err(GraphError::new(
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationToken",
            "Either scp or roles claim need to be present in the token.",
        )
        .header(WWW_AUTHENTICATE, CHALLENGE));
    }
    let app_name = state
        .seed
        .app(&claims.appid)
        .map(|a| a.name.clone())
        .unwrap_or_else(|| claims.appid.clone());
    Ok(Caller { claims, app_name })
}

const WRITE_ALL: &[&str] = &[
    "Files.ReadWrite.All",
    "Sites.ReadWrite.All",
    "Sites.Manage.All",
    "Sites.FullControl.All",
];
const READ_ALL: &[&str] = &["Files.Read.All", "Sites.Read.All"];

impl Caller {
    /// Whether the token is app-only.
    pub fn is_app_only(&self) -> bool {
        self.claims.is_app_only()
    }

    fn has_any(&self, names: &[&str]) -> bool {
        names.iter().any(|n| self.claims.has_permission(n))
    }

    /// The signed-in user's object id (delegated tokens).
    pub fn user_id(&self) -> Option<&str> {
        (!self.is_app_only()).then_some(self.claims.oid.as_str())
    }

    /// Who to record as creator/modifier.
    pub fn identity(&self) -> Identity {
        if self.is_app_only() {
            Identity {
                application: true,
                id: self.claims.appid.clone(),
                display_name: self.app_name.clone(),
                email: None,
            }
        } else {
            Identity {
                application: false,
                id: self.claims.oid.clone(),
                display_name: self
                    .claims
                    .name
                    .clone()
                    .or_else(|| self.claims.upn.clone())
                    .unwrap_or_default(),
                email: self.claims.upn.clone(),
            }
        }
    }

    /// The grant this app holds on a site, if any.
    fn grant<'a>(&self, grants: &'a [Grant], site_id: &str) -> Option<&'a Grant> {
        grants.iter().find(|g| {
            g.site_id.eq_ignore_ascii_case(site_id)
                && g.app_id.eq_ignore_ascii_case(&self.claims.appid)
        })
    }

    /// Checks read (`write == false`) or write access to a drive.
    pub fn check_drive(
        &self,
        drive: &Drive,
        grants: &[Grant],
        write: bool,
    ) -> Result<(), GraphError> {
        let allowed = if self.is_app_only() {
            self.has_any(WRITE_ALL)
                || (!write && self.has_any(READ_ALL))
                || match &drive.meta.owner {
                    Owner::Site { site_id, .. } if self.claims.has_permission("Sites.Selected") => {
                        self.grant(grants, site_id)
                            .is_some_and(|g| !write || g.can_write())
                    }
                    _ => false,
                }
        } else {
            let own = matches!(&drive.meta.owner, Owner::User { id, .. } if id.eq_ignore_ascii_case(&self.claims.oid));
            let is_site = matches!(drive.meta.owner, Owner::Site { .. });
            let write_scopes: &[&str] = if own {
                &[
                    "Files.ReadWrite",
                    "Files.ReadWrite.All",
                    "Sites.ReadWrite.All",
                ]
            } else if is_site {
                &[
                    "Files.ReadWrite.All",
                    "Sites.ReadWrite.All",
                    "Sites.Manage.All",
                    "Sites.FullControl.All",
                ]
            } else {
                &[]
            };
            let read_scopes: &[&str] = if own {
                &["Files.Read", "Files.Read.All", "Sites.Read.All"]
            } else if is_site {
                &["Files.Read.All", "Sites.Read.All"]
            } else {
                &[]
            };
            self.has_any(write_scopes) || (!write && self.has_any(read_scopes))
        };
        if allowed {
            Ok(())
        } else {
            Err(access_denied())
        }
    }

    /// Checks that the caller may read a site's description.
    pub fn check_site(&self, site_id: &str, grants: &[Grant]) -> Result<(), GraphError> {
        let ok = self.has_any(WRITE_ALL)
            || self.has_any(READ_ALL)
            || (self.claims.has_permission("Sites.Selected")
                && self.grant(grants, site_id).is_some());
        if ok {
            Ok(())
        } else {
            Err(access_denied())
        }
    }

    /// Whether the caller may manage site permissions (grant `Sites.Selected` access).
    pub fn can_manage_site_permissions(&self) -> bool {
        self.has_any(&["Sites.FullControl.All", "Sites.ReadWrite.All"])
    }
}
