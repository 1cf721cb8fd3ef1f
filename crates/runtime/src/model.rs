//! The assets of a project, as parsed. String settings keep their macros (`${...}`): they are
//! resolved when validated or run.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use regex::Regex;

use crate::problem::Location;
use crate::schedule::CronSpec;

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

/// The cloud of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloudSetting {
    /// `global`.
    Global,
    /// `usgov`.
    UsGov,
    /// `usgovdod`.
    UsGovDod,
    /// `china`.
    China,
    /// `custom`: `authority_host` and `graph_url` given.
    Custom,
}

/// How a connection authenticates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialSetting {
    /// `client-secret`: `client_secret` (a `${sec:..}` or `${env:..}` macro).
    ClientSecret {
        /// The secret setting (a macro, never plain text in a shared project).
        secret: String,
    },
    /// `client-certificate`: PEM private key and certificate files.
    ClientCertificate {
        /// Private key PEM path (may also contain the certificate).
        key: String,
        /// Certificate PEM path (defaults to the key file).
        certificate: Option<String>,
    },
    /// `device-flow`: a person signs in once.
    DeviceFlow,
}

/// An MS Graph connection.
#[derive(Debug, Clone)]
pub struct Connection {
    /// Common fields.
    pub meta: AssetMeta,
    /// The cloud.
    pub cloud: CloudSetting,
    /// A full authority URL (alternative to cloud + tenant).
    pub authority: Option<String>,
    /// Custom cloud: identity platform base URL.
    pub authority_host: Option<String>,
    /// Custom cloud: Graph base URL.
    pub graph_url: Option<String>,
    /// Tenant id or domain.
    pub tenant: Option<String>,
    /// Application (client) id.
    pub client_id: String,
    /// The credential.
    pub credential: CredentialSetting,
    /// Scopes.
    pub scopes: Vec<String>,
    /// Extra CA certificate (PEM) to trust, e.g. the emulator's.
    pub ca_certificate: Option<String>,
    /// Accept `http://` loopback URLs (emulator only).
    pub allow_insecure_http: bool,
    /// Per-request timeout.
    pub timeout: Option<Duration>,
}

/// An environment asset: the `${lay:KEY}` values of one deployment stage.
#[derive(Debug, Clone)]
pub struct Environment {
    /// Common fields.
    pub meta: AssetMeta,
    /// The values.
    pub values: BTreeMap<String, String>,
}

/// A secret asset: `${sec:KEY}` values encrypted to `recipient`.
#[derive(Debug, Clone)]
pub struct SecretAsset {
    /// Common fields.
    pub meta: AssetMeta,
    /// The age public key (`age1...`) values are encrypted to.
    pub recipient: String,
    /// Encrypted values (`age:` + base64 of the age file).
    pub values: BTreeMap<String, String>,
}

/// Where a source or sink keeps its files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageSetting {
    /// A folder on this machine.
    Local {
        /// The root folder; directories of the asset are relative to it.
        root: String,
    },
    /// A OneDrive drive.
    OneDrive {
        /// The connection asset.
        connection: String,
        /// Drive name or id.
        drive: Option<String>,
        /// A user's drive by UPN (or the signed-in user's with `me`).
        user: Option<String>,
    },
    /// A SharePoint document library.
    SharePoint {
        /// The connection asset.
        connection: String,
        /// Site name, URL or id.
        site: String,
        /// Library (drive) name or id.
        library: String,
    },
}

impl StorageSetting {
    /// The connection used, if any.
    pub fn connection(&self) -> Option<&str> {
        match self {
            StorageSetting::Local { .. } => None,
            StorageSetting::OneDrive { connection, .. }
            | StorageSetting::SharePoint { connection, .. } => Some(connection),
        }
    }
}

/// How a source polls.
#[derive(Debug, Clone)]
pub enum Polling {
    /// Every interval.
    Interval(Duration),
    /// On a cron schedule.
    Cron(CronSpec),
}

/// The order streams are taken in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ordering {
    /// Name A→Z.
    NameAsc,
    /// Name Z→A.
    NameDesc,
    /// Oldest first.
    ModifiedAsc,
    /// Newest first.
    ModifiedDesc,
}

/// What happens when a file is moved into a done/error directory where the name exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExistsPolicy {
    /// `fail`: the stream fails, the input stays.
    FailLeave,
    /// `fail-delete`: the stream fails, the input is deleted.
    FailDelete,
    /// `replace`: the existing file is replaced.
    Replace,
    /// `rename-counter`: the existing file is renamed `name_1.ext`, `name_2.ext`, ...
    RenameExistingCounter,
    /// `rename-timestamp`: the existing file is renamed `name_YYYYMMDDTHHMMSSZ.ext`.
    RenameExistingTimestamp,
    /// `counter`: the moved file gets a counter suffix.
    MoveWithCounter,
    /// `timestamp`: the moved file gets a timestamp suffix.
    MoveWithTimestamp,
}

