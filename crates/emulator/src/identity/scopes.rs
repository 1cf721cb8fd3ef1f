//! Scope parsing: the app-only `{resource}/.default` scope of client credentials, and delegated
//! scopes (Graph permissions in short or prefixed form, plus the OpenID Connect scopes).

use serde::{Deserialize, Serialize};

use crate::seed::AppSeed;

/// Graph's application id, usable as a resource name in scopes.
pub(super) const GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";
/// Graph's resource URL in the global cloud.
pub const GRAPH_RESOURCE: &str = "https://graph.microsoft.com";
/// Scopes of OpenID Connect itself; they never name a Graph permission.
pub(super) const OIDC_SCOPES: &[&str] = &["openid", "profile", "email", "offline_access"];

/// The resource names that mean "Graph" here: Microsoft's, Graph's app id, and the emulator's
/// own base URL(s).
#[derive(Debug, Clone)]
pub(super) struct GraphResources(Vec<String>);

impl GraphResources {
    /// Graph's real names plus each of `own_bases` (`https://host:port`).
    pub(super) fn new<'a>(own_bases: impl IntoIterator<Item = &'a str>) -> Self {
        let mut names = vec![GRAPH_RESOURCE.to_string(), GRAPH_APP_ID.to_string()];
        names.extend(own_bases.into_iter().map(normalize_resource));
        GraphResources(names)
    }

    /// Whether `resource` (any case, with or without trailing slashes) names Graph.
    pub(super) fn is_graph(&self, resource: &str) -> bool {
        let r = normalize_resource(resource);
        self.0.contains(&r)
    }
}

fn normalize_resource(resource: &str) -> String {
    resource.trim_end_matches('/').to_ascii_lowercase()
}

/// Splits `{resource}/{permission}` at the last `/` (a URL resource holds slashes itself).
fn split_scope(scope: &str) -> Option<(&str, &str)> {
    scope.rsplit_once('/')
}

/// Why an app-only scope was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum AppScopeError {
    /// No scope at all.
    Missing,
    /// A scope without `/.default` (AADSTS1002012).
    NotDefault(String),
    /// Another resource, or several scopes (AADSTS70011).
    Invalid(String),
}

/// Checks the scope of a client credentials request: exactly one `{graph}/.default` (OpenID
/// scopes, which some libraries always add, are ignored).
pub(super) fn check_app_scope(text: &str, graph: &GraphResources) -> Result<(), AppScopeError> {
    let scopes: Vec<&str> = text.split_whitespace().filter(|s| !is_oidc(s)).collect();
    match scopes.as_slice() {
        [] => Err(AppScopeError::Missing),
        [one] => match split_scope(one) {
            Some((resource, ".default")) if graph.is_graph(resource) => Ok(()),
            Some((_, ".default")) => Err(AppScopeError::Invalid(format!(
                "The resource of scope '{one}' is not served here: use \
                 https://graph.microsoft.com/.default."
            ))),
            _ => Err(AppScopeError::NotDefault(one.to_string())),
        },
        many => Err(AppScopeError::Invalid(format!(
            "Client credentials take exactly one scope ({{resource}}/.default), got '{}'.",
            many.join(" ")
        ))),
    }
}

fn is_oidc(scope: &str) -> bool {
    OIDC_SCOPES.iter().any(|o| o.eq_ignore_ascii_case(scope))
}

/// Delegated scopes granted to a user flow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub(super) struct DelegatedScopes {
    /// Graph permissions, short form, spelled as registered (`Files.ReadWrite.All`).
    pub graph: Vec<String>,
    /// OpenID Connect scopes, lower case (`openid`, `profile`, `email`, `offline_access`).
    pub oidc: Vec<String>,
}

/// Why delegated scopes were refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum ScopeError {
    /// Not a scope the emulator serves (AADSTS70011).
    Invalid(String),
    /// Graph permissions the app has no consent for (AADSTS65001).
    NotConsented(Vec<String>),
}

