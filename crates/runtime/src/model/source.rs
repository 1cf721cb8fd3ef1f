//! `[source.NAME]`: where files are taken from, how often, in which order, and what happens
//! to them afterwards. Its settings and its checks.

use std::collections::BTreeSet;
use std::time::Duration;

use regex::Regex;

use super::check::{is_inside, literal_dir, Checks};
use super::reader::{Anchor, AssetReader, Tbl};
use super::settings::{
    count, cron, duration, flag, keyword, keywords, named, pattern, settings, table, text, with,
    SettingExt,
};
use super::{AssetMeta, StorageSetting};
use crate::macros::Scope;
use crate::schedule::{BackoffSetting, CronSpec};

const STATIC: Option<Scope> = Some(Scope::Static);

/// How a source polls.
#[derive(Debug, Clone)]
pub enum Polling {
    /// Every interval.
    Interval(Duration),
    /// On a cron schedule.
    Cron(CronSpec),
}

keywords! {
    /// The order streams are taken in.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Ordering {
        /// Name A→Z.
        NameAsc = "name-asc",
        /// Name Z→A.
        NameDesc = "name-desc",
        /// Oldest first.
        ModifiedAsc = "modified-asc",
        /// Newest first.
        ModifiedDesc = "modified-desc",
    }
}

keywords! {
    /// What happens when a file is moved into a done/error directory where the name exists.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum ExistsPolicy {
        /// `fail`: the stream fails, the input stays.
        FailLeave = "fail" | "fail-leave",
        /// `fail-delete`: the stream fails, the input is deleted.
        FailDelete = "fail-delete",
        /// `replace`: the existing file is replaced.
        Replace = "replace",
        /// `rename-counter`: the existing file is renamed `name_1.ext`, `name_2.ext`, ...
        RenameExistingCounter = "rename-counter",
        /// `rename-timestamp`: the existing file is renamed `name_YYYYMMDDTHHMMSSZ.ext`.
        RenameExistingTimestamp = "rename-timestamp",
        /// `counter`: the moved file gets a counter suffix.
        MoveWithCounter = "counter",
        /// `timestamp`: the moved file gets a timestamp suffix.
        MoveWithTimestamp = "timestamp",
    }
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

settings! {
    /// Housekeeping of a folder setup.
    #[derive(Debug, Clone)]
    pub struct FolderHousekeeping {
        /// When it runs.
        pub schedule: CronSpec = cron().required(" (a cron expression)").needed(),
        /// Delete input files older than this.
        pub input: Option<Duration> = duration(),
        /// Delete done files older than this.
        pub done: Option<Duration> = duration(),
        /// Delete error files older than this.
        pub error: Option<Duration> = duration(),
    }
}

keywords! {
    /// What happens to the input after a successful stream when there is no done directory.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum InputAfter {
        /// Move to the done/error directory (the default when one is set).
        Move,
        /// Delete it (the default on success without a done directory).
        Delete = "delete",
        /// Leave it where it is.
        Keep = "keep",
    }
}

settings! {
    /// One named folder setup of a source.
    #[derive(Debug, Clone)]
    pub struct FolderSetup named
        /// The setup's name.
        name
    {
        /// Input directory.
        pub input: String = text(STATIC).required(" (the input directory)").or_default(),
        /// Whole-name regex a file must match.
        pub filter: Option<Regex> = pattern(Anchor::Whole),
        /// Regex the name must start with.
        pub prefix: Option<Regex> = pattern(Anchor::Start),
        /// Regex the name must end with.
        pub suffix: Option<Regex> = pattern(Anchor::End),
        /// Include sub-directories of the input.
        pub include_subdirs: bool = flag(false),
        /// Done directory.
        pub done: Option<MoveTarget> = with(|r, t| move_target(r, t, "done")),
        /// Error directory.
        pub error: Option<MoveTarget> = with(|r, t| move_target(r, t, "error")),
        /// After success without a done directory: delete (default) or keep.
        pub on_success: InputAfter = keyword().or(InputAfter::Delete),
        /// After failure without an error directory: keep (default) or delete.
        pub on_failure: InputAfter = keyword().or(InputAfter::Keep),
        /// Housekeeping.
        pub housekeeping: Option<FolderHousekeeping> = table(),
    }
    then FolderSetup::settle;
}

