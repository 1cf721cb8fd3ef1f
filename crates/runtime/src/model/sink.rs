//! `[sink.NAME]`: where and under which name stream outputs are written. Its settings and
//! its checks.

use std::time::Duration;

use super::check::{literal_dir, Checks};
use super::settings::{
    count, cron, duration, flag, keyword, keywords, settings, table, text, with, SettingExt,
};
use super::{AssetMeta, StorageSetting};
use crate::macros::Scope;
use crate::schedule::CronSpec;

const STATIC: Option<Scope> = Some(Scope::Static);
const PER_FILE: Option<Scope> = Some(Scope::PerFile);

keywords! {
    /// What a sink does when the output name exists.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum SinkExists {
        /// Write nothing; the stream fails.
        Rollback = "rollback" | "fail",
        /// Replace it.
        Replace = "replace",
        /// Rename the existing file with a counter suffix.
        Counter = "counter" | "rename-counter",
        /// Rename the existing file with a timestamp suffix.
        Timestamp = "timestamp" | "rename-timestamp",
        /// Move the existing file to the archive directory.
        Archive = "archive",
    }
}

keywords! {
    /// What to do when an archived name exists.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum ArchiveExists {
        /// Replace the archived file.
        Replace = "replace",
        /// Add a counter suffix.
        Counter = "counter",
        /// Add a timestamp suffix.
        Timestamp = "timestamp",
    }
}

settings! {
    /// Sink housekeeping.
    #[derive(Debug, Clone)]
    pub struct SinkHousekeeping {
        /// When it runs.
        pub schedule: CronSpec = cron().required(" (a cron expression)").needed(),
        /// Delete output files older than this.
        pub output: Option<Duration> = duration(),
        /// Delete archived files older than this.
        pub archive: Option<Duration> = duration(),
    }
}

settings! {
    /// A sink.
    #[derive(Debug, Clone)]
    pub struct Sink {
        /// Common fields.
        pub meta: AssetMeta = with(|_, _| AssetMeta::unset()),
        /// Where files are written (`type` and its keys).
        pub storage: StorageSetting = with(StorageSetting::read).needed(),
        /// Output directory (macros, per-file macros allowed).
        pub directory: String = text(PER_FILE).or_default(),
        /// Output file name (default `${file.name}`).
        pub file_name: String = text(PER_FILE).or("${file.name}"),
        /// Added before the name.
        pub prefix: String = text(PER_FILE).or_default(),
        /// Added before the extension.
        pub suffix: String = text(PER_FILE).or_default(),
        /// Create missing directories.
        pub create_dirs: bool = flag(true),
        /// When the output exists.
        pub when_exists: SinkExists = keyword().or(SinkExists::Rollback),
        /// Write a Graph drive's final name directly, with no temporary name and move (its
        /// uploads commit atomically: a file appears only once complete). Off, or with a
        /// temporary directory or a local drive, files go through a temporary name.
        pub direct_writes: bool = flag(true),
        /// Temporary directory (default: the output directory).
        pub temp_dir: Option<String> = text(PER_FILE).key("temp_directory"),
        /// Temporary name prefix.
        pub temp_prefix: String = text(STATIC).or(".graphlink-"),
        /// Temporary name suffix.
        pub temp_suffix: String = text(STATIC).or(".part"),
        /// Archive directory.
        pub archive_dir: Option<String> = text(PER_FILE).key("archive_directory"),
        /// When the archived name exists.
        pub archive_exists: ArchiveExists = keyword().or(ArchiveExists::Counter),
        /// Housekeeping.
        pub housekeeping: Option<SinkHousekeeping> = table(),
        /// Delay before post-processing (moving the temporary file into place).
        pub post_delay: Duration = duration().or_default(),
        /// Retries of a failed post-processing step.
        pub post_retries: u32 = count().or(3u32),
    }
}

impl Sink {
    /// The checks of one sink.
    pub(crate) fn check(&self, c: &mut Checks<'_>) {
        let m = &self.meta;
        if self.when_exists == SinkExists::Archive && self.archive_dir.is_none() {
            c.at(
                m,
                Some("when_exists"),
                "when_exists = \"archive\" needs archive_directory",
            );
        }
        if self.archive_dir.is_some() && self.when_exists != SinkExists::Archive {
            c.at(
                m,
                Some("archive_directory"),
                "archive_directory is only used with when_exists = \"archive\"",
            );
        }
        let same_dir = self
            .temp_dir
            .as_deref()
            .is_none_or(|t| literal_dir(t) == literal_dir(&self.directory));
        if self.temp_prefix.is_empty() && self.temp_suffix.is_empty() && same_dir {
            c.at(m, Some("temp_prefix"), "temporary names equal the output names: set temp_prefix, temp_suffix or temp_directory");
        }
        if let (Some(a), Some(o)) = (
            self.archive_dir.as_deref().and_then(literal_dir),
            literal_dir(&self.directory),
        ) {
            if a == o {
                c.at(
                    m,
                    Some("archive_directory"),
                    "the archive directory is the output directory",
                );
            }
        }
        if let Some(h) = &self.housekeeping {
            if h.output.is_none() && h.archive.is_none() {
                c.at(
                    m,
                    Some("housekeeping"),
                    "housekeeping has nothing to do: set output and/or archive ages",
                );
            }
        }
    }
}