impl DelegatedScopes {
    /// Parses a space-separated `scope` parameter against the app's consented scopes.
    pub(super) fn parse(
        text: &str,
        app: &AppSeed,
        graph: &GraphResources,
    ) -> Result<Self, ScopeError> {
        let mut out = DelegatedScopes::default();
        let mut wants_default = false;
        let mut missing = Vec::new();
        for scope in text.split_whitespace() {
            if let Some(oidc) = OIDC_SCOPES.iter().find(|o| o.eq_ignore_ascii_case(scope)) {
                push_unique(&mut out.oidc, oidc);
                continue;
            }
            let permission = match split_scope(scope) {
                None if !scope.contains(':') => scope,
                Some((resource, permission)) if graph.is_graph(resource) => permission,
                _ => {
                    return Err(ScopeError::Invalid(format!(
                        "The scope '{scope}' names a resource the emulator does not serve: use \
                         Graph permissions (User.Read, https://graph.microsoft.com/Files.ReadWrite.All)."
                    )))
                }
            };
            if permission == ".default" {
                wants_default = true;
            } else if permission.is_empty() {
                return Err(ScopeError::Invalid(format!(
                    "The scope '{scope}' is empty."
                )));
            } else if let Some(known) = consented(app, permission) {
                push_unique(&mut out.graph, known);
            } else {
                missing.push(permission.to_string());
            }
        }
        if !missing.is_empty() {
            return Err(ScopeError::NotConsented(missing));
        }
        if wants_default {
            if !out.graph.is_empty() {
                return Err(ScopeError::Invalid(
                    "'.default' cannot be combined with other Graph scopes.".into(),
                ));
            }
            for s in &app.delegated_scopes {
                if !is_oidc(s) {
                    push_unique(&mut out.graph, s);
                }
            }
        }
        if out.graph.is_empty() && out.oidc.is_empty() {
            return Err(ScopeError::Invalid("No scope was given.".into()));
        }
        Ok(out)
    }

    /// Whether an OpenID scope (`openid`, `offline_access`, ...) was granted.
    pub(super) fn has(&self, oidc: &str) -> bool {
        self.oidc.iter().any(|o| o == oidc)
    }

    /// The `scp` claim: Graph permissions only; when there are none, the OpenID scopes (so the
    /// token still reads as a user token).
    pub(super) fn scp(&self) -> String {
        let graph: Vec<&str> = self.graph.iter().map(String::as_str).collect();
        if graph.is_empty() {
            let oidc: Vec<&str> = self
                .oidc
                .iter()
                .map(String::as_str)
                .filter(|s| *s != "offline_access")
                .collect();
            if oidc.is_empty() {
                return "openid".into();
            }
            return oidc.join(" ");
        }
        graph.join(" ")
    }

    /// The response's `scope`: every granted scope, short form.
    pub(super) fn response_scope(&self) -> String {
        self.graph
            .iter()
            .chain(self.oidc.iter())
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Everything in `self` plus everything in `other`.
    pub(super) fn union(&self, other: &DelegatedScopes) -> DelegatedScopes {
        let mut out = self.clone();
        for s in &other.graph {
            push_unique(&mut out.graph, s);
        }
        for s in &other.oidc {
            push_unique(&mut out.oidc, s);
        }
        out
    }
}

fn consented<'a>(app: &'a AppSeed, permission: &str) -> Option<&'a str> {
    app.delegated_scopes
        .iter()
        .find(|s| s.eq_ignore_ascii_case(permission))
        .map(String::as_str)
}

