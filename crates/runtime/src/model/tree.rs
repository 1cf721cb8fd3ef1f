//! A TOML document as a tree of values that remember their byte span, so every asset and
//! field can be reported with its file and line.

use std::collections::BTreeMap;
use std::ops::Range;

use toml_edit::{Item, Table};

/// A TOML value with the byte range it came from.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub span: Range<usize>,
    pub value: Value,
}

/// The value of a [`Node`].
#[derive(Debug, Clone)]
pub(crate) enum Value {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Datetime,
    Array(Vec<Node>),
    Table(BTreeMap<String, Node>),
}

impl Value {
    /// The TOML type name, for "expected X, found Y" messages.
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "a string",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a float",
            Value::Bool(_) => "a boolean",
            Value::Datetime => "a date-time",
            Value::Array(_) => "an array",
            Value::Table(_) => "a table",
        }
    }
}

/// Maps byte offsets to 1-based line numbers.
#[derive(Debug, Clone)]
pub(crate) struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub(crate) fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Self { starts }
    }

    pub(crate) fn line(&self, offset: usize) -> usize {
        match self.starts.binary_search(&offset) {
            Ok(i) => i + 1,
            Err(i) => i,
        }
    }
}

/// Parses a document into its top-level tables.
pub(crate) fn parse_document(text: &str) -> Result<BTreeMap<String, Node>, toml_edit::TomlError> {
    let doc = toml_edit::ImDocument::parse(text.to_string())?;
    Ok(table_map(doc.as_table(), 0..0))
}

fn table_map(t: &Table, fallback: Range<usize>) -> BTreeMap<String, Node> {
    let mut out = BTreeMap::new();
    for (k, item) in t {
        let key_span = t
            .key(k)
            .and_then(toml_edit::Key::span)
            .unwrap_or(fallback.clone());
        if let Some(node) = item_node(item, key_span) {
            out.insert(k.to_string(), node);
        }
    }
    out
}

fn item_node(item: &Item, key_span: Range<usize>) -> Option<Node> {
    match item {
        Item::None => None,
        Item::Value(v) => Some(value_node(v, key_span)),
        Item::Table(t) => {
            let span = t.span().unwrap_or(key_span);
            Some(Node {
                value: Value::Table(table_map(t, span.clone())),
                span,
            })
        }
        Item::ArrayOfTables(a) => {
            let items = a
                .iter()
                .map(|t| {
                    let span = t.span().unwrap_or(key_span.clone());
                    Node {
                        value: Value::Table(table_map(t, span.clone())),
                        span,
                    }
                })
                .collect();
            Some(Node {
                span: key_span,
                value: Value::Array(items),
            })
        }
    }
}

fn value_node(v: &toml_edit::Value, key_span: Range<usize>) -> Node {
    use toml_edit::Value as V;
    let own = v.span().unwrap_or(key_span.clone());
    let value = match v {
        V::String(s) => Value::Str(s.value().clone()),
        V::Integer(i) => Value::Int(*i.value()),
        V::Float(f) => Value::Float(*f.value()),
        V::Boolean(b) => Value::Bool(*b.value()),
        V::Datetime(_) => Value::Datetime,
        V::Array(a) => Value::Array(
            a.iter()
                .map(|x| value_node(x, x.span().unwrap_or(own.clone())))
                .collect(),
        ),
        V::InlineTable(t) => {
            let mut map = BTreeMap::new();
            for (k, x) in t {
                let ks = t
                    .key(k)
                    .and_then(toml_edit::Key::span)
                    .unwrap_or(own.clone());
                map.insert(k.to_string(), value_node(x, ks));
            }
            Value::Table(map)
        }
    };
    // A field is reported at its key's line; array items at their own.
    Node {
        span: key_span,
        value,
    }
}
