//! Parsing Graph resource paths, colon syntax included:
//! `/drives/{d}/root:/a/b.txt:/content`, `/items/{parent}:/{name}:/createUploadSession`,
//! `/sites/{host}:/sites/Finance:/drives`.
//!
//! The path is percent-decoded once, then split: a segment ending in `:` opens a path that runs
//! to the next segment ending in `:` (or to the end). Decoding first also handles SDKs that
//! send `items/root%3A%2Fa.txt%3A` as one encoded segment; names cannot contain `/` or `:`.

use percent_encoding::percent_decode_str;

use crate::web::GraphError;

/// A decoded segment, with the path that follows it after a colon, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seg {
    /// The segment (`root`, an id, a host name, `children`, ...).
    pub name: String,
    /// Path segments after `name:` (`None` without a colon).
    pub path: Option<Vec<String>>,
}

impl Seg {
    fn is(&self, word: &str) -> bool {
        self.path.is_none() && self.name.eq_ignore_ascii_case(word)
    }
}

/// Splits a raw (still percent-encoded) path into segments.
pub fn tokenize(raw: &str) -> Result<Vec<Seg>, GraphError> {
    let decoded = percent_decode_str(raw)
        .decode_utf8()
        .map_err(|_| GraphError::bad_request("The request path is not valid UTF-8."))?;
    let mut out = Vec::new();
    let mut parts = decoded.split('/').filter(|p| !p.is_empty()).peekable();
    while let Some(part) = parts.next() {
        if let Some(base) = part.strip_suffix(':') {
            let mut path = Vec::new();
            for p in parts.by_ref() {
                if let Some(last) = p.strip_suffix(':') {
                    if !last.is_empty() {
                        path.push(last.to_string());
                    }
                    break;
                }
                path.push(p.to_string());
            }
            out.push(Seg {
                name: base.to_string(),
                path: Some(path),
            });
        } else {
            out.push(Seg {
                name: part.to_string(),
                path: None,
            });
        }
    }
    Ok(out)
}

/// Which drive a request addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DriveSel {
    /// `/me/drive`.
    Me,
    /// `/users/{id|upn}/drive`.
    User(String),
    /// `/sites/{site}/drive` (the default library).
    Site(SiteSel),
    /// `/drives/{id}`.
    Id(String),
    /// `/groups/{id}/drive`.
    Group(String),
}

/// Which site a request addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SiteSel {
    /// `/sites/root` or `/sites/{host}`.
    Root,
    /// `/sites/{host,guid,guid}`.
    Id(String),
    /// `/sites/{host}:/{path}`.
    Path(String, Vec<String>),
}

/// Where an item is: an id or the root, plus a path below it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemAddr {
    /// `None` for the root, else the item id.
    pub id: Option<String>,
    /// Names below it.
    pub path: Vec<String>,
}

/// What is done to an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// The item itself.
    Item,
    /// `/children`.
    Children,
    /// `/content`.
    Content,
    /// `/createUploadSession`.
    CreateUploadSession,
    /// `/copy`.
    Copy,
    /// `/delta`, with a token given as `delta(token='..')`.
    Delta(Option<String>),
}

/// Whose drives are listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DrivesOf {
    /// The signed-in user.
    Me,
    /// A user.
    User(String),
    /// A site.
    Site(SiteSel),
}

/// A parsed Graph request target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `/$batch`.
    Batch,
    /// `/me`.
    Me,
    /// `/users`.
    Users,
    /// `/users/{id}`.
    User(String),
    /// `/me/drives`, `/users/{u}/drives`, `/sites/{s}/drives`, `/drives`.
    Drives(DrivesOf),
    /// A drive.
    Drive(DriveSel),
    /// An item of a drive.
    Item(DriveSel, ItemAddr, Action),
    /// `/sites` (with `?search=`).
    Sites,
    /// A site.
    Site(SiteSel),
    /// `/sites/{s}/sites` (sub-sites).
    SubSites(SiteSel),
    /// `/sites/{s}/permissions[/{id}]`.
    SitePermissions(SiteSel, Option<String>),
}

fn unsupported(what: &str) -> GraphError {
    GraphError::new(
        axum::http::StatusCode::BAD_REQUEST,
        "BadRequest",
        format!("Resource not found for the segment '{what}'."),
    )
}

