//! How settings are declared: once each, with their doc, type, key, default and the way they
//! are read, in the file of the asset they belong to.
//!
//! - [`settings!`] declares a struct of settings. Each field is written
//!   `/// doc` `pub name: Type = spec,` where `spec` says how the field's key (the field's name,
//!   unless [`SettingExt::key`] says otherwise) is read: [`text`], [`list`], [`flag`],
//!   [`count`], [`duration`], [`cron`], [`pattern`], [`keyword`], [`values`],
//!   [`table`], [`named`], or [`with`] a function for settings made of several keys; then
//!   [`SettingExt::or`] / [`SettingExt::or_default`] (the default), [`SettingExt::required`]
//!   (missing = a problem), [`SettingExt::not_empty`], [`SettingExt::needed`] (the table is
//!   unusable without it). The macro writes the struct and its [`Settings`] reader; the
//!   checks that need more than one setting sit next to it, in the asset's `check`.
//! - [`keywords!`] declares an enum whose values are written as keywords (aliases allowed);
//!   an unknown keyword is reported with every known one.
//!
//! Every problem is recorded by the [`AssetReader`] with its file, line, asset and field, and
//! reading goes on: one run reports them all.

use std::collections::BTreeMap;
use std::marker::PhantomData;
use std::time::Duration;

use regex::Regex;

use super::reader::{Anchor, AssetReader, Tbl};
use super::{AssetKind, AssetMeta};
use crate::macros::Scope;
use crate::schedule::CronSpec;

/// How one setting is read from its table.
pub(crate) trait Setting {
    /// What the setting holds once read.
    type Value;
    /// Reads the setting `key` of `t`, recording problems in `r`. `None`: the table cannot be
    /// used without this setting (its problem is recorded).
    fn read(self, r: &mut AssetReader<'_>, t: &mut Tbl<'_>, key: &str) -> Option<Self::Value>;
}

/// A table of settings, declared with [`settings!`].
pub(crate) trait Settings: Sized {
    /// Reads the settings of `t`; `name` is the table's own name (the key of a named entry).
    /// `None`: a [`SettingExt::needed`] setting is unusable (its problem is recorded).
    fn read(r: &mut AssetReader<'_>, t: &mut Tbl<'_>, name: &str) -> Option<Self>;
}

/// An asset type: its settings, and where the fields every asset has go.
pub(crate) trait Asset: Settings {
    /// The kind.
    const KIND: AssetKind;
    /// The common fields, filled in once the asset's own settings are read.
    fn meta_mut(&mut self) -> &mut AssetMeta;
}

/// A setting whose values are keywords, declared with [`keywords!`].
pub(crate) trait Keyword: Sized + Copy {
    /// The value `text` (as written) names, if any.
    fn from_keyword(text: &str) -> Option<Self>;
    /// Every accepted keyword, in the order an "expected one of" message lists them.
    fn keywords() -> Vec<&'static str>;
}

/// Keywords compare trimmed, lower case, with `_` read as `-`.
pub(crate) fn normalize_keyword(text: &str) -> String {
    text.trim().to_ascii_lowercase().replace('_', "-")
}

/// The cloud names are identity's: its aliases are accepted and its names listed.
impl Keyword for graphlink_identity::CloudKind {
    fn from_keyword(text: &str) -> Option<Self> {
        Self::from_name(text)
    }
    fn keywords() -> Vec<&'static str> {
        Self::NAMES.to_vec()
    }
}