/// A done or error directory.
#[derive(Debug, Clone)]
pub struct MoveTarget {
    /// The directory (macros allowed).
    pub dir: String,
    /// Added before the file name.
    pub prefix: String,
    /// Added before the extension.
    pub suffix: String,
    /// When the name exists.
    pub when_exists: ExistsPolicy,
}

/// Housekeeping of a folder setup.
#[derive(Debug, Clone)]
pub struct FolderHousekeeping {
    /// When it runs.
    pub schedule: CronSpec,
    /// Delete input files older than this.
    pub input: Option<Duration>,
    /// Delete done files older than this.
    pub done: Option<Duration>,
    /// Delete error files older than this.
    pub error: Option<Duration>,
}

/// What happens to the input after a successful stream when there is no done directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputAfter {
    /// Move to the done/error directory (the default when one is set).
    Move,
    /// Delete it (the default on success without a done directory).
    Delete,
    /// Leave it where it is.
    Keep,
}

/// One named folder setup of a source.
#[derive(Debug, Clone)]
pub struct FolderSetup {
    /// The setup's name.
    pub name: String,
    /// Input directory.
    pub input: String,
    /// Whole-name regex a file must match.
    pub filter: Option<Regex>,
    /// Regex the name must start with.
    pub prefix: Option<Regex>,
    /// Regex the name must end with.
    pub suffix: Option<Regex>,
    /// Include sub-directories of the input.
    pub include_subdirs: bool,
    /// Done directory.
    pub done: Option<MoveTarget>,
    /// Error directory.
    pub error: Option<MoveTarget>,
    /// After success without a done directory: delete (default) or keep.
    pub on_success: InputAfter,
    /// After failure without an error directory: keep (default) or delete.
    pub on_failure: InputAfter,
    /// Housekeeping.
    pub housekeeping: Option<FolderHousekeeping>,
}

/// Failure backoff.
#[derive(Debug, Clone, PartialEq)]
pub struct BackoffSetting {
    /// First delay after a failure.
    pub min: Duration,
    /// Longest delay.
    pub max: Duration,
    /// Added per further failure (if set); otherwise the delay is multiplied by `factor`.
    pub step: Option<Duration>,
    /// Growth factor (default 2).
    pub factor: f64,
    /// Reset after this many successful streams.
    pub reset_after_successes: Option<u32>,
    /// Reset after this long without failures.
    pub reset_after_quiet: Option<Duration>,
}

impl Default for BackoffSetting {
    fn default() -> Self {
        Self {
            min: Duration::from_secs(1),
            max: Duration::from_secs(300),
            step: None,
            factor: 2.0,
            reset_after_successes: Some(1),
            reset_after_quiet: None,
        }
    }
}

/// Reprocessing mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reprocessing {
    /// Once DONE/FAILURE, never again until an operator resets it.
    Manual,
    /// Taken again when it reappears after being moved away.
    Automatic,
    /// Taken again when the content (size/modified/hash) differs.
    WhenChanged,
}

impl Reprocessing {
    /// Its name in project files and the coordinator.
    pub fn key(self) -> &'static str {
        match self {
            Reprocessing::Manual => "manual",
            Reprocessing::Automatic => "automatic",
            Reprocessing::WhenChanged => "when-changed",
        }
    }
}

/// A source.
#[derive(Debug, Clone)]
pub struct Source {
    /// Common fields.
    pub meta: AssetMeta,
    /// Where the files are.
    pub storage: StorageSetting,
    /// Polling.
    pub polling: Polling,
    /// Longest time one poll may take.
    pub poll_timeout: Option<Duration>,
    /// How long size/modified must be unchanged.
    pub stable_time: Duration,
    /// Order of streams.
    pub order: Ordering,
    /// Folder setups (at least one).
    pub folders: Vec<FolderSetup>,
    /// At most this many new streams ...
    pub max_streams: Option<u32>,
    /// ... per this period.
    pub max_streams_period: Duration,
    /// Failure backoff.
    pub backoff: BackoffSetting,
    /// Reprocessing mode.
    pub reprocessing: Reprocessing,
    /// Wait for an operator's clearance.
    pub wait_for_clearance: bool,
    /// Delay before post-processing (done/error moves).
    pub post_delay: Duration,
    /// Retries of failed post-processing steps.
    pub post_retries: u32,
}

