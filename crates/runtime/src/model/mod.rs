//! The assets of a project, as parsed. String settings keep their macros (`${...}`): they are
//! resolved when validated or run.
//!
//! Each asset type lives in its own file, which declares its settings once (doc, type, key,
//! default, how it is read: see `settings.rs`) and holds the checks that need several of
//! them: adding a setting is one line there (and its row in `PROJECT.md`). Problems found
//! between assets (references, names, macros) are [`crate::validate`]'s.
//!
//! Dependencies go one way: `model` uses `macros`, `schedule`, `naming`, `problem` and
//! graphlink-identity's rules; `project` (files → assets) and `validate` use `model`.

mod check;
mod connection;
mod environment;
pub(crate) mod reader;
mod secret;
mod service;
pub(crate) mod settings;
mod sink;
mod source;
mod storage;
pub(crate) mod tree;
mod workflow;

use std::collections::BTreeMap;
use std::fmt;

use crate::problem::Location;

pub(crate) use check::Checks;
pub use connection::{
    CloudSetting, Connection, CredentialSetting, DEFAULT_CONNECTION_FILES_IN_FLIGHT,
};
pub use environment::Environment;
pub use secret::SecretAsset;
pub use service::{ChannelEntry, ChatEntry, Service, ServiceKind};
pub use sink::{ArchiveExists, Sink, SinkExists, SinkHousekeeping};
pub use source::{
    ExistsPolicy, FolderHousekeeping, FolderSetup, InputAfter, MoveTarget, Ordering, Polling,
    Reprocessing, Source,
};
pub use storage::StorageSetting;
pub use workflow::{
    CommandSetting, Notification, Workflow, DEFAULT_FILES_IN_FLIGHT, DEFAULT_MIB_IN_FLIGHT,
};

pub use crate::schedule::BackoffSetting;

/// The kinds of asset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AssetKind {
    /// An MS Graph connection (`[connection.NAME]`).
    Connection,
    /// An environment asset: values for `${lay:KEY}` (`[environment.NAME]`).
    Environment,
    /// A secret asset: encrypted values for `${sec:KEY}` (`[secret.NAME]`).
    Secret,
    /// A source (`[source.NAME]`).
    Source,
    /// A sink (`[sink.NAME]`).
    Sink,
    /// A service, e.g. Teams (`[service.NAME]`).
    Service,
    /// A workflow (`[workflow.NAME]`).
    Workflow,
}

impl AssetKind {
    /// Every kind, in the order they are reported.
    pub const ALL: [AssetKind; 7] = [
        AssetKind::Connection,
        AssetKind::Environment,
        AssetKind::Secret,
        AssetKind::Source,
        AssetKind::Sink,
        AssetKind::Service,
        AssetKind::Workflow,
    ];

    /// The table name used in project files (`connection`, `source`, ...).
    pub fn key(self) -> &'static str {
        match self {
            AssetKind::Connection => "connection",
            AssetKind::Environment => "environment",
            AssetKind::Secret => "secret",
            AssetKind::Source => "source",
            AssetKind::Sink => "sink",
            AssetKind::Service => "service",
            AssetKind::Workflow => "workflow",
        }
    }

    /// The kind for a table name.
    pub fn from_key(key: &str) -> Option<Self> {
        AssetKind::ALL.into_iter().find(|k| k.key() == key)
    }
}

impl fmt::Display for AssetKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// An asset's identity: its kind and name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AssetId {
    /// The kind.
    pub kind: AssetKind,
    /// The name (unique per kind).
    pub name: String,
}

impl AssetId {
    /// An asset id.
    pub fn new(kind: AssetKind, name: impl Into<String>) -> Self {
        Self {
            kind,
            name: name.into(),
        }
    }
}

impl fmt::Display for AssetId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} '{}'", self.kind, self.name)
    }
}

/// What every asset has.
#[derive(Debug, Clone)]
pub struct AssetMeta {
    /// Kind and name.
    pub id: AssetId,
    /// Free text.
    pub description: String,
    /// Roles a node needs (at least one) to use this asset; empty = any node.
    pub required_roles: Vec<String>,
    /// Where the asset's table starts.
    pub location: Location,
    /// Where each field was written (dotted paths such as `folders.pdf.filter`).
    pub fields: BTreeMap<String, Location>,
    /// Every string setting with its field path, for macro checks.
    pub strings: Vec<(String, String, crate::macros::Scope)>,
}

impl AssetMeta {
    /// Common fields not read yet: the project reader fills them in once the asset's own
    /// settings are read.
    pub(crate) fn unset() -> Self {
        Self {
            id: AssetId::new(AssetKind::Connection, ""),
            description: String::new(),
            required_roles: Vec::new(),
            location: Location::default(),
            fields: BTreeMap::new(),
            strings: Vec::new(),
        }
    }

    /// The location of a field, or of the asset when the field was not written.
    pub fn field_location(&self, field: &str) -> Location {
        self.fields
            .get(field)
            .cloned()
            .unwrap_or_else(|| self.location.clone())
    }

    /// Whether a node with `roles` may use this asset.
    pub fn allows(&self, roles: &[String]) -> bool {
        self.required_roles.is_empty() || self.required_roles.iter().any(|r| roles.contains(r))
    }
}

macro_rules! assets {
    ($($asset:ty => $kind:ident),* $(,)?) => {
        $(
            impl settings::Asset for $asset {
                const KIND: AssetKind = AssetKind::$kind;
                fn meta_mut(&mut self) -> &mut AssetMeta {
                    &mut self.meta
                }
            }
        )*
    };
}

assets! {
    Connection => Connection,
    Environment => Environment,
    SecretAsset => Secret,
    Source => Source,
    Sink => Sink,
    Service => Service,
    Workflow => Workflow,
}