/// Declares a struct of settings and its [`Settings`] reader (see the module documentation).
///
/// ```text
/// settings! {
///     /// Doc of the struct.
///     #[derive(Debug, Clone)]
///     pub struct Name named /** doc of the name field */ name {   // `named ..`: optional
///         /// Doc of the field.
///         pub field: Type = spec,   // fields take the struct's visibility
///     }
///     then check_fn;   // optional: fn(Self, &mut AssetReader, &Tbl) -> Option<Self>
/// }
/// ```
macro_rules! settings {
    (
        $(#[$attr:meta])*
        $vis:vis struct $name:ident $(named $(#[$nattr:meta])* $named:ident)? {
            $(
                $(#[$fattr:meta])*
                pub $field:ident: $ty:ty = $spec:expr
            ),* $(,)?
        }
        $(then $then:path;)?
    ) => {
        $(#[$attr])*
        $vis struct $name {
            $( $(#[$nattr])* $vis $named: String, )?
            $( $(#[$fattr])* $vis $field: $ty, )*
        }

        impl $crate::model::settings::Settings for $name {
            fn read(
                r: &mut $crate::model::reader::AssetReader<'_>,
                t: &mut $crate::model::reader::Tbl<'_>,
                name: &str,
            ) -> Option<Self> {
                let _ = name;
                $(
                    let $field = $crate::model::settings::Setting::read(
                        $spec,
                        r,
                        t,
                        stringify!($field),
                    );
                )*
                let read = Self {
                    $( $named: name.to_string(), )?
                    $( $field: $field?, )*
                };
                $( let read = $then(read, r, t)?; )?
                Some(read)
            }
        }
    };
}
pub(crate) use settings;

/// Declares an enum of keyword values and its [`Keyword`] impl: `Variant = "keyword" | "alias"`;
/// a variant without keywords cannot be written (it is set by the reader).
macro_rules! keywords {
    (
        $(#[$attr:meta])*
        $vis:vis enum $name:ident {
            $(
                $(#[$vattr:meta])*
                $variant:ident $(= $($kw:literal)|+)?
            ),* $(,)?
        }
    ) => {
        $(#[$attr])*
        $vis enum $name {
            $( $(#[$vattr])* $variant, )*
        }

        impl $crate::model::settings::Keyword for $name {
            fn from_keyword(text: &str) -> Option<Self> {
                let norm = $crate::model::settings::normalize_keyword(text);
                $($($(
                    if norm == $kw {
                        return Some(Self::$variant);
                    }
                )+)?)*
                None
            }

            fn keywords() -> Vec<&'static str> {
                vec![$($($($kw,)+)?)*]
            }
        }
    };
}
pub(crate) use keywords;

/// A string; `scope` decides which macros it may hold (`None`: not a macro setting, such as
/// an asset reference or a description).
pub(crate) fn text(scope: Option<Scope>) -> Text {
    Text(scope)
}

/// See [`text`].
pub(crate) struct Text(Option<Scope>);

impl Setting for Text {
    type Value = Option<String>;
    fn read(self, r: &mut AssetReader<'_>, t: &mut Tbl<'_>, key: &str) -> Option<Self::Value> {
        Some(r.string(t, key, self.0))
    }
}

/// A list of strings (a single string is a one-element list); empty when not written.
pub(crate) fn list(scope: Option<Scope>) -> List {
    List(scope)
}

/// See [`list`].
pub(crate) struct List(Option<Scope>);

impl Setting for List {
    type Value = Vec<String>;
    fn read(self, r: &mut AssetReader<'_>, t: &mut Tbl<'_>, key: &str) -> Option<Self::Value> {
        Some(r.strings(t, key, self.0))
    }
}

/// `true` or `false`, `default` when not written.
pub(crate) fn flag(default: bool) -> Flag {
    Flag(default)
}

/// See [`flag`].
pub(crate) struct Flag(bool);

impl Setting for Flag {
    type Value = bool;
    fn read(self, r: &mut AssetReader<'_>, t: &mut Tbl<'_>, key: &str) -> Option<Self::Value> {
        Some(r.bool(t, key, self.0))
    }
}

/// A whole number from 0 to `u32::MAX`.
pub(crate) fn count() -> Count {
    Count
}

/// See [`count`].
pub(crate) struct Count;

impl Setting for Count {
    type Value = Option<u32>;
    fn read(self, r: &mut AssetReader<'_>, t: &mut Tbl<'_>, key: &str) -> Option<Self::Value> {
        Some(r.u32(t, key))
    }
}

/// A duration (`"30s"`, `"5m"`, a number of seconds).
pub(crate) fn duration() -> Dur {
    Dur
}

/// See [`duration`].
pub(crate) struct Dur;

impl Setting for Dur {
    type Value = Option<Duration>;
    fn read(self, r: &mut AssetReader<'_>, t: &mut Tbl<'_>, key: &str) -> Option<Self::Value> {
        Some(r.duration(t, key))
    }
}

/// A cron expression.
pub(crate) fn cron() -> Cron {
    Cron
}

/// See [`cron`].
pub(crate) struct Cron;

impl Setting for Cron {
    type Value = Option<CronSpec>;
    fn read(self, r: &mut AssetReader<'_>, t: &mut Tbl<'_>, key: &str) -> Option<Self::Value> {
        Some(r.cron(t, key))
    }
}

/// A regular expression, anchored as `anchor` says.
pub(crate) fn pattern(anchor: Anchor) -> Pattern {
    Pattern(anchor)
}

/// See [`pattern`].
pub(crate) struct Pattern(Anchor);

impl Setting for Pattern {
    type Value = Option<Regex>;
    fn read(self, r: &mut AssetReader<'_>, t: &mut Tbl<'_>, key: &str) -> Option<Self::Value> {
        Some(r.regex(t, key, self.0))
    }
}

/// One of the keywords of `K`.
pub(crate) fn keyword<K: Keyword>() -> Kw<K> {
    Kw(PhantomData)
}

/// See [`keyword`].
pub(crate) struct Kw<K>(PhantomData<K>);

impl<K: Keyword> Setting for Kw<K> {
    type Value = Option<K>;
    fn read(self, r: &mut AssetReader<'_>, t: &mut Tbl<'_>, key: &str) -> Option<Self::Value> {
        Some(r.keyword(t, key))
    }
}

/// A table of string values (`[x.values]`).
pub(crate) fn values(scope: Option<Scope>) -> Values {
    Values(scope)
}

/// See [`values`].
pub(crate) struct Values(Option<Scope>);

impl Setting for Values {
    type Value = BTreeMap<String, String>;
    fn read(self, r: &mut AssetReader<'_>, t: &mut Tbl<'_>, key: &str) -> Option<Self::Value> {
        Some(r.string_map(t, key, self.0))
    }
}

/// A sub-table of settings `T`; `None` when not written or unusable.
pub(crate) fn table<T: Settings>() -> Sub<T> {
    Sub(PhantomData)
}

/// See [`table`].
pub(crate) struct Sub<T>(PhantomData<T>);

impl<T: Settings> Setting for Sub<T> {
    type Value = Option<T>;
    fn read(self, r: &mut AssetReader<'_>, t: &mut Tbl<'_>, key: &str) -> Option<Self::Value> {
        let Some(mut sub) = r.table(t, key) else {
            return Some(None);
        };
        let value = T::read(r, &mut sub, key);
        r.finish(sub);
        Some(value)
    }
}

/// A table of named entries `T` (`[x.KEY.NAME]`), in name order; unusable entries are left out.
pub(crate) fn named<T: Settings>() -> Named<T> {
    Named(PhantomData)
}

/// See [`named`].
pub(crate) struct Named<T>(PhantomData<T>);

impl<T: Settings> Setting for Named<T> {
    type Value = Vec<T>;
    fn read(self, r: &mut AssetReader<'_>, t: &mut Tbl<'_>, key: &str) -> Option<Self::Value> {
        let mut out = Vec::new();
        let Some(mut entries) = r.table(t, key) else {
            return Some(out);
        };
        let names: Vec<String> = entries.map.keys().cloned().collect();
        for name in names {
            if let Some(mut sub) = r.table(&mut entries, &name) {
                out.extend(T::read(r, &mut sub, &name));
                r.finish(sub);
            }
        }
        r.finish(entries);
        Some(out)
    }
}

/// A setting made of several keys (or none), read by `f` (which names its keys itself).
pub(crate) fn with<T, F>(f: F) -> With<F>
where
    F: FnOnce(&mut AssetReader<'_>, &mut Tbl<'_>) -> T,
{
    With(f)
}

/// See [`with`].
pub(crate) struct With<F>(F);

impl<T, F> Setting for With<F>
where
    F: FnOnce(&mut AssetReader<'_>, &mut Tbl<'_>) -> T,
{
    type Value = T;
    fn read(self, r: &mut AssetReader<'_>, t: &mut Tbl<'_>, _key: &str) -> Option<Self::Value> {
        Some((self.0)(r, t))
    }
}

/// The ways a setting's reading can be adjusted.
pub(crate) trait SettingExt: Setting + Sized {
    /// `default` when not written (or invalid).
    fn or<D>(self, default: D) -> Or<Self, D> {
        Or(self, default)
    }
    /// The type's default (empty string, zero duration) when not written (or invalid).
    fn or_default(self) -> OrDefault<Self> {
        OrDefault(self)
    }
    /// Not writing it is a problem: "missing required field 'KEY'{hint}".
    fn required(self, hint: &'static str) -> Required<Self> {
        Required(self, hint)
    }
    /// An empty list is a problem: "missing required field 'KEY'{hint}".
    fn not_empty(self, hint: &'static str) -> NotEmpty<Self> {
        NotEmpty(self, hint)
    }
    /// The table is unusable without it (not written or invalid).
    fn needed(self) -> Needed<Self> {
        Needed(self)
    }
    /// Written under `key` rather than the field's name (goes last).
    fn key(self, key: &'static str) -> Key<Self> {
        Key(self, key)
    }
}

impl<S: Setting> SettingExt for S {}

/// See [`SettingExt::or`].
pub(crate) struct Or<S, D>(S, D);

impl<S, T, D> Setting for Or<S, D>
where
    S: Setting<Value = Option<T>>,
    D: Into<T>,
{
    type Value = T;
    fn read(self, r: &mut AssetReader<'_>, t: &mut Tbl<'_>, key: &str) -> Option<T> {
        Some(self.0.read(r, t, key)?.unwrap_or_else(|| self.1.into()))
    }
}

/// See [`SettingExt::or_default`].
pub(crate) struct OrDefault<S>(S);

impl<S, T> Setting for OrDefault<S>
where
    S: Setting<Value = Option<T>>,
    T: Default,
{
    type Value = T;
    fn read(self, r: &mut AssetReader<'_>, t: &mut Tbl<'_>, key: &str) -> Option<T> {
        Some(self.0.read(r, t, key)?.unwrap_or_default())
    }
}

/// See [`SettingExt::required`].
pub(crate) struct Required<S>(S, &'static str);

impl<S: Setting> Setting for Required<S> {
    type Value = S::Value;
    fn read(self, r: &mut AssetReader<'_>, t: &mut Tbl<'_>, key: &str) -> Option<S::Value> {
        if !t.map.contains_key(key) {
            r.missing(t, key, self.1);
        }
        self.0.read(r, t, key)
    }
}

/// See [`SettingExt::not_empty`].
pub(crate) struct NotEmpty<S>(S, &'static str);

impl<S, T> Setting for NotEmpty<S>
where
    S: Setting<Value = Vec<T>>,
{
    type Value = Vec<T>;
    fn read(self, r: &mut AssetReader<'_>, t: &mut Tbl<'_>, key: &str) -> Option<Vec<T>> {
        let value = self.0.read(r, t, key)?;
        if value.is_empty() {
            r.missing(t, key, self.1);
        }
        Some(value)
    }
}

/// See [`SettingExt::needed`].
pub(crate) struct Needed<S>(S);

impl<S, T> Setting for Needed<S>
where
    S: Setting<Value = Option<T>>,
{
    type Value = T;
    fn read(self, r: &mut AssetReader<'_>, t: &mut Tbl<'_>, key: &str) -> Option<T> {
        self.0.read(r, t, key)?
    }
}

/// See [`SettingExt::key`].
pub(crate) struct Key<S>(S, &'static str);

impl<S: Setting> Setting for Key<S> {
    type Value = S::Value;
    fn read(self, r: &mut AssetReader<'_>, t: &mut Tbl<'_>, _key: &str) -> Option<S::Value> {
        self.0.read(r, t, self.1)
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::super::tree::{parse_document, LineIndex, Value};
    use super::*;
    use crate::problem::Problem;

    keywords! {
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub(super) enum Colour {
            Red = "red" | "rouge",
            Green = "green",
            Unwritten,
        }
    }

    settings! {
        #[derive(Debug)]
        pub(super) struct Entry named name {
            pub size: u32 = count().or(7u32),
        }
    }

    settings! {
        #[derive(Debug)]
        pub(super) struct Demo {
            pub title: String = text(Some(Scope::Static)).or("untitled"),
            pub note: Option<String> = text(None).key("remark"),
            pub tags: Vec<String> = list(None).not_empty(" (one or more)"),
            pub on: bool = flag(true),
            pub wait: Duration = duration().or(Duration::from_secs(60)),
            pub colour: Colour = keyword().or(Colour::Green),
            pub entries: Vec<Entry> = named(),
            pub sub: Option<Entry> = table(),
            pub must: String = text(None).required(" (needed)").needed(),
        }
        then Demo::check;
    }

    impl Demo {
        fn check(self, r: &mut AssetReader<'_>, t: &Tbl<'_>) -> Option<Self> {
            if self.title == "stop" {
                r.problem(Some("title".into()), &t.span, "stopped");
                return None;
            }
            Some(self)
        }
    }

    fn read(text: &str) -> (Option<Demo>, Vec<Problem>) {
        let lines = LineIndex::new(text);
        let doc = parse_document(text).unwrap();
        let node = &doc["demo"];
        let Value::Table(map) = &node.value else {
            panic!("not a table")
        };
        let mut r = AssetReader::new(PathBuf::from("t.toml"), &lines, "demo 'x'".into());
        let mut t = Tbl::new("", node.span.clone(), map);
        let demo = Demo::read(&mut r, &mut t, "x");
        r.finish(t);
        (demo, r.problems)
    }

    fn messages(problems: &[Problem]) -> Vec<String> {
        problems.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn keywords_accept_aliases_and_list_every_one() {
        assert_eq!(Colour::from_keyword(" ROUGE "), Some(Colour::Red));
        assert_eq!(Colour::from_keyword("green"), Some(Colour::Green));
        assert_eq!(Colour::from_keyword("unwritten"), None);
        assert_ne!(Colour::Unwritten, Colour::Red);
        assert_eq!(Colour::keywords(), ["red", "rouge", "green"]);
        assert_eq!(normalize_keyword(" When_Changed"), "when-changed");
    }

    #[test]
    fn declared_settings_read_with_their_defaults() {
        let (demo, problems) = read("[demo]\ntags = \"a\"\nmust = \"m\"\n");
        assert!(problems.is_empty(), "{:?}", messages(&problems));
        let demo = demo.unwrap();
        assert_eq!(demo.title, "untitled");
        assert_eq!(demo.note, None);
        assert_eq!(demo.tags, ["a"]);
        assert!(demo.on);
        assert_eq!(demo.wait, Duration::from_secs(60));
        assert_eq!(demo.colour, Colour::Green);
        assert!(demo.entries.is_empty());
        assert!(demo.sub.is_none());
        assert_eq!(demo.must, "m");

        let (demo, problems) = read(
            "[demo]\ntitle = \"T\"\nremark = \"n\"\ntags = [\"a\", \"b\"]\non = false\nwait = \"5s\"\ncolour = \"rouge\"\nmust = \"m\"\n[demo.entries.one]\nsize = 1\n[demo.entries.two]\n[demo.sub]\nsize = 3\n",
        );
        assert!(problems.is_empty(), "{:?}", messages(&problems));
        let demo = demo.unwrap();
        assert_eq!(demo.title, "T");
        assert_eq!(demo.note.as_deref(), Some("n"));
        assert!(!demo.on);
        assert_eq!(demo.wait, Duration::from_secs(5));
        assert_eq!(demo.colour, Colour::Red);
        let entries: Vec<(&str, u32)> = demo
            .entries
            .iter()
            .map(|e| (e.name.as_str(), e.size))
            .collect();
        assert_eq!(entries, [("one", 1), ("two", 7)]);
        assert_eq!(demo.sub.map(|s| (s.name, s.size)), Some(("sub".into(), 3)));
    }

    #[test]
    fn every_problem_is_reported_with_its_line_and_field() {
        let (demo, problems) = read(
            "[demo]\ntitle = 5\nnote = \"x\"\ncolour = \"blue\"\n[demo.entries.one]\nsize = -1\n",
        );
        assert!(demo.is_none(), "'must' is needed");
        assert_eq!(
            messages(&problems),
            [
                "t.toml:2: demo 'x', field 'title': expected a string, found an integer",
                "t.toml:1: demo 'x', field 'tags': missing required field 'tags' (one or more)",
                "t.toml:4: demo 'x', field 'colour': unknown value 'blue': expected one of red, rouge, green",
                "t.toml:6: demo 'x', field 'entries.one.size': -1 is out of range (0 to 4294967295)",
                "t.toml:1: demo 'x', field 'must': missing required field 'must' (needed)",
                "t.toml:3: demo 'x', field 'note': unknown field 'note'",
            ]
        );
        let (demo, problems) = read("[demo]\ntitle = \"stop\"\ntags = \"a\"\nmust = \"m\"\n");
        assert!(demo.is_none());
        assert_eq!(
            messages(&problems),
            ["t.toml:1: demo 'x', field 'title': stopped"]
        );
    }
}
