//! Reads one asset's table field by field, recording every field's line and every problem
//! (wrong type, bad value, unknown field) instead of stopping at the first.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::path::PathBuf;
use std::time::Duration;

use regex::Regex;

use super::settings::Keyword;
use super::tree::{LineIndex, Node, Value};
use crate::macros::Scope;
use crate::problem::{Location, Problem};
use crate::schedule::{parse_duration, CronSpec};

/// A table being read, with the keys used so far.
pub(crate) struct Tbl<'a> {
    pub prefix: String,
    pub span: Range<usize>,
    pub map: &'a BTreeMap<String, Node>,
    used: BTreeSet<String>,
}

impl<'a> Tbl<'a> {
    pub(crate) fn new(
        prefix: impl Into<String>,
        span: Range<usize>,
        map: &'a BTreeMap<String, Node>,
    ) -> Self {
        Self {
            prefix: prefix.into(),
            span,
            map,
            used: BTreeSet::new(),
        }
    }

    fn path(&self, key: &str) -> String {
        format!("{}{}", self.prefix, key)
    }
}

/// Reads the fields of one asset.
pub(crate) struct AssetReader<'a> {
    pub file: PathBuf,
    pub lines: &'a LineIndex,
    pub asset: String,
    pub fields: BTreeMap<String, Location>,
    pub strings: Vec<(String, String, Scope)>,
    pub problems: Vec<Problem>,
}

impl<'a> AssetReader<'a> {
    pub(crate) fn new(file: PathBuf, lines: &'a LineIndex, asset: String) -> Self {
        Self {
            file,
            lines,
            asset,
            fields: BTreeMap::new(),
            strings: Vec::new(),
            problems: Vec::new(),
        }
    }

    pub(crate) fn loc(&self, span: &Range<usize>) -> Location {
        Location {
            file: self.file.clone(),
            line: self.lines.line(span.start),
        }
    }

    pub(crate) fn problem(
        &mut self,
        field: Option<String>,
        span: &Range<usize>,
        message: impl Into<String>,
    ) {
        self.problems.push(Problem {
            location: self.loc(span),
            asset: Some(self.asset.clone()),
            field,
            message: message.into(),
        });
    }

