//! Macros in string settings: `${env:NAME}`, `${lay:KEY}`, `${sec:KEY}`, `${date:FORMAT}`,
//! per-file `${file.name}`, `${file.path}`, `${file.size}`, `${file.stem}`, `${file.ext}`,
//! `${file.folder}`, `${file.modified}`, and `${workflow}`, `${error}`. `$${` writes a literal `${`.

use std::collections::BTreeMap;
use std::fmt;
use std::time::SystemTime;

use chrono::format::{Item, StrftimeItems};
use chrono::{DateTime, Local};

/// Where a setting is used, which decides the macros it may contain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    /// Resolved once when the node starts: `env`, `lay`, `sec`, `date`.
    Static,
    /// Resolved per stream: also `file.*` and `workflow`.
    PerFile,
    /// Notification content: also `error`.
    Message,
}

/// A per-file value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileField {
    /// `file.name`: the file name.
    Name,
    /// `file.path`: the path relative to the folder setup's input directory.
    Path,
    /// `file.size`: the size in bytes.
    Size,
    /// `file.stem`: the name without its extension.
    Stem,
    /// `file.ext`: the extension without the dot (empty if none).
    Ext,
    /// `file.folder`: the folder setup's name.
    Folder,
    /// `file.modified`: last-modified time, RFC 3339 UTC.
    Modified,
}

/// One macro.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Macro {
    /// `${env:NAME}`.
    Env(String),
    /// `${lay:KEY}`.
    Lay(String),
    /// `${sec:KEY}`.
    Sec(String),
    /// `${date:FORMAT}` (strftime, local time).
    Date(String),
    /// `${file.*}`.
    File(FileField),
    /// `${workflow}`: the workflow's name.
    Workflow,
    /// `${error}`: the failure message.
    Error,
}

impl Macro {
    /// The narrowest scope the macro may be used in.
    pub fn scope(&self) -> Scope {
        match self {
            Macro::Env(_) | Macro::Lay(_) | Macro::Sec(_) | Macro::Date(_) => Scope::Static,
            Macro::File(_) | Macro::Workflow => Scope::PerFile,
            Macro::Error => Scope::Message,
        }
    }
}

impl fmt::Display for Macro {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Macro::Env(n) => write!(f, "${{env:{n}}}"),
            Macro::Lay(n) => write!(f, "${{lay:{n}}}"),
            Macro::Sec(n) => write!(f, "${{sec:{n}}}"),
            Macro::Date(n) => write!(f, "${{date:{n}}}"),
            Macro::File(field) => {
                let n = match field {
                    FileField::Name => "name",
                    FileField::Path => "path",
                    FileField::Size => "size",
                    FileField::Stem => "stem",
                    FileField::Ext => "ext",
                    FileField::Folder => "folder",
                    FileField::Modified => "modified",
                };
                write!(f, "${{file.{n}}}")
            }
            Macro::Workflow => f.write_str("${workflow}"),
            Macro::Error => f.write_str("${error}"),
        }
    }
}

#[derive(Clone, PartialEq, Eq)]
enum Part {
    Lit { text: String, secret: bool },
    Macro(Macro),
}

/// A parsed string setting. `Debug` hides literal text that came from secrets.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Template {
    parts: Vec<Part>,
}

impl fmt::Debug for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Template(\"")?;
        for p in &self.parts {
            match p {
                Part::Lit { secret: true, .. } => f.write_str("<redacted>")?,
                Part::Lit { text, .. } => f.write_str(text)?,
                Part::Macro(m) => write!(f, "{m}")?,
            }
        }
        f.write_str("\")")
    }
}

/// Parses a string setting into literal text and macros.
pub fn parse(text: &str) -> Result<Template, String> {
    let mut parts = Vec::new();
    let mut lit = String::new();
    let mut rest = text;
    while let Some(pos) = rest.find('$') {
        lit.push_str(&rest[..pos]);
        let after = &rest[pos..];
        if let Some(r) = after.strip_prefix("$${") {
            lit.push_str("${");
            rest = r;
        } else if let Some(body) = after.strip_prefix("${") {
            let end = body
                .find('}')
                .ok_or_else(|| format!("unterminated macro in '{text}': '${{' without '}}'"))?;
            let inner = &body[..end];
            if !lit.is_empty() {
                parts.push(Part::Lit {
                    text: std::mem::take(&mut lit),
                    secret: false,
                });
            }
            parts.push(Part::Macro(parse_macro(inner)?));
            rest = &body[end + 1..];
        } else {
            lit.push('$');
            rest = &after[1..];
        }
    }
    lit.push_str(rest);
    if !lit.is_empty() {
        parts.push(Part::Lit {
            text: lit,
            secret: false,
        });
    }
    Ok(Template { parts })
}

