//! Validation problems: where (file, line, asset, field) and what.

use std::fmt;
use std::path::PathBuf;

/// A position in a project file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Location {
    /// The file, relative to the project folder when possible.
    pub file: PathBuf,
    /// 1-based line number (0 when unknown).
    pub line: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "{}:{}", self.file.display(), self.line)
        } else {
            write!(f, "{}", self.file.display())
        }
    }
}

/// One problem found in a project. Its `Display` names the file and line, the asset and the
/// field: `sources.toml:12: source 'inbox', field 'poll_interval': invalid duration 'x'`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where the problem is.
    pub location: Location,
    /// The asset as `kind 'name'` (e.g. `source 'inbox'`), if the problem belongs to one.
    pub asset: Option<String>,
    /// The field (dotted path inside the asset, e.g. `folders.pdf.filter`), if any.
    pub field: Option<String>,
    /// What is wrong, and how to fix it when obvious.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.location)?;
        if let Some(asset) = &self.asset {
            write!(f, "{asset}")?;
            if let Some(field) = &self.field {
                write!(f, ", field '{field}'")?;
            }
            write!(f, ": ")?;
        } else if let Some(field) = &self.field {
            write!(f, "field '{field}': ")?;
        }
        f.write_str(&self.message)
    }
}

/// Renders problems one per line.
pub(crate) fn render_problems(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| format!("  {p}"))
        .collect::<Vec<_>>()
        .join("\n")
}