    /// The raw node of `key`, marking it used.
    pub(crate) fn get<'t>(&mut self, t: &mut Tbl<'t>, key: &str) -> Option<&'t Node> {
        let node = t.map.get(key)?;
        t.used.insert(key.to_string());
        let loc = self.loc(&node.span);
        self.fields.insert(t.path(key), loc);
        Some(node)
    }

    fn wrong_type(&mut self, t: &Tbl<'_>, key: &str, node: &Node, expected: &str) {
        self.problem(
            Some(t.path(key)),
            &node.span,
            format!("expected {expected}, found {}", node.value.type_name()),
        );
    }

    pub(crate) fn missing(&mut self, t: &Tbl<'_>, key: &str, hint: &str) {
        let span = t.span.clone();
        self.problem(
            Some(t.path(key)),
            &span,
            format!("missing required field '{key}'{hint}"),
        );
    }

    /// A string; `scope` records it for macro checks.
    pub(crate) fn string(
        &mut self,
        t: &mut Tbl<'_>,
        key: &str,
        scope: Option<Scope>,
    ) -> Option<String> {
        let node = self.get(t, key)?;
        match &node.value {
            Value::Str(s) => {
                if let Some(scope) = scope {
                    self.strings.push((t.path(key), s.clone(), scope));
                }
                Some(s.clone())
            }
            _ => {
                self.wrong_type(t, key, node, "a string");
                None
            }
        }
    }

    pub(crate) fn bool(&mut self, t: &mut Tbl<'_>, key: &str, default: bool) -> bool {
        let Some(node) = self.get(t, key) else {
            return default;
        };
        match node.value {
            Value::Bool(b) => b,
            _ => {
                self.wrong_type(t, key, node, "true or false");
                default
            }
        }
    }

    pub(crate) fn u32(&mut self, t: &mut Tbl<'_>, key: &str) -> Option<u32> {
        let node = self.get(t, key)?;
        match node.value {
            Value::Int(i) if (0..=i64::from(u32::MAX)).contains(&i) => Some(i as u32),
            Value::Int(i) => {
                self.problem(
                    Some(t.path(key)),
                    &node.span,
                    format!("{i} is out of range (0 to {})", u32::MAX),
                );
                None
            }
            _ => {
                self.wrong_type(t, key, node, "a whole number");
                None
            }
        }
    }

    pub(crate) fn f64(&mut self, t: &mut Tbl<'_>, key: &str) -> Option<f64> {
        let node = self.get(t, key)?;
        match node.value {
            Value::Float(f) => Some(f),
            Value::Int(i) => Some(i as f64),
            _ => {
                self.wrong_type(t, key, node, "a number");
                None
            }
        }
    }

    /// A list of strings (a single string is accepted as a one-element list).
    pub(crate) fn strings(
        &mut self,
        t: &mut Tbl<'_>,
        key: &str,
        scope: Option<Scope>,
    ) -> Vec<String> {
        let Some(node) = self.get(t, key) else {
            return Vec::new();
        };
        let path = t.path(key);
        let mut out = Vec::new();
        match &node.value {
            Value::Str(s) => out.push(s.clone()),
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    match &item.value {
                        Value::Str(s) => out.push(s.clone()),
                        other => {
                            let msg = format!(
                                "item {} must be a string, found {}",
                                i + 1,
                                other.type_name()
                            );
                            self.problem(Some(path.clone()), &item.span, msg);
                        }
                    }
                }
            }
            _ => self.wrong_type(t, key, node, "a list of strings"),
        }
        if let Some(scope) = scope {
            for (i, s) in out.iter().enumerate() {
                self.strings
                    .push((format!("{path}[{i}]"), s.clone(), scope));
            }
        }
        out
    }

    pub(crate) fn duration(&mut self, t: &mut Tbl<'_>, key: &str) -> Option<Duration> {
        let node = self.get(t, key)?;
        match &node.value {
            Value::Str(s) => match parse_duration(s) {
                Ok(d) => Some(d),
                Err(e) => {
                    self.problem(Some(t.path(key)), &node.span, e);
                    None
                }
            },
            Value::Int(i) if *i >= 0 => Some(Duration::from_secs(*i as u64)),
            _ => {
                self.wrong_type(t, key, node, "a duration such as \"30s\" or \"5m\"");
                None
            }
        }
    }

    pub(crate) fn cron(&mut self, t: &mut Tbl<'_>, key: &str) -> Option<CronSpec> {
        let node = self.get(t, key)?;
        match &node.value {
            Value::Str(s) => match CronSpec::parse(s) {
                Ok(c) => Some(c),
                Err(e) => {
                    self.problem(Some(t.path(key)), &node.span, e);
                    None
                }
            },
            _ => {
                self.wrong_type(t, key, node, "a cron expression string");
                None
            }
        }
    }

    pub(crate) fn regex(&mut self, t: &mut Tbl<'_>, key: &str, anchor: Anchor) -> Option<Regex> {
        let node = self.get(t, key)?;
        match &node.value {
            Value::Str(s) => {
                let pattern = match anchor {
                    Anchor::Whole => format!("^(?:{s})$"),
                    Anchor::Start => format!("^(?:{s})"),
                    Anchor::End => format!("(?:{s})$"),
                };
                match Regex::new(&pattern) {
                    Ok(r) => Some(r),
                    Err(e) => {
                        let first = e
                            .to_string()
                            .lines()
                            .last()
                            .unwrap_or_default()
                            .trim()
                            .to_string();
                        self.problem(
                            Some(t.path(key)),
                            &node.span,
                            format!("invalid regular expression '{s}': {first}"),
                        );
                        None
                    }
                }
            }
            _ => {
                self.wrong_type(t, key, node, "a regular expression string");
                None
            }
        }
    }

    /// One of a set of keywords ([`Keyword`]); an unknown one is reported with every known one.
    pub(crate) fn keyword<K: Keyword>(&mut self, t: &mut Tbl<'_>, key: &str) -> Option<K> {
        let node = self.get(t, key)?;
        let Value::Str(s) = &node.value else {
            self.wrong_type(t, key, node, "a string");
            return None;
        };
        if let Some(v) = K::from_keyword(s) {
            return Some(v);
        }
        self.problem(
            Some(t.path(key)),
            &node.span,
            format!(
                "unknown value '{s}': expected one of {}",
                K::keywords().join(", ")
            ),
        );
        None
    }

    /// A sub-table.
    pub(crate) fn table<'t>(&mut self, t: &mut Tbl<'t>, key: &str) -> Option<Tbl<'t>> {
        let node = self.get(t, key)?;
        match &node.value {
            Value::Table(map) => Some(Tbl::new(
                format!("{}.", t.path(key)),
                node.span.clone(),
                map,
            )),
            _ => {
                self.wrong_type(t, key, node, "a table");
                None
            }
        }
    }

    /// A table of string values (`[x.values]`).
    pub(crate) fn string_map(
        &mut self,
        t: &mut Tbl<'_>,
        key: &str,
        scope: Option<Scope>,
    ) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        let Some(mut sub) = self.table(t, key) else {
            return out;
        };
        let keys: Vec<String> = sub.map.keys().cloned().collect();
        for k in keys {
            if let Some(v) = self.string(&mut sub, &k, scope) {
                out.insert(k, v);
            }
        }
        out
    }

    /// Reports the keys of `t` that were never read.
    pub(crate) fn finish(&mut self, t: Tbl<'_>) {
        for (key, node) in t.map {
            if !t.used.contains(key) {
                let span = node.span.clone();
                self.problem(Some(t.path(key)), &span, format!("unknown field '{key}'"));
            }
        }
    }
}

/// How a regex setting is anchored.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Anchor {
    /// Matches the whole name.
    Whole,
    /// Matches the start of the name.
    Start,
    /// Matches the end of the name.
    End,
}