fn parse_macro(inner: &str) -> Result<Macro, String> {
    let arg = |prefix: &str| -> Result<String, String> {
        let v = inner[prefix.len()..].trim();
        if v.is_empty() {
            Err(format!(
                "macro '${{{inner}}}' needs a name after '{prefix}'"
            ))
        } else {
            Ok(v.to_string())
        }
    };
    if inner.starts_with("env:") {
        return arg("env:").map(Macro::Env);
    }
    if inner.starts_with("lay:") {
        return arg("lay:").map(Macro::Lay);
    }
    if inner.starts_with("sec:") {
        return arg("sec:").map(Macro::Sec);
    }
    if inner.starts_with("date:") {
        let format = arg("date:")?;
        check_date_format(&format)?;
        return Ok(Macro::Date(format));
    }
    let m = match inner.trim() {
        "date" => Macro::Date("%Y-%m-%d".into()),
        "file.name" => Macro::File(FileField::Name),
        "file.path" => Macro::File(FileField::Path),
        "file.size" => Macro::File(FileField::Size),
        "file.stem" => Macro::File(FileField::Stem),
        "file.ext" => Macro::File(FileField::Ext),
        "file.folder" => Macro::File(FileField::Folder),
        "file.modified" => Macro::File(FileField::Modified),
        "workflow" => Macro::Workflow,
        "error" => Macro::Error,
        other => {
            return Err(format!(
                "unknown macro '${{{other}}}': expected env:NAME, lay:KEY, sec:KEY, date:FORMAT, file.name, file.path, file.size, file.stem, file.ext, file.folder, file.modified, workflow or error"
            ))
        }
    };
    Ok(m)
}

fn check_date_format(format: &str) -> Result<(), String> {
    if StrftimeItems::new(format).any(|i| matches!(i, Item::Error)) {
        Err(format!(
            "invalid date format '{format}' (strftime, e.g. %Y-%m-%d)"
        ))
    } else {
        Ok(())
    }
}

/// A decrypted secret, the value of a `${sec:KEY}` (also `crate::secrets::SecretValue`).
/// `Debug` never shows it and there is no `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretValue(String);

impl SecretValue {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    /// The value; never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretValue(<redacted>)")
    }
}

/// Values for the static macros. Its `Debug` names the stage's keys and the secrets, never a
/// secret's value.
pub struct StaticValues<'a> {
    /// Environment variable lookup.
    pub env: &'a dyn Fn(&str) -> Option<String>,
    /// The selected environment asset's values (None = no stage selected / none defined).
    pub lay: Option<&'a BTreeMap<String, String>>,
    /// Decrypted secrets (None = not available here: `${sec:..}` stays unresolved).
    pub secrets: Option<&'a BTreeMap<String, SecretValue>>,
}

impl std::fmt::Debug for StaticValues<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaticValues")
            .field("lay", &self.lay.map(|l| l.keys().collect::<Vec<_>>()))
            .field(
                "secrets",
                &self.secrets.map(|s| s.keys().collect::<Vec<_>>()),
            )
            .finish_non_exhaustive()
    }
}

/// The per-stream values.
#[derive(Debug, Clone, Default)]
pub struct FileValues {
    /// The file name.
    pub name: String,
    /// Path relative to the input directory.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// Folder setup name.
    pub folder: String,
    /// Last modified.
    pub modified: Option<SystemTime>,
    /// The workflow.
    pub workflow: String,
    /// The failure message (notifications on failure).
    pub error: Option<String>,
}

impl Template {
    /// A template of plain text.
    pub fn literal(text: impl Into<String>) -> Self {
        Self {
            parts: vec![Part::Lit {
                text: text.into(),
                secret: false,
            }],
        }
    }

    /// The macros it contains.
    pub fn macros(&self) -> impl Iterator<Item = &Macro> {
        self.parts.iter().filter_map(|p| match p {
            Part::Macro(m) => Some(m),
            Part::Lit { .. } => None,
        })
    }

    /// Whether it has no macro left.
    pub fn is_literal(&self) -> bool {
        self.macros().next().is_none()
    }

    /// Replaces `env`, `lay` and `sec` macros by their values. Every macro that cannot be
    /// resolved is reported (never replaced by an empty string).
    pub fn resolve_static(&self, values: &StaticValues<'_>) -> Result<Template, Vec<String>> {
        let mut out = Vec::new();
        let mut errors = Vec::new();
        for p in &self.parts {
            let resolved = match p {
                Part::Macro(Macro::Env(name)) => match (values.env)(name) {
                    Some(v) => Part::Lit {
                        text: v,
                        secret: false,
                    },
                    None => {
                        errors.push(format!(
                            "environment variable '{name}' (in ${{env:{name}}}) is not set"
                        ));
                        continue;
                    }
                },
                Part::Macro(Macro::Lay(key)) => match values.lay.and_then(|m| m.get(key)) {
                    Some(v) => Part::Lit {
                        text: v.clone(),
                        secret: false,
                    },
                    None => {
                        errors.push(match values.lay {
                            Some(_) => format!("key '{key}' (in ${{lay:{key}}}) is not defined in the selected environment asset"),
                            None => format!("${{lay:{key}}} needs an environment asset (none is defined or selected: choose the stage)"),
                        });
                        continue;
                    }
                },
                Part::Macro(Macro::Sec(key)) => match values.secrets.and_then(|m| m.get(key)) {
                    Some(v) => Part::Lit {
                        text: v.expose().to_string(),
                        secret: true,
                    },
                    None => {
                        errors.push(match values.secrets {
                            Some(_) => format!("secret '{key}' (in ${{sec:{key}}}) is not defined in any secret asset"),
                            None => format!("secret '{key}' cannot be decrypted here (no private key given)"),
                        });
                        continue;
                    }
                },
                other => other.clone(),
            };
            out.push(resolved);
        }
        if errors.is_empty() {
            Ok(Template { parts: out })
        } else {
            Err(errors)
        }
    }

