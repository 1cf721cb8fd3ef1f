//! Addressing items: [`ItemRef`], per-segment percent-encoding and the `root:/path:/action` forms.

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::error::{Error, Result};

/// Characters left as they are in a name segment: RFC 3986 unreserved. Everything else, including
/// space, `#`, `%`, `?`, `'`, `:` and non-ASCII (as UTF-8 bytes), is percent-encoded.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Characters left as they are in an id segment (drive ids `b!...`, site ids `host,guid,guid`).
const ID: &AsciiSet = &SEGMENT.remove(b'!').remove(b',').remove(b'$');

/// Percent-encodes one path segment (a file or folder name) as Graph expects.
pub fn encode_segment(name: &str) -> String {
    utf8_percent_encode(name, SEGMENT).to_string()
}

/// Percent-encodes an id (drive, item, site, user) for use as one URL path segment.
pub(crate) fn encode_id(id: &str) -> String {
    utf8_percent_encode(id, ID).to_string()
}

/// Splits a drive path (`/a/b c/d.txt`, `a/b`, `/`) into its segments, dropping empty and `.`
/// segments. `..` is refused: Graph has no parent navigation in paths.
pub fn split_path(path: &str) -> Result<Vec<&str>> {
    let mut out = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                return Err(Error::invalid(
                    "path",
                    format!("{path:?}: `..` is not supported"),
                ))
            }
            s => out.push(s),
        }
    }
    Ok(out)
}

/// Checks a single item name (for uploads, folders, renames): not empty, no `/`, not `.`/`..`.
pub(crate) fn check_name(name: &str) -> Result<()> {
    if name.is_empty() || name == "." || name == ".." {
        return Err(Error::invalid(
            "name",
            format!("{name:?} is not a file name"),
        ));
    }
    if name.contains('/') || name.contains('\\') {
        return Err(Error::invalid(
            "name",
            format!("{name:?} contains a path separator"),
        ));
    }
    Ok(())
}

/// Encodes a drive path as `/seg/seg` (each segment encoded on its own); empty for the root.
pub fn encode_path(path: &str) -> Result<String> {
    Ok(split_path(path)?
        .into_iter()
        .map(|s| format!("/{}", encode_segment(s)))
        .collect())
}

/// Turns a `parentReference.path` (`/drives/{d}/root:/Reports/a%20b` or `/drive/root:`) into a
/// plain drive path (`/Reports/a b`, `/`). `None` if it is not of that form.
pub fn drive_path_from_parent_path(path: &str) -> Option<String> {
    let (_, rest) = path.split_once("root:")?;
    let decoded = percent_decode_str(rest).decode_utf8().ok()?;
    let trimmed = decoded.trim_end_matches('/');
    if trimmed.is_empty() {
        Some("/".to_string())
    } else if trimmed.starts_with('/') {
        Some(trimmed.to_string())
    } else {
        Some(format!("/{trimmed}"))
    }
}

/// Joins a drive folder path and a name into a drive path.
pub fn join_path(parent: &str, name: &str) -> String {
    let parent = parent.trim_end_matches('/');
    if parent.is_empty() {
        format!("/{name}")
    } else if parent.starts_with('/') {
        format!("{parent}/{name}")
    } else {
        format!("/{parent}/{name}")
    }
}

/// An item of a drive: by path from the root, by id, or by a path relative to an item id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ItemRef {
    /// The drive's root folder.
    Root,
    /// A path from the root, `/`-separated, unencoded (`/Reports/Q1 #2.xlsx`).
    Path(String),
    /// An item id.
    Id(String),
    /// A path relative to the item with this id (`/items/{id}:/a/b:`).
    Relative {
        /// The base item's id.
        id: String,
        /// The unencoded path below it.
        path: String,
    },
}

impl ItemRef {
    /// An item by path (`/` or empty means the root).
    pub fn path(path: impl Into<String>) -> Self {
        let path = path.into();
        if path.trim_matches('/').is_empty() {
            Self::Root
        } else {
            Self::Path(path)
        }
    }

    /// An item by id.
    pub fn id(id: impl Into<String>) -> Self {
        Self::Id(id.into())
    }

    /// The child `name` of this item (a folder).
    pub fn join(&self, name: &str) -> Self {
        match self {
            Self::Root => Self::Path(format!("/{name}")),
            Self::Path(p) => Self::Path(join_path(p, name)),
            Self::Id(id) => Self::Relative {
                id: id.clone(),
                path: name.to_string(),
            },
            Self::Relative { id, path } => Self::Relative {
                id: id.clone(),
                path: join_path(path, name),
            },
        }
    }

    /// A short description for messages (`/a/b.txt`, `item 01AB`).
    pub fn describe(&self) -> String {
        match self {
            Self::Root => "/".into(),
            Self::Path(p) if p.starts_with('/') => p.clone(),
            Self::Path(p) => format!("/{p}"),
            Self::Id(id) => format!("item {id}"),
            Self::Relative { id, path } => format!("item {id}:{path}"),
        }
    }