/// What a sink does when the output name exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SinkExists {
    /// Write nothing; the stream fails.
    Rollback,
    /// Replace it.
    Replace,
    /// Rename the existing file with a counter suffix.
    Counter,
    /// Rename the existing file with a timestamp suffix.
    Timestamp,
    /// Move the existing file to the archive directory.
    Archive,
}

/// What to do when an archived name exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchiveExists {
    /// Replace the archived file.
    Replace,
    /// Add a counter suffix.
    Counter,
    /// Add a timestamp suffix.
    Timestamp,
}

/// Sink housekeeping.
#[derive(Debug, Clone)]
pub struct SinkHousekeeping {
    /// When it runs.
    pub schedule: CronSpec,
    /// Delete output files older than this.
    pub output: Option<Duration>,
    /// Delete archived files older than this.
    pub archive: Option<Duration>,
}

/// A sink.
#[derive(Debug, Clone)]
pub struct Sink {
    /// Common fields.
    pub meta: AssetMeta,
    /// Where files are written.
    pub storage: StorageSetting,
    /// Output directory (macros, per-file macros allowed).
    pub directory: String,
    /// Output file name (default `${file.name}`).
    pub file_name: String,
    /// Added before the name.
    pub prefix: String,
    /// Added before the extension.
    pub suffix: String,
    /// Create missing directories.
    pub create_dirs: bool,
    /// When the output exists.
    pub when_exists: SinkExists,
    /// Temporary directory (default: the output directory).
    pub temp_dir: Option<String>,
    /// Temporary name prefix.
    pub temp_prefix: String,
    /// Temporary name suffix.
    pub temp_suffix: String,
    /// Archive directory.
    pub archive_dir: Option<String>,
    /// When the archived name exists.
    pub archive_exists: ArchiveExists,
    /// Housekeeping.
    pub housekeeping: Option<SinkHousekeeping>,
    /// Delay before post-processing (moving the temporary file into place).
    pub post_delay: Duration,
    /// Retries of a failed post-processing step.
    pub post_retries: u32,
}

/// A Teams channel entry.
#[derive(Debug, Clone)]
pub struct ChannelEntry {
    /// Logical name (spaces allowed).
    pub name: String,
    /// Team name or id.
    pub team: String,
    /// Channel name or id (`General` = the default channel).
    pub channel: String,
    /// Free text.
    pub description: String,
}

/// A Teams chat entry.
#[derive(Debug, Clone)]
pub struct ChatEntry {
    /// Logical name.
    pub name: String,
    /// Members (UPN/email or name).
    pub members: Vec<String>,
    /// Free text.
    pub description: String,
}

/// A service's kind.
#[derive(Debug, Clone)]
pub enum ServiceKind {
    /// Microsoft Teams through a connection.
    Teams {
        /// The connection asset.
        connection: String,
        /// Channels.
        channels: Vec<ChannelEntry>,
        /// Chats.
        chats: Vec<ChatEntry>,
    },
    /// Writes messages to the node's log (for tests and dry runs).
    Log,
}

/// A service.
#[derive(Debug, Clone)]
pub struct Service {
    /// Common fields.
    pub meta: AssetMeta,
    /// Its kind.
    pub kind: ServiceKind,
}

impl Service {
    /// The conversation names it knows (`None` = any).
    pub fn conversations(&self) -> Option<Vec<&str>> {
        match &self.kind {
            ServiceKind::Teams {
                channels, chats, ..
            } => Some(
                channels
                    .iter()
                    .map(|c| c.name.as_str())
                    .chain(chats.iter().map(|c| c.name.as_str()))
                    .collect(),
            ),
            ServiceKind::Log => None,
        }
    }
}

/// A notification of a workflow.
#[derive(Debug, Clone)]
pub struct Notification {
    /// The service asset.
    pub service: String,
    /// The conversation (channel/chat logical name).
    pub conversation: String,
    /// The message template.
    pub message: String,
}

/// A processing command.
#[derive(Debug, Clone)]
pub struct CommandSetting {
    /// Program and arguments (macros allowed).
    pub argv: Vec<String>,
    /// Longest run time.
    pub timeout: Option<Duration>,
}

/// A workflow.
#[derive(Debug, Clone)]
pub struct Workflow {
    /// Common fields.
    pub meta: AssetMeta,
    /// The source asset.
    pub source: String,
    /// The sink asset.
    pub sink: String,
    /// Optional processing.
    pub command: Option<CommandSetting>,
    /// Notification on success.
    pub on_success: Option<Notification>,
    /// Notification on failure.
    pub on_failure: Option<Notification>,
}
