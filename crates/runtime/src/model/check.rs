//! What an asset's own checks report to, and the helpers they share.

use std::path::Path;

use super::AssetMeta;
use crate::macros;
use crate::naming;
use crate::problem::Problem;

/// Collects the problems of the checks that run once a project is loaded.
pub(crate) struct Checks<'a> {
    dir: &'a Path,
    problems: Vec<Problem>,
}

impl<'a> Checks<'a> {
    /// Checks of a project in `dir`, after the `problems` found so far.
    pub(crate) fn new(dir: &'a Path, problems: Vec<Problem>) -> Self {
        Self { dir, problems }
    }

    /// Reports a problem of `meta`'s asset, at `field` (its line, else the asset's).
    pub(crate) fn at(&mut self, meta: &AssetMeta, field: Option<&str>, message: impl Into<String>) {
        let location = match field {
            Some(f) => meta.field_location(f),
            None => meta.location.clone(),
        };
        self.problems.push(Problem {
            location,
            asset: Some(meta.id.to_string()),
            field: field.map(str::to_string),
            message: message.into(),
        });
    }

    /// Reports `field` if `path` (relative to the project folder, no macros) is not a file.
    pub(crate) fn file_exists(&mut self, meta: &AssetMeta, field: &str, path: &str) {
        if path.is_empty() || path.contains("${") {
            return;
        }
        let p = Path::new(path);
        let full = if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.dir.join(p)
        };
        if !full.is_file() {
            self.at(
                meta,
                Some(field),
                format!("file '{}' does not exist", full.display()),
            );
        }
    }

    /// Every problem reported.
    pub(crate) fn into_problems(self) -> Vec<Problem> {
        self.problems
    }
}

/// A directory setting without macros, normalised.
pub(crate) fn literal_dir(text: &str) -> Option<String> {
    let t = macros::parse(text).ok()?;
    if t.is_literal() {
        naming::normalize(text).ok()
    } else {
        None
    }
}

/// Whether `dir` is inside `parent` (both normalised; the empty parent holds everything).
pub(crate) fn is_inside(dir: &str, parent: &str) -> bool {
    parent.is_empty() || dir.starts_with(&format!("{parent}/"))
}

/// A setting written without macros (`None` when it holds one: it is checked once resolved).
pub(crate) fn literal(text: &str) -> Option<&str> {
    (!text.contains("${")).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories_and_literals() {
        assert_eq!(literal_dir("a/b/").as_deref(), Some("a/b"));
        assert_eq!(literal_dir("${lay:x}/b"), None);
        assert!(is_inside("in/done", "in"));
        assert!(!is_inside("inbox", "in"));
        assert!(is_inside("x", ""));
        assert_eq!(literal("abc"), Some("abc"));
        assert_eq!(literal("${env:X}"), None);
    }
}