impl FolderSetup {
    /// With a done (error) directory, the input is moved there.
    fn settle(mut self, _: &mut AssetReader<'_>, _: &Tbl<'_>) -> Option<Self> {
        if self.done.is_some() {
            self.on_success = InputAfter::Move;
        }
        if self.error.is_some() {
            self.on_failure = InputAfter::Move;
        }
        Some(self)
    }
}

keywords! {
    /// Reprocessing mode.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Reprocessing {
        /// Once DONE/FAILURE, never again until an operator resets it.
        Manual = "manual",
        /// Taken again when it reappears after being moved away.
        Automatic = "automatic",
        /// Taken again when the content (size/modified/hash) differs.
        WhenChanged = "when-changed",
    }
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

settings! {
    /// A source.
    #[derive(Debug, Clone)]
    pub struct Source {
        /// Common fields.
        pub meta: AssetMeta = with(|_, _| AssetMeta::unset()),
        /// Where the files are (`type` and its keys).
        pub storage: StorageSetting = with(StorageSetting::read).needed(),
        /// Polling (`poll_interval` or `poll_cron`; default every 60 s).
        pub polling: Polling = with(polling).needed(),
        /// Longest time one poll may take.
        pub poll_timeout: Option<Duration> = duration(),
        /// How long size/modified must be unchanged.
        pub stable_time: Duration = duration().or_default(),
        /// Order of streams.
        pub order: Ordering = keyword().or(Ordering::NameAsc),
        /// Folder setups (at least one).
        pub folders: Vec<FolderSetup> = named().not_empty(
            " (at least one folder setup: [source.NAME.folders.SETUP] with input = \"...\")",
        ),
        /// At most this many new streams ...
        pub max_streams: Option<u32> = count(),
        /// ... per this period.
        pub max_streams_period: Duration = duration().or(Duration::from_secs(60)),
        /// Failure backoff (`[source.NAME.backoff]`).
        pub backoff: BackoffSetting = with(backoff),
        /// Reprocessing mode.
        pub reprocessing: Reprocessing = keyword().or(Reprocessing::Manual),
        /// Wait for an operator's clearance.
        pub wait_for_clearance: bool = flag(false),
        /// Delay before post-processing (done/error moves).
        pub post_delay: Duration = duration().or_default(),
        /// Retries of failed post-processing steps.
        pub post_retries: u32 = count().or(3u32),
    }
}

/// `poll_interval` or `poll_cron` (not both; an interval longer than 0).
fn polling(r: &mut AssetReader<'_>, t: &mut Tbl<'_>) -> Option<Polling> {
    let interval = r.duration(t, "poll_interval");
    let cron = r.cron(t, "poll_cron");
    match (interval, cron) {
        (Some(_), Some(_)) => {
            let span = t.span.clone();
            r.problem(
                Some("poll_cron".into()),
                &span,
                "give either poll_interval or poll_cron, not both",
            );
            None
        }
        (Some(i), None) if i.is_zero() => {
            let span = t
                .map
                .get("poll_interval")
                .map(|n| n.span.clone())
                .unwrap_or(t.span.clone());
            r.problem(
                Some("poll_interval".into()),
                &span,
                "the polling interval must be longer than 0",
            );
            None
        }
        (Some(i), None) => Some(Polling::Interval(i)),
        (None, Some(c)) => Some(Polling::Cron(c)),
        (None, None) => Some(Polling::Interval(Duration::from_secs(60))),
    }
}

/// `done` / `error` with their `_prefix`, `_suffix` and `_exists` keys.
fn move_target(r: &mut AssetReader<'_>, t: &mut Tbl<'_>, which: &str) -> Option<MoveTarget> {
    let dir = r.string(t, which, Some(Scope::Static));
    let prefix = r.string(t, &format!("{which}_prefix"), Some(Scope::PerFile));
    let suffix = r.string(t, &format!("{which}_suffix"), Some(Scope::PerFile));
    let when = r.keyword(t, &format!("{which}_exists"));
    let Some(dir) = dir else {
        for k in ["prefix", "suffix", "exists"] {
            let key = format!("{which}_{k}");
            if let Some(node) = t.map.get(&key) {
                let span = node.span.clone();
                r.problem(
                    Some(format!("{}{key}", t.prefix)),
                    &span,
                    format!("'{key}' has no effect without '{which}' (the {which} directory)"),
                );
            }
        }
        return None;
    };
    Some(MoveTarget {
        dir,
        prefix: prefix.unwrap_or_default(),
        suffix: suffix.unwrap_or_default(),
        when_exists: when.unwrap_or(if which == "done" {
            ExistsPolicy::RenameExistingCounter
        } else {
            ExistsPolicy::MoveWithCounter
        }),
    })
}