/// Parses the path after `/v1.0` or `/beta`.
pub fn parse(raw: &str) -> Result<Target, GraphError> {
    let segs = tokenize(raw)?;
    let Some(first) = segs.first() else {
        return Err(unsupported(""));
    };
    let rest = &segs[1..];
    if first.is("$batch") && rest.is_empty() {
        return Ok(Target::Batch);
    }
    match first.name.to_ascii_lowercase().as_str() {
        "me" if first.path.is_none() => match rest {
            [] => Ok(Target::Me),
            [d, tail @ ..] if d.is("drive") => drive_tail(DriveSel::Me, tail),
            [d] if d.is("drives") => Ok(Target::Drives(DrivesOf::Me)),
            [other, ..] => Err(unsupported(&other.name)),
        },
        "users" if first.path.is_none() => match rest {
            [] => Ok(Target::Users),
            [u] => Ok(Target::User(u.name.clone())),
            [u, d, tail @ ..] if d.is("drive") => drive_tail(DriveSel::User(u.name.clone()), tail),
            [u, d] if d.is("drives") => Ok(Target::Drives(DrivesOf::User(u.name.clone()))),
            [_, other, ..] => Err(unsupported(&other.name)),
        },
        "drives" if first.path.is_none() => match rest {
            [] => Ok(Target::Drives(DrivesOf::Me)),
            [d, tail @ ..] if d.path.is_none() => drive_tail(DriveSel::Id(d.name.clone()), tail),
            [other, ..] => Err(unsupported(&other.name)),
        },
        "drive" if first.path.is_none() => drive_tail(DriveSel::Me, rest),
        "groups" if first.path.is_none() => match rest {
            [g, d, tail @ ..] if d.is("drive") => drive_tail(DriveSel::Group(g.name.clone()), tail),
            [g, d] if d.is("drives") => {
                Ok(Target::Drives(DrivesOf::User(format!("group:{}", g.name))))
            }
            _ => Err(unsupported("groups")),
        },
        "sites" if first.path.is_none() => match rest {
            [] => Ok(Target::Sites),
            [s, tail @ ..] => site_tail(site_sel(s), tail),
        },
        _ => Err(unsupported(&first.name)),
    }
}

fn site_sel(s: &Seg) -> SiteSel {
    match &s.path {
        Some(path) if path.is_empty() => SiteSel::Root,
        Some(path) => SiteSel::Path(s.name.clone(), path.clone()),
        None if s.name.eq_ignore_ascii_case("root") => SiteSel::Root,
        None if s.name.contains(',') => SiteSel::Id(s.name.clone()),
        // A bare host name addresses the root site; anything else is a site (collection) id.
        None if s.name.contains('.') => SiteSel::Root,
        None => SiteSel::Id(s.name.clone()),
    }
}

fn site_tail(site: SiteSel, tail: &[Seg]) -> Result<Target, GraphError> {
    match tail {
        [] => Ok(Target::Site(site)),
        [d, rest @ ..] if d.is("drive") => drive_tail(DriveSel::Site(site), rest),
        [d] if d.is("drives") => Ok(Target::Drives(DrivesOf::Site(site))),
        [d, id, rest @ ..] if d.is("drives") => drive_tail(DriveSel::Id(id.name.clone()), rest),
        [s] if s.is("sites") => Ok(Target::SubSites(site)),
        [p] if p.is("permissions") => Ok(Target::SitePermissions(site, None)),
        [p, id] if p.is("permissions") => Ok(Target::SitePermissions(site, Some(id.name.clone()))),
        [other, ..] => Err(unsupported(&other.name)),
    }
}