    /// Renders the text with the per-stream values (`date` uses the local time now).
    /// Fails if a static macro is still unresolved or a value is missing.
    pub fn render(&self, file: Option<&FileValues>) -> Result<String, String> {
        let mut s = String::new();
        for p in &self.parts {
            match p {
                Part::Lit { text, .. } => s.push_str(text),
                Part::Macro(Macro::Date(format)) => {
                    let now: DateTime<Local> = Local::now();
                    s.push_str(&now.format(format).to_string());
                }
                Part::Macro(m @ (Macro::Env(_) | Macro::Lay(_) | Macro::Sec(_))) => {
                    return Err(format!("{m} was not resolved"));
                }
                Part::Macro(m) => {
                    let Some(f) = file else {
                        return Err(format!(
                            "{m} has no value here (only per-file settings may use it)"
                        ));
                    };
                    match m {
                        Macro::File(FileField::Name) => s.push_str(&f.name),
                        Macro::File(FileField::Path) => s.push_str(&f.path),
                        Macro::File(FileField::Size) => s.push_str(&f.size.to_string()),
                        Macro::File(FileField::Stem) => {
                            s.push_str(crate::naming::split_ext(&f.name).0);
                        }
                        Macro::File(FileField::Ext) => {
                            s.push_str(crate::naming::split_ext(&f.name).1.trim_start_matches('.'));
                        }
                        Macro::File(FileField::Folder) => s.push_str(&f.folder),
                        Macro::File(FileField::Modified) => {
                            if let Some(t) = f.modified {
                                let dt: DateTime<chrono::Utc> = t.into();
                                s.push_str(&dt.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
                            }
                        }
                        Macro::Workflow => s.push_str(&f.workflow),
                        Macro::Error => s.push_str(f.error.as_deref().unwrap_or("")),
                        _ => {}
                    }
                }
            }
        }
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_values_debug_names_keys_not_values() {
        let env = |_: &str| Some("env-value-1".to_string());
        let lay = BTreeMap::from([("stage_key".to_string(), "lay-value-2".to_string())]);
        let secrets = BTreeMap::from([("db".to_string(), SecretValue::new("hunter2-secret"))]);
        let v = StaticValues {
            env: &env,
            lay: Some(&lay),
            secrets: Some(&secrets),
        };
        let shown = format!("{v:?}");
        assert!(
            shown.contains("stage_key") && shown.contains("db"),
            "{shown}"
        );
        for value in ["env-value-1", "lay-value-2", "hunter2-secret"] {
            assert!(!shown.contains(value), "{shown}");
        }
    }

    #[test]
    fn parses_and_renders() {
        let t = parse("out/${file.stem}-${workflow}.${file.ext} $${x} $5").unwrap();
        let f = FileValues {
            name: "a.b.pdf".into(),
            workflow: "wf".into(),
            ..Default::default()
        };
        assert_eq!(t.render(Some(&f)).unwrap(), "out/a.b-wf.pdf ${x} $5");
    }

    #[test]
    fn errors() {
        assert!(parse("${nope}").unwrap_err().contains("unknown macro"));
        assert!(parse("${env:X").unwrap_err().contains("unterminated"));
        assert!(parse("${date:%Q}")
            .unwrap_err()
            .contains("invalid date format"));
        assert!(parse("${env:}").is_err());
    }

    #[test]
    fn static_resolution_reports_every_missing_value() {
        let t = parse("${env:GL_TEST_SURELY_UNSET_1}/${lay:root}/${lay:x}").unwrap();
        let mut lay = BTreeMap::new();
        lay.insert("root".to_string(), "R".to_string());
        let env = |_: &str| None;
        let errs = t
            .resolve_static(&StaticValues {
                env: &env,
                lay: Some(&lay),
                secrets: None,
            })
            .unwrap_err();
        assert_eq!(errs.len(), 2, "{errs:?}");
        let env2 = |n: &str| (n == "GL_TEST_SURELY_UNSET_1").then(|| "E".to_string());
        let t2 = parse("${env:GL_TEST_SURELY_UNSET_1}/${lay:root}").unwrap();
        let r = t2
            .resolve_static(&StaticValues {
                env: &env2,
                lay: Some(&lay),
                secrets: None,
            })
            .unwrap();
        assert_eq!(r.render(None).unwrap(), "E/R");
    }
}