    /// The URL path of this item under `/drives/{drive}`, optionally followed by an action or
    /// sub-resource (`content`, `children`, `createUploadSession`, `copy`, `delta`).
    ///
    /// Root: `/drives/d/root[/action]`; id: `/drives/d/items/{id}[/action]`; path:
    /// `/drives/d/root:/a/b[:/action]`; relative: `/drives/d/items/{id}:/a/b[:/action]`.
    pub fn url_path(&self, drive_id: &str, action: Option<&str>) -> Result<String> {
        let drive = format!("/drives/{}", encode_id(drive_id));
        let plain = |base: String| match action {
            Some(a) => format!("{base}/{a}"),
            None => base,
        };
        let colon = |base: String, path: String| match action {
            Some(a) => format!("{base}:{path}:/{a}"),
            None => format!("{base}:{path}"),
        };
        Ok(match self {
            Self::Root => plain(format!("{drive}/root")),
            Self::Id(id) => plain(format!("{drive}/items/{}", encode_id(id))),
            Self::Path(p) => {
                let encoded = encode_path(p)?;
                if encoded.is_empty() {
                    plain(format!("{drive}/root"))
                } else {
                    colon(format!("{drive}/root"), encoded)
                }
            }
            Self::Relative { id, path } => {
                let encoded = encode_path(path)?;
                let base = format!("{drive}/items/{}", encode_id(id));
                if encoded.is_empty() {
                    plain(base)
                } else {
                    colon(base, encoded)
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_special_character_is_encoded_per_segment() {
        assert_eq!(encode_segment("a b"), "a%20b");
        assert_eq!(encode_segment("#1"), "%231");
        assert_eq!(encode_segment("100%"), "100%25");
        assert_eq!(encode_segment("why?"), "why%3F");
        assert_eq!(encode_segment("it's"), "it%27s");
        assert_eq!(encode_segment("a:b"), "a%3Ab");
        assert_eq!(encode_segment("a&b=c+d"), "a%26b%3Dc%2Bd");
        assert_eq!(encode_segment("ü"), "%C3%BC");
        assert_eq!(encode_segment("日本"), "%E6%97%A5%E6%9C%AC");
        assert_eq!(encode_segment("emoji😀"), "emoji%F0%9F%98%80");
        assert_eq!(encode_segment("keep-._~"), "keep-._~");
        assert_eq!(
            encode_segment("[x]{y};@,!$"),
            "%5Bx%5D%7By%7D%3B%40%2C%21%24"
        );
        assert_eq!(
            encode_path("/dir with space/#hash %pct?q 'quote'.txt").unwrap(),
            "/dir%20with%20space/%23hash%20%25pct%3Fq%20%27quote%27.txt"
        );
    }

    #[test]
    fn ids_keep_their_punctuation() {
        assert_eq!(encode_id("b!AbC-_9"), "b!AbC-_9");
        assert_eq!(
            encode_id("contoso.sharepoint.com,1234,5678"),
            "contoso.sharepoint.com,1234,5678"
        );
        assert_eq!(encode_id("a/b"), "a%2Fb");
        assert_eq!(encode_id("a:b"), "a%3Ab");
    }

    #[test]
    fn url_forms() {
        let d = "b!x";
        assert_eq!(ItemRef::Root.url_path(d, None).unwrap(), "/drives/b!x/root");
        assert_eq!(
            ItemRef::Root.url_path(d, Some("children")).unwrap(),
            "/drives/b!x/root/children"
        );
        assert_eq!(
            ItemRef::path("/").url_path(d, None).unwrap(),
            "/drives/b!x/root"
        );
        assert_eq!(
            ItemRef::path("/a b/c.txt").url_path(d, None).unwrap(),
            "/drives/b!x/root:/a%20b/c.txt"
        );
        assert_eq!(
            ItemRef::path("a b/c.txt")
                .url_path(d, Some("content"))
                .unwrap(),
            "/drives/b!x/root:/a%20b/c.txt:/content"
        );
        assert_eq!(
            ItemRef::id("01AB").url_path(d, Some("content")).unwrap(),
            "/drives/b!x/items/01AB/content"
        );
        assert_eq!(
            ItemRef::id("01AB")
                .join("n?.txt")
                .url_path(d, Some("createUploadSession"))
                .unwrap(),
            "/drives/b!x/items/01AB:/n%3F.txt:/createUploadSession"
        );
        assert_eq!(
            ItemRef::Root.join("x").join("y").url_path(d, None).unwrap(),
            "/drives/b!x/root:/x/y"
        );
        assert!(ItemRef::path("/a/../b").url_path(d, None).is_err());
        assert_eq!(
            ItemRef::path("//a//./b/").url_path(d, None).unwrap(),
            "/drives/b!x/root:/a/b"
        );
    }

    #[test]
    fn names_are_checked() {
        assert!(check_name("ok name #1.txt").is_ok());
        for bad in ["", ".", "..", "a/b", "a\\b"] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn parent_reference_paths_decode() {
        assert_eq!(
            drive_path_from_parent_path("/drives/b!x/root:/Reports/a%20b").as_deref(),
            Some("/Reports/a b")
        );
        assert_eq!(
            drive_path_from_parent_path("/drive/root:").as_deref(),
            Some("/")
        );
        assert_eq!(drive_path_from_parent_path("/drives/x/items/y"), None);
        assert_eq!(join_path("/", "a"), "/a");
        assert_eq!(join_path("/x/", "a"), "/x/a");
        assert_eq!(join_path("x", "a"), "/x/a");
    }
}