fn drive_tail(drive: DriveSel, tail: &[Seg]) -> Result<Target, GraphError> {
    let (addr, actions) = match tail {
        [] => return Ok(Target::Drive(drive)),
        [root, rest @ ..] if root.name.eq_ignore_ascii_case("root") => (
            ItemAddr {
                id: None,
                path: root.path.clone().unwrap_or_default(),
            },
            rest,
        ),
        [items, id, rest @ ..] if items.is("items") => {
            let item = if id.name.eq_ignore_ascii_case("root") {
                None
            } else {
                Some(id.name.clone())
            };
            (
                ItemAddr {
                    id: item,
                    path: id.path.clone().unwrap_or_default(),
                },
                rest,
            )
        }
        [other, ..] => return Err(unsupported(&other.name)),
    };
    let action = match actions {
        [] => Action::Item,
        [a] if a.is("children") => Action::Children,
        [a] if a.is("content") => Action::Content,
        [a] if a.is("createUploadSession") || a.is("microsoft.graph.createUploadSession") => {
            Action::CreateUploadSession
        }
        [a] if a.is("copy") || a.is("microsoft.graph.copy") => Action::Copy,
        [a] if a.path.is_none() => {
            let name = a.name.strip_prefix("microsoft.graph.").unwrap_or(&a.name);
            match name.strip_prefix("delta") {
                Some("" | "()") => Action::Delta(None),
                Some(call) => {
                    let inner = call
                        .strip_prefix("(token=")
                        .and_then(|s| s.strip_suffix(')'))
                        .map(|s| s.trim_matches('\'').to_string())
                        .ok_or_else(|| unsupported(&a.name))?;
                    Action::Delta(Some(inner))
                }
                None => return Err(unsupported(&a.name)),
            }
        }
        [other, ..] => return Err(unsupported(&other.name)),
    };
    Ok(Target::Item(drive, addr, action))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(drive: DriveSel, id: Option<&str>, path: &[&str], action: Action) -> Target {
        Target::Item(
            drive,
            ItemAddr {
                id: id.map(String::from),
                path: path.iter().map(ToString::to_string).collect(),
            },
            action,
        )
    }

    #[test]
    fn colon_paths() {
        assert_eq!(
            parse("/drives/b!x/root:/a%20b/c%23d.txt:/content").unwrap(),
            item(
                DriveSel::Id("b!x".into()),
                None,
                &["a b", "c#d.txt"],
                Action::Content
            )
        );
        assert_eq!(
            parse("/me/drive/root:/a/b.txt").unwrap(),
            item(DriveSel::Me, None, &["a", "b.txt"], Action::Item)
        );
        assert_eq!(
            parse("/me/drive/root:/a/b.txt:").unwrap(),
            item(DriveSel::Me, None, &["a", "b.txt"], Action::Item)
        );
        assert_eq!(
            parse("/drives/d/items/01ABC:/new%25.txt:/createUploadSession").unwrap(),
            item(
                DriveSel::Id("d".into()),
                Some("01ABC"),
                &["new%.txt"],
                Action::CreateUploadSession
            )
        );
        assert_eq!(
            parse("/drives/d/items/root%3A%2Fx.txt%3A/content").unwrap(),
            item(DriveSel::Id("d".into()), None, &["x.txt"], Action::Content)
        );
        assert_eq!(
            parse("/drives/d/root/delta(token='abc')").unwrap(),
            item(
                DriveSel::Id("d".into()),
                None,
                &[],
                Action::Delta(Some("abc".into()))
            )
        );
        assert_eq!(
            parse("/users/adele%40contoso.onmicrosoft.com/drive/root/children").unwrap(),
            item(
                DriveSel::User("adele@contoso.onmicrosoft.com".into()),
                None,
                &[],
                Action::Children
            )
        );
    }

    #[test]
    fn sites() {
        assert_eq!(
            parse("/sites/contoso.sharepoint.com:/sites/Finance:/drives").unwrap(),
            Target::Drives(DrivesOf::Site(SiteSel::Path(
                "contoso.sharepoint.com".into(),
                vec!["sites".into(), "Finance".into()]
            )))
        );
        assert_eq!(
            parse("/sites/contoso.sharepoint.com:/sites/Finance").unwrap(),
            Target::Site(SiteSel::Path(
                "contoso.sharepoint.com".into(),
                vec!["sites".into(), "Finance".into()]
            ))
        );
        assert_eq!(parse("/sites/root").unwrap(), Target::Site(SiteSel::Root));
        assert_eq!(
            parse("/sites/h,g1,g2/drive/root:/x").unwrap(),
            item(
                DriveSel::Site(SiteSel::Id("h,g1,g2".into())),
                None,
                &["x"],
                Action::Item
            )
        );
        assert_eq!(
            parse("/sites/contoso.sharepoint.com").unwrap(),
            Target::Site(SiteSel::Root)
        );
        assert_eq!(
            parse("/sites/0b2e6a3c-1111").unwrap(),
            Target::Site(SiteSel::Id("0b2e6a3c-1111".into()))
        );
        assert!(parse("/nonsense").is_err());
        assert!(parse("/drives/d/items/x/bogus").is_err());
    }
}