/// `[source.NAME.backoff]` over [`BackoffSetting::default`]; its impossible combinations are
/// reported at the table.
fn backoff(r: &mut AssetReader<'_>, t: &mut Tbl<'_>) -> BackoffSetting {
    let mut backoff = BackoffSetting::default();
    let Some(mut b) = r.table(t, "backoff") else {
        return backoff;
    };
    if let Some(v) = r.duration(&mut b, "min") {
        backoff.min = v;
    }
    if let Some(v) = r.duration(&mut b, "max") {
        backoff.max = v;
    }
    backoff.step = r.duration(&mut b, "step");
    if let Some(f) = r.f64(&mut b, "factor") {
        backoff.factor = f;
    }
    if b.map.contains_key("reset_after_successes") || b.map.contains_key("reset_after_quiet") {
        backoff.reset_after_successes = None;
    }
    if let Some(n) = r.u32(&mut b, "reset_after_successes") {
        backoff.reset_after_successes = Some(n);
    }
    backoff.reset_after_quiet = r.duration(&mut b, "reset_after_quiet");
    let span = b.span.clone();
    if backoff.min > backoff.max {
        r.problem(
            Some("backoff.min".into()),
            &span,
            "backoff min is longer than backoff max",
        );
    }
    if backoff.step.is_some() && b.map.contains_key("factor") {
        r.problem(
            Some("backoff.step".into()),
            &span,
            "give either backoff step or factor, not both",
        );
    }
    if backoff.factor < 1.0 {
        r.problem(
            Some("backoff.factor".into()),
            &span,
            "the backoff factor must be at least 1",
        );
    }
    r.finish(b);
    backoff
}

impl Source {
    /// The checks of one source.
    pub(crate) fn check(&self, c: &mut Checks<'_>) {
        let m = &self.meta;
        if self.max_streams == Some(0) {
            c.at(
                m,
                Some("max_streams"),
                "max_streams = 0 would never take a file",
            );
        }
        if self.poll_timeout.is_some_and(|d| d.is_zero()) {
            c.at(
                m,
                Some("poll_timeout"),
                "the polling timeout must be longer than 0",
            );
        }
        let mut names = BTreeSet::new();
        for f in &self.folders {
            let base = format!("folders.{}", f.name);
            if !names.insert(f.name.clone()) {
                c.at(m, Some(&base), "duplicate folder setup name");
            }
            let input = literal_dir(&f.input);
            for (which, target) in [("done", &f.done), ("error", &f.error)] {
                let Some(target) = target else { continue };
                let field = format!("{base}.{which}");
                let Some(dir) = literal_dir(&target.dir) else {
                    continue;
                };
                let Some(input) = &input else { continue };
                if &dir == input && target.prefix.is_empty() && target.suffix.is_empty() {
                    c.at(m, Some(&field), format!("the {which} directory is the input directory: files would be taken again"));
                } else if &dir == input {
                    c.at(m, Some(&field), format!("the {which} directory is the input directory: {which}_prefix/{which}_suffix names would be listed again"));
                } else if f.include_subdirs && is_inside(&dir, input) {
                    c.at(m, Some(&field), format!("the {which} directory is inside the input directory and include_subdirs is on: files would be taken again"));
                }
            }
            if self.reprocessing == Reprocessing::Automatic && f.on_success == InputAfter::Keep {
                c.at(
                    m,
                    Some(&format!("{base}.on_success")),
                    "reprocessing = \"automatic\" with on_success = \"keep\" would take the same file forever: use a done directory or when-changed",
                );
            }
            if let Some(h) = &f.housekeeping {
                if h.input.is_none() && h.done.is_none() && h.error.is_none() {
                    c.at(
                        m,
                        Some(&format!("{base}.housekeeping")),
                        "housekeeping has nothing to do: set input, done and/or error ages",
                    );
                }
                if h.done.is_some() && f.done.is_none() {
                    c.at(
                        m,
                        Some(&format!("{base}.housekeeping.done")),
                        "housekeeping of done files without a done directory",
                    );
                }
                if h.error.is_some() && f.error.is_none() {
                    c.at(
                        m,
                        Some(&format!("{base}.housekeeping.error")),
                        "housekeeping of error files without an error directory",
                    );
                }
            }
        }
    }
}