fn push_unique(list: &mut Vec<String>, value: &str) {
    if !list.iter().any(|v| v.eq_ignore_ascii_case(value)) {
        list.push(value.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::Seed;

    fn graph() -> GraphResources {
        GraphResources::new(["https://127.0.0.1:8443"])
    }

    #[test]
    fn app_scope_needs_one_graph_default() {
        let g = graph();
        assert_eq!(
            check_app_scope("https://graph.microsoft.com/.default", &g),
            Ok(())
        );
        assert_eq!(
            check_app_scope("https://GRAPH.microsoft.com//.default", &g),
            Ok(())
        );
        assert_eq!(
            check_app_scope(&format!("{GRAPH_APP_ID}/.default"), &g),
            Ok(())
        );
        assert_eq!(
            check_app_scope("https://127.0.0.1:8443/.default", &g),
            Ok(())
        );
        assert_eq!(
            check_app_scope("https://graph.microsoft.com/.default openid profile", &g),
            Ok(())
        );
        assert_eq!(check_app_scope("  ", &g), Err(AppScopeError::Missing));
        assert!(matches!(
            check_app_scope("https://graph.microsoft.com/Files.Read.All", &g),
            Err(AppScopeError::NotDefault(_))
        ));
        assert!(matches!(
            check_app_scope("User.Read", &g),
            Err(AppScopeError::NotDefault(_))
        ));
        assert!(matches!(
            check_app_scope("https://storage.azure.com/.default", &g),
            Err(AppScopeError::Invalid(_))
        ));
        assert!(matches!(
            check_app_scope(
                "https://graph.microsoft.com/.default https://vault.azure.net/.default",
                &g
            ),
            Err(AppScopeError::Invalid(_))
        ));
    }

    #[test]
    fn delegated_scopes_accept_every_graph_spelling() {
        let seed = Seed::default();
        let app = seed.app("33333333-3333-4333-8333-333333333333").unwrap();
        let s = DelegatedScopes::parse(
            "user.read https://graph.microsoft.com/Files.ReadWrite.All \
             00000003-0000-0000-c000-000000000000/Sites.ReadWrite.All \
             https://127.0.0.1:8443/Chat.ReadWrite offline_access OpenID profile User.Read",
            app,
            &graph(),
        )
        .unwrap();
        assert_eq!(
            s.graph,
            [
                "User.Read",
                "Files.ReadWrite.All",
                "Sites.ReadWrite.All",
                "Chat.ReadWrite"
            ]
        );
        assert_eq!(s.oidc, ["offline_access", "openid", "profile"]);
        assert_eq!(
            s.scp(),
            "User.Read Files.ReadWrite.All Sites.ReadWrite.All Chat.ReadWrite"
        );
        assert!(s.has("offline_access") && s.has("openid") && !s.has("email"));
    }

    #[test]
    fn default_expands_to_consented_graph_scopes() {
        let seed = Seed::default();
        let app = seed.app("33333333-3333-4333-8333-333333333333").unwrap();
        let s =
            DelegatedScopes::parse("https://graph.microsoft.com/.default openid", app, &graph())
                .unwrap();
        assert!(s.graph.contains(&"User.Read".to_string()));
        assert!(!s
            .graph
            .iter()
            .any(|g| g == "openid" || g == "offline_access"));
        assert!(matches!(
            DelegatedScopes::parse(
                "https://graph.microsoft.com/.default User.Read",
                app,
                &graph()
            ),
            Err(ScopeError::Invalid(_))
        ));
    }

    #[test]
    fn unconsented_and_foreign_scopes_are_refused() {
        let seed = Seed::default();
        let app = seed.app("33333333-3333-4333-8333-333333333333").unwrap();
        assert_eq!(
            DelegatedScopes::parse("User.Read Mail.Send", app, &graph()),
            Err(ScopeError::NotConsented(vec!["Mail.Send".into()]))
        );
        assert!(matches!(
            DelegatedScopes::parse(
                "https://storage.azure.com/user_impersonation",
                app,
                &graph()
            ),
            Err(ScopeError::Invalid(_))
        ));
        assert!(matches!(
            DelegatedScopes::parse("api://other/x", app, &graph()),
            Err(ScopeError::Invalid(_))
        ));
        assert!(matches!(
            DelegatedScopes::parse("", app, &graph()),
            Err(ScopeError::Invalid(_))
        ));
    }
}
